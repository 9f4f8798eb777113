"""Choosing a student and knowing where to trust it.

:func:`fidelity_curve` measures held-out fidelity against size for several kinds of
student, and recommends the smallest one that is nearly as faithful as the best.
:func:`leaf_fidelity`, :func:`class_fidelity`, :func:`decision_confusion` and
:func:`disagreements` say where a fitted student decides as its teacher does: per
leaf (through the student's own ``apply``), per class, and row by row.

Modules: ``_curve`` (fidelity against size), ``_result`` (its table, recommendation
and plot), ``_kinds`` (the named kinds of student) and ``_regions`` (trust per
region).
"""

from interpretkd.selection._curve import FidelityCurve, fidelity_curve
from interpretkd.selection._kinds import STUDENT_KINDS, student_kind
from interpretkd.selection._regions import (
    class_fidelity,
    decision_confusion,
    disagreements,
    leaf_fidelity,
    student_leaves,
)

__all__ = [
    "STUDENT_KINDS",
    "FidelityCurve",
    "class_fidelity",
    "decision_confusion",
    "disagreements",
    "fidelity_curve",
    "leaf_fidelity",
    "student_kind",
    "student_leaves",
]
