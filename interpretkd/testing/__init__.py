"""Helpers to keep a distilled model honest in your own test suite.

- :func:`assert_faithful` fails a test with a message that says where a student
  disagrees with its teacher (which classes, which leaves, which rows);
- :func:`make_teacher_problem` makes a small seeded task with a fitted teacher
  (classification or regression, numeric and categorical columns, NaN) for tests that
  run in seconds;
- with interpretkd installed, pytest finds the ``teacher_problem`` fixture (see
  :mod:`interpretkd.testing.pytest_plugin`).
"""

from interpretkd.testing._faithful import assert_faithful
from interpretkd.testing._problems import TeacherProblem, make_teacher_problem

__all__ = ["TeacherProblem", "assert_faithful", "make_teacher_problem"]
