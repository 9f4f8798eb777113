"""A plain function of X as a teacher."""

from __future__ import annotations

from collections.abc import Callable

from interpretkd.teachers._base import DEFAULT_BATCH_SIZE, DeclaredOutputTeacher


class CallableTeacher(DeclaredOutputTeacher):
    """A plain function of X, declared as returning probabilities, logits or values.

    Parameters
    ----------
    fn : callable
        ``fn(X) -> array``.
    output : {"probabilities", "logits", "values"}, default="probabilities"
        What it returns; probabilities are checked to be distributions.
    classes : array-like, default=None
        Class labels of the output columns, in column order; None: the columns are
        the labels 0..K-1.
    batch_size : int, default=65536
        Rows per call.
    """

    def __init__(
        self,
        fn: Callable,
        *,
        output: str = "probabilities",
        classes=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        super().__init__(fn, output=output, classes=classes, batch_size=batch_size)

    def _raw(self, X):
        return self.model(X)
