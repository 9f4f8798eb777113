"""PyTorch teachers: a ``torch.nn.Module`` mapping rows to logits or values."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from interpretkd.teachers._base import (
    DEFAULT_BATCH_SIZE,
    Teacher,
    _binary_margin_to_logits,
)


class TorchTeacher(Teacher):
    """A ``torch.nn.Module`` mapping a float tensor of rows to logits (or values).

    The module is called in eval mode under ``torch.no_grad()``, batch by batch, on
    the device its parameters live on; its training flag is restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
    output : {"logits", "probabilities", "values"}, default="logits"
        What the module returns: class logits, class probabilities, or regression
        values.
    classes : array-like, default=None
        Class labels for the output columns (defaults to the distiller's classes).
    """

    def __init__(
        self, model, *, output="logits", classes=None, batch_size=DEFAULT_BATCH_SIZE
    ):
        if output not in ("logits", "probabilities", "values"):
            raise ValueError(
                f"output must be 'logits', 'probabilities' or 'values', got {output!r}."
            )
        super().__init__(model, classes=classes, batch_size=batch_size)
        self.output = output
        self.is_classifier = output != "values"
        self.has_logits = output == "logits"

    def _forward(self, X) -> np.ndarray:
        import torch

        model = self.model
        try:
            param = next(model.parameters())
            device, dtype = param.device, param.dtype
        except StopIteration:
            device, dtype = torch.device("cpu"), torch.float32
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                xt = torch.as_tensor(np.asarray(X), dtype=dtype, device=device)
                out = model(xt)
        finally:
            model.train(was_training)
        return out.detach().to("cpu", torch.float64).numpy()

    def _predict_batch_logits(self, X):
        out = self._forward(X)
        return _binary_margin_to_logits(out) if out.ndim == 1 else out

    def _predict_batch_proba(self, X):
        if self.output == "logits":
            return softmax(self._predict_batch_logits(X), axis=1)
        return self._forward(X)

    def _predict_batch_values(self, X):
        out = self._forward(X)
        return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


def is_torch_module(model) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` (checked without importing torch)."""
    for cls in type(model).__mro__:
        if cls.__module__ == "torch.nn.modules.module" and cls.__name__ == "Module":
            return True
    return False
