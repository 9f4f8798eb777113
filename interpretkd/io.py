"""Reading teachers, students and data from files, and writing outputs safely.

Teachers come from the files their own libraries write: XGBoost JSON or UBJ
(``Booster.save_model``), LightGBM text models, scikit-learn models saved with skops,
and ONNX graphs (through onnxruntime). Pickle and joblib files are read only when the
caller says it trusts them, because loading a pickle runs code.

Students are written with skops by :func:`save` and read back with :func:`load`;
interpretkd's own types are trusted, anything else must be trusted by name. Every
output is written atomically: to a temporary file in the destination's directory,
then renamed over it, so an interrupted run never leaves a half-written file, and an
existing file is replaced only when the caller asks for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interpretkd._validation import is_fitted_distiller

__all__ = [
    "ModelFormatError",
    "UntrustedFileError",
    "atomic_output",
    "check_output_path",
    "detect_format",
    "load",
    "load_teacher",
    "model_feature_names",
    "model_n_features",
    "prepare_features",
    "read_table",
    "save",
    "teacher_task",
    "with_teacher",
    "without_teacher",
    "write_bytes",
    "write_table",
]

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")
TEACHER_FORMATS = {
    "xgboost-json": "XGBoost JSON (Booster.save_model('model.json'))",
    "xgboost-ubj": "XGBoost UBJSON (Booster.save_model('model.ubj'))",
    "lightgbm": "LightGBM text model (Booster.save_model('model.txt'))",
    "skops": "scikit-learn model saved with skops (skops.io.dump(model, 'x.skops'))",
    "onnx": "ONNX graph ('model.onnx', needs onnxruntime)",
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
_LIGHTGBM_CLASSIFICATION = ("binary", "multiclass", "multiclassova", "cross_entropy")
_LIGHTGBM_DEFAULT_NAME = re.compile(r"Column_\d+")


class ModelFormatError(ValueError):
    """A file is not a model of the expected kind: unknown format, corrupt, or other."""


class UntrustedFileError(ValueError):
    """A file would run code or rebuild types that the caller has not trusted."""


# --------------------------------------------------------------------------------------
# Writing outputs atomically
# --------------------------------------------------------------------------------------


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written, before any work is done to fill it.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        If the directory that should hold ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a directory; give the path of a file to write instead."
        )
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True (on the command line: "
            "--force) to replace it, or choose another path."
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(
            f"Cannot write {path}: the directory {parent} does not exist. Create it "
            "first or choose another path."
        )
    return path


def _reserve_temp(path: Path) -> Path:
    """Create an empty, uniquely named temporary file next to ``path``."""
    parent = path.parent if str(path.parent) else Path(".")
    for _ in range(100):
        tmp = parent / f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"Could not create a temporary file in {parent}.")


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move a finished temporary file to ``path`` in one step."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        # A hard link fails if ``path`` exists, so no file that appeared since the
        # first check is replaced behind the caller's back.
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True (on the command line: "
            "--force) to replace it, or choose another path."
        ) from None
    except OSError:
        # File systems without hard links: check, then rename.
        if path.exists():
            raise FileExistsError(
                f"{path} already exists; pass overwrite=True (on the command line: "
                "--force) to replace it, or choose another path."
            ) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, *, overwrite: bool = False
) -> Iterator[Path]:
    """Give a temporary path to write to; move it to ``path`` when the block succeeds.

    The temporary file lies in the directory of ``path`` (so the final rename is
    atomic) and keeps its suffix (so writers that look at the suffix still work). If
    the block raises, the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or path-like
        The file to produce.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Yields
    ------
    tmp : Path
        Where to write the content.

    Examples
    --------
    >>> with atomic_output("table.csv", overwrite=True) as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp, index=False)
    """
    path = check_output_path(path, overwrite=overwrite)
    tmp = _reserve_temp(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"Nothing was written for {path}.")
        _commit(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(
    path: str | os.PathLike, data: bytes | str, *, overwrite: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically (text is encoded as UTF-8).

    Parameters
    ----------
    path : str or path-like
    data : bytes or str
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_output(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


# --------------------------------------------------------------------------------------
# Students: save and load with skops
# --------------------------------------------------------------------------------------


def _is_own_type(name: str) -> bool:
    return name == "interpretkd" or name.startswith("interpretkd.")


def _find_torch_type(obj: Any, _seen: set | None = None, _depth: int = 0) -> str | None:
    """The qualified name of a torch object inside ``obj``, or None if none is found.

    Walks attributes, containers and mapping values a few levels deep: enough to
    find a tensor kept on an estimator or on one of its sub-estimators.
    """
    module = type(obj).__module__ or ""
    if module == "torch" or module.startswith("torch."):
        return f"{module}.{type(obj).__qualname__}"
    seen = set() if _seen is None else _seen
    if _depth > 6 or id(obj) in seen or isinstance(obj, str | bytes | np.ndarray):
        return None
    seen.add(id(obj))
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    else:
        children = list(getattr(obj, "__dict__", {}).values())
    for child in children:
        found = _find_torch_type(child, seen, _depth + 1)
        if found:
            return found
    return None


def save(estimator: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a fitted estimator to ``path`` with skops, atomically.

    Parameters
    ----------
    estimator : estimator
        Usually a fitted interpretkd student or distiller; any object skops can
        write.
    path : str or path-like
        Destination, by convention ending in ``.skops``.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    TypeError
        If skops cannot write the estimator (the message gives skops's reason), or
        if it holds torch objects: a saved model must load on a machine without the
        device (or the torch build) it was trained on.
    """
    import skops.io as sio

    path = check_output_path(path, overwrite=overwrite)
    try:
        data = sio.dumps(estimator)
    except Exception as exc:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        torch_type = _find_torch_type(estimator)
        hint = (
            f" It holds a torch object ({torch_type}); a saved model keeps its "
            "fitted parameters as NumPy arrays and plain Python values."
            if torch_type
            else " A saved model must hold objects skops can write: NumPy arrays, "
            "plain Python values and estimators, not open resources."
        )
        raise TypeError(
            f"Cannot save {type(estimator).__name__} with skops: {reason}.{hint}"
        ) from exc
    torch_types = [
        t for t in sio.get_untrusted_types(data=data) if t.startswith("torch")
    ]
    if torch_types:
        raise TypeError(
            f"Cannot save {type(estimator).__name__}: it holds torch objects "
            f"({', '.join(sorted(set(torch_types)))}). A saved model keeps its fitted "
            "parameters as NumPy arrays so that it loads without torch device state; "
            "fit the estimator again with a version of interpretkd that does so."
        )
    return write_bytes(path, data, overwrite=overwrite)


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


