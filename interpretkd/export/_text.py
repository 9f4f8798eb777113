"""Text export: a tree student as nested if/else rules, a linear one as equations."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interpretkd.export._format import (
    ROUTING_HEADERS,
    _check_depth,
    _check_precision,
    _check_share,
    _check_top_k,
    _cut,
    _lhs_terms,
    _linear_text,
    _num,
    _oblique_condition,
    _sig,
    _split,
    _threshold_test,
    _visible_nodes,
)
from interpretkd.export._view import _resolve

# --------------------------------------------------------------------------------------
# Text rules
# --------------------------------------------------------------------------------------


def _leaf_text(view, node, precision, show_samples, leaf_id=True) -> str:
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
    if leaf_id:
        extras.append(f"leaf={node}")  # the id the model's apply gives
    if view.is_classifier:
        return text + "".join(", " + e for e in extras) + ")"
    return text + ", ".join(extras) + ")"


def _category_side(view, node, go_left: bool) -> list[str] | None:
    """Names of the categories a split on an encoded column sends to one side."""
    f = int(view.feature[node])
    if not view.categories or f not in view.categories:
        return None
    names = view.categories[f]
    cut = int(np.floor(view.threshold[node])) + 1  # codes 0..cut-1 go left
    return names[:cut] if go_left else names[cut:]


def _oblique_category_side(view, node, go_left: bool) -> list[str] | None:
    """Names of the categories a hard oblique split sends to one side, when its one
    non-zero term reads an encoded column (else None): ``city in {oslo, rome}``, not
    ``city <= 1.5`` in codes a reader does not see. Each code is sent the way the
    model sends it: right when ``beta * (w * code + b) > 0``."""
    if not view.categories or view.kind == "axis" or not view.exact_rules:
        return None
    w = view.weights[node]
    nonzero = np.flatnonzero(w)
    if nonzero.size != 1 or int(nonzero[0]) not in view.categories:
        return None
    f = int(nonzero[0])
    names = view.categories[f]
    codes = np.arange(len(names), dtype=np.float64)
    right = view.beta[node] * (w[f] * codes + view.bias[node]) > 0
    if right.all() or not right.any():  # one side empty: the inequality says more
        return None
    return [names[k] for k in np.flatnonzero(right != go_left)]


def _axis_condition(view, node, go_left: bool, precision: int) -> str:
    return _written(view, *_one_feature_test(view, node, go_left, precision, None))


def _condition(view, node, go_left, precision, top_k) -> str:
    test = _one_feature_test(view, node, go_left, precision, top_k)
    if test is None:
        return _oblique_condition(view, node, go_left, precision, top_k)
    return _written(view, *test)


def _written(view, f, what, payload) -> str:
    """A test of one feature as written: ``colour in {red, blue}``, ``x <= 3.1``."""
    name = view.feature_names[f]
    if what == "in":
        return f"{name} in {{{', '.join(payload)}}}"
    return f"{name} {payload.test}"


# --------------------------------------------------------------------------------------
# A leaf's rule: one condition per feature
# --------------------------------------------------------------------------------------


@dataclass
class _Bound:
    """One side of the interval a rule puts a feature in: the model's threshold,
    whether the bound holds at it (``<=``, ``>=``) and the test written for the
    split that set it (``"<= 0.1358"``, exact as :func:`_threshold_test` makes it)."""

    threshold: float
    closed: bool
    test: str

    def tighter_than(self, other: _Bound, upper: bool) -> bool:
        # Compared on the model's thresholds, never on the printed digits.
        if self.threshold != other.threshold:
            below = self.threshold < other.threshold
            return below if upper else not below
        return other.closed and not self.closed


def _one_feature_test(view, node, go_left, precision, top_k):
    """The branch ``go_left`` of ``node`` as a test of one feature: ``(f, "in",
    category names)`` or ``(f, "upper" | "lower", _Bound)``; None for an oblique
    test of several features (or of none)."""
    if view.kind == "axis":
        f = int(view.feature[node])
        side = _category_side(view, node, go_left)
        if side is not None:
            return f, "in", side
        # The model sends x left when x <= t: an upper bound, else x > t.
        t = float(view.threshold[node])
        test = _threshold_test(t, precision, go_left)
        return f, "upper" if go_left else "lower", _Bound(t, go_left, test)
    side = _oblique_category_side(view, node, go_left)
    if side is not None:
        return int(np.flatnonzero(view.weights[node])[0]), "in", side
    split = _split(view, node, precision, top_k)
    if split is None or not split.one_term:
        return None
    # Right when x > t (x < t when flipped); left takes the rest, bound included.
    test = _threshold_test(split.threshold, precision, go_left, split.flipped)
    upper = go_left != split.flipped
    return (
        split.shown[0],
        "upper" if upper else "lower",
        _Bound(split.threshold, go_left, test),
    )


_MIRROR = {">": "<", ">=": "<="}  # x > a, read from the left: a < x


def _rule_conditions(view, steps, precision, top_k) -> list[str]:
    """The conditions of the rule for the branches ``steps`` (``(node, go_left)``
    from the root), as a person writes them: one per feature, in the order the
    features first appear, with the tightest bounds (``0.7 < x <= 3.1``) and the
    categories every test on a column allows; a test of several features as it is,
    once. The conjunction is the same set of rows as the path's tests."""
    found: dict = {}  # key -> names, [lower, upper] bounds, or the written test
    for node, go_left in steps:
        test = _one_feature_test(view, node, go_left, precision, top_k)
        if test is None:
            text = _condition(view, node, go_left, precision, top_k)
            found.setdefault(("text", text), text)
            continue
        f, what, payload = test
        if what == "in":
            kept = found.get(("in", f))
            found[("in", f)] = (
                payload if kept is None else [name for name in kept if name in payload]
            )
            continue
        bounds = found.setdefault(("bound", f), [None, None])
        k = int(what == "upper")
        if bounds[k] is None or payload.tighter_than(bounds[k], upper=bool(k)):
            bounds[k] = payload
    out = []
    for (what, key), entry in found.items():
        if what == "text":
            out.append(entry)
            continue
        if what == "in":
            out.append(_written(view, key, "in", entry))
            continue
        lower, upper = entry
        if lower is None or upper is None:
            out.append(_written(view, key, what, lower or upper))
            continue
        op, value = lower.test.split(" ", 1)
        out.append(f"{value} {_MIRROR[op]} {view.feature_names[key]} {upper.test}")
    return out


