"""interpretkd: distill accurate, opaque models into models a person can read."""

from __future__ import annotations

import importlib

from interpretkd._version import __version__

# Each public name and the module that defines it. Names are imported on first use:
# `import interpretkd.cli` (the console script) then starts without torch and
# scikit-learn, and the script can answer Ctrl-C while they load.
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
}

__all__ = ["__version__", *sorted(_PUBLIC)]


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
