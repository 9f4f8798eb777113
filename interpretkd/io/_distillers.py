"""A distiller's teacher: its task, and detaching or re-attaching it for files.

The distiller owns how that is done (:meth:`DistilledClassifier.without_teacher`,
:meth:`DistilledClassifier.with_teacher`); these functions add what files need: a
check that a loaded object is a distiller, and the input width of a teacher read
from a file.
"""

from __future__ import annotations

from typing import Any

from interpretkd._validation import is_fitted_distiller
from interpretkd.io._teachers import model_n_features
from interpretkd.teachers import as_teacher


def teacher_task(model: Any) -> str:
    """Whether a fitted teacher is a classifier or a regressor.

    Returns
    -------
    task : {"classification", "regression"}
    """
    return "classification" if as_teacher(model).is_classifier else "regression"


def without_teacher(distilled: Any) -> Any:
    """A copy of a fitted distiller that holds its student but not its teacher.

    This is what a student file holds: the readable model with the distiller's
    column names and class labels, and none of the teacher (which may be large,
    unsafe to serialise, or not serialisable at all, like a torch network or an
    ONNX session). The copy predicts as the distiller does; measuring fidelity
    needs the teacher back, see :func:`with_teacher`. Same as
    ``distilled.without_teacher()``.

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller; it is not modified.

    Returns
    -------
    light : DistilledClassifier or DistilledRegressor
        Its ``teacher`` and ``teacher_`` are None.
    """
    if not is_fitted_distiller(distilled):
        raise TypeError(
            "without_teacher needs a fitted DistilledClassifier or "
            f"DistilledRegressor, got {type(distilled).__name__}."
        )
    return distilled.without_teacher()


def with_teacher(distilled: Any, teacher: Any) -> Any:
    """A copy of a distiller read from a student file, joined again to its teacher.

    Same as ``distilled.with_teacher(teacher)``, with the input width of a teacher
    read from a file checked too.

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
    return distilled.with_teacher(teacher)


def without_teacher_hint(estimator: Any) -> str:
    """For an error on saving ``estimator``: how to save a distiller without its
    teacher (empty for anything else)."""
    if (
        not is_fitted_distiller(estimator)
        or getattr(estimator, "teacher_", None) is None
    ):
        return ""
    return (
        " To save the student without its teacher (which is all predict needs), "
        "save model.without_teacher(): interpretkd.save(model.without_teacher(), "
        "path); join it to the teacher again later with with_teacher(teacher)."
    )
