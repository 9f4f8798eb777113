"""PyTorch teacher files: ``torch.save`` of a whole module, and TorchScript.

A ``torch.save`` file is a pickle inside a zip archive. torch reads the safe part of
it (tensors and plain containers) with ``weights_only=True``; a whole module needs
the full unpickler, which runs code, so it is read only when the caller trusts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from interpretkd.io._common import ModelFormatError, UntrustedFileError

_EXPORT_HINT = (
    "torch.onnx.export(module, example_rows, 'net.onnx', output_names=['logits']) "
    "writes a file that loads without trust"
)


def _untrusted(path: Path, what: str) -> UntrustedFileError:
    return UntrustedFileError(
        f"Refusing to load {path}: it is {what}, and loading it runs the code it "
        "holds. If you trust where the file came from, pass trust_pickle=True (on the "
        f"command line: --trust-pickle); otherwise {_EXPORT_HINT}."
    )


def _not_a_module(path: Path, obj) -> ModelFormatError:
    if isinstance(obj, Mapping):
        return ModelFormatError(
            f"{path} holds a state dict ({len(obj)} named tensors): the weights of a "
            "network without the network itself, which cannot be rebuilt from its "
            "weights alone. In Python, build the module, call "
            "module.load_state_dict(torch.load(path, weights_only=True)) and pass the "
            f"module as the teacher; or {_EXPORT_HINT}."
        )
    return ModelFormatError(
        f"{path} holds a {type(obj).__name__}, not a torch.nn.Module. Save the "
        f"whole module (torch.save(module, path)), or {_EXPORT_HINT}."
    )


def load_torch(path: Path, kind: str, trust_pickle: bool, task: str | None):
    """A torch teacher adapter from a ``torch.save`` or ``torch.jit.save`` file."""
    import pickle

    import torch

    from interpretkd.teachers import is_torch_module

    if kind == "torchscript":
        if not trust_pickle:
            raise _untrusted(path, "a TorchScript module")
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:
            raise ModelFormatError(
                f"{path} could not be read as a TorchScript module ({exc})."
            ) from exc
    else:
        try:
            module = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            if not trust_pickle:
                raise _untrusted(
                    path, "a torch.save file holding Python objects (a whole module)"
                ) from exc
            try:
                module = torch.load(path, map_location="cpu", weights_only=False)
            except Exception as exc2:
                raise ModelFormatError(
                    f"{path} could not be read as a torch.save file ({exc2})."
                ) from exc2
        except Exception as exc:
            raise ModelFormatError(
                f"{path} could not be read as a torch.save file ({exc})."
            ) from exc
    if not is_torch_module(module):
        raise _not_a_module(path, module)
    return torch_teacher(module, task)


def torch_teacher(module, task: str | None):
    """The adapter of a loaded module: its output read as class logits, or as values
    with ``task="regression"``."""
    from interpretkd.teachers import TorchTeacher

    return TorchTeacher(module, output="values" if task == "regression" else "logits")
