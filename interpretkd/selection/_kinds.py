"""The kinds of student that :func:`~interpretkd.fidelity_curve` knows by name, and
how to tell which kind an estimator is."""

from __future__ import annotations

from sklearn.base import is_classifier

__all__ = ["STUDENT_KINDS", "student_kind"]

#: The student kinds :func:`fidelity_curve` knows by name.
STUDENT_KINDS = ("tao-oblique", "tao-axis", "cart", "soft-tree")
# The ways fidelity_curve sizes a student: by max_depth, or by max_leaf_nodes under
# a depth cap. The cap is the CLI's (--max-leaves): deep enough that the budget, not
# the depth, decides where the leaves go on the benchmarks' data.
SIZE_BY = ("depth", "leaves")
LEAF_BUDGET_MAX_DEPTH = 12
# Parameters that say nothing about the kind of a student (see student_kind); the
# distillers set categorical_features on a TAO student from the data's columns.
_SIZE_AND_SEED = {
    "max_depth",
    "max_leaf_nodes",
    "random_state",
    "verbose",
    "categorical_features",
}


def _size_params(size: int, size_by: str) -> dict:
    """The parameters that give a student ``size``: a depth, or a leaf budget."""
    if size_by == "leaves":
        return {"max_depth": LEAF_BUDGET_MAX_DEPTH, "max_leaf_nodes": int(size)}
    return {"max_depth": int(size)}


def _named_student(name: str, is_clf: bool):
    if name == "cart":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        return DecisionTreeClassifier() if is_clf else DecisionTreeRegressor()
    if name in ("tao-axis", "tao-oblique"):
        from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor

        cls = TAOTreeClassifier if is_clf else TAOTreeRegressor
        return cls(split=name[4:])
    if name == "soft-tree":
        from interpretkd.soft_tree import (
            SoftDecisionTreeClassifier,
            SoftDecisionTreeRegressor,
        )

        return SoftDecisionTreeClassifier() if is_clf else SoftDecisionTreeRegressor()
    raise ValueError(
        f"Unknown student kind {name!r}; the named kinds are {list(STUDENT_KINDS)}. "
        "Pass an estimator with a max_depth parameter for any other student, e.g. "
        "students={'mine': TAOTreeClassifier(split='oblique', "
        "max_features_per_split=2)}."
    )


def student_kind(estimator) -> str | None:
    """The name in ``STUDENT_KINDS`` of the kind of ``estimator``, or None.

    A kind matches when the class is the same and every parameter other than the
    size (``max_depth``, ``max_leaf_nodes``), ``random_state``, ``verbose`` and
    ``categorical_features`` (which a distiller sets from the data) has its value in
    that kind.

    Examples
    --------
    >>> from interpretkd.tao import TAOTreeClassifier
    >>> from interpretkd.selection import student_kind
    >>> student_kind(TAOTreeClassifier(split="oblique", max_depth=4))
    'tao-oblique'
    >>> student_kind(TAOTreeClassifier(split="axis", max_leaf_nodes=16))
    'tao-axis'
    >>> student_kind(TAOTreeClassifier(split="oblique", max_features_per_split=2))
    """
    is_clf = is_classifier(estimator)
    for name in STUDENT_KINDS:
        if _same_kind(_named_student(name, is_clf), estimator):
            return name
    return None


def _same_kind(a, b) -> bool:
    if type(a) is not type(b):
        return False
    mine, theirs = a.get_params(deep=False), b.get_params(deep=False)
    return all(_same(mine[k], theirs.get(k)) for k in mine if k not in _SIZE_AND_SEED)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays or estimators compare ambiguously
        return a is b
