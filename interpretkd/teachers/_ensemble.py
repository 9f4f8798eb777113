"""Several teachers whose soft targets (or predictions) are averaged."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from interpretkd.teachers._base import Teacher


class EnsembleTeacher(Teacher):
    """Several teachers whose outputs are averaged.

    Probabilities (and regression predictions) are the members' own, averaged with
    equal weight (or ``weights``) by :meth:`average`.
    :func:`interpretkd.targets.soft_targets` tempers each member's distribution
    (from its own logits or log-probabilities) before averaging them the same way:
    the arithmetic mean of tempered distributions, not a softmax of averaged
    logits, so members whose logits live on different scales (a boosted ensemble's
    margin, a network's logits) contribute comparably.
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

    @property
    def name(self) -> str:
        return "[" + ", ".join(m.name for m in self.members) + "]"

    def predict_proba(self, X):
        """The members' probabilities averaged with ``weights``."""
        self._require_classifier("predict_proba")
        return self.average([m.predict_proba(X) for m in self.members])

    def predict_logits(self, X):
        """None: an average of distributions has no logits of its own."""
        self._require_classifier("predict_logits")
        return None

    def predict_values(self, X):
        """The members' predictions averaged with ``weights``."""
        if self.is_classifier:
            return super().predict_values(X)
        return self.average([m.predict_values(X) for m in self.members])

    def average(self, outputs) -> np.ndarray:
        """Average one output per member (probabilities, tempered targets or
        values) with ``weights``: how this ensemble combines its teachers."""
        return np.average(np.stack(outputs), axis=0, weights=self.weights)
