"""A plain function of X as a teacher."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import softmax

from interpretkd.teachers._base import (
    DEFAULT_BATCH_SIZE,
    Teacher,
    _binary_margin_to_logits,
)


class CallableTeacher(Teacher):
    """A plain function of X, declared as returning probabilities, logits or values.

    Parameters
    ----------
    fn : callable
        ``fn(X) -> array``.
    output : {"probabilities", "logits", "values"}, default="probabilities"
    classes : array-like, default=None
        Class labels for the output columns (defaults to the distiller's classes).
    """

    def __init__(
        self,
        fn: Callable,
        *,
        output: str = "probabilities",
        classes=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        if output not in ("logits", "probabilities", "values"):
            raise ValueError(
                f"output must be 'probabilities', 'logits' or 'values', got {output!r}."
            )
        super().__init__(fn, classes=classes, batch_size=batch_size)
        self.output = output
        self.is_classifier = output != "values"
        self.has_logits = output == "logits"

    def _call(self, X):
        return np.asarray(self.model(X), dtype=np.float64)

    def _predict_batch_logits(self, X):
        out = self._call(X)
        return _binary_margin_to_logits(out) if out.ndim == 1 else out

    def _predict_batch_proba(self, X):
        if self.output == "logits":
            return softmax(self._predict_batch_logits(X), axis=1)
        out = self._call(X)
        if out.ndim == 1:
            # One column: the probability of the positive class.
            out = np.column_stack([1.0 - out, out])
        return out

    def _predict_batch_values(self, X):
        return self._call(X)
