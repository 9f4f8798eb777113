"""`assert_faithful`: fail a test with a message that says where a student disagrees."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score
from sklearn.pipeline import Pipeline

from interpretkd.selection import student_leaves
from interpretkd.teachers import as_teacher

__all__ = ["assert_faithful"]


def assert_faithful(
    student,
    teacher,
    X,
    *,
    min_fidelity: float,
    by_class: bool = False,
    max_listed: int = 5,
) -> None:
    """Assert that ``student`` decides as ``teacher`` does on ``X``.

    Fidelity is measured as :func:`interpretkd.fidelity_score` measures it: for
    classifiers the share of rows on which the two predict the same label, for
    regressors the R² of the student's predictions against the teacher's. When it is
    below ``min_fidelity`` the ``AssertionError`` says where the student disagrees:
    for classifiers, how many rows of each of the teacher's classes, the most common
    confusions, and the student's leaves (from its own ``apply``; for a distiller,
    its tree student's) that hold the disagreeing rows; for regressors, the R², the
    rows with the largest gaps and the leaves that hold them.

    Parameters
    ----------
    student : estimator
        A fitted student, or a fitted ``DistilledClassifier`` /
        ``DistilledRegressor``.
    teacher : object or None
        The fitted model the student should follow (anything
        :func:`interpretkd.as_teacher` accepts). None, with a fitted distiller as
        ``student``, uses the distiller's own teacher and class labels.
    X : array-like of shape (n_samples, n_features)
        Rows to compare the two on; use rows neither was trained on.
    min_fidelity : float
        The lowest acceptable fidelity: a share of rows in ``[0, 1]`` for
        classifiers, an R² of at most 1 for regressors.
    by_class : bool, default=False
        Classifiers only: require ``min_fidelity`` within each class the teacher
        predicts (the share of the teacher's rows of that class on which the student
        agrees), not only over all rows. A rare class the student ignores then fails
        the assertion.
    max_listed : int, default=5
        How many classes, leaves and rows the message lists at most.

    Raises
    ------
    AssertionError
        When the student is less faithful than ``min_fidelity`` (overall, or in some
        class with ``by_class=True``).
    ValueError
        When ``teacher`` is None and ``student`` is not a fitted distiller, or when
        ``min_fidelity`` is out of range.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import DistilledClassifier
    >>> from interpretkd.testing import assert_faithful, make_teacher_problem
    >>> problem = make_teacher_problem("classification", random_state=0)
    >>> model = DistilledClassifier(
    ...     problem.teacher, DecisionTreeClassifier(max_depth=6), random_state=0
    ... ).fit(problem.X_train, problem.y_train)
    >>> assert_faithful(model, None, problem.X_test, min_fidelity=0.7)
    >>> stump = DistilledClassifier(
    ...     problem.teacher, DecisionTreeClassifier(max_depth=1), random_state=0
    ... ).fit(problem.X_train, problem.y_train)
    >>> assert_faithful(stump, None, problem.X_test, min_fidelity=0.9)
    Traceback (most recent call last):
    ...
    AssertionError: The student agrees with the teacher on ...
    """
    if isinstance(min_fidelity, bool) or not isinstance(min_fidelity, Real):
        raise TypeError(
            f"min_fidelity must be a number, got {type(min_fidelity).__name__}; pass "
            "e.g. min_fidelity=0.9."
        )
    if not np.isfinite(min_fidelity) or min_fidelity > 1:
        raise ValueError(
            f"min_fidelity must be a finite number of at most 1, got {min_fidelity}."
        )
    if isinstance(max_listed, bool) or not isinstance(max_listed, int):
        raise TypeError(f"max_listed must be an int, got {max_listed!r}.")
    if max_listed < 1:
        raise ValueError(f"max_listed must be at least 1, got {max_listed}.")

    is_distiller = hasattr(student, "student_") and hasattr(student, "teacher_predict")
    if is_distiller and (teacher is None or teacher is getattr(student, "teacher_", 0)):
        t_pred = np.asarray(student.teacher_predict(X))
        is_classifier = hasattr(student, "classes_")
    elif teacher is None:
        raise ValueError(
            "teacher is None, which means the student's own teacher, but "
            f"{type(student).__name__} is not a fitted DistilledClassifier or "
            "DistilledRegressor; pass the teacher model."
        )
    else:
        adapter = as_teacher(teacher)
        is_classifier = adapter.is_classifier
        t_pred = np.asarray(adapter.predict(X))
    s_pred = np.asarray(student.predict(X))
    if len(t_pred) == 0:
        raise ValueError("X has no rows; pass the rows to compare the models on.")
    if len(s_pred) != len(t_pred):
        raise ValueError(
            f"The teacher predicted {len(t_pred)} rows and the student "
            f"{len(s_pred)}; both must predict one value per row of X."
        )
    leaves = _leaves(student, X)
    if is_classifier:
        if not 0 <= min_fidelity:
            raise ValueError(
                f"min_fidelity for a classifier is a share in [0, 1], got "
                f"{min_fidelity}."
            )
        message = _classification_failure(
            t_pred, s_pred, leaves, X, min_fidelity, by_class, max_listed
        )
    else:
        if by_class:
            raise ValueError(
                "by_class=True applies to classifiers; this teacher is a regressor."
            )
        message = _regression_failure(
            t_pred, s_pred, leaves, X, min_fidelity, max_listed
        )
    if message:
        raise AssertionError(message)


def _leaves(student, X) -> np.ndarray | None:
    """Leaf (node id) of each row from the student's own ``apply``, if it has one."""
    try:
        if hasattr(student, "student_") and hasattr(student, "teacher_predict"):
            return student_leaves(student, X)  # a distiller's tree student
        if callable(getattr(student, "apply", None)):
            return np.asarray(student.apply(X))
        if isinstance(student, Pipeline) and callable(
            getattr(student[-1], "apply", None)
        ):
            return np.asarray(student[-1].apply(student[:-1].transform(X)))
    except (AttributeError, TypeError, ValueError):
        return None  # a model whose apply does not take these rows: leaves not shown
    return None