def load(path: str | os.PathLike, *, trusted: Sequence[str] | None = None) -> Any:
    """Load a student (or any estimator) written by :func:`save`.

    interpretkd's own types, and the internals of scikit-learn's trees, are
    trusted; any other type that skops does not trust by itself must be named in
    ``trusted``.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file.
    trusted : sequence of str, default=None
        Further type names (as ``"module.Class"``) to trust.

    Returns
    -------
    estimator : object

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFormatError
        If ``path`` is not a skops file (a teacher model, a pickle, a corrupt file).
    UntrustedFileError
        If the file holds types that are not trusted.
    """
    path = _require_file(path, "Model")
    head = _sniff(path)
    if not head.startswith(b"PK"):
        kind = _sniff_kind(path, head)
        hint = (
            f" It looks like {TEACHER_FORMATS[kind]}; read teachers with "
            "interpretkd.io.load_teacher."
            if kind
            else ""
        )
        raise ModelFormatError(
            f"{path} is not a skops file: expected a student written by "
            f"interpretkd.save (or `interpretkd distill --out`).{hint}"
        )
    return _load_skops(path, trusted, "model")


# --------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------


def _sniff_kind(path: Path, head: bytes) -> str | None:
    """Name the teacher format of a file from its first bytes, else its suffix."""
    if not head:
        return None
    if head.startswith(b"PK"):
        return "skops"
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
            else ("xgboost-json")
        )
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    return None


