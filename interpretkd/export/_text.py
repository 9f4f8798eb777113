"""Text export: a tree student as nested if/else rules, a linear one as equations."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from interpretkd.export._format import (
    ROUTING_HEADERS,
    _check_depth,
    _check_precision,
    _check_share,
    _check_top_k,
    _linear_text,
    _num,
    _visible_nodes,
)
from interpretkd.export._view import _resolve

# --------------------------------------------------------------------------------------
# Text rules
# --------------------------------------------------------------------------------------


def _leaf_text(view, node, precision, show_samples) -> str:
    value = view.value[node]
    if view.is_classifier:
        k = int(np.argmax(value))
        text = f"class: {view.class_names[k]} (p={_num(value[k], precision)}"
    elif len(value) == 1:
        text = f"value: {_num(value[0], precision)} ("
    else:
        text = "value: [" + ", ".join(_num(v, precision) for v in value) + "] ("
    extras = []
    if show_samples:
        if view.samples is not None:
            extras.append(f"samples={int(view.samples[node])}")
        if view.share is not None:
            extras.append(f"share={100 * view.share[node]:.1f}%")
    if view.is_classifier:
        return text + "".join(", " + e for e in extras) + ")"
    return text + ", ".join(extras) + ")" if extras else text[:-2]


def _category_side(view, node, go_left: bool) -> list[str] | None:
    """Names of the categories a split on an encoded column sends to one side."""
    f = int(view.feature[node])
    if not view.categories or f not in view.categories:
        return None
    names = view.categories[f]
    cut = int(np.floor(view.threshold[node])) + 1  # codes 0..cut-1 go left
    return names[:cut] if go_left else names[cut:]


def _axis_condition(view, node, go_left: bool, precision: int) -> str:
    f = int(view.feature[node])
    side = _category_side(view, node, go_left)
    if side is not None:
        return f"{view.feature_names[f]} in {{{', '.join(side)}}}"
    op = "<=" if go_left else ">"
    return f"{view.feature_names[f]} {op} {_num(view.threshold[node], precision)}"


def _condition(view, node, go_left, precision, top_k) -> str:
    if view.kind == "axis":
        return _axis_condition(view, node, go_left, precision)
    op = "<=" if go_left else ">"
    return f"{_score_text(view, node, precision, top_k)} {op} 0"


def _score_text(view, node, precision, top_k) -> str:
    """An oblique node's score ``w @ x + b``, signed so that > 0 goes right."""
    w, b = view.weights[node], view.bias[node]
    if view.beta[node] < 0:  # right when beta * score > 0, i.e. score < 0
        w, b = -w, -b
    return _linear_text(view, w, b, precision, top_k, scale=view.feature_scale)


