"""What reading files shares: the formats, the errors, sniffing and trust checks."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")
TEACHER_FORMATS = {
    "xgboost-json": "XGBoost JSON (Booster.save_model('model.json'))",
    "xgboost-ubj": "XGBoost UBJSON (Booster.save_model('model.ubj'))",
    "lightgbm": "LightGBM text model (Booster.save_model('model.txt'))",
    "skops": "scikit-learn model saved with skops (skops.io.dump(model, 'x.skops'))",
    "onnx": "ONNX graph ('model.onnx', needs onnxruntime)",
    "torch": "PyTorch module saved whole (torch.save(module, 'net.pt'); only with "
    "trust_pickle=True / --trust-pickle)",
    "torchscript": "TorchScript module (torch.jit.save(scripted, 'net.pt'); only with "
    "trust_pickle=True / --trust-pickle)",
    "pickle": "pickle or joblib file (only with trust_pickle=True / --trust-pickle)",
}
# Internal types of scikit-learn's tree models that skops does not trust by itself.
# They are rebuilt from arrays by scikit-learn's own code, like the estimators that
# skops does trust, so a model made of them is as safe as any scikit-learn model.
SKLEARN_INTERNAL_TYPES = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)
_TASKS = ("classification", "regression")
_LIGHTGBM_DEFAULT_NAME = re.compile(r"Column_\d+")


class ModelFormatError(ValueError):
    """A file is not a model of the expected kind: unknown format, corrupt, or other."""


class UntrustedFileError(ValueError):
    """A file would run code or rebuild types that the caller has not trusted."""


def _sniff(path: Path, n: int = 64) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _require_file(path: str | os.PathLike, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file {path} does not exist.")
    if path.is_dir():
        raise IsADirectoryError(f"{what} path {path} is a directory, not a file.")
    return path


def _looks_like_pickle(path: Path, head: bytes) -> bool:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    # Protocol 2+ pickles start with PROTO (0x80); joblib's compressed files start
    # with its own "ZF" marker or a zlib/gzip/bz2/xz header.
    return head[:1] == b"\x80" or head[:2] == b"ZF"


def _check_trusted(path: Path, untrusted: Sequence[str], trusted, what: str) -> list:
    if trusted is None:
        trusted = []
    elif isinstance(trusted, str):
        trusted = [trusted]
    else:
        trusted = list(trusted)
    allowed = set(trusted) | SKLEARN_INTERNAL_TYPES
    refused = sorted({t for t in untrusted if t not in allowed and not _is_own_type(t)})
    if refused:
        flags = " ".join(f"--trust {t}" for t in refused)
        raise UntrustedFileError(
            f"Refusing to load {what} {path}: it contains types that are not trusted "
            f"({', '.join(refused)}). Rebuilding them could run code. If you trust "
            f"where the file came from, pass trusted={refused!r} (on the command "
            f"line: {flags})."
        )
    return list(untrusted)


def _load_skops(path: Path, trusted, what: str) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise ModelFormatError(
            f"{path} is not a readable skops file ({exc}). Expected {what} written "
            "with skops (interpretkd.save or skops.io.dump)."
        ) from exc
    allowed = _check_trusted(path, untrusted, trusted, what)
    try:
        return sio.load(path, trusted=allowed)
    except UntrustedFileError:  # pragma: no cover - raised above
        raise
    except Exception as exc:
        raise ModelFormatError(
            f"{path} could not be read as a skops file: {exc}. The file may be "
            "corrupt or written by an incompatible version of a library."
        ) from exc


def _is_own_type(name: str) -> bool:
    return name == "interpretkd" or name.startswith("interpretkd.")


def _zip_kind(path: Path) -> str | None:
    """Tell the zip archives apart by what they hold: skops writes ``schema.json``
    at the top; ``torch.save`` writes ``<name>/data.pkl``, and ``torch.jit.save``
    adds the module's code under ``<name>/code/``."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return "skops"  # a damaged archive: skops's reader says what is wrong
    if "schema.json" in names:
        return "skops"
    if any(n.count("/") == 1 and n.endswith("/data.pkl") for n in names):
        if any("/code/" in n for n in names):
            return "torchscript"
        return "torch"
    return None


def _sniff_kind(path: Path, head: bytes) -> str | None:
    """Name the teacher format of a file from its content, else its suffix."""
    if not head:
        return None
    if head.startswith(b"PK"):
        return _zip_kind(path)
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return "lightgbm"
    if _looks_like_pickle(path, head):
        return "pickle"
    stripped = head.lstrip()
    if stripped.startswith(b"{"):
        # UBJSON keys are preceded by a length marker (i, U, I, l or L); JSON keys
        # by a quote or white space.
        return (
            "xgboost-ubj"
            if stripped[1:2] in (b"i", b"U", b"I", b"l", b"L")
            else "xgboost-json"
        )
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    return None
