"""A distiller's teacher: its task, and detaching or re-attaching it for files."""

from __future__ import annotations

from typing import Any

import numpy as np

from interpretkd._validation import is_fitted_distiller
from interpretkd.io._teachers import model_n_features

# --------------------------------------------------------------------------------------
# Teachers and distillers
# --------------------------------------------------------------------------------------


def teacher_task(model: Any) -> str:
    """Whether a fitted teacher is a classifier or a regressor.

    Returns
    -------
    task : {"classification", "regression"}
    """
    from interpretkd.teachers import as_teacher

    return "classification" if as_teacher(model).is_classifier else "regression"


def without_teacher(distilled: Any) -> Any:
    """A copy of a fitted distiller that holds its student but not its teacher.

    This is what a student file holds: the readable model with the distiller's
    column names and class labels, and none of the teacher (which may be large,
    unsafe to serialise, or not serialisable at all, like an ONNX session). The
    copy predicts as the distiller does; measuring fidelity needs the teacher back,
    see :func:`with_teacher`.

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller; it is not modified.

    Returns
    -------
    light : DistilledClassifier or DistilledRegressor
        Its ``teacher`` and ``teacher_`` are None.
    """
    import copy

    if not is_fitted_distiller(distilled):
        raise TypeError(
            "without_teacher needs a fitted DistilledClassifier or "
            f"DistilledRegressor, got {type(distilled).__name__}."
        )
    light = copy.copy(distilled)
    light.teacher = None
    light.teacher_ = None
    light.__dict__.pop("_teacher", None)
    return light


def with_teacher(distilled: Any, teacher: Any) -> Any:
    """A copy of a distiller read from a student file, joined again to its teacher.

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller, usually loaded with :func:`load`; it is not modified.
    teacher : object
        The fitted teacher it was distilled from (e.g. from :func:`load_teacher`).

    Returns
    -------
    joined : DistilledClassifier or DistilledRegressor
        Its ``teacher_predict``, ``fidelity`` and reports work again.

    Raises
    ------
    TypeError
        If ``distilled`` is not a fitted distiller, or the teacher's task differs.
    ValueError
        If the teacher's classes or input columns differ from the student's.
    """
    import copy

    if not is_fitted_distiller(distilled):
        raise TypeError(
            f"Expected a student file written by interpretkd (a fitted distiller), got "
            f"a {type(distilled).__name__}."
        )
    is_clf = hasattr(distilled, "classes_")
    if (teacher_task(teacher) == "classification") != is_clf:
        raise TypeError(
            f"The teacher is a {teacher_task(teacher)} model but the student is a "
            f"{'classifier' if is_clf else 'regressor'}; pass the teacher it was "
            "distilled from."
        )
    n_teacher = model_n_features(teacher)
    if n_teacher is not None and n_teacher != distilled.n_features_in_:
        raise ValueError(
            f"The teacher takes {n_teacher} features but the student "
            f"{distilled.n_features_in_}; pass the teacher it was distilled from."
        )
    joined = copy.copy(distilled)
    joined.teacher = teacher
    joined.teacher_ = teacher
    if is_clf:
        classes = np.asarray(distilled.classes_)
        adapter = joined._adapt_teacher(teacher, classes)
        if len(adapter.classes_) != len(classes) or np.any(adapter.classes_ != classes):
            raise ValueError(
                f"The teacher's classes {adapter.classes_!r} differ from the "
                f"student's {classes!r}; pass the teacher it was distilled from."
            )
        joined.classes_ = classes
    else:
        adapter = joined._adapt_teacher(teacher, None)
    joined._teacher = adapter
    return joined