def detect_format(path: str | os.PathLike) -> str:
    """Name the kind of model file at ``path``.

    The first bytes decide where they can (zip for skops, ``tree`` for LightGBM,
    pickle opcodes, JSON and UBJSON for XGBoost); ONNX, which has no signature, is
    recognised by its ``.onnx`` suffix.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    kind : {"xgboost-json", "xgboost-ubj", "lightgbm", "skops", "onnx", "pickle"}

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFormatError
        If the file is empty or of no supported kind.
    """
    path = _require_file(path, "Teacher")
    head = _sniff(path)
    if not head:
        raise ModelFormatError(f"{path} is empty; expected a saved model.")
    kind = _sniff_kind(path, head)
    if kind is None:
        supported = "; ".join(TEACHER_FORMATS.values())
        raise ModelFormatError(
            f"Cannot tell what kind of model {path} is. Supported teacher files: "
            f"{supported}."
        )
    return kind


def _check_task(task: str | None) -> str | None:
    if task is not None and task not in _TASKS:
        raise ValueError(
            f"task must be 'classification', 'regression' or None (read from the "
            f"model), got {task!r}."
        )
    return task


def _resolve_task(path: Path, objective: str, inferred: str | None, task: str | None):
    if inferred is None:
        if task is None:
            raise ModelFormatError(
                f"{path} has objective {objective!r}, which is neither classification "
                "nor regression. Pass task='regression' (--task regression) to "
                "distill its scores as a regression target."
            )
        return task
    if task is not None and task != inferred:
        raise ValueError(
            f"{path} is a {inferred} model (objective {objective!r}) but task="
            f"{task!r} was asked for. Leave task unset to use the model's own task."
        )
    return inferred


def _load_xgboost(path: Path, task: str | None):
    import xgboost

    booster = xgboost.Booster()
    try:
        booster.load_model(path)
    except xgboost.core.XGBoostError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelFormatError(
            f"{path} could not be read as an XGBoost model ({first}). Expected a "
            "file written by Booster.save_model or XGBModel.save_model (.json/.ubj)."
        ) from exc
    config = json.loads(booster.save_config())
    learner = config["learner"]
    objective = learner["objective"]["name"]
    params = learner["learner_model_param"]
    if int(params.get("num_target", "1")) > 1:
        raise ModelFormatError(
            f"{path} is a multi-output XGBoost model ({params['num_target']} targets); "
            "interpretkd distills one target at a time."
        )
    if objective.startswith(("binary:", "multi:")):
        inferred = "classification"
    elif objective.startswith(("reg:", "count:")):
        inferred = "regression"
    else:
        inferred = None
    task = _resolve_task(path, objective, inferred, task)
    model = (
        xgboost.XGBClassifier()
        if task == "classification"
        else (xgboost.XGBRegressor())
    )
    model.load_model(path)
    return model


def _lightgbm_header(path: Path) -> dict:
    header = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("Tree=") or line == "end of trees":
                break
            if "=" in line:
                key, value = line.split("=", 1)
                header.setdefault(key, value)
    return header


def _load_lightgbm(path: Path, task: str | None):
    try:
        import lightgbm
    except ImportError as exc:
        raise ImportError(
            f"{path} is a LightGBM model, and reading it needs lightgbm: "
            "pip install 'interpretkd[lightgbm]'."
        ) from exc
    from interpretkd.teachers import LightGBMBoosterTeacher

    header = _lightgbm_header(path)
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except lightgbm.basic.LightGBMError as exc:
        raise ModelFormatError(
            f"{path} could not be read as a LightGBM model ({exc}). Expected a text "
            "model written by Booster.save_model."
        ) from exc
    objective = header.get("objective", "").split(" ")[0]
    if objective in _LIGHTGBM_CLASSIFICATION:
        inferred = "classification"
    elif objective.startswith(("regression", "huber", "fair", "poisson", "quantile")):
        inferred = "regression"
    elif objective.startswith(("mape", "gamma", "tweedie")):
        inferred = "regression"
    else:
        inferred = None
    task = _resolve_task(path, objective or "<none>", inferred, task)
    classes = None
    if task == "classification":
        n_out = booster.num_model_per_iteration()
        classes = np.arange(2 if n_out == 1 else n_out)
    teacher = LightGBMBoosterTeacher(booster, classes=classes)
    teacher.is_classifier = task == "classification"
    teacher.has_logits = teacher.is_classifier
    return teacher


