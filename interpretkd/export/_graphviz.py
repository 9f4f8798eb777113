"""Graphviz export: DOT source of a student, optionally with one sample's path."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from interpretkd.export._format import (
    _HIGHLIGHT,
    ROUTING_HEADERS,
    _check_depth,
    _check_precision,
    _check_share,
    _check_top_k,
    _cut,
    _esc,
    _lhs_terms,
    _node_fill,
    _num,
    _sig,
    _split,
    _threshold_test,
    _top_terms,
    _visible_nodes,
    _weight_colour,
)
from interpretkd.export._path import _follow, _one_row
from interpretkd.export._text import (
    _axis_condition,
    _category_side,
    _condition,
    _oblique_category_side,
)
from interpretkd.export._view import _resolve

# --------------------------------------------------------------------------------------
# Graphviz
# --------------------------------------------------------------------------------------


def _share_text(view, node) -> str:
    if view.samples is not None:
        text = f"samples = {int(view.samples[node])}"
        if (
            view.share is not None
            and abs(view.share[node] * view.samples[0] - view.samples[node]) > 0.5
        ):
            text += f" ({100 * view.share[node]:.1f}%)"
        return text
    if view.share is not None:
        return f"share = {100 * view.share[node]:.1f}%"
    return ""


def _value_rows(view, node, precision) -> list[str]:
    value = view.value[node]
    if np.isnan(value).any():
        return []
    if not view.is_classifier:
        if len(value) == 1:
            return [f"value = {_num(value[0], precision)}"]
        return ["value = [" + ", ".join(_num(v, precision) for v in value) + "]"]
    k = int(np.argmax(value))
    rows = [f"<B>{_esc(view.class_names[k])}</B> ({_num(value[k], precision)})"]
    if len(value) > 2:
        order = np.argsort(-value, kind="stable")[1:3]
        others = ", ".join(
            f"{_esc(view.class_names[i])} {_num(value[i], precision)}"
            for i in order
            if value[i] > 0
        )
        if others:
            rows.append(f'<FONT POINT-SIZE="8">{others}</FONT>')
    return rows


def _filter_table(w: np.ndarray, image_shape, cell: int) -> str:
    """A node's weights as a grid of coloured cells (red > 0, blue < 0); callers
    pass them times the feature spread where the estimator gives it."""
    magnitude = np.abs(w)
    # Saturate the few largest weights (e.g. of near-constant pixels, whose raw
    # weights are large) so that the rest of the filter stays visible.
    scale = float(np.quantile(magnitude, 0.9)) if w.size else 0.0
    if scale <= 0:
        scale = float(magnitude.max(initial=0.0))
    grid = np.clip(w.reshape(image_shape), -scale, scale)
    rows = []
    for r in range(image_shape[0]):
        cells = "".join(
            f'<TD BGCOLOR="{_weight_colour(v, scale)}" WIDTH="{cell}" '
            f'HEIGHT="{cell}" CELLPADDING="0" BORDER="0"></TD>'
            for v in grid[r]
        )
        rows.append(f"<TR>{cells}</TR>")
    return (
        '<TABLE BORDER="1" COLOR="#999999" CELLBORDER="0" CELLSPACING="0" '
        'CELLPADDING="0">' + "".join(rows) + "</TABLE>"
    )


def _html_label(rows: list[str], extra: str = "") -> str:
    cells = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    if extra:
        cells += f"<TR><TD>{extra}</TD></TR>"
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{cells}</TABLE>>'


_HTML_OPS = {"<=": "&le;", ">=": "&ge;", "<": "&lt;", ">": "&gt;"}


def _html_test(test: str) -> str:
    """``"<= 0.1358"`` as a label's HTML: ``&le; 0.1358``."""
    op, value = test.split(" ", 1)
    return f"{_HTML_OPS[op]} {value}"


