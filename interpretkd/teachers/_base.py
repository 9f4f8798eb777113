"""The teacher interface: batched queries of probabilities, logits or values, each
checked before it is used."""

from __future__ import annotations

import copy

import numpy as np
from scipy.special import softmax

from interpretkd._validation import check_positive_int

DEFAULT_BATCH_SIZE = 65_536
# Rows of class probabilities must sum to one within this tolerance (float32 models
# such as torch networks and XGBoost sum to 1 within about 1e-6).
PROBABILITY_SUM_ATOL = 1e-3


def _as_logits(raw) -> np.ndarray:
    """A model's raw scores as float64 logits of shape (n, n_classes): the one
    margin-to-logit step of every teacher. A binary margin of shape (n,) becomes the
    two columns ``[0, margin]`` (whose softmax is the sigmoid of the margin); 2-D
    scores are already one column a class."""
    out = np.asarray(raw, dtype=np.float64)
    if out.ndim != 1:
        return out
    return np.column_stack([np.zeros_like(out), out])


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
    (regression). What a model returns is checked here, once, before anything uses
    it: one row per input row, finite numbers, and for probabilities rows that are
    distributions (non-negative, summing to one). A failed check raises a
    ``ValueError`` that names the teacher.

    Attributes
    ----------
    model : object
        The wrapped model, used as it is.
    is_classifier : bool
        Whether the teacher outputs class probabilities.
    classes_ : ndarray or None
        The teacher's class labels, in the order of its probability columns; None
        when the model carries none (its labels are then the column indices).
    batch_size : int
        Rows per query.
    progress : bool
        Show a progress bar while querying more than one batch.
    """

    is_classifier: bool = True
    has_logits: bool = False
    progress: bool = False

    def __init__(self, model, *, classes=None, batch_size: int = DEFAULT_BATCH_SIZE):
        self.model = model
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.classes_ = None if classes is None else np.asarray(classes)

    # --- hooks for subclasses -------------------------------------------------
    def _predict_batch_proba(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_logits(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_values(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- public interface -------------------------------------------------------
    @property
    def name(self) -> str:
        """The model's name in messages: a function's name, else its class's."""
        model = self.model
        if callable(model) and hasattr(model, "__name__"):
            return model.__name__
        return type(model).__name__

    def with_classes(self, classes) -> Teacher:
        """A copy of this adapter whose output columns carry the labels ``classes``.

        Parameters
        ----------
        classes : array-like of shape (n_classes,)
            One label per output column, in column order.
        """
        other = copy.copy(self)
        other.classes_ = np.asarray(classes)
        return other

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes); rows sum to one."""
        self._require_classifier("predict_proba")
        proba = self._batched(self._predict_batch_proba, X)
        self._check_width(proba)
        self._check_distributions(proba)
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
                f"{self.name} is a classifier teacher; use predict_proba (or "
                "interpretkd.targets.soft_targets) instead of predict_values."
            )
        return self._batched(self._predict_batch_values, X)

    def predict(self, X) -> np.ndarray:
        """Labels (classification, in ``classes_``) or values (regression)."""
        if not self.is_classifier:
            return self.predict_values(X)
        idx = self.predict_proba(X).argmax(axis=1)
        return idx if self.classes_ is None else self.classes_.take(idx)

    # --- queries and checks -----------------------------------------------------
    def _batched(self, fn, X) -> np.ndarray:
        n = _n_rows(X)
        if n <= self.batch_size:
            return self._checked(fn(X), n)
        starts = range(0, n, self.batch_size)
        if self.progress:
            from interpretkd._progress import progress_bar

            starts = progress_bar(starts, desc="teacher", unit="batch", leave=False)
        parts = []
        for i in starts:
            batch = _take_rows(X, i, i + self.batch_size)
            parts.append(self._checked(fn(batch), _n_rows(batch)))
        return np.concatenate(parts, axis=0)

    def _checked(self, out, n_rows: int) -> np.ndarray:
        """The model's answer for ``n_rows`` rows as floats, if it is one row per
        input row of finite numbers."""
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 0 or out.shape[0] != n_rows:
            got = "a scalar" if out.ndim == 0 else f"{out.shape[0]} rows"
            raise ValueError(
                f"The teacher {self.name} returned {got} for {n_rows} input rows; a "
                "teacher must return one row of outputs per input row."
            )
        if not np.all(np.isfinite(out)):
            bad = ~np.isfinite(out.reshape(n_rows, -1)).all(axis=1)
            raise ValueError(
                f"The teacher {self.name} returned NaN or infinite outputs for "
                f"{int(bad.sum())} of {n_rows} rows (first: row {int(np.argmax(bad))})."
                " Check the rows it was given (missing values it cannot take?) and "
                "the model itself."
            )
        return out

    def _check_distributions(self, proba: np.ndarray) -> None:
        negative = (proba < 0).any(axis=1)
        sums = proba.sum(axis=1)
        off = negative | (np.abs(sums - 1.0) > PROBABILITY_SUM_ATOL)
        if not off.any():
            return
        row = int(np.argmax(off))
        what = (
            f"{int(negative.sum())} rows hold negative values"
            if negative.any()
            else f"{int(off.sum())} rows do not sum to 1"
        )
        raise ValueError(
            f"The teacher {self.name} was read as giving probabilities, but {what} "
            f"(row {row}: {np.round(proba[row, :5], 4).tolist()} sums to "
            f"{sums[row]:.6g}). A teacher must give each row a probability "
            "distribution over the classes; if it returns logits or scores, say so: "
            "as_teacher(model, output='logits')."
        )

    def _require_classifier(self, method: str) -> None:
        if not self.is_classifier:
            raise TypeError(
                f"{self.name} is a regression teacher; {method} needs a classifier. "
                "Use DistilledRegressor for regression teachers."
            )

    def _check_width(self, out: np.ndarray) -> None:
        if out.ndim != 2:
            raise ValueError(
                f"The teacher {self.name} returned an array of shape {out.shape}; a "
                "classifier teacher must give (n_samples, n_classes)."
            )
        if self.classes_ is not None and out.shape[1] != len(self.classes_):
            raise ValueError(
                f"The teacher {self.name} returned {out.shape[1]} class columns but "
                f"{len(self.classes_)} classes were expected ({self.classes_!r})."
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r})"


class DeclaredOutputTeacher(Teacher):
    """A model that says nothing about what it returns, so the caller declares it:
    class probabilities, logits (a one-column output is a binary margin) or
    regression values. Subclasses implement ``_raw(X)``."""

    def __init__(self, model, *, output, classes=None, batch_size=DEFAULT_BATCH_SIZE):
        if output not in ("logits", "probabilities", "values"):
            raise ValueError(
                f"output must be 'logits', 'probabilities' or 'values', got {output!r}."
            )
        super().__init__(model, classes=classes, batch_size=batch_size)
        self.output = output
        self.is_classifier = output != "values"
        self.has_logits = output == "logits"

    def _raw(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_batch_logits(self, X):
        return _as_logits(self._raw(X))

    def _predict_batch_proba(self, X):
        if self.output == "logits":
            return softmax(self._predict_batch_logits(X), axis=1)
        out = np.asarray(self._raw(X), dtype=np.float64)
        if out.ndim == 1 or out.shape[1] == 1:
            # One column: the probability of the positive class.
            out = out.reshape(-1)
            out = np.column_stack([1.0 - out, out])
        return out

    def _predict_batch_values(self, X):
        out = np.asarray(self._raw(X), dtype=np.float64)
        return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out
