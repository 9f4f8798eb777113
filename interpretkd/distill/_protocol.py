"""The soft-label protocol: how any student learns a teacher's soft targets.

1. a student that declares ``_accepts_soft_targets = True`` gets the 2-D array of
   class probabilities as ``y``;
2. else, a student whose ``fit`` takes ``sample_weight`` gets each row once per class,
   weighted by that class's probability;
3. else, the student gets the teacher's most probable class, with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import (
    has_fit_parameter,
)


class SoftLabelWarning(UserWarning):
    """The student cannot learn soft targets and is trained on hard labels."""


# --------------------------------------------------------------------------------------
# The soft-label protocol
# --------------------------------------------------------------------------------------
def _final_estimator(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def soft_label_mode(student) -> str:
    """How ``student`` learns soft targets: "soft", "weight" or "hard".

    "soft": it takes a 2-D array of class probabilities as ``y``; "weight": its
    ``fit`` takes ``sample_weight`` (soft targets are expanded into weighted rows);
    "hard": neither, so it learns the most probable class.
    """
    final = _final_estimator(student)
    if getattr(final, "_accepts_soft_targets", False):
        return "soft"
    if final is not None and has_fit_parameter(final, "sample_weight"):
        return "weight"
    return "hard"


def _sample_weight_kwargs(student, sample_weight) -> dict:
    if sample_weight is None:
        return {}
    final = _final_estimator(student)
    if not has_fit_parameter(final, "sample_weight"):
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
        Class index of each expanded row.
    weight_expanded : ndarray of shape (n_kept,)
    """
    targets = np.asarray(targets, dtype=np.float64)
    n, k = targets.shape
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
    student, X, targets, sample_weight=None, *, expansion_threshold=1e-3
):
    """Fit ``student`` on soft targets by the soft-label protocol; return it.

    Parameters
    ----------
    student : estimator
        Fitted in place (pass a clone to keep the original untouched).
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_classes)
    sample_weight : ndarray of shape (n_samples,), default=None
    expansion_threshold : float, default=1e-3
        See :func:`expand_soft_targets`.
    """
    mode = soft_label_mode(student)
    if mode == "soft":
        student.fit(X, targets, **_sample_weight_kwargs(student, sample_weight))
    elif mode == "weight":
        Xe, ye, we = expand_soft_targets(
            X, targets, sample_weight, threshold=expansion_threshold
        )
        student.fit(Xe, ye, **_sample_weight_kwargs(student, we))
    else:
        warnings.warn(
            f"{type(_final_estimator(student)).__name__} accepts neither soft targets "
            "nor sample_weight, so it is trained on the teacher's most probable class "
            "(hard labels) and the teacher's uncertainty is lost.",
            SoftLabelWarning,
            stacklevel=3,
        )
        student.fit(X, targets.argmax(axis=1))
    return student
