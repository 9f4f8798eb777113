"""Turn a fitted student into something a person reads: Graphviz, text rules, JSON.

Everything here accepts interpretkd's soft and oblique trees (heap-numbered, see
CONTRIBUTING.md), scikit-learn decision trees, linear models, and any of these as the
``student_`` of a fitted distiller or as the last step of a fitted ``Pipeline``.
Building DOT text needs no binary; only rendering it (``Source.render``) needs ``dot``.

Modules: ``_view`` (a common view of any student), ``_graphviz``, ``_text``,
``_json``, ``_path`` (one prediction's path) and ``_format`` (shared formatting).
"""

from interpretkd.export._graphviz import export_graphviz
from interpretkd.export._json import export_json, to_dict
from interpretkd.export._path import PredictionPath, prediction_path
from interpretkd.export._text import export_text

__all__ = [
    "export_graphviz",
    "export_text",
    "export_json",
    "to_dict",
    "prediction_path",
    "PredictionPath",
]
