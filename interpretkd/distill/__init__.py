"""Distillers: train an interpretable student on a teacher's soft targets.

:class:`DistilledClassifier` and :class:`DistilledRegressor` are scikit-learn
meta-estimators. ``fit`` lets the teacher label the training rows, any unlabeled rows
and, optionally, synthetic rows, and trains the student on those targets. How a
student learns soft targets is decided here and nowhere else (the *soft-label
protocol*):

1. a student that declares ``accepts_soft_targets = True`` (a class attribute; see
   :func:`accepts_soft_targets`) gets the 2-D array of class probabilities as ``y``;
2. else, a student whose ``fit`` takes ``sample_weight`` gets each row once per class,
   weighted by that class's probability (classes below ``expansion_threshold`` are
   dropped and the rest renormalised), which trains an ordinary
   ``DecisionTreeClassifier`` or ``LogisticRegression`` on the soft labels exactly;
3. else, the student gets the teacher's most probable class, with a warning.

Either way the fitted ``student_`` predicts the class labels and, when X had column
names, carries them as ``feature_names_in_``;
:meth:`~DistilledClassifier.transform_for_student` gives the rows it takes.
:meth:`~DistilledClassifier.without_teacher` and
:meth:`~DistilledClassifier.with_teacher` detach and re-attach the teacher (to save a
student whose teacher cannot be saved).

Modules: ``_classes`` (the two distillers), ``_base`` (what they share) and
``_protocol`` (the soft-label protocol).
"""

from interpretkd.distill._classes import DistilledClassifier, DistilledRegressor
from interpretkd.distill._protocol import (
    SoftLabelWarning,
    accepts_soft_targets,
    expand_soft_targets,
    fit_on_soft_targets,
    soft_label_mode,
)

__all__ = [
    "DistilledClassifier",
    "DistilledRegressor",
    "SoftLabelWarning",
    "accepts_soft_targets",
    "soft_label_mode",
    "fit_on_soft_targets",
    "expand_soft_targets",
]