def _inner_rows(view, node, precision, top_k) -> list[str]:
    if view.kind == "axis":
        if _category_side(view, node, True) is not None:
            return [_esc(_axis_condition(view, node, True, precision))]
        f = int(view.feature[node])
        test = _threshold_test(view.threshold[node], precision, go_left=True)
        return [f"{_esc(view.feature_names[f])} {_html_test(test)}"]
    head = f"node {node}"
    if _oblique_category_side(view, node, True) is not None:
        return [f"<B>{head}</B>", _esc(_condition(view, node, True, precision, top_k))]
    split = _split(view, node, precision, top_k)
    if split is None:  # the bias alone decides
        if not view.exact_rules:
            p_right = 1.0 / (1.0 + np.exp(-view.beta[node] * view.bias[node]))
            return [f"<B>{head}</B>", f"P(right) = {_num(p_right, precision)}"]
        side = "right" if view.bias[node] * view.beta[node] > 0 else "left"
        return [f"<B>{head}</B>", f"every sample goes {side}"]
    rows = [f"<B>{head}</B>"]
    terms = _lhs_terms(view, split, precision)
    small = terms.pop() if split.hidden else ""
    for k, (i, term) in enumerate(zip(split.shown, terms)):
        colour = "#b2182b" if split.coef[i] > 0 else "#2166ac"
        if k:  # the sign in the term's colour
            term = f'<FONT COLOR="{colour}">{term[0]}</FONT>{_esc(term[1:])}'
        else:
            term = _esc(term)
        rows.append(term)
    if small:
        rows.append(f'<FONT POINT-SIZE="8">{_esc(small)}</FONT>')
    t = _cut(split.threshold, precision)
    if view.exact_rules:  # the left branch's test: yes / no on the edges
        test = _threshold_test(
            split.threshold, precision, True, split.flipped, exact=split.one_term
        )
        rows.append(_html_test(test))
    else:
        k = _sig(split.steepness, max(precision, 1))
        sum_ = f"{t} &minus; sum" if split.flipped else f"sum &minus; {t}"
        rows.append(f"P(right) = &sigma;({k} &times; ({sum_}))")
    return rows


