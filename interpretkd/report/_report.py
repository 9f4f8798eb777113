"""Distillation reports: fidelity, accuracy and size of a distilled model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

from interpretkd.metrics import fidelity_score, student_complexity
from interpretkd.report._html import _render_html


class DistillationReport:
    """The figures of one distilled model on one dataset.

    Attributes
    ----------
    metrics : dict
        ``fidelity``, ``teacher_score`` and ``student_score`` (accuracy or R², when
        ``y`` was given), ``n_samples``, and the student's size (see
        :func:`~interpretkd.metrics.student_complexity`).
    distilled : estimator
        The fitted distiller the figures describe.
    """

    def __init__(self, distilled, metrics: dict, X=None, y=None):
        self.distilled = distilled
        self.metrics = metrics
        self._X = X
        self._y = y

    def to_dict(self) -> dict:
        """The figures as a plain dict."""
        return dict(self.metrics)

    def to_frame(self) -> pd.DataFrame:
        """The figures as a one-column DataFrame indexed by metric name."""
        return pd.DataFrame({"value": pd.Series(self.metrics, dtype=object)})

    def to_html(
        self,
        path=None,
        *,
        max_depth: int | None = 4,
        shap: bool = True,
        n_background: int = 50,
        max_samples: int = 100,
        title: str | None = None,
        overwrite: bool = False,
    ) -> str:
        """Write the report as one self-contained HTML file.

        The page holds the figures, the student drawn by
        :func:`~interpretkd.export.export_graphviz` (inline SVG) with its text
        rules, the table of teacher-versus-student decisions (classification) or of
        their gaps (regression), and the SHAP comparison of
        :func:`~interpretkd.explain.compare_shap` (inline PNG) when ``shap`` is
        installed.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the file; None only returns the text.
        max_depth : int or None, default=4
            Depth to which the student is drawn; deeper subtrees are shown as stubs.
        shap : bool, default=True
            Include the SHAP comparison (it costs model evaluations; see
            :func:`~interpretkd.explain.compare_shap`).
        n_background, max_samples : int, default=50, 100
            Passed to :func:`~interpretkd.explain.compare_shap`.
        title : str, default=None
            Page title; by default names the teacher and the student.
        overwrite : bool, default=False
            Whether an existing file at ``path`` may be replaced. The file is
            written atomically (see :func:`interpretkd.io.write_bytes`).

        Returns
        -------
        html : str

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is False (checked before rendering).
        """
        if path is not None:
            from interpretkd import io as kd_io

            kd_io.check_output_path(path, overwrite=overwrite)
        text = _render_html(
            self,
            max_depth=max_depth,
            shap=shap,
            n_background=n_background,
            max_samples=max_samples,
            title=title,
        )
        if path is not None:
            kd_io.write_bytes(path, text, overwrite=overwrite)
        return text

    def __getitem__(self, key):
        return self.metrics[key]

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={_fmt(v)}" for k, v in self.metrics.items())
        return f"DistillationReport({body})"


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else repr(v)


def distillation_report(distilled, X, y=None) -> DistillationReport:
    """Measure a fitted distiller on ``X`` (held-out data, ideally).

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
        True labels or values; when given, the teacher's and the student's accuracy
        (classification) or R² (regression) are reported too.

    Returns
    -------
    report : DistillationReport
    """
    if not hasattr(distilled, "student_"):
        raise TypeError(
            f"distillation_report needs a fitted DistilledClassifier or "
            f"DistilledRegressor, got {type(distilled).__name__}. Call fit first."
        )
    is_clf = hasattr(distilled, "classes_")
    metrics: dict = {"task": "classification" if is_clf else "regression"}
    metrics["n_samples"] = int(len(X))
    metrics["fidelity"] = fidelity_score(None, distilled, X)
    if y is not None:
        score = accuracy_score if is_clf else r2_score
        y = np.asarray(y)
        metrics["teacher_score"] = float(score(y, distilled.teacher_predict(X)))
        metrics["student_score"] = float(score(y, distilled.predict(X)))
    for key, value in student_complexity(distilled).items():
        metrics[f"student_{key}"] = value
    return DistillationReport(distilled, metrics, X=X, y=y)
