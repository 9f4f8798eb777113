"""Soft targets: what the student learns from the teacher.

Classification targets are the teacher's class probabilities softened by a temperature
(Hinton, Vinyals & Dean, 2015) and, on rows that have a label, optionally mixed with the
one-hot label: ``(1 - alpha) * teacher + alpha * onehot(y)``. Regression targets are the
teacher's predictions, mixed with ``y`` the same way.
"""

from __future__ import annotations

import numpy as np

from interpretkd._validation import check_alpha, check_temperature
from interpretkd.teachers import Teacher

__all__ = ["soft_targets", "mix_labels", "regression_targets", "hard_targets"]


def soft_targets(teacher: Teacher, X, *, temperature: float = 1.0) -> np.ndarray:
    """Teacher class probabilities on ``X`` at ``temperature``.

    Parameters
    ----------
    teacher : Teacher
        A teacher adapter (see :func:`interpretkd.teachers.as_teacher`).
    X : array-like of shape (n_samples, n_features)
    temperature : float, default=1.0
        ``T > 1`` softens the distribution, ``T < 1`` sharpens it.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_classes)
        Rows sum to one.
    """
    return teacher.soft_targets(X, check_temperature(temperature))


def mix_labels(targets: np.ndarray, y_index: np.ndarray, alpha: float) -> np.ndarray:
    """Mix one-hot labels into soft targets: ``(1 - alpha) * targets + alpha * onehot``.

    Parameters
    ----------
    targets : ndarray of shape (n_samples, n_classes)
    y_index : ndarray of shape (n_samples,)
        Label of each row as a column index into ``targets``.
    alpha : float in [0, 1]
        0 keeps the teacher's targets, 1 replaces them with the labels.
    """
    alpha = check_alpha(alpha)
    if alpha == 0.0:
        return targets
    mixed = (1.0 - alpha) * targets
    mixed[np.arange(len(y_index)), y_index] += alpha
    return mixed


def regression_targets(predictions: np.ndarray, y=None, alpha: float = 0.0):
    """Teacher predictions, mixed with ``y`` by ``alpha`` where ``y`` is given."""
    alpha = check_alpha(alpha)
    predictions = np.asarray(predictions, dtype=np.float64)
    if y is None or alpha == 0.0:
        return predictions
    y = np.asarray(y, dtype=np.float64).reshape(predictions.shape)
    return (1.0 - alpha) * predictions + alpha * y


def hard_targets(targets: np.ndarray) -> np.ndarray:
    """One-hot rows of each row's most probable class (the teacher's decision)."""
    out = np.zeros_like(targets)
    out[np.arange(len(targets)), targets.argmax(axis=1)] = 1.0
    return out
