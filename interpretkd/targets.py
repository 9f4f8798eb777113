"""Soft targets: what the student learns from the teacher.

All the maths of it lives here, and a distiller calls it once per labeling:

- :func:`soft_targets`: the teacher's class probabilities softened by a temperature
  (Hinton, Vinyals & Dean, 2015), ``softmax(logits / T)`` (:func:`tempered_softmax`);
  several teachers are tempered one by one and averaged;
- :func:`mix_labels`: on rows that have a label, ``(1 - alpha) * targets +
  alpha * onehot(y)``;
- :func:`hard_targets`: the one-hot of each row's most probable class (the teacher's
  decision);
- :func:`regression_targets`: a regression teacher's predictions mixed with ``y`` the
  same way.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import softmax
from sklearn.utils._param_validation import Interval, validate_params

from interpretkd._validation import one_hot
from interpretkd.teachers import EnsembleTeacher, Teacher, as_teacher

__all__ = [
    "hard_targets",
    "mix_labels",
    "regression_targets",
    "soft_targets",
    "tempered_softmax",
]

# Probabilities are clipped here before their log stands in for missing logits.
_EPS = 1e-12

TEMPERATURE = [Interval(Real, 0, None, closed="neither")]
ALPHA = [Interval(Real, 0, 1, closed="both")]


def tempered_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` along the last axis (numerically stable).

    Examples
    --------
    >>> import numpy as np
    >>> from interpretkd.targets import tempered_softmax
    >>> tempered_softmax(np.array([[2.0, 0.0]]), 2.0).round(3)
    array([[0.731, 0.269]])
    """
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=-1)


@validate_params(
    {"teacher": "no_validation", "X": "no_validation", "temperature": TEMPERATURE},
    prefer_skip_nested_validation=True,
)
def soft_targets(teacher, X, *, temperature: float = 1.0) -> np.ndarray:
    """Teacher class probabilities on ``X`` at ``temperature``.

    With logits ``z`` the targets are ``softmax(z / T)``. Without logits the
    log-probabilities stand in for them, ``softmax(log(p) / T)``, which is ``p``
    itself at ``T = 1`` and the same as the logit form for any model whose
    probabilities are a softmax of its logits. Several teachers (a list, or an
    :class:`~interpretkd.teachers.EnsembleTeacher`) are tempered one by one and
    their distributions averaged.

    Parameters
    ----------
    teacher : Teacher or model
        A teacher adapter, or anything :func:`~interpretkd.teachers.as_teacher`
        accepts.
    X : array-like of shape (n_samples, n_features)
    temperature : float, default=1.0
        ``T > 1`` softens the distribution, ``T < 1`` sharpens it.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_classes)
        Rows sum to one.

    Raises
    ------
    ValueError
        If ``temperature`` is so small that ``logits / temperature`` overflows (a
        temperature near 0 gives the teacher's decisions: use
        :func:`hard_targets`), or if the teacher's outputs are not finite
        distributions (see :class:`~interpretkd.teachers.Teacher`).

    Examples
    --------
    >>> import numpy as np
    >>> from interpretkd.targets import soft_targets
    >>> from interpretkd.teachers import as_teacher
    >>> teacher = as_teacher(lambda X: X, output="logits", classes=[0, 1])
    >>> soft_targets(teacher, np.array([[0.0, 2.0]]), temperature=2.0).round(3)
    array([[0.269, 0.731]])
    """
    teacher = as_teacher(teacher)
    if not teacher.is_classifier:
        raise TypeError(
            f"{teacher.name} is a regression teacher; soft targets are class "
            "probabilities. Use its predictions (regression_targets) instead."
        )
    if isinstance(teacher, EnsembleTeacher):
        return teacher.average(
            [soft_targets(m, X, temperature=temperature) for m in teacher.members]
        )
    return _tempered(teacher, X, float(temperature))


def _tempered(teacher: Teacher, X, temperature: float) -> np.ndarray:
    logits = teacher.predict_logits(X)
    if logits is None:
        proba = teacher.predict_proba(X)
        if temperature == 1.0:
            return proba / proba.sum(axis=1, keepdims=True)
        logits = np.log(np.clip(proba, _EPS, None))
    with np.errstate(over="ignore", invalid="ignore"):
        targets = tempered_softmax(logits, temperature)
    if not np.all(np.isfinite(targets)):
        raise ValueError(
            f"At temperature={temperature!r} the soft targets of the teacher "
            f"{teacher.name} are not finite: its logits divided by the temperature "
            "overflow. A temperature this close to 0 gives the teacher's decisions: "
            "use targets='hard' (or a temperature of 0.01 or more)."
        )
    return targets


@validate_params(
    {"targets": ["array-like"], "y_index": ["array-like"], "alpha": ALPHA},
    prefer_skip_nested_validation=True,
)
def mix_labels(targets: np.ndarray, y_index: np.ndarray, alpha: float) -> np.ndarray:
    """Mix one-hot labels into soft targets: ``(1 - alpha) * targets + alpha * onehot``.

    Parameters
    ----------
    targets : ndarray of shape (n_samples, n_classes)
    y_index : ndarray of shape (n_samples,)
        Label of each row as a column index into ``targets``.
    alpha : float in [0, 1]
        0 keeps the teacher's targets, 1 replaces them with the labels.

    Returns
    -------
    mixed : ndarray of shape (n_samples, n_classes)
        A new array; ``targets`` is not modified.
    """
    mixed = (1.0 - alpha) * np.asarray(targets, dtype=np.float64)
    mixed[np.arange(len(y_index)), y_index] += alpha
    return mixed


def hard_targets(targets: np.ndarray) -> np.ndarray:
    """One-hot rows of each row's most probable class (the teacher's decision)."""
    targets = np.asarray(targets, dtype=np.float64)
    return one_hot(targets.argmax(axis=1), targets.shape[1])


@validate_params(
    {"predictions": ["array-like"], "y": ["array-like", None], "alpha": ALPHA},
    prefer_skip_nested_validation=True,
)
def regression_targets(predictions, y=None, alpha: float = 0.0) -> np.ndarray:
    """Teacher predictions, mixed with ``y`` by ``alpha`` where ``y`` is given:
    ``(1 - alpha) * predictions + alpha * y``."""
    predictions = np.asarray(predictions, dtype=np.float64)
    if y is None or alpha == 0.0:
        return predictions
    y = np.asarray(y, dtype=np.float64).reshape(predictions.shape)
    return (1.0 - alpha) * predictions + alpha * y
