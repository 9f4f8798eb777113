"""Helpers to keep a distilled model honest in your own test suite.

- :func:`assert_faithful` fails a test with a message that says where a student
  disagrees with its teacher (which classes, which leaves, which rows);
- :func:`make_teacher_problem` makes a small seeded task with a fitted teacher
  (classification or regression, numeric and categorical columns, NaN) for tests that
  run in seconds;
- with interpretkd installed, pytest finds the ``teacher_problem`` fixture (see
  :mod:`interpretkd.testing.pytest_plugin`).

The names are imported on first use, as in the package itself: pytest imports
:mod:`interpretkd.testing.pytest_plugin` (and so this package) at the start of every
test session where interpretkd is installed, and that must not cost the session
scikit-learn's import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_PUBLIC = {
    "TeacherProblem": "interpretkd.testing._problems",
    "assert_faithful": "interpretkd.testing._faithful",
    "make_teacher_problem": "interpretkd.testing._problems",
}

__all__ = ["TeacherProblem", "assert_faithful", "make_teacher_problem"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


if TYPE_CHECKING:  # what static tools (documentation, type checkers) read
    from interpretkd.testing._faithful import assert_faithful
    from interpretkd.testing._problems import TeacherProblem, make_teacher_problem
