"""Raw boosters: ``xgboost.Booster`` and ``lightgbm.Booster``; their margins are
the logits.
"""

from __future__ import annotations

import json

import numpy as np
from scipy.special import softmax

from interpretkd.teachers._base import (
    DEFAULT_BATCH_SIZE,
    Teacher,
    _binary_margin_to_logits,
)


class XGBoostBoosterTeacher(Teacher):
    """A raw ``xgboost.Booster``; its margin is used as the logits.

    The task (classification or regression) and the number of classes are read from
    the booster's objective.
    """

    def __init__(self, booster, *, classes=None, batch_size=DEFAULT_BATCH_SIZE):
        config = json.loads(booster.save_config())
        learner = config["learner"]
        objective = learner["objective"]["name"]
        self.objective = objective
        n_class = int(float(learner["learner_model_param"].get("num_class", "0")))
        is_clf = objective.startswith(("binary:", "multi:"))
        if is_clf:
            n_classes = max(n_class, 2) if objective.startswith("multi:") else 2
            if classes is None:
                classes = np.arange(n_classes)
        super().__init__(booster, classes=classes, batch_size=batch_size)
        self.is_classifier = is_clf
        self.has_logits = is_clf

    def _dmatrix(self, X):
        import xgboost

        return xgboost.DMatrix(X, enable_categorical=True)

    def _predict_batch_logits(self, X):
        margin = self.model.predict(self._dmatrix(X), output_margin=True)
        margin = np.asarray(margin, dtype=np.float64)
        if margin.ndim == 1:
            margin = _binary_margin_to_logits(margin)
        return margin

    def _predict_batch_proba(self, X):
        return softmax(self._predict_batch_logits(X), axis=1)

    def _predict_batch_values(self, X):
        return self.model.predict(self._dmatrix(X))


class LightGBMBoosterTeacher(Teacher):
    """A raw ``lightgbm.Booster``; its raw score is used as the logits."""

    def __init__(self, booster, *, classes=None, batch_size=DEFAULT_BATCH_SIZE):
        params = booster.dump_model(num_iteration=0).get("objective", "")
        objective = str(params).split(" ")[0]
        self.objective = objective
        is_clf = objective in ("binary", "multiclass", "multiclassova", "cross_entropy")
        if is_clf and classes is None:
            n_out = booster.num_model_per_iteration()
            classes = np.arange(2 if n_out == 1 else n_out)
        super().__init__(booster, classes=classes, batch_size=batch_size)
        self.is_classifier = is_clf
        self.has_logits = is_clf

    def _predict_batch_logits(self, X):
        margin = np.asarray(self.model.predict(X, raw_score=True), dtype=np.float64)
        if margin.ndim == 1:
            margin = _binary_margin_to_logits(margin)
        return margin

    def _predict_batch_proba(self, X):
        return softmax(self._predict_batch_logits(X), axis=1)

    def _predict_batch_values(self, X):
        return self.model.predict(X)