class _OnnxModel:
    """A callable over an onnxruntime session: rows in, probabilities or values out."""

    def __init__(self, session, task: str, prob_output: str | None):
        self.session = session
        self.task = task
        self.prob_output = prob_output
        inp = session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float64 if "double" in inp.type else np.float32
        width = inp.shape[1] if len(inp.shape) == 2 else None
        self.n_features_in_ = width if isinstance(width, int) else None
        self.classes_ = None

    def run(self, X) -> list:
        X = np.asarray(X, dtype=self.input_dtype)
        return self.session.run(None, {self.input_name: X})

    def _proba(self, outputs) -> np.ndarray:
        names = [o.name for o in self.session.get_outputs()]
        out = outputs[names.index(self.prob_output)]
        if isinstance(out, list):  # ZipMap: one {class: probability} dict per row
            keys = list(out[0].keys()) if out else []
            if self.classes_ is None:
                self.classes_ = np.asarray(keys)
            return np.array([[row[k] for k in keys] for row in out], dtype=np.float64)
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1 or out.shape[1] == 1:
            p = out.reshape(-1)
            out = np.column_stack([1.0 - p, p])
        return out

    def __call__(self, X) -> np.ndarray:
        outputs = self.run(X)
        if self.task == "classification":
            return self._proba(outputs)
        values = np.asarray(outputs[0], dtype=np.float64)
        return (
            values.reshape(-1) if values.ndim == 2 and values.shape[1] == 1 else values
        )


