"""The HTML report: the figures, the tree, the agreement table and SHAP, in one
self-contained page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the report imports this module
    from interpretkd.report._report import DistillationReport


# --------------------------------------------------------------------------------------
# HTML: the figures, the student's picture and the SHAP comparison in one file
# --------------------------------------------------------------------------------------

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; } td.name { text-align: left; }
td.agree { background: #dcefdc; font-weight: bold; }
.figure { overflow-x: auto; border: 1px solid #eee; padding: 0.5em; }
.note { color: #666; font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
"""

_LABELS = {
    "fidelity": "fidelity (agreement with the teacher)",
    "teacher_score": "teacher score",
    "student_score": "student score",
    "n_samples": "rows evaluated",
}


def _esc(text) -> str:
    import html

    return html.escape(str(text), quote=True)


def _metrics_table(metrics: dict) -> str:
    rows = []
    for key, value in metrics.items():
        label = _LABELS.get(key, key.replace("_", " "))
        shown = f"{value:.4f}" if isinstance(value, float) else value
        rows.append(
            f'<tr><td class="name">{_esc(label)}</td><td>{_esc(shown)}</td></tr>'
        )
    return "<table>" + "".join(rows) + "</table>"


def _tree_svg(distilled, max_depth) -> tuple[str, str]:
    """(inline SVG or a note, text rules) of the distiller's student."""
    from interpretkd.export import export_graphviz, export_text

    try:
        # A linear student is one table: show more of its weights than a tree node.
        student = distilled.student_
        final = student.steps[-1][1] if hasattr(student, "steps") else student
        top_k = 10 if hasattr(final, "coef_") else 3
        rules = export_text(distilled, max_depth=max_depth, top_k=top_k)
        graph = export_graphviz(distilled, max_depth=max_depth, top_k=top_k)
    except TypeError as exc:  # a student export cannot draw
        return f'<p class="note">{_esc(exc)}</p>', ""
    try:
        svg = graph.pipe(format="svg").decode("utf-8")
    except Exception as exc:  # graphviz.ExecutableNotFound when `dot` is missing
        note = (
            "The picture needs the Graphviz <code>dot</code> binary "
            f"(apt-get install graphviz / brew install graphviz): {_esc(exc)}"
        )
        return f'<p class="note">{note}</p>', rules
    svg = svg[svg.index("<svg") :]
    # Shrink to the page when wider: keep the width, let the viewBox set the height.
    head, rest = svg.split(">", 1)
    head = re.sub(r'\sheight="[^"]*"', "", head)
    return f'{head} style="max-width:100%;height:auto">{rest}', rules


def _agreement_table(distilled, X) -> str:
    teacher = np.asarray(distilled.teacher_predict(X))
    student = np.asarray(distilled.predict(X))
    if not hasattr(distilled, "classes_"):
        gap = np.abs(teacher - student)
        q = np.quantile(gap, [0.5, 0.9, 0.99, 1.0])
        cells = "".join(f"<td>{v:.4g}</td>" for v in q)
        return (
            "<table><tr><th></th><th>median</th><th>90%</th><th>99%</th><th>max</th>"
            f'</tr><tr><td class="name">|teacher &minus; student|</td>{cells}</tr>'
            "</table>"
        )
    classes = list(distilled.classes_)
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, ([index[c] for c in teacher], [index[c] for c in student]), 1)
    head = "".join(f"<th>{_esc(c)}</th>" for c in classes)
    rows = [f"<tr><th>teacher &darr; / student &rarr;</th>{head}</tr>"]
    for i, c in enumerate(classes):
        cells = "".join(
            f"<td{' class=agree' if i == j else ''}>{counts[i, j]}</td>"
            for j in range(len(classes))
        )
        rows.append(f'<tr><td class="name">{_esc(c)}</td>{cells}</tr>')
    return "<table>" + "".join(rows) + "</table>"


def _shap_section(distilled, X, n_background, max_samples) -> str:
    import base64
    import io

    from interpretkd.explain import compare_shap

    try:
        cmp = compare_shap(
            distilled, X, n_background=n_background, max_samples=max_samples
        )
    except ImportError as exc:
        return f'<p class="note">{_esc(exc)}</p>'
    except TypeError as exc:  # e.g. non-numeric columns
        return f'<p class="note">SHAP comparison skipped: {_esc(exc)}</p>'
    fig = cmp.plot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    summary = cmp.summary()
    facts = (
        f"Spearman rank correlation of global importances: "
        f"{summary['rank_correlation']:.3f}; mean per-row cosine similarity: "
        f"{summary['mean_sample_agreement']:.3f}; same top feature on "
        f"{100 * summary['top_feature_agreement']:.1f}% of rows "
        f"({summary['n_samples']} rows, {summary['n_background']} background rows; "
        f"explainers: {summary['teacher_explainer']} / "
        f"{summary['student_explainer']})."
    )
    return (
        f"<p>{_esc(facts)}</p>"
        f'<img alt="SHAP importances of teacher and student" '
        f'src="data:image/png;base64,{data}">'
    )


def _render_html(
    report: DistillationReport,
    *,
    max_depth: int | None = 4,
    shap: bool = True,
    n_background: int = 50,
    max_samples: int = 100,
    title: str | None = None,
) -> str:
    """Body of :meth:`DistillationReport.to_html`."""
    if report._X is None:
        raise ValueError(
            "This report was built without its rows X; create it with "
            "distillation_report(distilled, X, y) to render HTML."
        )
    distilled, X = report.distilled, report._X
    teacher = type(distilled.teacher_).__name__
    student = type(distilled.student_).__name__
    title = title or f"Distilling {teacher} into {student}"
    svg, rules = _tree_svg(distilled, max_depth)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        "<h2>Figures</h2>",
        _metrics_table(report.metrics),
        "<h2>The student</h2>",
        f'<div class="figure">{svg}</div>',
    ]
    if max_depth is not None and "(...)" in svg:
        parts.append(
            f'<p class="note">Drawn to depth {max_depth}; "(...)" marks a deeper '
            "subtree.</p>"
        )
    if rules:
        parts.append(
            f"<details><summary>Text rules</summary><pre>{_esc(rules)}</pre></details>"
        )
    heading = (
        "Decisions of teacher and student"
        if hasattr(distilled, "classes_")
        else "Gap between teacher and student"
    )
    parts += [f"<h2>{heading}</h2>", _agreement_table(distilled, X)]
    if shap:
        parts += [
            "<h2>Why they decide: SHAP side by side</h2>",
            _shap_section(distilled, X, n_background, max_samples),
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
