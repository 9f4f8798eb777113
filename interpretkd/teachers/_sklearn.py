"""Teachers with a scikit-learn API: sklearn estimators and Pipelines, and XGBoost
or LightGBM models through their sklearn wrappers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import softmax
from sklearn.base import is_classifier, is_regressor

from interpretkd.teachers._base import (
    DEFAULT_BATCH_SIZE,
    Teacher,
    _as_logits,
)


class SklearnTeacher(Teacher):
    """A fitted scikit-learn estimator, Pipeline, or XGBoost/LightGBM sklearn model.

    Classifier probabilities come from ``predict_proba``, else from a softmax (or
    sigmoid) of ``decision_function``, else from one-hot ``predict``. Logits come from
    the model's raw margin where it has one (XGBoost ``output_margin``, LightGBM
    ``raw_score``, scikit-learn gradient boosting's ``decision_function``).
    """

    def __init__(self, model, *, classes=None, batch_size=DEFAULT_BATCH_SIZE):
        is_clf = _looks_like_classifier(model)
        if classes is None and is_clf:
            classes = getattr(model, "classes_", None)
        super().__init__(model, classes=classes, batch_size=batch_size)
        self.is_classifier = is_clf
        module = type(model).__module__
        self._kind = (
            "xgboost"
            if module.startswith("xgboost")
            else "lightgbm"
            if module.startswith("lightgbm")
            else "sklearn"
        )
        if not is_clf:
            if not hasattr(model, "predict"):
                raise _unsupported(model)
            return
        if self._kind in ("xgboost", "lightgbm"):
            self.has_logits = True
        elif _is_boosting_with_logits(model):
            self.has_logits = True
        if not any(
            hasattr(model, m) for m in ("predict_proba", "decision_function", "predict")
        ):
            raise _unsupported(model)

    def _predict_batch_proba(self, X):
        model = self.model
        if hasattr(model, "predict_proba"):
            return model.predict_proba(X)
        if hasattr(model, "decision_function"):
            return softmax(_as_logits(model.decision_function(X)), axis=1)
        labels = np.asarray(model.predict(X))
        if self.classes_ is None:
            raise ValueError(
                f"{type(model).__name__} has only predict and no classes_; pass the "
                "classes explicitly (as_teacher(model, classes=...))."
            )
        onehot = (labels[:, None] == self.classes_[None, :]).astype(np.float64)
        return onehot

    def _predict_batch_logits(self, X):
        model = self.model
        if self._kind == "xgboost":
            margin = model.predict(X, output_margin=True)
        elif self._kind == "lightgbm":
            margin = model.predict(X, raw_score=True)
        else:
            margin = model.decision_function(X)
        return _as_logits(margin)

    def _predict_batch_values(self, X):
        return self.model.predict(X)


def _looks_like_classifier(model) -> bool:
    if is_classifier(model):
        return True
    if is_regressor(model):
        return False
    return hasattr(model, "predict_proba") or hasattr(model, "classes_")


def _is_boosting_with_logits(model) -> bool:
    name = type(model).__name__
    return name in (
        "GradientBoostingClassifier",
        "HistGradientBoostingClassifier",
    ) and hasattr(model, "decision_function")


def _unsupported(model) -> TypeError:
    return TypeError(
        f"Cannot use {type(model).__name__} as a teacher: it has none of "
        "predict_proba, decision_function or predict. Pass a fitted scikit-learn, "
        "XGBoost or LightGBM model, a torch.nn.Module, a callable, or a list of these."
    )