def _load_onnx(path: Path, task: str | None):
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"{path} is an ONNX model, and reading it needs onnxruntime: "
            "pip install 'interpretkd[onnx]'."
        ) from exc
    from interpretkd.teachers import CallableTeacher

    try:
        session = onnxruntime.InferenceSession(
            str(path), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ModelFormatError(
            f"{path} could not be read as an ONNX model ({exc})."
        ) from exc
    outputs = session.get_outputs()
    # Converted classifiers (skl2onnx, onnxmltools) give a label tensor and then the
    # probabilities, as a tensor or as a sequence of {class: probability} maps.
    prob_output = None
    for out in outputs:
        if out.type.startswith("seq(map") or "prob" in out.name.lower():
            prob_output = out.name
    if prob_output is None and len(outputs) >= 2:
        prob_output = outputs[1].name
    inferred = "classification" if prob_output is not None else None
    if inferred is None and len(outputs) == 1 and "float" in outputs[0].type:
        inferred = "regression"
    if inferred is None and task is None:
        raise ModelFormatError(
            f"Cannot tell whether the ONNX model {path} is a classifier or a "
            "regressor from its outputs; pass task='classification' or 'regression'."
        )
    if task is not None and inferred is not None and task != inferred:
        raise ValueError(
            f"{path} looks like a {inferred} model from its outputs but task={task!r} "
            "was asked for. Leave task unset to use what the model says."
        )
    task = task or inferred
    if task == "classification" and prob_output is None:
        prob_output = outputs[-1].name
    model = _OnnxModel(session, task, prob_output)
    if task == "regression":
        return CallableTeacher(model, output="values")
    teacher = CallableTeacher(model, output="probabilities")
    # Learn the class labels from one row when the graph gives them (ZipMap).
    if model.n_features_in_ is not None:
        with contextlib.suppress(Exception):
            model(np.zeros((1, model.n_features_in_)))
    teacher.classes_ = (
        np.asarray(model.classes_) if model.classes_ is not None else None
    )
    return teacher


def _load_pickle(path: Path, trust_pickle: bool):
    if not trust_pickle:
        raise UntrustedFileError(
            f"Refusing to load {path}: it is a pickle/joblib file, and loading a "
            "pickle runs whatever code it contains. Save the model in a safe format "
            "instead (XGBoost: save_model('model.json'); scikit-learn: "
            "skops.io.dump(model, 'model.skops')), or, if you trust where the file "
            "came from, pass trust_pickle=True (on the command line: --trust-pickle)."
        )
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ModelFormatError(
            f"{path} could not be read as a pickle/joblib file ({exc})."
        ) from exc


def load_teacher(
    path: str | os.PathLike,
    *,
    trust_pickle: bool = False,
    task: str | None = None,
    trusted: Sequence[str] | None = None,
) -> Any:
    """Load a fitted teacher model from a file.

    Parameters
    ----------
    path : str or path-like
        An XGBoost JSON or UBJ model, a LightGBM text model, a scikit-learn model
        saved with skops, an ONNX graph, or (with ``trust_pickle=True``) a pickle or
        joblib file. The kind is read from the file's first bytes (and, for ONNX and
        pickles, from its suffix).
    trust_pickle : bool, default=False
        Allow pickle and joblib files. Loading a pickle runs the code it holds: only
        set this for files whose origin you trust.
    task : {"classification", "regression"}, default=None
        The teacher's task. By default it is read from the model (an XGBoost or
        LightGBM objective, a scikit-learn estimator's type, an ONNX graph's
        outputs); when given, it must agree with the model, except for objectives
        that are neither (ranking), which ``task="regression"`` distills as scores.
    trusted : sequence of str, default=None
        Type names to trust in a skops file beyond those skops trusts itself.

    Returns
    -------
    teacher : object
        A fitted model usable as a teacher: ``xgboost.XGBClassifier`` /
        ``XGBRegressor`` for XGBoost files (``classes_`` as saved, else
        ``0 .. n_classes - 1``), a teacher adapter from :mod:`interpretkd.teachers`
        for LightGBM and ONNX files, the estimator itself for skops and pickle files.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFormatError
        If the file is of no supported kind, corrupt, or its task cannot be read.
    UntrustedFileError
        If the file is a pickle and ``trust_pickle`` is False, or a skops file with
        untrusted types.
    ImportError
        If the file needs an optional package that is not installed (LightGBM,
        onnxruntime).
    """
    task = _check_task(task)
    path = _require_file(path, "Teacher")
    kind = detect_format(path)
    if kind in ("xgboost-json", "xgboost-ubj"):
        return _load_xgboost(path, task)
    if kind == "lightgbm":
        return _load_lightgbm(path, task)
    if kind == "onnx":
        return _load_onnx(path, task)
    if kind == "pickle":
        model = _load_pickle(path, trust_pickle)
    else:
        model = _load_skops(path, trusted, "teacher")
    _check_loaded_model(path, model, task)
    return model


def _check_loaded_model(path: Path, model: Any, task: str | None) -> None:
    if not (hasattr(model, "predict") or hasattr(model, "predict_proba")):
        raise ModelFormatError(
            f"{path} holds a {type(model).__name__}, not a fitted model: expected an "
            "object with predict or predict_proba."
        )
    if task is None:
        return
    from sklearn.base import is_classifier, is_regressor

    if task == "classification" and is_regressor(model):
        raise ValueError(f"{path} holds a regressor but task='classification'.")
    if task == "regression" and is_classifier(model):
        raise ValueError(f"{path} holds a classifier but task='regression'.")


# --------------------------------------------------------------------------------------
# What a model expects as input
# --------------------------------------------------------------------------------------


def model_feature_names(model: Any) -> list[str] | None:
    """The column names a fitted model was trained on, or None if it has none.

    Looks at ``feature_names_in_`` (scikit-learn, XGBoost's scikit-learn API), a raw
    XGBoost or LightGBM booster's feature names (LightGBM's default ``Column_i``
    names count as none), and the model inside a teacher adapter or distiller.
    """
    names = None
    try:
        names = getattr(model, "feature_names_in_", None)
    except AttributeError:  # XGBoost raises when the model has no names
        names = None
    if names is not None:
        return [str(n) for n in names]
    module = type(model).__module__
    if module.startswith("xgboost") and type(model).__name__ == "Booster":
        return None if model.feature_names is None else list(model.feature_names)
    if module.startswith("lightgbm") and type(model).__name__ == "Booster":
        names = model.feature_name()
        if all(_LIGHTGBM_DEFAULT_NAME.fullmatch(n) for n in names):
            return None
        return list(names)
    inner = getattr(model, "model", None)
    if inner is not None and inner is not model and _is_own_type(module):
        return model_feature_names(inner)
    return None


def model_n_features(model: Any) -> int | None:
    """The number of input columns a fitted model takes, or None when unknown."""
    n = getattr(model, "n_features_in_", None)
    if isinstance(n, (int, np.integer)):
        return int(n)
    module = type(model).__module__
    if module.startswith("xgboost") and type(model).__name__ == "Booster":
        return int(model.num_features())
    if module.startswith("lightgbm") and type(model).__name__ == "Booster":
        return int(model.num_feature())
    inner = getattr(model, "model", None)
    if inner is not None and inner is not model and _is_own_type(module):
        return model_n_features(inner)
    return None


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _parquet_engine_error(exc: Exception) -> ImportError:
    return ImportError(
        "Reading and writing Parquet files needs pyarrow, which is not installed: "
        "pip install pyarrow (or use CSV)."
    )


def read_table(path: str | os.PathLike):
    """Read a CSV (``.csv``, ``.tsv``, ``.txt``) or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the suffix is of no supported kind, or the file is empty or unreadable.
    ImportError
        If a Parquet file is given and pyarrow is not installed.
    """
    import pandas as pd

    path = _require_file(path, "Data")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        sep = "\t" if suffix == ".tsv" else ","
        try:
            frame = pd.read_csv(path, sep=sep)
        except pd.errors.EmptyDataError as exc:
            raise ValueError(
                f"{path} is empty; expected a table with a header."
            ) from exc
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} could not be read as CSV: {exc}") from exc
    elif suffix in _PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except ImportError as exc:
            raise _parquet_engine_error(exc) from exc
        except Exception as exc:
            raise ValueError(f"{path} could not be read as Parquet: {exc}") from exc
    else:
        raise ValueError(
            f"Cannot read {path}: unknown table format {suffix or '(no suffix)'!r}. "
            "Give a .csv, .tsv or .parquet file."
        )
    if frame.shape[0] == 0:
        raise ValueError(f"{path} has no rows.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def write_table(frame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a DataFrame to CSV or Parquet (by the suffix of ``path``), atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or path-like
        Ends in ``.csv``, ``.tsv`` or ``.parquet``.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _PARQUET_SUFFIXES:
        raise ValueError(
            f"Cannot write {path}: unknown table format {suffix or '(no suffix)'!r}. "
            "Give a .csv, .tsv or .parquet path."
        )
    with atomic_output(path, overwrite=overwrite) as tmp:
        if suffix in _PARQUET_SUFFIXES:
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise _parquet_engine_error(exc) from exc
        else:
            frame.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",")
    return path