def _rows(positions: np.ndarray, X, max_listed: int) -> str:
    shown = [int(i) for i in positions[:max_listed]]
    more = (
        f" and {len(positions) - len(shown)} more"
        if len(positions) > len(shown)
        else ""
    )
    text = f"{shown}{more}"
    if isinstance(X, pd.DataFrame) and not isinstance(X.index, pd.RangeIndex):
        text += f" (index labels {X.index[shown].tolist()})"
    return text


def _classification_failure(t, s, leaves, X, min_fidelity, by_class, max_listed):
    n = len(t)
    wrong = t != s
    fidelity = float(np.mean(t == s))
    classes, counts = np.unique(t, return_counts=True)
    per_class = []  # (class, rows, rows that disagree, fidelity within the class)
    for c, k in zip(classes, counts):
        w = int(wrong[t == c].sum())
        per_class.append((c, int(k), w, (k - w) / k))
    failing = [row for row in per_class if row[3] < min_fidelity]
    if fidelity >= min_fidelity and not (by_class and failing):
        return ""
    if fidelity >= min_fidelity:
        head = (
            f"The student agrees with the teacher on {fidelity:.4f} of {n} rows, but "
            f"within {len(failing)} of the teacher's classes on less than "
            f"min_fidelity={min_fidelity} (by_class=True)."
        )
    else:
        head = (
            f"The student agrees with the teacher on {fidelity:.4f} of {n} rows "
            f"({int(wrong.sum())} disagree); min_fidelity is {min_fidelity}."
        )
    lines = [head, "Rows that disagree, by the teacher's class (least faithful first):"]
    for c, k, w, f in sorted(per_class, key=lambda row: row[3])[:max_listed]:
        if w:
            below = "  <- below min_fidelity" if by_class and f < min_fidelity else ""
            lines.append(
                f"  class {_label(c)}: {w} of {k} rows (fidelity {f:.4f}){below}"
            )
    pairs, pair_counts = np.unique(
        np.stack([t[wrong].astype(str), s[wrong].astype(str)], axis=1),
        axis=0,
        return_counts=True,
    )
    order = np.argsort(-pair_counts, kind="stable")[:max_listed]
    confusions = [f"{pairs[i][0]} -> {pairs[i][1]}: {pair_counts[i]}" for i in order]
    lines.append(
        "Most common confusions (teacher -> student): " + "; ".join(confusions)
    )
    if leaves is not None:
        ids, totals = np.unique(leaves, return_counts=True)
        bad = np.array([wrong[leaves == i].sum() for i in ids])
        order = np.lexsort((-totals, -bad))[:max_listed]
        parts = [
            f"node {ids[i]}: {bad[i]} of {totals[i]} rows" for i in order if bad[i]
        ]
        lines.append(
            "Leaves of the student where they fall (node ids from its apply): "
            + "; ".join(parts)
        )
    positions = np.flatnonzero(wrong)
    lines.append(
        f"Rows that disagree (positions in X): {_rows(positions, X, max_listed)}"
    )
    return "\n".join(lines)


def _label(label) -> str:
    """A class label as a person writes it: 3, 'benign'."""
    label = label.item() if isinstance(label, np.generic) else label
    return repr(label) if isinstance(label, str) else str(label)


def _value(row: np.ndarray):
    return f"{row[0]:.4g}" if row.size == 1 else str(row.round(4).tolist())


def _regression_failure(t, s, leaves, X, min_fidelity, max_listed):
    t2 = t.reshape(len(t), -1).astype(float)
    s2 = s.reshape(len(s), -1).astype(float)
    if t2.shape != s2.shape:
        raise ValueError(
            f"The teacher predicts {t2.shape[1]} outputs per row and the student "
            f"{s2.shape[1]}; they must predict the same outputs."
        )
    r2 = float(r2_score(t2, s2))
    if r2 >= min_fidelity:
        return ""
    gap = np.abs(s2 - t2).max(axis=1)
    lines = [
        f"The student's R² against the teacher is {r2:.4f} on {len(t)} rows; "
        f"min_fidelity is {min_fidelity}. Gap |student - teacher|: mean "
        f"{gap.mean():.4g}, largest {gap.max():.4g}.",
        "Rows with the largest gaps (position in X: teacher, student):",
    ]
    worst = np.argsort(-gap, kind="stable")[:max_listed]
    lines += [f"  row {i}: {_value(t2[i])}, {_value(s2[i])}" for i in worst]
    if isinstance(X, pd.DataFrame) and not isinstance(X.index, pd.RangeIndex):
        lines.append(f"  (index labels {X.index[worst].tolist()})")
    if leaves is not None:
        ids, counts = np.unique(leaves, return_counts=True)
        mean_gap = np.array([gap[leaves == i].mean() for i in ids])
        order = np.argsort(-mean_gap, kind="stable")[:max_listed]
        parts = [
            f"node {ids[i]}: {counts[i]} rows, mean gap {mean_gap[i]:.4g}"
            for i in order
        ]
        lines.append(
            "Leaves of the student with the largest mean gap (node ids from its "
            "apply): " + "; ".join(parts)
        )
    return "\n".join(lines)
