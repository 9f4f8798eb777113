"""Several teachers whose soft targets (or predictions) are averaged."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from interpretkd.teachers._base import Teacher


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
        # as_teacher dispatches to this class: imported here to break the cycle.
        from interpretkd.teachers._dispatch import as_teacher

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
