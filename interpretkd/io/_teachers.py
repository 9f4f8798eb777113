"""Teachers from the files their own libraries write: XGBoost, LightGBM, skops,
ONNX, and pickle only when trusted; what a model expects as input.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interpretkd.io._common import (
    _LIGHTGBM_DEFAULT_NAME,
    _TASKS,
    TEACHER_FORMATS,
    ModelFormatError,
    UntrustedFileError,
    _is_own_type,
    _load_skops,
    _require_file,
    _sniff,
    _sniff_kind,
)
from interpretkd.teachers import LightGBMBoosterTeacher, booster_task

# --------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------


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
    task = _resolve_task(path, objective, booster_task("xgboost", objective), task)
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

    header = _lightgbm_header(path)
    try:
        booster = lightgbm.Booster(model_file=str(path))
    except lightgbm.basic.LightGBMError as exc:
        raise ModelFormatError(
            f"{path} could not be read as a LightGBM model ({exc}). Expected a text "
            "model written by Booster.save_model."
        ) from exc
    objective = header.get("objective", "").split(" ")[0]
    inferred = booster_task("lightgbm", objective)
    task = _resolve_task(path, objective or "<none>", inferred, task)
    return LightGBMBoosterTeacher(booster, task=task)


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

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> import tempfile
    >>> from pathlib import Path
    >>> from xgboost import XGBClassifier
    >>> from interpretkd import load_teacher
    >>> path = Path(tempfile.mkdtemp()) / "teacher.json"
    >>> XGBClassifier(n_estimators=5, max_depth=2).fit(X, y).save_model(path)
    >>> teacher = load_teacher(path)
    >>> type(teacher).__name__, teacher.predict(X.iloc[[0, 100]])
    ('XGBClassifier', array([0, 2]))
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
