"""Teacher adapters: one interface over every kind of model that can label data.

A teacher adapter answers, for a batch of rows, the teacher's class probabilities and,
where the model has them, its logits (classification), or its predictions
(regression). Adapters never refit or mutate the model they wrap, they query it in
batches so that labeling a large pool does not hold every intermediate in memory,
and they check what it returns (one row per input row, finite numbers,
probabilities that are distributions) with errors that name the teacher.

Use :func:`as_teacher` to wrap any supported model::

    teacher = as_teacher(fitted_xgb_classifier)
    teacher.predict_proba(X)      # (n_samples, n_classes)
    teacher.predict_logits(X)     # its margins, or None

Temperature and the rest of the soft-target maths live in :mod:`interpretkd.targets`
(``soft_targets(teacher, X, temperature=2.0)``).

Modules: ``_base`` (the interface), one module a family (``_sklearn``,
``_boosters``, ``_torch``, ``_callable``, ``_ensemble``) and ``_dispatch``
(:func:`as_teacher`).
"""

from interpretkd.teachers._base import Teacher
from interpretkd.teachers._boosters import (
    LightGBMBoosterTeacher,
    XGBoostBoosterTeacher,
    booster_task,
)
from interpretkd.teachers._callable import CallableTeacher
from interpretkd.teachers._dispatch import as_teacher
from interpretkd.teachers._ensemble import EnsembleTeacher
from interpretkd.teachers._sklearn import SklearnTeacher
from interpretkd.teachers._torch import TorchTeacher, is_torch_module

__all__ = [
    "Teacher",
    "SklearnTeacher",
    "XGBoostBoosterTeacher",
    "LightGBMBoosterTeacher",
    "TorchTeacher",
    "CallableTeacher",
    "EnsembleTeacher",
    "as_teacher",
    "booster_task",
    "is_torch_module",
]
