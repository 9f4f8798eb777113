"""Fidelity and size: how faithful a student is, and how much there is to read."""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.metrics import r2_score

from interpretkd._dask import is_dask_collection
from interpretkd._validation import final_estimator, is_fitted_distiller
from interpretkd.teachers import as_teacher

__all__ = ["fidelity_score", "student_complexity"]


def fidelity_score(teacher, student, X) -> float:
    """How often ``student`` decides as ``teacher`` does on ``X``.

    Parameters
    ----------
    teacher : object or None
        A fitted model (anything :func:`~interpretkd.teachers.as_teacher` accepts).
        When ``student`` is a fitted distiller, pass its ``teacher_`` or None to use
        the distiller's own teacher (with the distiller's class labels).
    student : estimator
        A fitted student or distiller, of the teacher's task.
    X : array-like of shape (n_samples, n_features)
        Rows the two are compared on; use data neither was trained on. A Dask
        array or DataFrame is compared partition by partition on the workers.

    Returns
    -------
    score : float
        For classifiers, the share of rows on which the predicted labels agree (1.0
        is perfect). For regressors, the R² of the student's predictions against the
        teacher's (1.0 is perfect; it can be negative).

    Raises
    ------
    TypeError
        If one of the two is a classifier and the other a regressor.
    ValueError
        If the two predict a different number of rows, or classifiers that share no
        label.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import fidelity_score
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> forest = RandomForestClassifier(random_state=0).fit(X[:200], y[:200])
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    >>> tree = tree.fit(X[:200], forest.predict(X[:200]))
    >>> 0.5 < fidelity_score(forest, tree, X[200:]) <= 1.0
    True
    """
    teacher_predict, classification = _teacher_predictor(teacher, student)
    if is_dask_collection(X):  # partition by partition, on the workers
        from interpretkd._dask_scores import fidelity_on_partitions

        return fidelity_on_partitions(
            teacher_predict, student.predict, classification, X
        )
    s_pred = np.asarray(student.predict(X))
    t_pred = np.asarray(teacher_predict(X))
    if len(s_pred) != len(t_pred):
        raise ValueError(
            f"teacher and student predicted {len(t_pred)} and {len(s_pred)} rows."
        )
    if not classification:
        return float(r2_score(t_pred, s_pred))
    if not np.isin(s_pred, t_pred).any() and not np.isin(t_pred, s_pred).any():
        raise ValueError(
            f"The student predicts labels such as {s_pred[:3].tolist()} and the "
            f"teacher {t_pred[:3].tolist()}: they share none. Compare two models "
            "that predict the same labels (a raw booster, torch module or callable "
            "predicts column indices 0..K-1: name its columns with "
            "as_teacher(model, classes=[...]))."
        )
    return float(np.mean(t_pred == s_pred))


def _teacher_predictor(teacher, student):
    """The teacher's ``predict`` (a fitted distiller's own, or the adapter's) and
    whether it classifies, with the checks that need no rows."""
    if is_fitted_distiller(student) and (
        teacher is None or teacher is getattr(student, "teacher_", None)
    ):
        return student.teacher_predict, hasattr(student, "classes_")
    if teacher is None:
        raise ValueError(
            "teacher is None; pass the teacher model, or a fitted distiller as "
            "student to use its own teacher."
        )
    adapter = as_teacher(teacher)
    classification = adapter.is_classifier
    _check_same_task(adapter, student, classification)
    return adapter.predict, classification


def _check_same_task(adapter, student, classification: bool) -> None:
    if is_classifier(student):
        student_task = "classification"
    elif is_regressor(student):
        student_task = "regression"
    else:
        return  # a plain object with predict: its task cannot be told
    teacher_task = "classification" if classification else "regression"
    if student_task != teacher_task:
        raise TypeError(
            f"The teacher {adapter.name} is a {teacher_task} model but the student "
            f"{type(final_estimator(student)).__name__} a {student_task} one; "
            "fidelity compares two models of one task (labels with labels, values "
            "with values)."
        )


def student_complexity(student) -> dict:
    """Size of a student: what a person has to read.

    Returns a dict with, where they apply, ``depth`` and ``n_leaves`` (trees),
    ``n_nodes``, ``n_nonzero_weights`` (linear models and oblique or soft trees) and
    ``n_features_used``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import student_complexity
    >>> X, y = load_iris(return_X_y=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> student_complexity(tree)
    {'kind': 'DecisionTreeClassifier', 'depth': 2, 'n_leaves': 3, 'n_nodes': 5,
     'n_features_used': 1}
    """
    if is_fitted_distiller(student):
        student = student.student_
    student = final_estimator(student)
    out: dict = {"kind": type(student).__name__}
    if hasattr(student, "get_depth") and hasattr(student, "get_n_leaves"):
        out["depth"] = int(student.get_depth())
        out["n_leaves"] = int(student.get_n_leaves())
    tree = getattr(student, "tree_", None)
    if tree is not None:
        out["n_nodes"] = int(tree.node_count)
        used = tree.feature[tree.feature >= 0]
        out["n_features_used"] = int(np.unique(used).size)
    weights = getattr(student, "inner_weights_", None)
    if weights is not None:
        nz = np.abs(np.asarray(weights)) > 0
        out["n_nonzero_weights"] = int(nz.sum())
        out["n_features_used"] = int(nz.any(axis=0).sum())
    coef = getattr(student, "coef_", None)
    if coef is not None and tree is None and weights is None:
        nz = np.abs(np.atleast_2d(np.asarray(coef))) > 0
        out["n_nonzero_weights"] = int(nz.sum())
        out["n_features_used"] = int(nz.any(axis=0).sum())
    return out
