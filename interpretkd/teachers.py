"""Teacher adapters: one interface over every kind of model that can label data.

A teacher adapter answers, for a batch of rows, the teacher's class probabilities and,
where the model has them, its logits (classification), or its predictions
(regression). Adapters never refit or mutate the model they wrap, and they query it in
batches so that labeling a large pool does not hold every intermediate in memory.

Use :func:`as_teacher` to wrap any supported model::

    teacher = as_teacher(fitted_xgb_classifier)
    teacher.predict_proba(X)      # (n_samples, n_classes)
    teacher.soft_targets(X, temperature=2.0)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import softmax
from sklearn.base import is_classifier, is_regressor

from interpretkd._validation import check_positive_int, check_temperature

__all__ = [
    "Teacher",
    "SklearnTeacher",
    "XGBoostBoosterTeacher",
    "LightGBMBoosterTeacher",
    "TorchTeacher",
    "CallableTeacher",
    "EnsembleTeacher",
    "as_teacher",
    "tempered_softmax",
]

DEFAULT_BATCH_SIZE = 65_536
_EPS = 1e-12


def tempered_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature`` along the last axis (numerically stable)."""
    return softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1)


def _binary_margin_to_logits(margin: np.ndarray) -> np.ndarray:
    """Turn a binary margin of shape (n,) into two-column logits ``[0, margin]``."""
    margin = np.asarray(margin, dtype=np.float64).reshape(-1)
    return np.column_stack([np.zeros_like(margin), margin])


def _n_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _take_rows(X, start: int, stop: int):
    if hasattr(X, "iloc"):
        return X.iloc[start:stop]
    return X[start:stop]


