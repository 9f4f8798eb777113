"""The teacher interface: batched queries, probabilities, logits, soft targets."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from interpretkd._validation import check_positive_int, check_temperature

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
            from interpretkd._progress import progress_bar

            starts = progress_bar(starts, desc="teacher", unit="batch", leave=False)
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