def export_text(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    max_depth: int | None = None,
    top_k: int | None = None,
    precision: int = 3,
    min_share: float | None = None,
    style: str = "tree",
    show_samples: bool = True,
) -> str:
    """Write a fitted student as if/then rules, or a soft tree as its routing.

    Parameters
    ----------
    estimator : fitted estimator
        See :func:`export_graphviz`.
    feature_names, class_names : list of str, default=None
        See :func:`export_graphviz`.
    max_depth : int, default=None
        Write rules down to this depth only; deeper subtrees become ``...``.
    top_k : int or None, default=None
        Terms written per oblique split, largest ``|weight|`` (times
        ``feature_scale_`` where the estimator has it) first. None writes every
        non-zero term, so that a hard tree's rules are the model.
    precision : int, default=3
        Digits after the decimal point.
    min_share : float, default=None
        Subtrees with less than this share of the training data become ``...``; see
        :func:`export_graphviz` for the default.
    style : {"tree", "rules"}, default="tree"
        ``"tree"``: nested ``if``/``else`` blocks. ``"rules"``: one line per leaf,
        ``if A and B then class: c (p=..., samples=...)``.
    show_samples : bool, default=True
        Add the training samples (hard trees) or share of training data (soft trees)
        reaching each leaf.

    Returns
    -------
    text : str

    Notes
    -----
    The rules of a hard tree (scikit-learn's trees, TAO trees) and of a soft tree
    with ``prediction="greedy"`` are the model: for every sample, the one rule whose
    conditions hold names the leaf its ``apply`` reports (written with all terms
    and ``precision=17``, exactly; axis-aligned trees compare ``float32`` values, as
    scikit-learn's do). An oblique split reads ``w1 * a + w2 * b + bias > 0`` for
    the right branch.

    A soft tree with ``prediction="max_path"`` or ``"mixture"`` is not a set of
    if/else rules: its text starts with ``#`` lines that say how it routes a
    sample, then gives each node's score (``node 0: score = ...``) and the tree's
    branches (``left:`` / ``right:``) or, with ``style="rules"``, each leaf's path;
    no line claims a rule that the model does not follow. Linear students are
    written as one equation per output.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> from interpretkd import export_text
    >>> print(export_text(tree, class_names=["setosa", "versicolor", "virginica"]))
    if petal width (cm) <= 0.8:
    |   then class: setosa (p=1, samples=50, share=33.3%)
    else:  # petal width (cm) > 0.8
    |   if petal width (cm) <= 1.75:
    |   |   then class: versicolor (p=0.907, samples=54, share=36.0%)
    |   else:  # petal width (cm) > 1.75
    |   |   then class: virginica (p=0.978, samples=46, share=30.7%)
    <BLANKLINE>
    """
    view = _resolve(estimator, feature_names, class_names)
    max_depth = _check_depth(max_depth)
    top_k = _check_top_k(top_k)
    precision = _check_precision(precision)
    min_share = _check_share(min_share, view)
    if style not in ("tree", "rules"):
        raise ValueError(f'style must be "tree" or "rules", got {style!r}.')
    if view.kind == "linear":
        return _linear_equations(view, top_k, precision)
    drawn, collapsed = _visible_nodes(view, max_depth, min_share, [])
    cut = set(collapsed)
    header = ROUTING_HEADERS.get(view.routing, "")
    lines = [f"# {line}" for line in textwrap.wrap(header, 86)]

    def stub(node: int) -> str:
        if view.share is None:
            return "..."
        return f"... (share={100 * view.share[node]:.2g}%)"

    def leaf_line(node: int) -> str:
        return _leaf_text(view, node, precision, show_samples)

    def exact(node: int, indent: int, conditions: list[str]) -> None:
        pad = "|   " * indent
        rule = f"if {' and '.join(conditions) or 'True'} then "
        if node in cut:
            lines.append(f"{pad}{stub(node)}" if style == "tree" else rule + stub(node))
            return
        if view.is_leaf(node):
            leaf = leaf_line(node)
            lines.append(f"{pad}then {leaf}" if style == "tree" else rule + leaf)
            return
        left_cond = _condition(view, node, True, precision, top_k)
        right_cond = _condition(view, node, False, precision, top_k)
        if style == "tree":
            lines.append(f"{pad}if {left_cond}:")
            exact(int(view.children_left[node]), indent + 1, conditions)
            lines.append(f"{pad}else:  # {right_cond}")
            exact(int(view.children_right[node]), indent + 1, conditions)
        else:
            exact(int(view.children_left[node]), indent, [*conditions, left_cond])
            exact(int(view.children_right[node]), indent, [*conditions, right_cond])

    def node_line(node: int) -> str:
        score = _score_text(view, node, precision, top_k)
        beta = _num(view.beta[node], precision)
        return f"node {node}: score = {score}; P(right) = sigmoid({beta} * score)"

    def soft(node: int, indent: int, path: list[str]) -> None:
        pad = "|   " * indent
        if node in cut:
            text = stub(node)
            lines.append(f"{pad}{text}" if style == "tree" else _path(path, text))
            return
        if view.is_leaf(node):
            text = f"node {node} (leaf): {leaf_line(node)}"
            lines.append(f"{pad}{text}" if style == "tree" else _path(path, text))
            return
        if style == "tree":
            lines.append(f"{pad}{node_line(node)}")
        for side, child in (
            ("left", view.children_left[node]),
            ("right", view.children_right[node]),
        ):
            if style == "tree":
                lines.append(f"{pad}|   {side}:")
            soft(int(child), indent + 2, [*path, f"node {node} {side}"])

    if view.exact_rules:
        exact(view.root, 0, [])
    else:
        if style == "rules":
            lines += [node_line(n) for n in drawn if not view.is_leaf(n)]
        soft(view.root, 0, [])
    return "\n".join(lines) + "\n"


def _path(steps: list[str], end: str) -> str:
    return f"path {', '.join(steps) or '(root)'} -> {end}"


def _linear_equations(view, top_k, precision) -> str:
    outputs = view.output_names()
    if view.is_classifier and view.coef.shape[0] == 1:
        outputs = [view.class_names[1]]
    lines = []
    for k, name in enumerate(outputs):
        lhs = f"score({name})" if view.is_classifier else name
        rhs = _linear_text(view, view.coef[k], view.intercept[k], precision, top_k)
        lines.append(f"{lhs} = {rhs}")
    if view.is_classifier:
        if view.coef.shape[0] == 1:
            positive, negative = view.class_names[1], view.class_names[0]
            lines.append(f"predict {positive} if score > 0, else {negative}")
        else:
            lines.append("predict the class with the largest score")
    return "\n".join(lines) + "\n"