class Teacher:
    """Base class of teacher adapters.

    Subclasses implement ``_predict_batch_proba`` and optionally
    ``_predict_batch_logits`` (classification), or ``_predict_batch_values``
    (regression).

    Attributes
    ----------
    model : object
        The wrapped model, used as it is.
    is_classifier : bool
        Whether the teacher outputs class probabilities.
    classes_ : ndarray or None
        The teacher's class labels, in the order of its probability columns.
    batch_size : int
        Rows per query.
    """

    is_classifier: bool = True

    def __init__(self, model, *, classes=None, batch_size: int = DEFAULT_BATCH_SIZE):
        self.model = model
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.classes_ = None if classes is None else np.asarray(classes)

    # --- hooks for subclasses -------------------------------------------------
    has_logits: bool = False

    def _predict_batch_proba(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_logits(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_values(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- public interface -------------------------------------------------------
    #: Show a progress bar while querying more than one batch.
    progress: bool = False

    def _batched(self, fn, X) -> np.ndarray:
        n = _n_rows(X)
        if n <= self.batch_size:
            return np.asarray(fn(X), dtype=np.float64)
        starts = range(0, n, self.batch_size)
        if self.progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="teacher", unit="batch", leave=False)
        parts = [
            np.asarray(fn(_take_rows(X, i, i + self.batch_size)), dtype=np.float64)
            for i in starts
        ]
        return np.concatenate(parts, axis=0)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        self._require_classifier("predict_proba")
        proba = self._batched(self._predict_batch_proba, X)
        self._check_width(proba)
        return proba

    def predict_logits(self, X) -> np.ndarray | None:
        """Logits of shape (n_samples, n_classes), or None when the model has none."""
        self._require_classifier("predict_logits")
        if not self.has_logits:
            return None
        logits = self._batched(self._predict_batch_logits, X)
        self._check_width(logits)
        return logits

    def predict_values(self, X) -> np.ndarray:
        """Regression predictions, shape (n_samples,) or (n_samples, n_outputs)."""
        if self.is_classifier:
            raise TypeError(
                f"{type(self.model).__name__} is a classifier teacher; use "
                "predict_proba or soft_targets instead of predict_values."
            )
        return self._batched(self._predict_batch_values, X)

    def predict(self, X) -> np.ndarray:
        """Labels (classification, in ``classes_``) or values (regression)."""
        if not self.is_classifier:
            return self.predict_values(X)
        proba = self.predict_proba(X)
        idx = proba.argmax(axis=1)
        return idx if self.classes_ is None else self.classes_.take(idx)

    def soft_targets(self, X, temperature: float = 1.0) -> np.ndarray:
        """Class probabilities softened by ``temperature`` (Hinton et al., 2015).

        With logits ``z`` the targets are ``softmax(z / T)``. Without logits the
        log-probabilities stand in for them: ``softmax(log(p) / T)``, which is ``p``
        itself at ``T = 1`` and is the same as the logit form for any model whose
        probabilities are a softmax of its logits.
        """
        temperature = check_temperature(temperature)
        logits = self.predict_logits(X)
        if logits is None:
            proba = self.predict_proba(X)
            if temperature == 1.0:
                return proba / proba.sum(axis=1, keepdims=True)
            logits = np.log(np.clip(proba, _EPS, None))
        return tempered_softmax(logits, temperature)

    # --- helpers ----------------------------------------------------------------
    @property
    def n_classes(self) -> int | None:
        return None if self.classes_ is None else len(self.classes_)

    def _require_classifier(self, method: str) -> None:
        if not self.is_classifier:
            raise TypeError(
                f"{type(self.model).__name__} is a regression teacher; {method} needs "
                "a classifier. Use DistilledRegressor for regression teachers."
            )

    def _check_width(self, out: np.ndarray) -> None:
        if out.ndim != 2:
            raise ValueError(
                f"Teacher {type(self.model).__name__} returned an array of shape "
                f"{out.shape}; a classifier teacher must give (n_samples, n_classes)."
            )
        if self.classes_ is not None and out.shape[1] != len(self.classes_):
            raise ValueError(
                f"Teacher {type(self.model).__name__} returned {out.shape[1]} class "
                f"columns but {len(self.classes_)} classes were expected "
                f"({self.classes_!r})."
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r})"


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
            scores = np.asarray(model.decision_function(X), dtype=np.float64)
            if scores.ndim == 1:
                scores = _binary_margin_to_logits(scores)
            return softmax(scores, axis=1)
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
        margin = np.asarray(margin, dtype=np.float64)
        if margin.ndim == 1:
            margin = _binary_margin_to_logits(margin)
        return margin

    def _predict_batch_values(self, X):
        return self.model.predict(X)


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


class TorchTeacher(Teacher):
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
        Class labels for the output columns (defaults to the distiller's classes).
    """

    def __init__(
        self, model, *, output="logits", classes=None, batch_size=DEFAULT_BATCH_SIZE
    ):
        if output not in ("logits", "probabilities", "values"):
            raise ValueError(
                f"output must be 'logits', 'probabilities' or 'values', got {output!r}."
            )
        super().__init__(model, classes=classes, batch_size=batch_size)
        self.output = output
        self.is_classifier = output != "values"
        self.has_logits = output == "logits"

    def _forward(self, X) -> np.ndarray:
        import torch

        model = self.model
        try:
            param = next(model.parameters())
            device, dtype = param.device, param.dtype
        except StopIteration:
            device, dtype = torch.device("cpu"), torch.float32
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                xt = torch.as_tensor(np.asarray(X), dtype=dtype, device=device)
                out = model(xt)
        finally:
            model.train(was_training)
        return out.detach().to("cpu", torch.float64).numpy()

    def _predict_batch_logits(self, X):
        out = self._forward(X)
        return _binary_margin_to_logits(out) if out.ndim == 1 else out

    def _predict_batch_proba(self, X):
        if self.output == "logits":
            return softmax(self._predict_batch_logits(X), axis=1)
        return self._forward(X)

    def _predict_batch_values(self, X):
        out = self._forward(X)
        return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out


class CallableTeacher(Teacher):
    """A plain function of X, declared as returning probabilities, logits or values.

    Parameters
    ----------
    fn : callable
        ``fn(X) -> array``.
    output : {"probabilities", "logits", "values"}, default="probabilities"
    classes : array-like, default=None
        Class labels for the output columns (defaults to the distiller's classes).
    """

    def __init__(
        self,
        fn: Callable,
        *,
        output: str = "probabilities",
        classes=None,
        batch_size=DEFAULT_BATCH_SIZE,
    ):
        if output not in ("logits", "probabilities", "values"):
            raise ValueError(
                f"output must be 'probabilities', 'logits' or 'values', got {output!r}."
            )
        super().__init__(fn, classes=classes, batch_size=batch_size)
        self.output = output
        self.is_classifier = output != "values"
        self.has_logits = output == "logits"

    def _call(self, X):
        return np.asarray(self.model(X), dtype=np.float64)

    def _predict_batch_logits(self, X):
        out = self._call(X)
        return _binary_margin_to_logits(out) if out.ndim == 1 else out

    def _predict_batch_proba(self, X):
        if self.output == "logits":
            return softmax(self._predict_batch_logits(X), axis=1)
        out = self._call(X)
        if out.ndim == 1:
            # One column: the probability of the positive class.
            out = np.column_stack([1.0 - out, out])
        return out

    def _predict_batch_values(self, X):
        return self._call(X)


class EnsembleTeacher(Teacher):
    """Several teachers whose soft targets are averaged.

    Each member's targets are computed at the requested temperature (from its own
    logits or log-probabilities) and the resulting distributions are averaged with
    equal weight (or ``weights``). That is the arithmetic mean of tempered
    distributions, not a softmax of averaged logits, so members whose logits live on
    different scales (a boosted ensemble's margin, a network's logits) contribute
    comparably. Regression members' predictions are averaged the same way.
    """

    def __init__(
        self, teachers: Sequence, *, weights=None, classes=None, batch_size=None
    ):
        if len(teachers) == 0:
            raise ValueError("An ensemble of teachers needs at least one teacher.")
        members = [
            t if isinstance(t, Teacher) else as_teacher(t, classes=classes)
            for t in teachers
        ]
        kinds = {m.is_classifier for m in members}
        if len(kinds) != 1:
            raise ValueError(
                "All teachers in a list must be of one kind: all classifiers or "
                "all regressors."
            )
        if classes is None:
            classes = members[0].classes_
        batch = batch_size or min(m.batch_size for m in members)
        super().__init__(list(teachers), classes=classes, batch_size=batch)
        self.members = members
        self.is_classifier = kinds.pop()
        if self.is_classifier:
            for m in members:
                if m.classes_ is not None and classes is not None:
                    if len(m.classes_) != len(classes) or np.any(m.classes_ != classes):
                        raise ValueError(
                            "All teachers in a list must share one class order; got "
                            f"{m.classes_!r} and {np.asarray(classes)!r}."
                        )
        w = np.ones(len(members)) if weights is None else np.asarray(weights, float)
        if w.shape != (len(members),) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                "weights must be one non-negative number per teacher, not all zero."
            )
        self.weights = w / w.sum()

    def predict_proba(self, X):
        return self.soft_targets(X, 1.0)

    def predict_logits(self, X):
        return None

    def soft_targets(self, X, temperature: float = 1.0) -> np.ndarray:
        self._require_classifier("soft_targets")
        out = None
        for w, m in zip(self.weights, self.members):
            t = w * m.soft_targets(X, temperature)
            out = t if out is None else out + t
        return out

    def predict_values(self, X):
        if self.is_classifier:
            return super().predict_values(X)
        return sum(w * m.predict_values(X) for w, m in zip(self.weights, self.members))


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
        (scikit-learn API or raw ``Booster``), a ``torch.nn.Module``, a callable, a
        list of these (their soft targets are averaged), or a :class:`Teacher`.
    classes : array-like, default=None
        Class labels of the output columns, for models that do not carry them.
    output : {"logits", "probabilities", "values"}, default=None
        For ``torch.nn.Module`` (default "logits") and callables (default
        "probabilities"): what the model returns.
    batch_size : int, default=65536
        Rows per query of the model.

    Returns
    -------
    teacher : Teacher
    """
    if isinstance(model, Teacher):
        return model
    if isinstance(model, (list, tuple)):
        return EnsembleTeacher(model, classes=classes, batch_size=batch_size)
    module = type(model).__module__
    if module.startswith("xgboost") and type(model).__name__ == "Booster":
        return XGBoostBoosterTeacher(model, classes=classes, batch_size=batch_size)
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


def is_torch_module(model) -> bool:
    """Whether ``model`` is a ``torch.nn.Module`` (checked without importing torch)."""
    for cls in type(model).__mro__:
        if cls.__module__ == "torch.nn.modules.module" and cls.__name__ == "Module":
            return True
    return False
