"""The HTML report: figures labelled by the rows they were measured on, the
fidelity-versus-size curve, the tree at full size, trust per leaf and per class,
and SHAP, in one self-contained, printable page.
"""

from __future__ import annotations

import html
import re
import sys
import time
from typing import TYPE_CHECKING

import numpy as np

from interpretkd.report._assets import CSS, SCRIPT

if TYPE_CHECKING:  # the report imports this module
    from interpretkd.report._report import DistillationReport

# Leaves listed before the rest are folded away, largest first.
_LEAVES_SHOWN = 30


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _say(verbose, message: str) -> None:
    if verbose:
        print(f"[report] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# Figures, each labelled with the rows it was measured on
# --------------------------------------------------------------------------------------


def _rows_heading(student_flag) -> str:
    if student_flag is False:
        return "held-out rows"
    if student_flag is True:
        return "training rows"
    return "rows given"


def _rows_notes(metrics: dict) -> list[str]:
    teacher, student = metrics["teacher_trained_on_X"], metrics["student_trained_on_X"]
    where = _rows_heading(student)
    notes = []
    if student is False:
        notes.append(f"The student was not distilled on the {where}.")
    elif student is None:
        notes.append(
            "The report was not told whether the student was distilled on these "
            "rows; if it was, its figures here are optimistic."
        )
    if "teacher_score" in metrics:
        if teacher is True:
            notes.append(
                f"&dagger; The teacher was trained on the {where}: its score there "
                "is measured on its own training data and is optimistic."
            )
        elif teacher is None:
            notes.append(
                "&dagger; The report was not told whether the teacher was trained on "
                f"the {where} (teacher_trained_on_X); if it was, its score there "
                "is optimistic."
            )
        else:
            notes.append(f"The teacher was not trained on the {where} either.")
    if "train_fidelity" in metrics:
        notes.append(
            "Training rows: the rows the student was distilled on (its figures there "
            "show how well it fit, not how it generalises)."
        )
    return notes


def _score_name(metrics: dict) -> str:
    return "accuracy" if metrics["task"] == "classification" else "R²"


def _figures_table(metrics: dict) -> str:
    is_clf = metrics["task"] == "classification"
    columns = [("", _rows_heading(metrics["student_trained_on_X"]))]
    if "train_fidelity" in metrics:
        columns.append(("train_", "training rows"))
    score = _score_name(metrics)
    fidelity = (
        "fidelity (agreement with the teacher)"
        if is_clf
        else "fidelity (R² of the student against the teacher)"
    )
    mark = "" if metrics["teacher_trained_on_X"] is False else " &dagger;"
    rows = [
        ("fidelity", fidelity, ""),
        ("teacher_score", f"teacher {score}", mark),
        ("student_score", f"student {score}", ""),
    ]
    head = "".join(f"<th>{_esc(label)}</th>" for _, label in columns)
    lines = [f'<tr><th class="name"></th>{head}</tr>']
    for key, label, flag in rows:
        if key not in metrics:
            continue
        cells = []
        for prefix, _ in columns:
            value = metrics.get(prefix + key)
            shown = "" if value is None else f"{value:.4f}"
            cells.append(f"<td>{shown}{flag if prefix == '' else ''}</td>")
        lines.append(f'<tr><td class="name">{_esc(label)}</td>{"".join(cells)}</tr>')
    counts = [
        metrics["n_samples"],
        *([metrics["n_train_samples"]] if "train_fidelity" in metrics else []),
    ]
    cells = "".join(f"<td>{n}</td>" for n in counts)
    lines.append(f'<tr><td class="name">rows</td>{cells}</tr>')
    notes = "".join(f'<p class="note">{n}</p>' for n in _rows_notes(metrics))
    return "<table>" + "".join(lines) + "</table>" + notes


def _size_table(metrics: dict) -> str:
    labels = {
        "student_kind": "kind",
        "student_depth": "depth",
        "student_n_leaves": "leaves",
        "student_n_nodes": "nodes",
        "student_n_features_used": "features used",
        "student_n_nonzero_weights": "non-zero weights",
    }
    rows = [
        f'<tr><td class="name">{label}</td><td>{_esc(metrics[key])}</td></tr>'
        for key, label in labels.items()
        if key in metrics
    ]
    return "<table>" + "".join(rows) + "</table>"


# --------------------------------------------------------------------------------------
# The student at full size, in a scrolling frame with zoom buttons
# --------------------------------------------------------------------------------------

_ZOOM = (
    '<div class="zoom no-print">Zoom: '
    '<button type="button" id="zoom-out" aria-label="zoom out">&minus;</button>'
    '<output id="zoom-level">100%</output>'
    '<button type="button" id="zoom-in" aria-label="zoom in">+</button> '
    '<button type="button" id="zoom-reset">full size</button>'
    '<button type="button" id="zoom-fit">fit the width</button></div>'
)


def _full_size(svg: str) -> str:
    """Graphviz's SVG with its size in pixels (1 pt = 4/3 px) kept, not squeezed."""
    svg = svg[svg.index("<svg") :]
    head, rest = svg.split(">", 1)
    sizes = {}
    for attr in ("width", "height"):
        m = re.search(rf'\s{attr}="([\d.]+)(pt|px)?"', head)
        value = float(m.group(1)) if m else 0.0
        if m and m.group(2) != "px":
            value *= 4.0 / 3.0
        sizes[attr] = value
        head = re.sub(rf'\s{attr}="[^"]*"', "", head)
    head += (
        f' width="{sizes["width"]:.1f}px" height="{sizes["height"]:.1f}px"'
        f' data-width="{sizes["width"]:.1f}" data-height="{sizes["height"]:.1f}"'
    )
    return f"{head}>{rest}"


def _tree_section(
    distilled, max_depth, class_names=None, X=None, where="held-out rows"
) -> tuple[str, str]:
    """(the student's picture or a note, text rules)."""
    from interpretkd.export import export_graphviz, export_text

    try:
        # A linear student is one table: show more of its weights than a tree node.
        student = distilled.student_
        final = student.steps[-1][1] if hasattr(student, "steps") else student
        top_k = 10 if hasattr(final, "coef_") else 3
        names = dict(class_names or {}) or None
        rules = export_text(
            distilled, max_depth=max_depth, top_k=top_k, class_names=names
        )
        graph = export_graphviz(
            distilled,
            max_depth=max_depth,
            top_k=top_k,
            class_names=names,
            # Each leaf's badge: the report's rows reaching it, its fidelity.
            leaf_rows=None if hasattr(final, "coef_") else X,
            leaf_rows_name=where,
        )
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
    view = (
        _ZOOM
        + f'<div class="tree-view" id="tree-view">{_full_size(svg)}</div>'
        + '<p class="note print-only">Printed at the page width; open the HTML '
        "file to read the tree at full size.</p>"
    )
    if "(...)" in svg:
        view += (
            '<p class="note">"(...)" marks a subtree not drawn: deeper than depth '
            f"{max_depth}, or reached by very few training rows. The text rules "
            "below give every node.</p>"
        )
    return view, rules


# --------------------------------------------------------------------------------------
# The fidelity-versus-size curve, with this model marked
# --------------------------------------------------------------------------------------


def _figure_svg(fig) -> str:
    import io

    import matplotlib

    buffer = io.StringIO()
    # Text kept as text: smaller, sharp at any zoom, and searchable.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kd"}):
        fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    # The file's metadata (date, creator) means nothing inside a page.
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text[text.index("<svg") :]


def _curve_section(report: DistillationReport) -> str:
    curve = report.curve
    distilled = report.distilled
    # Where this model stands on the curve: its kind and its depth, or its leaf
    # budget for a curve by leaves (FidelityCurve.locate says which).
    mark = curve.locate(distilled.student_)
    frame = curve.to_frame()
    by_leaves = curve.size_by == "leaves"
    if mark is not None:
        name, size = mark
        row = frame[(frame["student"] == name) & (frame["size"] == size)].iloc[0]
        where = f"at most {size} leaves" if by_leaves else f"depth {size}"
        here = (
            f"This model ({name}, {where}) on the curve: held-out fidelity "
            f"{row['fidelity']:.4f} &plusmn; {row['fidelity_se']:.4f}. "
        )
    else:
        what = "leaf budget" if by_leaves else "depth"
        here = (
            f"This model's kind and {what} are not on the curve, so it is not marked. "
        )
    rec = curve.recommended
    folds = (
        f"{curve.n_folds}-fold cross-validation"
        if curve.n_folds > 1
        else "one held-out split"
    )
    text = (
        f"<p>Each point is a student distilled on part of the training rows and "
        f"measured on the rest ({folds}): held-out fidelity, with its standard "
        f"error. {here}Recommended: <b>{_esc(rec['student'])} "
        f"{curve.describe_size(rec['size'])}</b> (held-out fidelity "
        f"{rec['fidelity']:.4f}; best "
        f"{rec['best_fidelity']:.4f}), {_esc(rec['rule'])}.</p>"
    )
    table = frame.to_html(
        index=False, float_format=lambda v: f"{v:.4f}", border=0, classes="curve"
    )
    try:
        picture = f'<div class="curve">{_figure_svg(curve.plot(mark=mark))}</div>'
    except ImportError as exc:
        picture = f'<p class="note">{_esc(exc)}</p>'
        return text + picture + table
    return (
        text
        + picture
        + f"<details><summary>The curve as a table</summary>{table}</details>"
    )


# --------------------------------------------------------------------------------------
# Trust per leaf and per class, and the decisions of both models
# --------------------------------------------------------------------------------------


def _leaf_section(report: DistillationReport) -> str:
    leaves = report.leaves
    where = _rows_heading(report.metrics["student_trained_on_X"])
    is_clf = report.metrics["task"] == "classification"
    ordered = leaves.sort_values("n_rows", ascending=False, kind="stable")
    overall = report.metrics["fidelity"]
    if is_clf:
        head = (
            "<tr><th>leaf (node id)</th><th>rows</th><th>coverage</th>"
            "<th>student decides</th>"
            "<th>fidelity</th><th>95% lower bound</th><th>disagreements</th>"
            "<th>teacher decides instead</th></tr>"
        )
    else:
        head = (
            "<tr><th>leaf (node id)</th><th>rows</th><th>coverage</th>"
            "<th>student (mean)</th>"
            "<th>teacher (mean)</th><th>mean |gap|</th><th>max |gap|</th></tr>"
        )

    def line(leaf, row) -> str:
        cells = [
            f"<td>{int(leaf)}</td>",
            f"<td>{int(row['n_rows'])}</td>",
            f"<td>{100 * row['coverage']:.1f}%</td>",
        ]
        if is_clf:
            tone = "low" if row["fidelity"] < overall else "high"
            instead = row["teacher_instead"]
            instead = None if instead is None or instead != instead else instead
            cells += [
                f"<td>{_esc(row['student'])}</td>",
                f'<td class="{tone}">{row["fidelity"]:.3f}</td>',
                f"<td>{row['fidelity_low']:.3f}</td>",
                f"<td>{int(row['n_disagree'])}</td>",
                f"<td>{'' if instead is None else _esc(instead)}</td>",
            ]
        else:
            cells += [
                f"<td>{row['student']:.4g}</td>",
                f"<td>{row['teacher']:.4g}</td>",
                f"<td>{row['mean_abs_gap']:.4g}</td>",
                f"<td>{row['max_abs_gap']:.4g}</td>",
            ]
        return "<tr>" + "".join(cells) + "</tr>"

    # Records keep each column's type (iterrows would turn labels into floats).
    records = ordered.reset_index().to_dict("records")
    lines = [line(row["leaf"], row) for row in records]
    shown = "<table>" + head + "".join(lines[:_LEAVES_SHOWN]) + "</table>"
    if len(lines) > _LEAVES_SHOWN:
        shown += (
            f"<details><summary>{len(lines) - _LEAVES_SHOWN} smaller leaves"
            f"</summary><table>{head}{''.join(lines[_LEAVES_SHOWN:])}</table>"
            "</details>"
        )
    intro = (
        f"<p>Each leaf of the student, with the {where} that reach it (the "
        "student's own <code>apply</code>; leaves no row reaches are left out), "
        "largest first. "
    )
    if is_clf:
        intro += (
            "Fidelity: the share of those rows on which the teacher decides as the "
            "leaf does; red where it is below the student's fidelity on all the "
            f"{where} ({overall:.3f}). The 95% lower bound (Wilson) says how far a "
            "small leaf's figure can be trusted.</p>"
        )
    else:
        intro += "Gaps: |teacher &minus; student| on those rows.</p>"
    return intro + shown


def _table(frame, value_format) -> str:
    head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
    rows = [f'<tr><th class="name">{_esc(frame.index.name or "")}</th>{head}</tr>']
    for index, row in zip(frame.index, frame.itertuples(index=False)):
        cells = "".join(f"<td>{value_format(v)}</td>" for v in row)
        rows.append(f'<tr><td class="name">{_esc(index)}</td>{cells}</tr>')
    return "<table>" + "".join(rows) + "</table>"


def _decisions_section(report: DistillationReport) -> str:
    distilled, X = report.distilled, report._X
    where = _rows_heading(report.metrics["student_trained_on_X"])
    if report.confusion is None:  # regression: the gaps
        gap = np.abs(
            np.asarray(distilled.teacher_predict(X), dtype=float)
            - np.asarray(distilled.predict(X), dtype=float)
        )
        q = np.quantile(gap, [0.5, 0.9, 0.99, 1.0])
        cells = "".join(f"<td>{v:.4g}</td>" for v in q)
        return (
            f"<p>On the {where}.</p>"
            "<table><tr><th></th><th>median</th><th>90%</th><th>99%</th><th>max</th>"
            f'</tr><tr><td class="name">|teacher &minus; student|</td>{cells}</tr>'
            "</table>"
        )
    counts = report.confusion
    classes = list(counts.index)
    head = "".join(f"<th>{_esc(c)}</th>" for c in classes)
    rows = [f"<tr><th>teacher &darr; / student &rarr;</th>{head}</tr>"]
    values = counts.to_numpy()
    for i, c in enumerate(classes):
        cells = "".join(
            f"<td{' class=agree' if i == j else ''}>{values[i, j]}</td>"
            for j in range(len(classes))
        )
        rows.append(f'<tr><td class="name">{_esc(c)}</td>{cells}</tr>')
    per_class = report.classes.rename(
        columns={
            "n_teacher": "rows the teacher puts here",
            "fidelity": "student agrees (fidelity)",
            "n_student": "rows the student puts here",
            "precision": "teacher agrees (precision)",
        }
    )

    def fmt(v):
        if isinstance(v, float) and not np.isfinite(v):
            return ""
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    return (
        f"<p>On the {where}: rows counted by the class each model decides.</p>"
        + "<table>"
        + "".join(rows)
        + "</table><h3>Per class</h3>"
        + _table(per_class, fmt)
    )


# --------------------------------------------------------------------------------------
# SHAP side by side
# --------------------------------------------------------------------------------------


def _shap_section(distilled, X, n_background, max_samples, verbose) -> str:
    import base64
    import io

    from interpretkd.explain import compare_shap

    n_rows = min(max_samples, len(X))
    n_bg = min(n_background, len(X))
    n_features = getattr(distilled, "n_features_in_", "?")
    _say(
        verbose,
        f"SHAP: explaining {n_rows} rows with both models against "
        f"{n_bg} background rows; a model without a tree "
        f"explainer costs up to 2 x ({n_features} + 1) x {n_bg} model rows "
        "per explained row",
    )
    start = time.perf_counter()
    try:
        cmp = compare_shap(
            distilled, X, n_background=n_background, max_samples=max_samples
        )
    except ImportError as exc:
        return f'<p class="note">{_esc(exc)}</p>'
    except TypeError as exc:  # e.g. non-numeric columns
        return f'<p class="note">SHAP comparison skipped: {_esc(exc)}</p>'
    _say(verbose, f"SHAP: done in {time.perf_counter() - start:.1f} s")
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


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------


def _sample_note(metrics: dict, X) -> list:
    """A note when the tables below count a sample of the rows (a report on a Dask
    collection): the figures above use every row."""
    n_rows = metrics.get("n_samples", len(X))
    if n_rows <= len(X):
        return []
    return [
        f'<p class="note">The tables and pictures below count a uniform sample of '
        f"{len(X)} of the {n_rows} rows; the figures above use every row.</p>"
    ]


def _render_html(
    report: DistillationReport,
    *,
    max_depth: int | None = 6,
    shap: bool = True,
    n_background: int = 50,
    max_samples: int = 100,
    title: str | None = None,
    verbose: int = 0,
) -> str:
    """Body of :meth:`DistillationReport.to_html`."""
    if report._X is None:
        raise ValueError(
            "This report was built without its rows X; create it with "
            "distillation_report(distilled, X, y) to render HTML."
        )
    from interpretkd._version import __version__

    distilled, X = report.distilled, report._X
    metrics = report.metrics
    teacher = type(distilled.teacher_).__name__
    student = type(distilled.student_).__name__
    title = title or f"Distilling {teacher} into {student}"
    where = _rows_heading(metrics["student_trained_on_X"])
    svg, rules = _tree_section(distilled, max_depth, report.class_names, X, where)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        "<h2>Figures</h2>",
        _figures_table(metrics),
        *_sample_note(metrics, X),
        "<h3>Size of the student</h3>",
        _size_table(metrics),
    ]
    if report.curve is not None:
        parts += ["<h2>Choosing the size</h2>", _curve_section(report)]
    parts += ["<h2>The student</h2>", svg]
    if rules:
        parts.append(
            f"<details><summary>Text rules</summary><pre>{_esc(rules)}</pre></details>"
        )
    if report.leaves is not None:
        parts += [
            f"<h2>Where the student can be trusted: its leaves on the {where}</h2>",
            _leaf_section(report),
        ]
    heading = (
        "Decisions of teacher and student"
        if metrics["task"] == "classification"
        else "Gap between teacher and student"
    )
    parts += [f"<h2>{heading}</h2>", _decisions_section(report)]
    if shap:
        parts += [
            f"<h2>Why they decide: SHAP side by side, on the {where}</h2>",
            _shap_section(distilled, X, n_background, max_samples, verbose),
        ]
    parts += [
        f'<p class="note">Written by interpretkd {_esc(__version__)}.</p>',
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
