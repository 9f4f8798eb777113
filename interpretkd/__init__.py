"""interpretkd: distill accurate, opaque models into models a person can read."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from interpretkd._version import __version__

# Each public name and the module that defines it. Names are imported on first use:
# `import interpretkd.cli` (the console script) then starts without torch and
# scikit-learn, and the script can answer Ctrl-C while they load. A new public name
# goes in __all__, here, and in the TYPE_CHECKING imports at the end (what
# documentation tools and type checkers read).
_PUBLIC = {
    "ActiveSampler": "interpretkd.augment",
    "Munge": "interpretkd.augment",
    "NoiseSampler": "interpretkd.augment",
    "DistilledClassifier": "interpretkd.distill",
    "DistilledRegressor": "interpretkd.distill",
    "ShapComparison": "interpretkd.explain",
    "compare_shap": "interpretkd.explain",
    "export_graphviz": "interpretkd.export",
    "export_json": "interpretkd.export",
    "export_text": "interpretkd.export",
    "prediction_path": "interpretkd.export",
    "to_dict": "interpretkd.export",
    "ImageEdgeFeatures": "interpretkd.features",
    "load": "interpretkd.io",
    "load_teacher": "interpretkd.io",
    "save": "interpretkd.io",
    "fidelity_score": "interpretkd.metrics",
    "student_complexity": "interpretkd.metrics",
    "DistillationReport": "interpretkd.report",
    "distillation_report": "interpretkd.report",
    "FidelityCurve": "interpretkd.selection",
    "fidelity_curve": "interpretkd.selection",
    "leaf_fidelity": "interpretkd.selection",
    "SoftDecisionTreeClassifier": "interpretkd.soft_tree",
    "SoftDecisionTreeRegressor": "interpretkd.soft_tree",
    "TAOTreeClassifier": "interpretkd.tao",
    "TAOTreeRegressor": "interpretkd.tao",
    "to_hard_tree": "interpretkd.tao",
    "as_teacher": "interpretkd.teachers",
}
_SUBPACKAGES = {
    "augment",
    "cli",
    "distill",
    "explain",
    "export",
    "features",
    "io",
    "metrics",
    "report",
    "selection",
    "soft_tree",
    "tao",
    "targets",
    "teachers",
    "testing",
}

__all__ = [
    "__version__",
    "ActiveSampler",
    "DistillationReport",
    "DistilledClassifier",
    "DistilledRegressor",
    "FidelityCurve",
    "ImageEdgeFeatures",
    "Munge",
    "NoiseSampler",
    "ShapComparison",
    "SoftDecisionTreeClassifier",
    "SoftDecisionTreeRegressor",
    "TAOTreeClassifier",
    "TAOTreeRegressor",
    "as_teacher",
    "compare_shap",
    "distillation_report",
    "export_graphviz",
    "export_json",
    "export_text",
    "fidelity_curve",
    "fidelity_score",
    "leaf_fidelity",
    "load",
    "load_teacher",
    "prediction_path",
    "save",
    "student_complexity",
    "to_dict",
    "to_hard_tree",
]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | _SUBPACKAGES)


if TYPE_CHECKING:  # what static tools (documentation, type checkers) read
    from interpretkd.augment import ActiveSampler, Munge, NoiseSampler
    from interpretkd.distill import DistilledClassifier, DistilledRegressor
    from interpretkd.explain import ShapComparison, compare_shap
    from interpretkd.export import (
        export_graphviz,
        export_json,
        export_text,
        prediction_path,
        to_dict,
    )
    from interpretkd.features import ImageEdgeFeatures
    from interpretkd.io import load, load_teacher, save
    from interpretkd.metrics import fidelity_score, student_complexity
    from interpretkd.report import DistillationReport, distillation_report
    from interpretkd.selection import FidelityCurve, fidelity_curve, leaf_fidelity
    from interpretkd.soft_tree import (
        SoftDecisionTreeClassifier,
        SoftDecisionTreeRegressor,
    )
    from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor, to_hard_tree
    from interpretkd.teachers import as_teacher
