"""Distillation reports: fidelity, accuracy and size of a distilled model, as a dict,
a DataFrame or a self-contained HTML page.

Modules: ``_report`` (the figures) and ``_html`` (the page).
"""

from interpretkd.report._report import DistillationReport, distillation_report

__all__ = ["DistillationReport", "distillation_report"]
