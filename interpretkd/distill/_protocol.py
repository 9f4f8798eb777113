"""The soft-label protocol: how any student learns a teacher's soft targets.

1. a student that declares ``accepts_soft_targets = True`` (a class attribute, see
   :func:`accepts_soft_targets`) gets the 2-D array of class probabilities as ``y``;
2. else, a student whose ``fit`` takes ``sample_weight`` gets each row once per class,
   weighted by that class's probability;
3. else, the student gets the teacher's most probable class, with a warning.

Either way the fitted student predicts the class labels, not column indices.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

from interpretkd._validation import final_estimator


class SoftLabelWarning(UserWarning):
    """The student cannot learn soft targets and is trained on hard labels."""


def accepts_soft_targets(student) -> bool:
    """Whether ``student`` declares that its ``fit`` takes soft targets.

    A student declares it with a class attribute ``accepts_soft_targets = True``
    (a Pipeline: its last step). Its ``fit(X, Y)`` must then take ``Y`` of shape
    ``(n_samples, n_classes)``, one probability distribution per row, columns in the
    order of the teacher's classes, and set ``classes_ = np.arange(n_classes)``;
    :func:`fit_on_soft_targets` then names those columns with the class labels. The
    soft decision trees and TAO classifiers declare it; so can any student of yours.
    """
    return getattr(final_estimator(student), "accepts_soft_targets", False) is True


def soft_label_mode(student) -> str:
    """How ``student`` learns soft targets: "soft", "weight" or "hard".

    "soft": it declares that it takes a 2-D array of class probabilities as ``y``
    (:func:`accepts_soft_targets`); "weight": its ``fit`` takes ``sample_weight``
    (soft targets are expanded into weighted rows); "hard": neither, so it learns
    the most probable class.
    """
    if accepts_soft_targets(student):
        return "soft"
    if has_fit_parameter(final_estimator(student), "sample_weight"):
        return "weight"
    return "hard"


def _sample_weight_kwargs(student, sample_weight) -> dict:
    if sample_weight is None:
        return {}
    if not has_fit_parameter(final_estimator(student), "sample_weight"):
        return {}
    if isinstance(student, Pipeline):
        return {f"{student.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def expand_soft_targets(X, targets, sample_weight=None, *, threshold=1e-3):
    """Expand soft targets into one weighted row per (row, class).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_classes)
        Rows sum to one.
    sample_weight : ndarray of shape (n_samples,), default=None
    threshold : float, default=1e-3
        Classes with a probability below this are dropped from a row (the row's most
        probable class is always kept) and the kept probabilities are renormalised,
        so each original row keeps its total weight.

    Returns
    -------
    X_expanded : ndarray of shape (n_kept, n_features)
    y_expanded : ndarray of shape (n_kept,)
        Class index (column of ``targets``) of each expanded row.
    weight_expanded : ndarray of shape (n_kept,)
    """
    targets = np.asarray(targets, dtype=np.float64)
    n = targets.shape[0]
    keep = targets >= threshold
    keep[np.arange(n), targets.argmax(axis=1)] = True
    kept = np.where(keep, targets, 0.0)
    kept /= kept.sum(axis=1, keepdims=True)
    rows, cols = np.nonzero(keep)
    weight = kept[rows, cols]
    if sample_weight is not None:
        weight = weight * np.asarray(sample_weight, dtype=np.float64)[rows]
    return X[rows], cols, weight


def fit_on_soft_targets(
    student,
    X,
    targets,
    sample_weight=None,
    *,
    classes=None,
    expansion_threshold=1e-3,
):
    """Fit ``student`` on soft targets by the soft-label protocol; return it.

    Parameters
    ----------
    student : estimator
        Fitted in place (pass a clone to keep the original untouched).
    X : ndarray or DataFrame of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_classes)
    sample_weight : ndarray of shape (n_samples,), default=None
    classes : array-like of shape (n_classes,), default=None
        The class label of each column of ``targets``; the fitted student predicts
        these labels. None: the column indices.
    expansion_threshold : float, default=1e-3
        See :func:`expand_soft_targets`.

    Returns
    -------
    student : estimator
        Fitted; its ``classes_`` are labels from ``classes`` (only those it was
        trained on, for a student that learns weighted or hard labels).
    """
    targets = np.asarray(targets, dtype=np.float64)
    labels = np.arange(targets.shape[1]) if classes is None else np.asarray(classes)
    mode = soft_label_mode(student)
    if mode == "soft":
        student.fit(X, targets, **_sample_weight_kwargs(student, sample_weight))
        final = final_estimator(student)
        if not np.array_equal(final.classes_, np.arange(len(labels))):
            raise ValueError(
                f"{type(final).__name__} declares accepts_soft_targets but set "
                f"classes_={final.classes_!r} when fit on {len(labels)} columns of "
                "soft targets; the protocol asks for np.arange(n_classes)."
            )
        final.classes_ = labels
    elif mode == "weight":
        rows = np.arange(targets.shape[0])
        rows_e, ye, we = expand_soft_targets(
            rows, targets, sample_weight, threshold=expansion_threshold
        )
        Xe = X.iloc[rows_e] if hasattr(X, "iloc") else X[rows_e]
        student.fit(Xe, labels[ye], **_sample_weight_kwargs(student, we))
    else:
        warnings.warn(
            f"{type(final_estimator(student)).__name__} accepts neither soft targets "
            "nor sample_weight, so it is trained on the teacher's most probable class "
            "(hard labels) and the teacher's uncertainty is lost.",
            SoftLabelWarning,
            stacklevel=3,
        )
        student.fit(X, labels[targets.argmax(axis=1)])
    return student
