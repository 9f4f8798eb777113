"""Teachers from the files their own libraries write: XGBoost, LightGBM, skops,
ONNX, and torch or pickle files only when trusted; what a model expects as input.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interpretkd.io._boosters import load_lightgbm, load_xgboost
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
from interpretkd.io._onnx import load_onnx
from interpretkd.io._torch import load_torch, torch_teacher

# --------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------


def detect_format(path: str | os.PathLike) -> str:
    """Name the kind of model file at ``path``.

    The content decides where it can: a zip archive is a skops file or a torch one
    (``torch.save``, ``torch.jit.save``) by what it holds, ``tree`` starts a LightGBM
    model, pickle opcodes a pickle, JSON and UBJSON an XGBoost model; ONNX, which has
    no signature, is recognised by its ``.onnx`` suffix.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    kind : {"xgboost-json", "xgboost-ubj", "lightgbm", "skops", "onnx", "torch", \
            "torchscript", "pickle"}

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
        joblib file or a torch module saved with ``torch.save`` or
        ``torch.jit.save``. The kind is read from the file's content (and, for ONNX
        and pickles, from its suffix), never from its name alone.
    trust_pickle : bool, default=False
        Allow pickle and joblib files and whole torch modules. Loading them runs
        the code they hold: only set this for files whose origin you trust. A torch
        file that holds only weights (a state dict) is refused either way, since a
        network cannot be rebuilt from its weights alone.
    task : {"classification", "regression"}, default=None
        The teacher's task. By default it is read from the model (an XGBoost or
        LightGBM objective, a scikit-learn estimator's type, an ONNX graph's
        outputs, ``predict_proba`` on a plain object). When given, it decides
        wherever the file leaves room: an ONNX graph's unnamed outputs, a ranking
        objective (distilled as scores with ``task="regression"``), a torch
        module's output (logits, or values for regression), a plain object's
        methods. It is an error only against a task the model states itself (an
        objective, a scikit-learn estimator type, an ONNX output of class
        probabilities).
    trusted : sequence of str, default=None
        Type names to trust in a skops file beyond those skops trusts itself.

    Returns
    -------
    teacher : object
        A fitted model usable as a teacher: ``xgboost.XGBClassifier`` /
        ``XGBRegressor`` for XGBoost files (``classes_`` as saved, else
        ``0 .. n_classes - 1``), a teacher adapter from :mod:`interpretkd.teachers`
        for LightGBM, ONNX and torch files and for plain objects with
        ``predict_proba`` / ``predict``, the estimator itself for scikit-learn style
        estimators in skops and pickle files.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFormatError
        If the file is of no supported kind, corrupt, or its task cannot be read.
    UntrustedFileError
        If the file is a pickle or a whole torch module and ``trust_pickle`` is
        False, or a skops file with untrusted types.
    ImportError
        If the file needs an optional package that is not installed (LightGBM,
        onnxruntime).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
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
        return load_xgboost(path, task)
    if kind == "lightgbm":
        return load_lightgbm(path, task)
    if kind == "onnx":
        return load_onnx(path, task)
    if kind in ("torch", "torchscript"):
        return load_torch(path, kind, trust_pickle, task)
    if kind == "pickle":
        model = _load_pickle(path, trust_pickle)
    else:
        model = _load_skops(path, trusted, "teacher")
    return _as_teacher_model(path, model, task)


def _is_sklearn_estimator(model: Any) -> bool:
    from sklearn.utils import get_tags

    try:
        get_tags(model)
    except Exception:  # no __sklearn_tags__: not a scikit-learn style estimator
        return False
    return True


def _as_teacher_model(path: Path, model: Any, task: str | None) -> Any:
    """The model a skops or pickle file holds, as something the distillers take.

    scikit-learn style estimators, boosters and teacher adapters are returned as
    they are, a torch module in a :class:`~interpretkd.teachers.TorchTeacher`, and a
    plain object with ``predict_proba`` / ``predict`` as a callable teacher of that
    method (scikit-learn cannot tell what such an object is).
    """
    from sklearn.base import is_classifier, is_regressor

    from interpretkd.teachers import CallableTeacher, Teacher, is_torch_module

    name = type(model).__name__
    if isinstance(model, Teacher) or name == "Booster":
        return model
    if is_torch_module(model):
        return torch_teacher(model, task)
    if _is_sklearn_estimator(model):
        if task == "classification" and is_regressor(model):
            raise ValueError(f"{path} holds a regressor but task='classification'.")
        if task == "regression" and is_classifier(model):
            raise ValueError(f"{path} holds a classifier but task='regression'.")
        return model
    has_proba = callable(getattr(model, "predict_proba", None))
    has_predict = callable(getattr(model, "predict", None))
    what = (
        "A teacher must be a fitted scikit-learn style estimator, or an object whose "
        "predict_proba(X) returns class probabilities (a classifier) or whose "
        "predict(X) returns numbers (a regressor, with task='regression')."
    )
    if not (has_proba or has_predict):
        raise ModelFormatError(
            f"{path} holds a {name}, not a fitted model: it has neither predict_proba "
            f"nor predict. {what}"
        )
    if task is None and not has_proba:
        raise ModelFormatError(
            f"{path} holds a {name} with predict but no predict_proba, so it cannot "
            "be told whether it predicts classes or values. If predict returns "
            f"values, pass task='regression' (--task regression). {what}"
        )
    if task == "regression":
        if not has_predict:
            raise ModelFormatError(
                f"{path} holds a {name} with predict_proba but no predict; a "
                f"regression teacher needs predict. {what}"
            )
        return CallableTeacher(model.predict, output="values")
    if not has_proba:
        raise ModelFormatError(
            f"{path} holds a {name} with predict but no predict_proba; a classifier "
            f"teacher must give class probabilities. {what}"
        )
    return CallableTeacher(
        model.predict_proba,
        output="probabilities",
        classes=getattr(model, "classes_", None),
    )


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
    # An adapter's model; for a callable teacher of a method, the method's object.
    inner = getattr(model, "model", None)
    inner = getattr(inner, "__self__", inner)
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
    # An adapter's model; for a callable teacher of a method, the method's object.
    inner = getattr(model, "model", None)
    inner = getattr(inner, "__self__", inner)
    if inner is not None and inner is not model and _is_own_type(module):
        return model_n_features(inner)
    return None