def export_graphviz(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    max_depth: int | None = None,
    top_k: int | None = 3,
    highlight=None,
    image_shape: tuple[int, int] | None = None,
    precision: int = 3,
    min_share: float | None = None,
    filled: bool = True,
    rotate: bool = False,
    out_file: str | None = None,
    leaf_rows=None,
    leaf_rows_name: str = "held-out rows",
):
    """Draw a fitted student as a Graphviz graph.

    Axis-aligned trees show each split (``worst radius <= 16.8``, yes to the left),
    the training rows reaching the node and its majority class, coloured by class.
    Oblique and soft trees show each split as an inequality in the data's units,
    one term a line, led by the strongest term with coefficient 1 (see
    :func:`export_text`, Notes, for which terms are written); a hard split's
    test is the left branch's (yes / no on the edges), a soft node's is its
    probability of going right, ``sigma(k × (sum - threshold))``. Each edge of an
    oblique tree shows the share of training data routed along it; leaves show
    their id (as ``apply`` gives it) and class distribution or value. A soft
    tree's drawing starts with a caption that says how it routes a sample (its
    ``prediction``). A linear student is drawn as one table of its largest
    weights.

    Parameters
    ----------
    estimator : fitted estimator
        A ``SoftDecisionTreeClassifier``/``Regressor``, an oblique or axis-aligned
        ``TAOTree*``, a scikit-learn ``DecisionTreeClassifier``/``Regressor``, a linear
        model with ``coef_``, a fitted distiller (its ``student_`` is drawn with the
        distiller's feature and class names) or a ``Pipeline`` ending in one of these.
    feature_names : list of str, default=None
        Names of the student's input features. Defaults to the names the estimator was
        fitted with, else ``x[i]``.
    class_names : list of str or dict, default=None
        Names of the classes, in the order of ``classes_``, or a dict from class
        label to name (``{0: "malignant", 1: "benign"}``; labels it leaves out
        keep their own name). Defaults to the names the model keeps in a
        ``class_names_`` attribute (one per label of its ``classes_``: a student
        file written by ``interpretkd distill --class-names`` holds them), else to
        the labels themselves, ``classes_`` (the distiller's, when given a
        distiller).
    max_depth : int, default=None
        Draw nodes down to this depth only; deeper subtrees become a ``(...)`` stub.
        The path of ``highlight`` is always drawn in full.
    top_k : int or None, default=3
        Terms shown per oblique split (or linear model), largest ``|weight|`` first
        — for estimators with ``feature_scale_`` (soft and TAO trees), largest
        ``|weight| * feature_scale_``, so a feature that barely varies cannot top
        the list with a huge raw weight; the rest are counted
        (``+ 27 smaller terms``). None shows every term that matters at
        ``precision``.
    highlight : array-like of shape (n_features,), default=None
        One sample whose path is drawn in red: the path the student's own
        ``decision_path`` reports (for a soft tree, the one its ``prediction`` mode
        takes), with the probability of each step for soft trees. For a linear
        student the table gains the sample's values and each feature's
        contribution.
    image_shape : tuple of int, default=None
        For image inputs, e.g. ``(28, 28)``: each oblique split also shows its weights
        as a small picture (red positive, blue negative), as in Frosst & Hinton (2017);
        with ``feature_scale_`` each pixel's weight is multiplied by its spread, so
        near-constant border pixels do not swamp the picture.
    precision : int, default=3
        Digits after the decimal point of thresholds and probabilities; significant
        digits of an oblique split's coefficients.
    min_share : float, default=None
        Subtrees receiving less than this share of the training data are collapsed
        into a ``(...)`` stub; leaves are always drawn. None: 0.001 for soft and
        oblique trees (whose soft routing leaves many near-empty branches) and 0
        (draw everything) for axis-aligned trees.
    filled : bool, default=True
        Colour nodes by majority class (classification) or by value (regression).
    rotate : bool, default=False
        Draw left to right instead of top to bottom.
    out_file : str, default=None
        Also write the DOT text to this path.
    leaf_rows : array-like of shape (n_samples, n_features), default=None
        Rows to measure each leaf on — held-out rows, ideally. Each leaf gets a
        badge: how many of these rows reach it (the model's ``decision_path``,
        so the leaf is the one ``apply`` names) and their share, and, when
        ``estimator`` is a fitted distiller of a classifier, its fidelity on them
        (the share on which the teacher decides as the leaf does). The leaf's
        border is green where that fidelity is at least the student's fidelity on
        all the rows, red where it is below; a leaf no row reaches is grey.
    leaf_rows_name : str, default="held-out rows"
        What the rows are, as the badges say it (e.g. "training rows").

    Returns
    -------
    graph : graphviz.Source
        The DOT text (``graph.source``); ``graph.render(format="svg")`` or
        ``graph.pipe(format="png")`` draws it with the ``dot`` binary.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> graph = export_graphviz(tree, class_names=["setosa", "versicolor", "virginica"])
    >>> "petal" in graph.source
    True
    """
    import graphviz

    view = _resolve(estimator, feature_names, class_names).in_data_units()
    max_depth = _check_depth(max_depth)
    top_k = _check_top_k(top_k)
    precision = _check_precision(precision)
    min_share = _check_share(min_share, view)
    if image_shape is not None:
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) != 2 or int(np.prod(image_shape)) != view.n_features:
            raise ValueError(
                f"image_shape {image_shape} does not hold the student's "
                f"{view.n_features} features; pass (height, width) with "
                "height * width == n_features."
            )
        if view.kind != "oblique":
            raise ValueError(
                "image_shape draws the weights of oblique splits; this student has "
                f"{view.kind} splits. Leave image_shape at None."
            )

    lines = [
        "digraph Tree {",
        'graph [fontname="Helvetica", ranksep=0.35, nodesep=0.2'
        + (', rankdir="LR"' if rotate else "")
        + "];",
        'node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
        'color="#555555", fontname="Helvetica", fontsize=10, margin="0.08,0.04"];',
        'edge [fontname="Helvetica", fontsize=9, color="#555555", arrowsize=0.6];',
    ]
    if view.routing in ROUTING_HEADERS:
        # How a soft tree routes a sample, above the drawing.
        text = '<BR ALIGN="LEFT"/>'.join(
            _esc(line) for line in textwrap.wrap(ROUTING_HEADERS[view.routing], 70)
        )
        lines.append(
            f'graph [label=<{text}<BR ALIGN="LEFT"/>>, labelloc="t", '
            'labeljust="l", fontsize=9];'
        )
    badges = None
    if leaf_rows is not None:
        if view.kind == "linear":
            raise ValueError(
                "leaf_rows measures the leaves of a tree; a linear student has "
                "none. Leave leaf_rows at None."
            )
        badges = _leaf_badges(view, estimator, leaf_rows, leaf_rows_name)
    if view.kind == "linear":
        lines.extend(_linear_dot(view, top_k, precision, highlight))
    else:
        lines.extend(
            _tree_dot(
                view,
                max_depth,
                top_k,
                highlight,
                image_shape,
                precision,
                min_share,
                filled,
                badges,
            )
        )
    lines.append("}")
    source = "\n".join(lines) + "\n"
    if out_file is not None:
        with open(out_file, "w", encoding="utf-8") as fh:
            fh.write(source)
    return graphviz.Source(source)


