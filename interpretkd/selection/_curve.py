"""Fidelity against size: the evidence for choosing how big a student to read.

:func:`fidelity_curve` distills the teacher into each kind of student at each size,
on cross-validation folds, and measures every student on the rows of its fold it did
not train on. The distillation itself is :class:`~interpretkd.DistilledClassifier`
(or ``DistilledRegressor``) with the parameters given; nothing here re-implements it.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import (
    KFold,
    ShuffleSplit,
    StratifiedKFold,
    StratifiedShuffleSplit,
    check_cv,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from interpretkd.metrics import student_complexity
from interpretkd.selection._kinds import (
    LEAF_BUDGET_MAX_DEPTH,
    SIZE_BY,
    STUDENT_KINDS,
    _named_student,
    _size_params,
)
from interpretkd.selection._result import FidelityCurve, _is_tolerance
from interpretkd.teachers import as_teacher

__all__ = ["fidelity_curve", "FidelityCurve"]


def _check_students(students, is_clf: bool, size_by: str = "depth") -> dict:
    if isinstance(students, str) or hasattr(students, "fit"):
        students = [students]
    if isinstance(students, Mapping):
        items = list(students.items())
    else:
        items = []
        for entry in students:
            if isinstance(entry, str):
                items.append((entry, entry))
            elif hasattr(entry, "fit"):
                items.append((type(entry).__name__, entry))
            else:
                raise TypeError(
                    "students must hold kind names "
                    f"({', '.join(STUDENT_KINDS)}) or estimators; got {entry!r}."
                )
    out: dict = {}
    for name, est in items:
        if isinstance(est, str):
            est = _named_student(est, is_clf)
        params = est.get_params(deep=False) if hasattr(est, "get_params") else {}
        if not hasattr(est, "fit") or "max_depth" not in params:
            raise TypeError(
                f"Student {name!r} ({type(est).__name__}) has no max_depth "
                "parameter; fidelity_curve varies max_depth. Pass trees "
                "(DecisionTree*, TAOTree*, SoftDecisionTree*)."
            )
        if size_by == "leaves" and "max_leaf_nodes" not in params:
            why = (
                "; a soft decision tree always has 2**max_depth leaves"
                if "Soft" in type(est).__name__
                else ""
            )
            raise TypeError(
                f"Student {name!r} ({type(est).__name__}) has no leaf budget (no "
                f"max_leaf_nodes parameter){why}, so size_by='leaves' cannot size "
                "it. Leave it out of students (TAO trees 'tao-oblique', 'tao-axis' "
                "and 'cart' take a budget), or compare it by depth: "
                "size_by='depth', sizes=range(2, 9)."
            )
        if name in out:
            raise ValueError(
                f"Two students are named {name!r}; pass a dict to name them apart."
            )
        out[str(name)] = est
    if not out:
        raise ValueError("students is empty; pass at least one kind of student.")
    return out


def _check_sizes(sizes, size_by: str = "depth") -> list[int]:
    if size_by not in SIZE_BY:
        raise ValueError(
            f"size_by must be 'depth' (sizes are max_depth) or 'leaves' (sizes are "
            f"leaf budgets, max_leaf_nodes); got {size_by!r}."
        )
    if isinstance(sizes, numbers.Integral):
        sizes = [sizes]
    sizes = list(sizes)
    bad = [
        s for s in sizes if isinstance(s, bool) or not isinstance(s, numbers.Integral)
    ]
    if size_by == "leaves":
        cap = 2**LEAF_BUDGET_MAX_DEPTH
        if not sizes or bad or min(sizes) < 2 or max(sizes) > cap:
            raise ValueError(
                "sizes must be leaf budgets when size_by='leaves': integers from 2 "
                f"(one split) to {cap} (a full tree of the depth cap, "
                f"{LEAF_BUDGET_MAX_DEPTH}), e.g. [8, 16, 32, 64]; got {sizes!r}."
            )
    elif not sizes or bad or min(sizes) < 1:
        raise ValueError(
            f"sizes must be depths: integers >= 1, e.g. range(2, 9); got {sizes!r}. "
            "For numbers of leaves pass size_by='leaves'."
        )
    return sorted({int(s) for s in sizes})


def _check_fitted_teacher(teacher) -> None:
    if not hasattr(teacher, "fit") or isinstance(teacher, (list, tuple)):
        return  # boosters, torch modules, callables and lists are used as they are
    try:
        check_is_fitted(teacher)
    except NotFittedError:
        raise ValueError(
            f"The teacher {type(teacher).__name__} is not fitted. fidelity_curve "
            "compares students of one teacher: fit it first (on rows other than "
            "those you pass here, if you can)."
        ) from None
    except TypeError:
        pass  # not a scikit-learn estimator: used as it is


def _splits(cv, X, y, is_clf: bool, seed: int):
    """List of (train, test) index arrays."""
    n = len(y)
    if isinstance(cv, numbers.Real) and not isinstance(cv, (bool, numbers.Integral)):
        if not 0.0 < cv < 1.0:
            raise ValueError(
                f"cv as a float is the share of rows held out in one split, in "
                f"(0, 1); got {cv!r}."
            )
        cls = StratifiedShuffleSplit if is_clf else ShuffleSplit
        splitter = cls(n_splits=1, test_size=cv, random_state=seed)
        if is_clf and np.unique(y, return_counts=True)[1].min() < 2:
            splitter = ShuffleSplit(n_splits=1, test_size=cv, random_state=seed)
    elif isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(
                f"cv as an integer is a number of folds, >= 2; got {cv}. Pass a "
                "float such as 0.25 for one held-out split."
            )
        if cv > n:
            raise ValueError(f"cv={cv} folds but X has only {n} rows.")
        splitter = KFold(cv, shuffle=True, random_state=seed)
        if is_clf and np.unique(y, return_counts=True)[1].min() >= cv:
            splitter = StratifiedKFold(cv, shuffle=True, random_state=seed)
    else:
        splitter = check_cv(cv, y, classifier=is_clf)
    return [
        (np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(np.zeros(n), y)
    ]


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


def _n_terms(info: dict) -> int:
    """Terms a person reads in the splits: weights of oblique splits, else splits."""
    if "n_nonzero_weights" in info:
        return int(info["n_nonzero_weights"])
    if "n_nodes" in info and "n_leaves" in info:
        return int(info["n_nodes"] - info["n_leaves"])
    return 0


def _fit_one_kind(
    teacher,
    X,
    y,
    train,
    test,
    name,
    student,
    sizes,
    params,
    X_unlabeled,
    seed,
    fold,
    size_by="depth",
):
    """Distill ``student`` at every size on one fold; one record per size."""
    from interpretkd.distill import DistilledClassifier, DistilledRegressor

    is_clf = as_teacher(teacher).is_classifier
    cls = DistilledClassifier if is_clf else DistilledRegressor
    X_tr, X_te, y_tr, y_te = _rows(X, train), _rows(X, test), y[train], y[test]
    score = accuracy_score if is_clf else r2_score
    fidelity = (lambda t, s: float(np.mean(t == s))) if is_clf else r2_score
    records, t_te, t_tr = [], None, None
    for size in sizes:
        est = clone(student).set_params(**_size_params(size, size_by))
        if "random_state" in est.get_params(deep=False):
            est.set_params(random_state=seed)
        start = time.perf_counter()
        distilled = cls(teacher, est, random_state=seed, **params)
        distilled.fit(X_tr, y_tr, X_unlabeled=X_unlabeled)
        seconds = time.perf_counter() - start
        if t_te is None:  # the same teacher answers for every size of this fold
            t_te = np.asarray(distilled.teacher_predict(X_te))
            t_tr = np.asarray(distilled.teacher_predict(X_tr))
        s_te = np.asarray(distilled.predict(X_te))
        info = student_complexity(distilled)
        records.append(
            {
                "student": name,
                "size": size,
                "fold": fold,
                "fidelity": fidelity(t_te, s_te),
                "train_fidelity": fidelity(t_tr, np.asarray(distilled.predict(X_tr))),
                "score": float(score(y_te, s_te)),
                "teacher_score": float(score(y_te, t_te)),
                "depth": int(info.get("depth", size)),
                "n_leaves": int(info.get("n_leaves", 0)),
                "n_terms": _n_terms(info),
                "n_test": len(test),
                "fit_seconds": seconds,
            }
        )
    return records


def fidelity_curve(
    teacher,
    X,
    y=None,
    *,
    students=("tao-oblique", "tao-axis", "cart"),
    sizes=range(2, 9),
    size_by="depth",
    X_unlabeled=None,
    cv=5,
    tolerance=0.01,
    distiller_params: dict | None = None,
    n_jobs: int | None = None,
    random_state=0,
) -> FidelityCurve:
    """Held-out fidelity of students of each kind and size: choose one with evidence.

    For every fold of ``cv``, every student kind and every size in ``sizes`` (a depth,
    or with ``size_by="leaves"`` a number of leaves), the
    teacher is distilled into the student on the fold's training rows (with
    ``DistilledClassifier`` or ``DistilledRegressor`` and ``distiller_params``), and
    the student is measured on the fold's other rows: fidelity (agreement of labels,
    or R² against the teacher's predictions for regression), accuracy against ``y``,
    and its size (leaves, depth, terms in its splits).

    Parameters
    ----------
    teacher : fitted model
        Anything :class:`~interpretkd.DistilledClassifier` takes as a fitted
        teacher; the same teacher answers on every fold (it is never refit). If it
        was trained on ``X``, the held-out rows are held out from the student only;
        prefer rows the teacher did not see where you have them.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows to distill on and measure on, split by ``cv``.
    y : array-like of shape (n_samples,), default=None
        True labels or values: accuracy (R²) against them is reported too. None uses
        the teacher's predictions (the scores then equal the fidelity).
    students : sequence or dict, default=("tao-oblique", "tao-axis", "cart")
        Kinds of student: names from ``STUDENT_KINDS`` (``"tao-oblique"``: a TAO
        tree with sparse oblique splits of at most 3 features; ``"tao-axis"``: a TAO
        tree with one feature a split; ``"cart"``: scikit-learn's decision tree on
        the soft targets; ``"soft-tree"``: a soft decision tree, slower), unfitted
        estimators with a ``max_depth`` parameter (and ``max_leaf_nodes`` for
        ``size_by="leaves"``), or a dict naming them.
    sizes : iterable of int, default=range(2, 9)
        The sizes to try: depths (``max_depth``, integers >= 1), or with
        ``size_by="leaves"`` leaf budgets (``max_leaf_nodes``, integers from 2 to
        4096, e.g. ``[8, 16, 32, 64]``). The result reports the depth and leaves
        each fitted student actually has.
    size_by : {"depth", "leaves"}, default="depth"
        What ``sizes`` count. ``"depth"``: each student gets ``max_depth=size``.
        ``"leaves"``: each gets ``max_leaf_nodes=size`` under a depth cap of 12
        (``max_depth=12``, as the command line's ``--max-leaves``), so that it has
        at most that many leaves, spent where they buy the most fidelity. A reader
        reads leaves, not levels, and for the same number of leaves a budgeted tree
        is usually the more faithful (docs/benchmarks/frontier.md); the leaves are
        the size to compare when the question is "how faithful a tree can I
        read". TAO trees and CART take a budget; a soft decision tree (always
        ``2**max_depth`` leaves) or an estimator without ``max_leaf_nodes`` is an
        error. The sizes are then budgets everywhere in the result: its
        recommendation is the smallest budget within ``tolerance``.
    X_unlabeled : array-like, default=None
        Rows without labels, labeled by the teacher and added to every fold's
        training rows (never measured on).
    cv : int, float, cross-validation splitter or iterable, default=5
        An integer: that many folds (stratified for classification), shuffled with
        ``random_state``. A float in (0, 1): one split holding out that share. A
        splitter (``KFold(...)``) or an iterable of (train, test) index arrays: used
        as given.
    tolerance : float or "1se", default=0.01
        How much held-out fidelity the recommended student may give up for being
        smaller: the recommendation is the smallest size whose mean held-out
        fidelity is within ``tolerance`` of the best (0.01: one point of
        agreement), the most faithful kind at that size. ``"1se"``: within one
        standard error of the best (Breiman's rule for pruning CART).
    distiller_params : dict, default=None
        Other parameters of the distiller (``temperature``, ``alpha``, ``augment``,
        ``n_synthetic``, ``targets``, ...).
    n_jobs : int, default=None
        Fits run in parallel by joblib (one job per fold and kind); None runs them
        one after another, -1 uses every core.
    random_state : int, RandomState instance or None, default=0
        Seeds the folds and every distiller and student (the same seed at every
        size, so that sizes differ only in size).

    Returns
    -------
    curve : FidelityCurve
        ``to_frame()``, ``recommended``, ``best``, ``plot()``, ``student_at()``.

    Raises
    ------
    ValueError
        Bad ``sizes`` (depths must be integers >= 1, leaf budgets integers from 2
        to 4096) or ``size_by``, an unfitted teacher, bad ``cv`` or ``tolerance``.
    TypeError
        A student without ``max_depth``, or without ``max_leaf_nodes`` when
        ``size_by="leaves"`` (a soft decision tree).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from interpretkd import fidelity_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> curve = fidelity_curve(forest, X, y, students=["cart"], sizes=[1, 3], cv=3)
    >>> curve.to_frame()[["student", "size", "n_leaves"]]
      student  size  n_leaves
    0    cart     1       2.0
    1    cart     3       8.0
    >>> curve.recommended["size"] in (1, 3)
    True

    By number of leaves: every student has at most its budget.

    >>> curve = fidelity_curve(
    ...     forest, X, y, students=["cart"], sizes=[4, 8], size_by="leaves", cv=3
    ... )
    >>> frame = curve.to_frame()
    >>> bool((frame["n_leaves"] <= frame["size"]).all())
    True
    >>> curve.recommended["params"]["max_leaf_nodes"] in (4, 8)
    True
    """
    from joblib import Parallel, delayed

    _check_fitted_teacher(teacher)
    adapter = as_teacher(teacher)
    is_clf = adapter.is_classifier
    sizes = _check_sizes(sizes, size_by)
    kinds = _check_students(students, is_clf, size_by)
    params = dict(distiller_params or {})
    for key in ("teacher", "student", "random_state"):
        if key in params:
            raise ValueError(
                f"distiller_params may not set {key!r}: fidelity_curve sets it "
                "(pass the teacher and students as arguments, the seed as "
                "random_state)."
            )
    if not (tolerance == "1se" or _is_tolerance(tolerance)):
        raise ValueError(
            f'tolerance must be a number >= 0 or "1se"; got {tolerance!r}.'
        )
    labeled = y is not None
    if y is None:
        y = np.asarray(adapter.predict(X))
    else:
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    folds = _splits(cv, X, y, is_clf, seed)
    jobs = [
        delayed(_fit_one_kind)(
            teacher,
            X,
            y,
            tr,
            te,
            name,
            est,
            sizes,
            params,
            X_unlabeled,
            seed,
            k,
            size_by,
        )
        for k, (tr, te) in enumerate(folds)
        for name, est in kinds.items()
    ]
    results = Parallel(n_jobs=n_jobs)(jobs)
    scores = pd.DataFrame([r for part in results for r in part])
    return FidelityCurve(
        scores=scores,
        students={name: clone(est) for name, est in kinds.items()},
        task="classification" if is_clf else "regression",
        tolerance=tolerance,
        n_folds=len(folds),
        labeled=labeled,
        size_by=size_by,
    )
