"""Trust per region: where a student decides as its teacher does, and where not.

Everything here compares a fitted distiller's student with its teacher on rows the
caller passes (held-out rows, for a claim about new data). Which leaf a row reaches
is the student's own ``apply``: nothing here walks a tree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from interpretkd._validation import is_fitted_distiller

__all__ = ["leaf_fidelity", "class_fidelity", "decision_confusion", "disagreements"]


def _check_distiller(distilled, what: str) -> None:
    if not is_fitted_distiller(distilled):
        raise TypeError(
            f"{what} needs a fitted DistilledClassifier or DistilledRegressor; got "
            f"{type(distilled).__name__}. Fit it first, or distill your model with "
            "DistilledClassifier(teacher, student).fit(X, y)."
        )


def _is_classifier(distilled) -> bool:
    return hasattr(distilled, "classes_")


def _student_input(distilled, X):
    """``X`` as the student sees it (categories as codes, a validated array)."""
    # The distiller's own conversion, so that the leaves are those predict uses.
    return distilled.transform_for_student(X)


def student_leaves(distilled, X) -> np.ndarray:
    """The leaf each row of ``X`` reaches in the student, from the student's
    ``apply`` (node ids as ``apply`` numbers them)."""
    _check_distiller(distilled, "student_leaves")
    Xs = _student_input(distilled, X)
    student = distilled.student_
    if isinstance(student, Pipeline):
        if len(student) > 1:
            Xs = student[:-1].transform(Xs)
        student = student[-1]
    if not hasattr(student, "apply"):
        raise TypeError(
            f"The student {type(student).__name__} has no leaves (no apply method); "
            "per-leaf fidelity applies to tree students. Use class_fidelity or "
            "decision_confusion for any student."
        )
    return np.asarray(student.apply(Xs)).astype(np.int64)


def _wilson_low(agree: int, n: int) -> float:
    from scipy.stats import binomtest

    if n == 0:
        return float("nan")
    return float(binomtest(agree, n).proportion_ci(method="wilson").low)


def leaf_fidelity(distilled, X) -> pd.DataFrame:
    """Fidelity and coverage of each leaf of a tree student, on the rows ``X``.

    Parameters
    ----------
    distilled : fitted DistilledClassifier or DistilledRegressor
        Its student must be a tree (anything with ``apply``: scikit-learn trees,
        TAO trees, soft trees, whose rows go to their most probable leaf).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows to measure on; held-out rows say how far the leaf can be trusted on
        new data, training rows only how well it was fit.

    Returns
    -------
    table : DataFrame
        One row per leaf that at least one row of ``X`` reaches, indexed by the
        leaf's node id (as the student's ``apply`` numbers it), in that order.
        Classification: ``n_rows``, ``coverage`` (share of ``X``), ``student``
        (the class the student decides for most of these rows), ``fidelity``
        (share of them on which the teacher decides the same), ``fidelity_low``
        (lower end of its 95% Wilson interval: small leaves earn little trust),
        ``n_disagree`` and ``teacher_instead`` (the teacher's most common other
        class there, or None). Regression: ``n_rows``, ``coverage``,
        ``student`` and ``teacher`` (mean predictions), ``mean_abs_gap`` and
        ``max_abs_gap`` (of ``|teacher - student|``).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import DistilledClassifier, leaf_fidelity
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0)
    >>> forest.fit(X[:400], y[:400])
    RandomForestClassifier(n_estimators=20, random_state=0)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    >>> distilled = DistilledClassifier(forest, tree).fit(X[:400], y[:400])
    >>> table = leaf_fidelity(distilled, X[400:])
    >>> int(table["n_rows"].sum())
    169
    """
    _check_distiller(distilled, "leaf_fidelity")
    leaves = student_leaves(distilled, X)
    teacher = np.asarray(distilled.teacher_predict(X))
    student = np.asarray(distilled.predict(X))
    n = len(leaves)
    rows = []
    for leaf in np.unique(leaves):
        mask = leaves == leaf
        t, s = teacher[mask], student[mask]
        count = int(mask.sum())
        entry: dict = {"leaf": int(leaf), "n_rows": count, "coverage": count / n}
        if _is_classifier(distilled):
            agree = t == s
            n_agree = int(agree.sum())
            entry["student"] = _most_common(s)
            entry["fidelity"] = n_agree / count
            entry["fidelity_low"] = _wilson_low(n_agree, count)
            entry["n_disagree"] = count - n_agree
            entry["teacher_instead"] = (
                _most_common(t[~agree]) if n_agree < count else None
            )
        else:
            gap = np.abs(t.astype(float) - s.astype(float))
            entry["student"] = float(np.mean(s))
            entry["teacher"] = float(np.mean(t))
            entry["mean_abs_gap"] = float(gap.mean())
            entry["max_abs_gap"] = float(gap.max())
        rows.append(entry)
    columns = (
        [
            "leaf",
            "n_rows",
            "coverage",
            "student",
            "fidelity",
            "fidelity_low",
            "n_disagree",
            "teacher_instead",
        ]
        if _is_classifier(distilled)
        else [
            "leaf",
            "n_rows",
            "coverage",
            "student",
            "teacher",
            "mean_abs_gap",
            "max_abs_gap",
        ]
    )
    table = pd.DataFrame(rows, columns=columns)
    for col in ("student", "teacher_instead"):
        if col in table and _is_classifier(distilled):
            # Labels stay labels: a column holding None would otherwise turn ints
            # into floats.
            table[col] = pd.Series([r[col] for r in rows], dtype=object)
    return table.set_index("leaf")


def _most_common(values: np.ndarray):
    labels, counts = np.unique(values, return_counts=True)
    value = labels[int(np.argmax(counts))]
    return value.item() if hasattr(value, "item") else value


def _check_classifier(distilled, what: str) -> None:
    _check_distiller(distilled, what)
    if not _is_classifier(distilled):
        raise TypeError(
            f"{what} compares class decisions; this distiller is a regressor. Use "
            "leaf_fidelity (gaps per leaf) or fidelity_score (R²)."
        )


def decision_confusion(distilled, X) -> pd.DataFrame:
    """How often the teacher decides each class and the student each class.

    Parameters
    ----------
    distilled : fitted DistilledClassifier
    X : array-like or DataFrame of shape (n_samples, n_features)

    Returns
    -------
    counts : DataFrame of shape (n_classes, n_classes)
        ``counts.loc[a, b]``: rows the teacher puts in class ``a`` and the student
        in class ``b``; the diagonal is where they agree. Index and columns are the
        distiller's ``classes_``, named ``teacher`` and ``student``.
    """
    _check_classifier(distilled, "decision_confusion")
    classes = pd.Index(distilled.classes_)
    teacher = classes.get_indexer(
        np.asarray(distilled.teacher_predict(X), dtype=object)
    )
    student = classes.get_indexer(np.asarray(distilled.predict(X), dtype=object))
    k = len(classes)
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(counts, (teacher, student), 1)
    return pd.DataFrame(
        counts,
        index=pd.Index(classes, name="teacher"),
        columns=pd.Index(classes, name="student"),
    )


def class_fidelity(distilled, X) -> pd.DataFrame:
    """Fidelity per class: for the rows the teacher puts in each class, how often
    the student agrees, and how often the student's decisions for it are right.

    Parameters
    ----------
    distilled : fitted DistilledClassifier
    X : array-like or DataFrame of shape (n_samples, n_features)

    Returns
    -------
    table : DataFrame
        Indexed by class (``classes_``): ``n_teacher`` (rows the teacher puts in
        the class), ``fidelity`` (share of those the student puts there too: the
        student's recall of the teacher's class), ``n_student`` (rows the student
        puts there) and ``precision`` (share of those the teacher puts there too).
        NaN where a count is 0.
    """
    _check_classifier(distilled, "class_fidelity")
    counts = decision_confusion(distilled, X).to_numpy()
    agree = np.diag(counts).astype(float)
    n_teacher = counts.sum(axis=1)
    n_student = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fidelity = np.where(n_teacher > 0, agree / n_teacher, np.nan)
        precision = np.where(n_student > 0, agree / n_student, np.nan)
    return pd.DataFrame(
        {
            "n_teacher": n_teacher,
            "fidelity": fidelity,
            "n_student": n_student,
            "precision": precision,
        },
        index=pd.Index(distilled.classes_, name="class"),
    )


def disagreements(distilled, X) -> pd.DataFrame:
    """The rows of ``X`` on which the student does not decide as the teacher does.

    Parameters
    ----------
    distilled : fitted DistilledClassifier or DistilledRegressor
    X : array-like or DataFrame of shape (n_samples, n_features)

    Returns
    -------
    rows : DataFrame
        Indexed by the rows' index in ``X`` (positions for arrays): ``teacher`` and
        ``student`` (their decisions; for regression, their predictions and
        ``abs_gap``, every row, largest gap first) and ``leaf`` (from the
        student's ``apply``, for tree students).
    """
    _check_distiller(distilled, "disagreements")
    teacher = np.asarray(distilled.teacher_predict(X))
    student = np.asarray(distilled.predict(X))
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(teacher))
    frame = pd.DataFrame({"teacher": teacher, "student": student}, index=index)
    try:
        frame["leaf"] = student_leaves(distilled, X)
    except TypeError:  # a student without leaves (linear)
        pass
    if _is_classifier(distilled):
        return frame[teacher != student]
    frame.insert(2, "abs_gap", np.abs(teacher.astype(float) - student.astype(float)))
    return frame.sort_values("abs_gap", ascending=False, kind="stable")
