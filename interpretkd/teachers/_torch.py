"""PyTorch teachers: a ``torch.nn.Module`` mapping rows to logits or values."""

from __future__ import annotations

import warnings

import numpy as np

from interpretkd.teachers._base import DEFAULT_BATCH_SIZE, DeclaredOutputTeacher


class TorchTeacher(DeclaredOutputTeacher):
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
        Class labels of the output columns, in column order; None: the columns are
        the labels 0..K-1.
    batch_size : int, default=65536
        Rows per forward pass.
    """

    def __init__(
        self, model, *, output="logits", classes=None, batch_size=DEFAULT_BATCH_SIZE
    ):
        super().__init__(model, output=output, classes=classes, batch_size=batch_size)

    def _raw(self, X) -> np.ndarray:
        import torch

        model = self.model
        try:
            param = next(model.parameters())
            device, dtype = param.device, param.dtype
        except StopIteration:
            device, dtype = torch.device("cpu"), torch.float32
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        xt = _as_tensor(np.asarray(X), dtype, device)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = model(xt)
        finally:
            model.train(was_training)
        return out.detach().to("cpu", torch.float64).numpy()


def _as_tensor(X: np.ndarray, dtype, device):
    """``X`` as a tensor of the module's dtype on its device, copied only when needed.

    The rows are cast in NumPy first (a new array when the dtype differs, as the
    cast needs anyway). A read-only array (a Dask block, a view of a frame) stays
    shared only when torch copies it itself (to another device); a CPU tensor of the
    same dtype would share its memory, and torch cannot mark a tensor read-only (a
    module may write into its input), so it is copied once instead.
    """
    import torch

    try:
        np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
    except TypeError:  # no NumPy equivalent (bfloat16): torch casts a float32 copy
        np_dtype = np.float32
    X = X.astype(np_dtype, copy=False)
    if not X.flags.writeable:
        if device.type == "cpu":
            X = X.copy()
        else:  # torch copies the rows to the device and never writes the buffer
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "The given NumPy array is not writ")
                return torch.as_tensor(X, dtype=dtype, device=device)
    return torch.as_tensor(X, dtype=dtype, device=device)


def is_torch_module(model) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` (checked without importing torch)."""
    for cls in type(model).__mro__:
        if cls.__module__ == "torch.nn.modules.module" and cls.__name__ == "Module":
            return True
    return False
