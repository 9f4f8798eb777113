"""Raw boosters: ``xgboost.Booster`` and ``lightgbm.Booster``; their margins are
the logits, and their objective says their task.
"""

from __future__ import annotations

import json

import numpy as np
from scipy.special import softmax

from interpretkd.teachers._base import (
    DEFAULT_BATCH_SIZE,
    Teacher,
    _as_logits,
)

_LIGHTGBM_CLASSIFICATION = ("binary", "multiclass", "multiclassova", "cross_entropy")
_LIGHTGBM_REGRESSION = (
    "regression",
    "huber",
    "fair",
    "poisson",
    "quantile",
    "mape",
    "gamma",
    "tweedie",
)


def booster_task(library: str, objective: str) -> str | None:
    """The task a booster's objective trains for.

    Parameters
    ----------
    library : {"xgboost", "lightgbm"}
    objective : str
        The objective's name as the library writes it (``"binary:logistic"``,
        ``"multiclass"``, ``"reg:squarederror"``, ...).

    Returns
    -------
    task : {"classification", "regression"} or None
        None for objectives that are neither (ranking, survival, ...).
    """
    if library == "xgboost":
        if objective.startswith(("binary:", "multi:")):
            return "classification"
        if objective.startswith(("reg:", "count:")):
            return "regression"
        return None
    if library == "lightgbm":
        if objective in _LIGHTGBM_CLASSIFICATION:
            return "classification"
        if objective.startswith(_LIGHTGBM_REGRESSION):
            return "regression"
        return None
    raise ValueError(f"library must be 'xgboost' or 'lightgbm', got {library!r}.")


class _BoosterTeacher(Teacher):
    """What both raw boosters share: the task from the objective unless given
    (an objective that is neither, such as ranking, gives scores read as values),
    labels 0..K-1, the margin as the logits."""

    library: str

    def __init__(self, booster, objective, n_classes, *, task, classes, batch_size):
        self.objective = objective
        if task is None:  # objectives that are neither (ranking): scores as values
            task = booster_task(self.library, objective) or "regression"
        is_clf = task == "classification"
        if is_clf and classes is None:
            classes = np.arange(n_classes)
        super().__init__(booster, classes=classes, batch_size=batch_size)
        self.is_classifier = is_clf
        self.has_logits = is_clf

    def _margin(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_logits(self, X):
        return _as_logits(self._margin(X))

    def _predict_batch_proba(self, X):
        return softmax(self._predict_batch_logits(X), axis=1)


class XGBoostBoosterTeacher(_BoosterTeacher):
    """A raw ``xgboost.Booster``; its margin is used as the logits.

    The task (classification or regression) and the number of classes are read from
    the booster's objective unless ``task`` is given. A booster carries no class
    labels: its columns are the labels 0..K-1 it was trained on, unless ``classes``
    names them.
    """

    library = "xgboost"

    def __init__(
        self, booster, *, task=None, classes=None, batch_size=DEFAULT_BATCH_SIZE
    ):
        learner = json.loads(booster.save_config())["learner"]
        objective = learner["objective"]["name"]
        n_class = int(float(learner["learner_model_param"].get("num_class", "0")))
        n_classes = max(n_class, 2) if objective.startswith("multi:") else 2
        super().__init__(
            booster,
            objective,
            n_classes,
            task=task,
            classes=classes,
            batch_size=batch_size,
        )

    def _dmatrix(self, X):
        import xgboost

        return xgboost.DMatrix(X, enable_categorical=True)

    def _margin(self, X):
        return self.model.predict(self._dmatrix(X), output_margin=True)

    def _predict_batch_values(self, X):
        return self.model.predict(self._dmatrix(X))


class LightGBMBoosterTeacher(_BoosterTeacher):
    """A raw ``lightgbm.Booster``; its raw score is used as the logits.

    Task and labels as for :class:`XGBoostBoosterTeacher`.
    """

    library = "lightgbm"

    def __init__(
        self, booster, *, task=None, classes=None, batch_size=DEFAULT_BATCH_SIZE
    ):
        params = booster.dump_model(num_iteration=0).get("objective", "")
        n_out = booster.num_model_per_iteration()
        super().__init__(
            booster,
            str(params).split(" ")[0],
            2 if n_out == 1 else n_out,
            task=task,
            classes=classes,
            batch_size=batch_size,
        )

    def _margin(self, X):
        return self.model.predict(X, raw_score=True)

    def _predict_batch_values(self, X):
        return self.model.predict(X)