def _leaf_badges(view, estimator, X, name: str) -> dict:
    """{leaf: (badge rows, border colour)} for rows ``X``: rows reaching each leaf
    by the model's ``decision_path``, their share, and the leaf's fidelity when
    ``estimator`` is a distiller of a classifier."""
    from interpretkd._validation import is_fitted_distiller

    paths, _ = view.paths(X, "leaf_rows")
    leaves = np.array([path[-1] for path in paths])
    n = len(leaves)
    agree = None
    if n and view.is_classifier and is_fitted_distiller(estimator):
        teacher = np.asarray(estimator.teacher_predict(X))
        agree = teacher == np.asarray(estimator.predict(X))
    overall = float(agree.mean()) if agree is not None else None
    out = {}
    for leaf in (node for node in view.nodes() if view.is_leaf(node)):
        here = leaves == leaf
        count = int(here.sum())
        share = 100.0 * count / n if n else 0.0
        rows = [f"{name}: {count} ({share:.1f}%)"]
        colour = "#999999"
        if agree is not None and count:
            fidelity = float(agree[here].mean())
            rows.append(f"fidelity {fidelity:.2f}")
            colour = "#1a9850" if fidelity >= overall else "#d73027"
        out[leaf] = (rows, colour)
    return out


def _tree_dot(
    view,
    max_depth,
    top_k,
    highlight,
    image_shape,
    precision,
    min_share,
    filled,
    badges=None,
):
    path_nodes: list[int] = []
    path_prob = 1.0
    steps: dict[int, dict] = {}
    if highlight is not None:
        path_nodes, step_list, path_prob = _follow(view, highlight, precision, top_k)
        steps = {s["node"]: s for s in step_list}
    on_path = set(path_nodes)
    drawn, collapsed = _visible_nodes(view, max_depth, min_share, path_nodes)
    leaves = view.value[[n for n in view.nodes() if view.is_leaf(n)]]
    value_range = (
        (float(np.nanmin(leaves[:, 0])), float(np.nanmax(leaves[:, 0])))
        if not view.is_classifier
        else None
    )
    cell = 3 if image_shape is None else max(2, min(12, 84 // max(image_shape)))
    out = []
    for node in drawn:
        rows: list[str] = []
        extra = ""
        if view.is_leaf(node):
            # The leaf's id is the one the model's apply gives.
            if view.kind == "oblique":
                rows.append(f"<B>leaf {node}</B>")
            rows.extend(_value_rows(view, node, precision))
            if view.kind != "oblique":
                rows.append(f'<FONT POINT-SIZE="8">leaf {node}</FONT>')
        else:
            rows.extend(_inner_rows(view, node, precision, top_k))
            if view.kind == "axis":
                rows.extend(_value_rows(view, node, precision))
            if image_shape is not None:
                w = view.weights[node]
                if view.feature_scale is not None:
                    # How much a typical change of each pixel moves the split.
                    w = w * view.feature_scale
                extra = _filter_table(w, image_shape, cell)
        share = "" if view.kind == "oblique" else _share_text(view, node)
        if path_nodes and node == path_nodes[-1] and path_prob < 1.0:
            rows.append(f'<FONT COLOR="{_HIGHLIGHT}">path p = {path_prob:.2f}</FONT>')
        if share:
            rows.append(f'<FONT POINT-SIZE="8">{share}</FONT>')
        badge = badges.get(node) if badges else None
        if badge is not None:
            # Dark text on the class colour; the border carries the verdict.
            rows += [f'<FONT POINT-SIZE="8">{_esc(r)}</FONT>' for r in badge[0]]
        attrs = [f"label={_html_label(rows, extra)}"]
        if filled and not extra:
            attrs.append(f'fillcolor="{_node_fill(view, node, value_range)}"')
        if node in on_path:
            attrs.append(f'color="{_HIGHLIGHT}", penwidth=2.5, class="highlight"')
        elif badge is not None:
            attrs.append(f'color="{badge[1]}", penwidth=2')
        out.append(f"n{node} [{', '.join(attrs)}];")
    for node in collapsed:
        share = ""
        if view.share is not None:
            share = f"\\n{100 * view.share[node]:.2g}%"
        out.append(
            f'n{node} [label="(...){share}", shape=plaintext, style="", fontsize=8];'
        )
    shown = set(drawn) | set(collapsed)
    for node in drawn:
        if view.is_leaf(node):
            continue
        for side, child in (
            ("left", view.children_left[node]),
            ("right", view.children_right[node]),
        ):
            child = int(child)
            if child not in shown:
                continue
            label = _edge_label(view, node, child, side, steps)
            attrs = [f'label="{label}"'] if label else []
            if node in on_path and child in on_path:
                attrs.append(
                    f'color="{_HIGHLIGHT}", penwidth=2.5, fontcolor="{_HIGHLIGHT}"'
                )
            out.append(
                f"n{node} -> n{child}"
                + (f" [{', '.join(attrs)}]" if attrs else "")
                + ";"
            )
    return out


def _edge_label(view, node, child, side, steps) -> str:
    parts = []
    if node == view.root or node in steps:
        if view.exact_rules:  # the node shows the left branch's test
            parts.append("yes" if side == "left" else "no")
        else:  # a soft branch: no test decides it
            parts.append(side)
    if view.kind == "oblique" and view.share is not None:
        parts.append(f"{100 * view.share[child]:.1f}%")
    step = steps.get(node)
    if step is not None and step["direction"] == side:
        if view.kind == "oblique" and view.soft:
            parts.append(f"p={step['probability']:.2f}")
    return "\\n".join(parts)


def _linear_dot(view, top_k, precision, highlight):
    coef = view.coef
    outputs = view.output_names()
    if view.is_classifier and coef.shape[0] == 1:
        outputs = [view.class_names[1]]
    strength = np.abs(coef).max(axis=0)
    terms = _top_terms(strength, top_k)
    scale = float(np.abs(coef).max()) if coef.size else 0.0
    row_x = None if highlight is None else _one_row(view, highlight)[1]
    header = "<TD><B>feature</B></TD>" + "".join(
        f"<TD><B>{_esc(name)}</B></TD>" for name in outputs
    )
    if row_x is not None:
        header += "<TD><B>x</B></TD>"
    rows = [f"<TR>{header}</TR>"]
    for i in terms:
        cells = f'<TD ALIGN="LEFT">{_esc(view.feature_names[i])}</TD>'
        for k in range(coef.shape[0]):
            w = coef[k, i]
            cells += (
                f'<TD BGCOLOR="{_weight_colour(w, scale)}">{_num(w, precision)}</TD>'
            )
        if row_x is not None:
            cells += f"<TD>{_num(row_x[i], precision)}</TD>"
        rows.append(f"<TR>{cells}</TR>")
    hidden = int(np.count_nonzero(strength)) - len(terms)
    if hidden > 0:
        rows.append(
            f'<TR><TD COLSPAN="{len(outputs) + 1 + (row_x is not None)}">'
            f"&hellip; {hidden} more features</TD></TR>"
        )
    cells = '<TD ALIGN="LEFT"><I>intercept</I></TD>' + "".join(
        f"<TD>{_num(b, precision)}</TD>" for b in view.intercept
    )
    if row_x is not None:
        cells += "<TD></TD>"
    rows.append(f"<TR>{cells}</TR>")
    if row_x is not None:
        scores = coef @ row_x + view.intercept
        cells = '<TD ALIGN="LEFT"><B>score</B></TD>' + "".join(
            f'<TD><FONT COLOR="{_HIGHLIGHT}">{_num(s, precision)}</FONT></TD>'
            for s in scores
        )
        rows.append(f"<TR>{cells}<TD></TD></TR>")
    table = (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        + "".join(rows)
        + "</TABLE>>"
    )
    return [f'n0 [shape=plaintext, style="", label={table}];']
