"""Input checks shared by every interpretkd module, and the two questions every
layer asks of an estimator (is it a fitted distiller? what is its last step?).

Each check raises a ``ValueError`` or ``TypeError`` that says what was wrong, what was
expected and how to fix it. Nothing here modifies the caller's arrays. Estimators
declare their parameters in ``_parameter_constraints`` instead.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.pipeline import Pipeline

__all__ = [
    "check_soft_targets",
    "is_soft_target_array",
    "one_hot",
    "check_positive_int",
    "final_estimator",
    "is_fitted_distiller",
]

# Rows of soft targets must sum to one within this tolerance.
SOFT_TARGET_ATOL = 1e-6


def is_soft_target_array(y) -> bool:
    """Return True when ``y`` looks like a 2-D array of class probabilities.

    A 2-D array with at least two columns of a floating dtype is taken as soft targets;
    a single column is a (badly shaped) label vector, and integer or string 2-D arrays
    are multi-output labels, which interpretkd students do not support.
    """
    if not hasattr(y, "shape") or len(getattr(y, "shape", ())) != 2:
        return False
    if y.shape[1] < 2:
        return False
    dtype = getattr(y, "dtype", None)
    if dtype is None or getattr(dtype, "kind", "O") == "O":
        # pandas DataFrame: look at the column dtypes.
        dtypes = getattr(y, "dtypes", None)
        if dtypes is None:
            return False
        return all(np.issubdtype(d, np.floating) for d in dtypes)
    return np.issubdtype(dtype, np.floating)


def check_soft_targets(
    Y, *, n_classes: int | None = None, name: str = "y"
) -> np.ndarray:
    """Validate a 2-D array of class probabilities and return it as float64.

    Parameters
    ----------
    Y : array-like of shape (n_samples, n_classes)
        Each row a probability distribution over the classes.
    n_classes : int, default=None
        Expected number of columns, when known (e.g. from an earlier ``fit``).
    name : str, default="y"
        Name used in error messages.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), dtype float64

    Raises
    ------
    ValueError
        If ``Y`` is not 2-D, has fewer than two columns, contains NaN, infinity or a
        negative value, or has a row that does not sum to one.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(
            f"Soft targets {name} must be a 2-D array of shape (n_samples, n_classes) "
            f"with n_classes >= 2; got shape {Y.shape}. Pass class labels as a 1-D "
            "array instead, or one probability column per class."
        )
    if n_classes is not None and Y.shape[1] != n_classes:
        raise ValueError(
            f"Soft targets {name} have {Y.shape[1]} columns but {n_classes} classes "
            "were expected (one column per class, in the order of classes_)."
        )
    if not np.all(np.isfinite(Y)):
        raise ValueError(
            f"Soft targets {name} contain NaN or infinity; every entry must be a "
            "finite probability in [0, 1]."
        )
    if np.any(Y < 0):
        row = int(np.flatnonzero((Y < 0).any(axis=1))[0])
        raise ValueError(
            f"Soft targets {name} contain negative values (first in row {row}); each "
            "row must be a probability distribution. If these are logits, apply a "
            "softmax first."
        )
    sums = Y.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > SOFT_TARGET_ATOL)
    if bad.size:
        raise ValueError(
            f"Each row of soft targets {name} must sum to 1; {bad.size} rows do not "
            f"(row {int(bad[0])} sums to {sums[bad[0]]:.6g}). Normalise the rows, e.g. "
            "Y / Y.sum(axis=1, keepdims=True)."
        )
    return Y


def one_hot(index, n_columns: int) -> np.ndarray:
    """Targets that put all the weight on one class a row: a float64 array of shape
    ``(len(index), n_columns)`` with a 1 in column ``index[i]`` of row ``i``.

    The one place labels become targets (a tree fit on labels, a teacher's decision,
    a student without ``predict_proba``).
    """
    index = np.asarray(index, dtype=np.intp)
    out = np.zeros((index.shape[0], int(n_columns)))
    out[np.arange(index.shape[0]), index] = 1.0
    return out


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= {minimum}, got {value!r} "
            f"of type {type(value).__name__}."
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def final_estimator(estimator):
    """The last step of a Pipeline (of nested Pipelines), else the estimator itself."""
    while isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    return estimator


def is_fitted_distiller(obj) -> bool:
    """Whether ``obj`` is a fitted DistilledClassifier / DistilledRegressor (or a
    copy loaded from a student file, whose teacher may be absent)."""
    return hasattr(obj, "student_") and hasattr(obj, "teacher_predict")
