"""interpretkd: distill accurate, opaque models into models a person can read."""

from interpretkd._version import __version__
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
from interpretkd.soft_tree import SoftDecisionTreeClassifier, SoftDecisionTreeRegressor
from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor, to_hard_tree
from interpretkd.teachers import as_teacher

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
