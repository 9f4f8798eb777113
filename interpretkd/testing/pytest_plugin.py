"""pytest fixtures for tests of distilled models, registered as a pytest plugin.

Installing interpretkd registers this module through the ``pytest11`` entry point,
so any test can ask for ``teacher_problem``::

    from interpretkd import DistilledClassifier
    from interpretkd.testing import assert_faithful


    def test_my_student_is_faithful(teacher_problem):
        p = teacher_problem
        model = DistilledClassifier(p.teacher, my_student()).fit(p.X_train, p.y_train)
        assert_faithful(model, None, p.X_test, min_fidelity=0.8)

Choose the problem with indirect parametrisation: a task name, or a dict of
:func:`~interpretkd.testing.make_teacher_problem` arguments::

    @pytest.mark.parametrize(
        "teacher_problem",
        ["classification", "regression", {"n_categorical": 2, "missing_rate": 0.1}],
        indirect=True,
    )
    def test_student(teacher_problem): ...

Disable the plugin with ``pytest -p no:interpretkd``.
"""

from __future__ import annotations

import dataclasses

import pytest

_PROBLEMS: dict = {}


@pytest.fixture
def teacher_problem(request):
    """A :class:`~interpretkd.testing.TeacherProblem`: rows, targets, fitted teacher.

    Classification with three classes by default; parametrise it indirectly with a
    task name or a dict of ``make_teacher_problem`` arguments. Problems are made once
    per test session and each test gets its own copy of the rows; the fitted teacher
    is shared, so do not refit it.
    """
    from interpretkd.testing import make_teacher_problem

    param = getattr(request, "param", "classification")
    if isinstance(param, str):
        kwargs = {"task": param}
    elif isinstance(param, dict):
        kwargs = dict(param)
    else:
        raise TypeError(
            "Parametrise teacher_problem with a task name ('classification' or "
            f"'regression') or a dict of make_teacher_problem arguments, got {param!r}."
        )
    key = tuple(sorted(kwargs.items()))
    if key not in _PROBLEMS:
        _PROBLEMS[key] = make_teacher_problem(**kwargs)
    problem = _PROBLEMS[key]
    return dataclasses.replace(
        problem,
        X_train=problem.X_train.copy(),
        y_train=problem.y_train.copy(),
        X_test=problem.X_test.copy(),
        y_test=problem.y_test.copy(),
    )
