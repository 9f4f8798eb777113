"""``as_teacher``: the adapter that fits a model."""

from __future__ import annotations

from interpretkd.teachers._base import DEFAULT_BATCH_SIZE, Teacher
from interpretkd.teachers._boosters import LightGBMBoosterTeacher, XGBoostBoosterTeacher
from interpretkd.teachers._callable import CallableTeacher
from interpretkd.teachers._ensemble import EnsembleTeacher
from interpretkd.teachers._sklearn import SklearnTeacher, _unsupported
from interpretkd.teachers._torch import TorchTeacher, is_torch_module


def as_teacher(
    model,
    *,
    classes=None,
    output: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Teacher:
    """Wrap ``model`` in the adapter that fits it.

    Parameters
    ----------
    model : object
        A fitted scikit-learn estimator or Pipeline, an XGBoost or LightGBM model
        (scikit-learn API, ``xgboost.dask`` or raw ``Booster``), a
        ``torch.nn.Module``, a callable, a list of these (their soft targets are
        averaged), or a :class:`Teacher`.
    classes : array-like, default=None
        Class labels of the output columns, in column order: for models that do not
        carry them (raw boosters, torch modules and callables answer column indices
        0..K-1 otherwise), or to rename those of a :class:`Teacher`.
    output : {"logits", "probabilities", "values"}, default=None
        For ``torch.nn.Module`` (default "logits") and callables (default
        "probabilities"): what the model returns.
    batch_size : int, default=65536
        Rows per query of the model.

    Returns
    -------
    teacher : Teacher

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from interpretkd import as_teacher
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = as_teacher(LogisticRegression(max_iter=1000).fit(X, y))
    >>> teacher.predict(X[:2])
    array([0, 0])
    >>> teacher.predict_proba(X[:2]).round(2)
    array([[0.98, 0.02, 0.  ],
           [0.97, 0.03, 0.  ]])
    >>> from interpretkd.targets import soft_targets
    >>> soft_targets(teacher, X[:2], temperature=2.0).round(2)  # softened
    array([[0.88, 0.12, 0.  ],
           [0.85, 0.15, 0.  ]])
    """
    if isinstance(model, Teacher):
        return model if classes is None else model.with_classes(classes)
    if isinstance(model, (list, tuple)):
        return EnsembleTeacher(model, classes=classes, batch_size=batch_size)
    module = type(model).__module__
    if module.startswith("xgboost") and type(model).__name__ == "Booster":
        return XGBoostBoosterTeacher(model, classes=classes, batch_size=batch_size)
    if module.startswith("xgboost.dask") and callable(
        getattr(model, "get_booster", None)
    ):
        # DaskXGBClassifier / DaskXGBRegressor predict Dask collections only: rows in
        # memory (a partition on a worker, a test set) go to their booster, cut at
        # the best iteration as the model's own predict does.
        booster = model.get_booster()
        best = getattr(model, "best_iteration", None)
        if best is not None:
            booster = booster[: int(best) + 1]
        if classes is None:
            classes = getattr(model, "classes_", None)
        return XGBoostBoosterTeacher(booster, classes=classes, batch_size=batch_size)
    if module.startswith("lightgbm") and type(model).__name__ == "Booster":
        return LightGBMBoosterTeacher(model, classes=classes, batch_size=batch_size)
    if is_torch_module(model):
        return TorchTeacher(
            model, output=output or "logits", classes=classes, batch_size=batch_size
        )
    if (
        hasattr(model, "fit")
        or hasattr(model, "predict")
        or hasattr(model, "predict_proba")
    ):
        if output is not None:
            raise ValueError(
                "output applies to torch modules and callables only; a scikit-learn "
                "style model is read through predict_proba / predict."
            )
        return SklearnTeacher(model, classes=classes, batch_size=batch_size)
    if callable(model):
        return CallableTeacher(
            model,
            output=output or "probabilities",
            classes=classes,
            batch_size=batch_size,
        )
    raise _unsupported(model)
