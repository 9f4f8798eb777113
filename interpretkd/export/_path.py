"""One prediction's path: the route a sample takes through a tree student, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from interpretkd.export._format import (
    _check_precision,
    _check_top_k,
    _lhs_terms,
    _num,
    _split,
    _threshold_test,
)
from interpretkd.export._text import (
    _axis_condition,
    _category_side,
    _oblique_category_side,
)
from interpretkd.export._view import HARD, _ModelView, _resolve

# --------------------------------------------------------------------------------------
# Routing one sample
# --------------------------------------------------------------------------------------


@dataclass
class PredictionPath:
    """The route one sample takes through a tree student, and why.

    Attributes
    ----------
    nodes : list of int
        Node ids from the root to the leaf reached, as the student's own
        ``decision_path`` reports them (scikit-learn node ids for its trees, heap
        numbers for soft and TAO trees; a TAO tree's pruned nodes are left out).
    steps : list of dict
        One entry per inner node on the path: ``node``, ``direction`` (``"left"`` or
        ``"right"``), ``condition`` (text of the test: for an oblique split, the
        sample's largest terms ``w_i * x_i`` with the feature in brackets, the rest
        summed, and the bias, compared with 0), ``probability`` (of taking that
        branch: 1.0 for hard splits) and ``features`` (the values of the features the
        test looked at, most influential first).
    leaf : int
        The leaf reached (``nodes[-1]``, the student's ``apply``).
    prediction : str or float
        The leaf's class (classifiers) or value (regressors). For a soft tree with
        ``prediction="mixture"`` the model's own prediction averages all leaves and
        can differ.
    path_probability : float
        Product of the step probabilities: for a soft tree, the weight the mixture
        gives this leaf.
    leaf_value : ndarray
        The leaf's class distribution or value.
    routing : str
        How the student chose this path: ``"hard"`` (the test at each node decides),
        or a soft tree's ``prediction``: ``"greedy"`` (the likelier branch at each
        node), ``"max_path"`` (the leaf of greatest path probability: a step may take
        the less likely branch) or ``"mixture"`` (the most probable leaf; the
        prediction is the path-weighted average of all leaves).
    """

    nodes: list[int]
    steps: list[dict]
    leaf: int
    prediction: Any
    path_probability: float
    leaf_value: np.ndarray
    routing: str = HARD

    def __str__(self) -> str:
        lines = []
        if self.routing in _ROUTING_NOTES:
            lines.append(_ROUTING_NOTES[self.routing])
        for k, step in enumerate(self.steps):
            prob = f" (p={step['probability']:.3f})" if step["probability"] < 1 else ""
            lines.append(
                f"{k + 1}. node {step['node']}: {step['condition']} "
                f"-> {step['direction']}{prob}"
            )
        lines.append(
            f"=> node {self.leaf} (leaf): {self.prediction}"
            + (
                f"  (path probability {self.path_probability:.3f})"
                if self.path_probability < 1
                else ""
            )
        )
        return "\n".join(lines)


_ROUTING_NOTES = {
    "max_path": "(prediction='max_path': the leaf of greatest path probability; a "
    "step may take the less likely branch)",
    "mixture": "(prediction='mixture': the most probable leaf; the model predicts the "
    "average of all leaves weighted by their path probabilities)",
}


def _one_row(view: _ModelView, x, what: str = "highlight"):
    """One sample as the student sees it: (model input, 1-D float array)."""
    X, values = view.inputs(x, what)
    if values.shape[0] != 1:
        raise ValueError(
            f"{what} must be one sample (a 1-D array of {view.n_features} values or "
            f"a single row); got {values.shape[0]} rows."
        )
    return X, values[0]


def _follow(view: _ModelView, x, precision: int, top_k: int | None):
    """The path the student takes for one sample ``x`` (in the user's format), and
    why: (nodes, steps, path probability)."""
    paths, values = view.paths(x, "highlight")
    if len(paths) != 1:
        raise ValueError(
            f"highlight must be one sample (a 1-D array of {view.n_features} values or "
            f"a single row); got {len(paths)} rows."
        )
    nodes, x = paths[0], values[0]
    steps = []
    prob = 1.0
    for node, child in zip(nodes[:-1], nodes[1:]):
        go_left = child == view.children_left[node]
        if view.kind == "axis":
            condition, features = _axis_step(view, node, go_left, x, precision)
            p_step = 1.0
        else:
            condition, features, p_right = _oblique_step(
                view, node, x, precision, top_k
            )
            p_step = (1.0 - p_right if go_left else p_right) if view.soft else 1.0
        prob *= p_step
        steps.append(
            {
                "node": int(node),
                "direction": "left" if go_left else "right",
                "condition": condition,
                "probability": p_step,
                "features": features,
            }
        )
    return nodes, steps, prob


def _axis_step(view, node, go_left, x, precision):
    f = int(view.feature[node])
    name, value = view.feature_names[f], x[f]
    if np.isnan(value):
        return f"{name} is missing", {name: float(value)}
    # The comparison the model made: the side it took.
    test = _threshold_test(view.threshold[node], precision, go_left)
    condition = f"{name} = {_num(value, precision)} {test}"
    if _category_side(view, node, go_left) is not None:
        category = view.categories[f][int(value)]
        condition = f"{name} = {category}: "
        condition += _axis_condition(view, node, go_left, precision)
    return condition, {name: float(value)}


def _oblique_step(view, node, x, precision, top_k):
    """Text of an oblique test on ``x``, the features it read, P(right)."""
    logit = float(view.beta[node] * (x @ view.weights[node] + view.bias[node]))
    p_right = float(1.0 / (1.0 + np.exp(-np.clip(logit, -500.0, 500.0))))
    split = _split(view, node, precision, top_k)
    if split is None:  # the bias alone decides
        op = "<=" if logit <= 0 else ">"
        return f"{_num(view.bias[node], precision)} {op} 0", {}, p_right
    # The sum over every term (the smaller ones too) for this row, and the side
    # of the threshold it falls on, as computed: a soft tree's max path may still
    # go the other way (the step's probability says how likely that branch was).
    value = split.lhs(x)
    go_left = not split.goes_right(value)
    side = _oblique_category_side(view, node, go_left)
    if side is not None and not np.isnan(value):  # a split on one encoded column
        f = split.shown[0]
        name, category = view.feature_names[f], view.categories[f][int(x[f])]
        condition = f"{name} = {category}: {name} in {{{', '.join(side)}}}"
        return condition, {name: float(x[f])}, p_right
    lhs = " ".join(_lhs_terms(view, split, precision))
    test = _threshold_test(
        split.threshold, precision, go_left, split.flipped, exact=split.one_term
    )
    condition = f"{lhs} = {_num(value, precision)} {test}"
    features = {view.feature_names[i]: float(x[i]) for i in split.shown}
    return condition, features, p_right


def prediction_path(
    estimator,
    x,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    precision: int = 3,
    top_k: int | None = 3,
) -> PredictionPath:
    """Follow one sample from the root of a tree student to its leaf.

    The path is the one the student's own ``decision_path`` reports (through the
    conversions of a distiller or pipeline): for a soft tree it follows its
    ``prediction`` mode — the likelier branch at every node (``"greedy"``) or the
    leaf of greatest path probability (``"max_path"``, ``"mixture"``).

    Parameters
    ----------
    estimator : fitted tree student, distiller or Pipeline
        See :func:`export_graphviz` for what is accepted. Linear students have no path.
    x : array-like of shape (n_features,) or (1, n_features)
        One sample, in the input space of ``estimator`` (a distiller or pipeline
        transforms it as it would in ``predict``).
    feature_names, class_names : list of str, default=None
        Names to use instead of those the estimator was fitted with.
    precision : int, default=3
        Digits after the decimal point in the condition texts.
    top_k : int or None, default=3
        For oblique splits, how many terms of ``w @ x`` to spell out in a condition
        (largest ``|w|`` first); None spells out all non-zero terms.

    Returns
    -------
    path : PredictionPath

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> from interpretkd import prediction_path
    >>> path = prediction_path(tree, X.iloc[100], class_names=["set", "vers", "virg"])
    >>> print(path)
    1. node 0: petal width (cm) = 2.5 > 0.8 -> right
    2. node 2: petal width (cm) = 2.5 > 1.75 -> right
    => node 4 (leaf): virg
    >>> int(path.leaf) == int(tree.apply(X.iloc[[100]])[0])
    True
    """
    view = _resolve(estimator, feature_names, class_names).in_data_units()
    if view.kind == "linear":
        raise TypeError(
            "A linear student has no decision path; use export_graphviz(..., "
            "highlight=x) to see each feature's contribution instead."
        )
    precision = _check_precision(precision)
    top_k = _check_top_k(top_k)
    nodes, steps, prob = _follow(view, x, precision, top_k)
    leaf = nodes[-1]
    value = view.value[leaf].copy()
    return PredictionPath(
        nodes=nodes,
        steps=steps,
        leaf=leaf,
        prediction=_leaf_prediction(view, value),
        path_probability=prob,
        leaf_value=value,
        routing=view.routing,
    )


def _leaf_prediction(view: _ModelView, value: np.ndarray):
    if view.is_classifier:
        return view.class_names[int(np.argmax(value))]
    return float(value[0]) if value.shape[0] == 1 else value.tolist()