def _listing(names: Sequence[str], limit: int = 10) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def prepare_features(
    frame,
    *,
    feature_names: Sequence[str] | None = None,
    n_features: int | None = None,
    allow_extra: bool = False,
    model_name: str = "the teacher",
):
    """Select and check the columns a model takes from a DataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data, without the target column.
    feature_names : sequence of str, default=None
        The columns the model was trained on, in its order. When given, every one
        must be present and the result has them in that order.
    n_features : int, default=None
        The number of columns the model takes, checked when it has no names.
    allow_extra : bool, default=False
        Whether columns the model does not know are dropped (True) or refused.
    model_name : str, default="the teacher"
        How the model is named in error messages.

    Returns
    -------
    frame : pandas.DataFrame
        The model's columns, numeric (booleans as 0/1), in the model's order.

    Raises
    ------
    ValueError
        If columns are missing or unknown, the width is wrong, a column is not
        numeric, or a value is infinite; the message names the columns.
    """
    import pandas as pd

    if feature_names is not None:
        feature_names = [str(n) for n in feature_names]
        missing = [n for n in feature_names if n not in frame.columns]
        extra = [c for c in frame.columns if c not in set(feature_names)]
        if missing:
            raise ValueError(
                f"The data lacks {len(missing)} column(s) that {model_name} was "
                f"trained on: {_listing(missing)}. It expects the columns "
                f"{_listing(feature_names)}."
            )
        if extra and not allow_extra:
            raise ValueError(
                f"The data has {len(extra)} column(s) that {model_name} does not "
                f"know: {_listing(extra)}. Drop them (it expects "
                f"{_listing(feature_names)})."
            )
        frame = frame[feature_names]
    elif n_features is not None and frame.shape[1] != n_features:
        raise ValueError(
            f"The data has {frame.shape[1]} feature column(s) but {model_name} takes "
            f"{n_features} (it has no column names to match by): columns "
            f"{_listing(frame.columns)}."
        )
    bad = [
        c
        for c in frame.columns
        if not (
            pd.api.types.is_numeric_dtype(frame[c])
            or pd.api.types.is_bool_dtype(frame[c])
        )
    ]
    if bad:
        kinds = ", ".join(f"{c}: {frame[c].dtype}" for c in bad[:10])
        raise ValueError(
            f"Column(s) {_listing(bad)} are not numeric ({kinds}), and {model_name} "
            "takes numbers only. Encode them as numbers first (e.g. one-hot or "
            "ordinal codes) or drop them."
        )
    bools = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    if bools:
        frame = frame.astype({c: np.float64 for c in bools})
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        cols = [c for i, c in enumerate(frame.columns) if np.isinf(values[:, i]).any()]
        raise ValueError(
            f"Column(s) {_listing(cols)} contain infinite values; replace them (for "
            "instance with NaN, where the models accept missing values)."
        )
    return frame