def _soft_node_text(view, node, precision, top_k) -> str:
    """How a soft node routes: P(right) as a sigmoid of its inequality."""
    split = _split(view, node, precision, top_k)
    if split is None:
        p_right = 1.0 / (1.0 + np.exp(-view.beta[node] * view.bias[node]))
        return f"P(right) = {_num(p_right, precision)}"
    lhs = " ".join(_lhs_terms(view, split, precision))
    t = _cut(split.threshold, precision)
    k = _sig(split.steepness, max(precision, 1))
    if split.flipped:  # right as the sum falls below the threshold
        gap = f"{t} - {lhs}" if split.one_term else f"{t} - ({lhs})"
    elif split.threshold < 0:
        gap = f"{lhs} + {_cut(-split.threshold, precision)}"
    else:
        gap = f"{lhs} - {t}"
    return f"P(right) = sigmoid({k} \u00d7 ({gap}))"


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
        At most this many terms written per oblique split (the lead term always);
        None writes every term that matters at ``precision`` (see Notes).
    precision : int, default=3
        Digits after the decimal point of thresholds and values; significant digits
        of an oblique split's coefficients. A test of one feature gets as many more
        digits as it takes (or a strict ``<``) to send every float32 value the way
        the model does: ``<= 0.14235``, not ``<= 0.142``.
    min_share : float, default=None
        Subtrees with less than this share of the training data become ``...``; see
        :func:`export_graphviz` for the default.
    style : {"tree", "rules"}, default="tree"
        ``"tree"``: nested ``if``/``else`` blocks, one test per node. ``"rules"``:
        one line per leaf, ``if A and B then class: c (p=..., samples=...)``, with
        one condition per feature however often the path tests it: its tightest
        bounds, as an interval when there are two (``0.7 < x <= 3.1``), or the
        categories every test on the column allows (``colour in {blue}``); a test
        of several features (oblique) is written as it is, once.
    show_samples : bool, default=True
        Add the training rows (hard trees) or share of training data (soft trees)
        reaching each leaf. Every leaf also gives its id (``leaf=``), the one the
        model's ``apply`` returns.

    Returns
    -------
    text : str

    Notes
    -----
    The rules of a hard tree (scikit-learn's trees, TAO trees) and of a soft tree
    with ``prediction="greedy"`` are the model: for every sample, the one rule whose
    conditions hold names the leaf its ``apply`` reports (written with all terms
    and ``precision=17``, exactly; axis-aligned trees compare ``float32`` values, as
    scikit-learn's do).

    Splits read as inequalities in the data's units: ``worst radius > 16.8``; an
    oblique split (TAO, soft trees) ``worst concave points + 0.9 × mean texture
    > 0.18``, normalised so that its leading term — the largest ``|w_j|`` times
    the spread of feature ``j`` in the training data (``feature_scale_``, where
    the student records it; else the largest ``|w_j|``) — has coefficient 1, and
    the others are written to ``precision`` significant digits (never as 0). A term
    whose ``|w_j| * spread_j`` is below ``10**-precision`` times the leading
    term's cannot move the printed threshold and is left out; the split says how
    many: ``(+ 27 smaller terms)``. With ``precision=17`` every non-zero term is
    written. When the last steps before the student are scikit-learn scalers
    (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler`` in a
    ``Pipeline``), thresholds and weights are given for the rows before scaling.

    A soft tree with ``prediction="max_path"`` or ``"mixture"`` is not a set of
    if/else rules: its text starts with ``#`` lines that say how it routes a
    sample, then gives each node's branch probability in the data's units
    (``node 0: P(right) = sigmoid(2.1 × (a + 0.5 × b - 1.3))``) and the tree's
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
    |   then class: setosa (p=1, samples=50, share=33.3%, leaf=1)
    else:  # petal width (cm) > 0.8
    |   if petal width (cm) <= 1.75:
    |   |   then class: versicolor (p=0.907, samples=54, share=36.0%, leaf=3)
    |   else:  # petal width (cm) > 1.75
    |   |   then class: virginica (p=0.978, samples=46, share=30.7%, leaf=4)
    <BLANKLINE>

    One line per leaf; the depth-3 tree tests petal width twice on the way to
    leaves 4 and 5, and their rules give it as one interval:

    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> short = ["sepal_l", "sepal_w", "petal_l", "petal_w"]
    >>> print(export_text(tree, feature_names=short, style="rules", show_samples=False))
    if petal_w <= 0.8 then class: 0 (p=1, leaf=1)
    if 0.8 < petal_w <= 1.75 and petal_l <= 4.95 then class: 1 (p=0.979, leaf=4)
    if 0.8 < petal_w <= 1.75 and petal_l > 4.95 then class: 2 (p=0.667, leaf=5)
    if petal_w > 1.75 and petal_l <= 4.85 then class: 2 (p=0.667, leaf=7)
    if petal_w > 1.75 and petal_l > 4.85 then class: 2 (p=1, leaf=8)
    <BLANKLINE>
    """
    view = _resolve(estimator, feature_names, class_names).in_data_units()
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

    def leaf_line(node: int, leaf_id: bool = True) -> str:
        return _leaf_text(view, node, precision, show_samples, leaf_id)

    def exact(node: int, indent: int, steps: list[tuple[int, bool]]) -> None:
        pad = "|   " * indent
        if node in cut or view.is_leaf(node):
            end = stub(node) if node in cut else leaf_line(node)
            if style == "tree":
                lines.append(f"{pad}{end}" if node in cut else f"{pad}then {end}")
            else:
                conditions = _rule_conditions(view, steps, precision, top_k)
                lines.append(f"if {' and '.join(conditions) or 'True'} then {end}")
            return
        left, right = int(view.children_left[node]), int(view.children_right[node])
        if style == "tree":
            lines.append(f"{pad}if {_condition(view, node, True, precision, top_k)}:")
            exact(left, indent + 1, steps)
            right_cond = _condition(view, node, False, precision, top_k)
            lines.append(f"{pad}else:  # {right_cond}")
            exact(right, indent + 1, steps)
        else:
            exact(left, indent, [*steps, (node, True)])
            exact(right, indent, [*steps, (node, False)])

    def node_line(node: int) -> str:
        return f"node {node}: {_soft_node_text(view, node, precision, top_k)}"

    def soft(node: int, indent: int, path: list[str]) -> None:
        pad = "|   " * indent
        if node in cut:
            text = stub(node)
            lines.append(f"{pad}{text}" if style == "tree" else _path(path, text))
            return
        if view.is_leaf(node):
            text = f"node {node} (leaf): {leaf_line(node, leaf_id=False)}"
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