# --------------------------------------------------------------------------------------
# Teachers and distillers
# --------------------------------------------------------------------------------------


def teacher_task(model: Any) -> str:
    """Whether a fitted teacher is a classifier or a regressor.

    Returns
    -------
    task : {"classification", "regression"}
    """
    from interpretkd.teachers import as_teacher

    return "classification" if as_teacher(model).is_classifier else "regression"


def without_teacher(distilled: Any) -> Any:
    """A copy of a fitted distiller that holds its student but not its teacher.

    This is what a student file holds: the readable model with the distiller's
    column names and class labels, and none of the teacher (which may be large,
    unsafe to serialise, or not serialisable at all, like an ONNX session). The
    copy predicts as the distiller does; measuring fidelity needs the teacher back,
    see :func:`with_teacher`.

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller; it is not modified.

    Returns
    -------
    light : DistilledClassifier or DistilledRegressor
        Its ``teacher`` and ``teacher_`` are None.
    """
    import copy

    if not is_fitted_distiller(distilled):
        raise TypeError(
            "without_teacher needs a fitted DistilledClassifier or "
            f"DistilledRegressor, got {type(distilled).__name__}."
        )
    light = copy.copy(distilled)
    light.teacher = None
    light.teacher_ = None
    light.__dict__.pop("_teacher", None)
    return light


def with_teacher(distilled: Any, teacher: Any) -> Any:
    """A copy of a distiller read from a student file, joined again to its teacher.

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller, usually loaded with :func:`load`; it is not modified.
    teacher : object
        The fitted teacher it was distilled from (e.g. from :func:`load_teacher`).

    Returns
    -------
    joined : DistilledClassifier or DistilledRegressor
        Its ``teacher_predict``, ``fidelity`` and reports work again.

    Raises
    ------
    TypeError
        If ``distilled`` is not a fitted distiller, or the teacher's task differs.
    ValueError
        If the teacher's classes or input columns differ from the student's.
    """
    import copy

    if not is_fitted_distiller(distilled):
        raise TypeError(
            f"Expected a student file written by interpretkd (a fitted distiller), got "
            f"a {type(distilled).__name__}."
        )
    is_clf = hasattr(distilled, "classes_")
    if (teacher_task(teacher) == "classification") != is_clf:
        raise TypeError(
            f"The teacher is a {teacher_task(teacher)} model but the student is a "
            f"{'classifier' if is_clf else 'regressor'}; pass the teacher it was "
            "distilled from."
        )
    n_teacher = model_n_features(teacher)
    if n_teacher is not None and n_teacher != distilled.n_features_in_:
        raise ValueError(
            f"The teacher takes {n_teacher} features but the student "
            f"{distilled.n_features_in_}; pass the teacher it was distilled from."
        )
    joined = copy.copy(distilled)
    joined.teacher = teacher
    joined.teacher_ = teacher
    if is_clf:
        classes = np.asarray(distilled.classes_)
        adapter = joined._adapt_teacher(teacher, classes)
        if len(adapter.classes_) != len(classes) or np.any(adapter.classes_ != classes):
            raise ValueError(
                f"The teacher's classes {adapter.classes_!r} differ from the "
                f"student's {classes!r}; pass the teacher it was distilled from."
            )
        joined.classes_ = classes
    else:
        adapter = joined._adapt_teacher(teacher, None)
    joined._teacher = adapter
    return joined
