"""One prediction's path: the route a sample takes through a tree student, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from interpretkd.export._format import _check_precision, _check_top_k, _num, _top_terms
from interpretkd.export._text import _axis_condition, _category_side
from interpretkd.export._view import _ModelView, _resolve

# --------------------------------------------------------------------------------------
# Routing one sample
# --------------------------------------------------------------------------------------


@dataclass
class PredictionPath:
    """The route one sample takes through a tree student, and why.

    Attributes
    ----------
    nodes : list of int
        Node ids from the root to the leaf reached (sklearn node ids for axis-aligned
        trees, heap numbers for soft and oblique trees).
    steps : list of dict
        One entry per inner node on the path: ``node``, ``direction`` (``"left"`` or
        ``"right"``), ``condition`` (text of the test: for an oblique split, the
        sample's largest terms ``w_i * x_i`` with the feature in brackets, the rest
        summed, and the bias), ``probability`` (of taking that branch: 1.0 for hard
        splits) and ``features`` (the values of the features the test looked at,
        most influential first).
    leaf : int
        The leaf reached.
    prediction : str or float
        The leaf's class (classifiers) or value (regressors).
    path_probability : float
        Product of the step probabilities: for a soft tree, the weight the mixture
        gives this leaf.
    leaf_value : ndarray
        The leaf's class distribution or value.
    """

    nodes: list[int]
    steps: list[dict]
    leaf: int
    prediction: Any
    path_probability: float
    leaf_value: np.ndarray

    def __str__(self) -> str:
        lines = []
        for k, step in enumerate(self.steps):
            prob = f"  (p={step['probability']:.3f})" if step["probability"] < 1 else ""
            lines.append(f"{k + 1}. node {step['node']}: {step['condition']}{prob}")
        lines.append(
            f"=> node {self.leaf} (leaf): {self.prediction}"
            + (
                f"  (path probability {self.path_probability:.3f})"
                if self.path_probability < 1
                else ""
            )
        )
        return "\n".join(lines)


def _as_row(view: _ModelView, x) -> np.ndarray:
    """One sample, passed through the wrappers' conversions, as a 1-D float array."""
    if hasattr(x, "to_frame") and not hasattr(x, "columns"):  # a pandas Series
        row = x.to_frame().T.infer_objects()
    elif hasattr(x, "columns"):
        row = x
    else:
        row = np.asarray(x)
        if row.ndim == 1:
            row = row[None, :]
    for transform in view.transforms:
        row = transform(row)
    if hasattr(row, "toarray"):
        row = row.toarray()
    row = np.asarray(row, dtype=np.float64)
    if row.ndim != 2 or row.shape[0] != 1:
        raise ValueError(
            f"highlight must be one sample (a 1-D array of {view.n_features} values or "
            f"a single row); got an array of shape {row.shape}."
        )
    if row.shape[1] != view.n_features:
        raise ValueError(
            f"highlight has {row.shape[1]} features but the student expects "
            f"{view.n_features}."
        )
    return row[0]


def _oblique_logit(view: _ModelView, node: int, x: np.ndarray) -> float:
    return float(view.beta[node] * (x @ view.weights[node] + view.bias[node]))


def _soft_target_leaf(view: _ModelView, x: np.ndarray) -> int:
    """Node id of the leaf with the largest path probability (what ``apply`` uses)."""
    n_inner = (view.n_nodes - 1) // 2
    z = view.beta[:n_inner] * (view.weights[:n_inner] @ x + view.bias[:n_inner])
    log_right = -np.logaddexp(0.0, -z)
    log_left = log_right - z
    log_path = np.zeros(view.n_nodes)
    for node in range(n_inner):
        log_path[2 * node + 1] = log_path[node] + log_left[node]
        log_path[2 * node + 2] = log_path[node] + log_right[node]
    return n_inner + int(np.argmax(log_path[n_inner:]))


def _route(view: _ModelView, x: np.ndarray, precision: int, top_k: int | None):
    """Follow ``x`` to its leaf; return (nodes, steps, path probability)."""
    if view.kind == "oblique" and view.soft:
        # Max-path: the leaf of greatest path probability, as apply() reports; on
        # rare samples it differs from taking the likelier branch at every node.
        leaf = _soft_target_leaf(view, x)
        nodes = [leaf]
        while nodes[-1] > 0:
            nodes.append((nodes[-1] - 1) // 2)
        nodes.reverse()
    else:
        nodes = [0]
        while not view.is_leaf(nodes[-1]):
            node = nodes[-1]
            if view.kind == "axis":
                value = x[int(view.feature[node])]
                if np.isnan(value):
                    missing = view.missing_left
                    go_left = bool(missing[node]) if missing is not None else True
                else:
                    go_left = bool(value <= view.threshold[node])
            else:
                go_left = not _oblique_logit(view, node, x) > 0
            child = view.children_left[node] if go_left else view.children_right[node]
            nodes.append(int(child))
    steps = []
    prob = 1.0
    for node, child in zip(nodes[:-1], nodes[1:]):
        go_left = child == view.children_left[node]
        if view.kind == "axis":
            f = int(view.feature[node])
            value = x[f]
            op = "<=" if value <= view.threshold[node] else ">"
            condition = (
                f"{view.feature_names[f]} = {_num(value, precision)} {op} "
                f"{_num(view.threshold[node], precision)}"
            )
            if _category_side(view, node, go_left) is not None and np.isfinite(value):
                name = view.categories[f][int(value)]
                condition = (
                    f"{view.feature_names[f]} = {name}: "
                    f"{_axis_condition(view, node, go_left, precision)}"
                )
            p_step = 1.0
            features = {view.feature_names[f]: float(value)}
        else:
            logit = _oblique_logit(view, node, x)
            p_right = float(1.0 / (1.0 + np.exp(-np.clip(logit, -500.0, 500.0))))
            p_step = (1.0 - p_right if go_left else p_right) if view.soft else 1.0
            w, b = view.weights[node], view.bias[node]
            if view.beta[node] < 0:
                w, b = -w, -b
            score = float(x @ w + b)
            # For one sample, the terms that matter are the largest |w_i * x_i|.
            contrib = x * w
            order = _top_terms(contrib, top_k)
            parts = [
                f"{'-' if contrib[i] < 0 else '+'} "
                f"{_num(abs(contrib[i]), precision)} ({view.feature_names[i]})"
                for i in order
            ]
            hidden = int(np.count_nonzero(contrib)) - len(order)
            if hidden > 0:
                rest = float(contrib.sum() - contrib[order].sum())
                parts.append(f"{'-' if rest < 0 else '+'} {_num(abs(rest), precision)}")
                parts[-1] += f" ({hidden} more)"
            parts.append(f"{'-' if b < 0 else '+'} {_num(abs(b), precision)} (bias)")
            expr = " ".join(parts)
            expr = expr[2:] if expr.startswith("+ ") else "-" + expr[2:]
            op = "<=" if score <= 0 else ">"
            condition = f"{expr} = {_num(score, precision)} {op} 0"
            features = {view.feature_names[i]: float(x[i]) for i in order}
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

    For soft trees this is the max-path: at every inner node the branch with the
    larger probability, the path ``apply`` and ``decision_path`` report.

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
    1. node 0: petal width (cm) = 2.5 > 0.8
    2. node 2: petal width (cm) = 2.5 > 1.75
    => node 4 (leaf): virg
    >>> int(path.leaf) == int(tree.apply(X.iloc[[100]])[0])
    True
    """
    view = _resolve(estimator, feature_names, class_names)
    if view.kind == "linear":
        raise TypeError(
            "A linear student has no decision path; use export_graphviz(..., "
            "highlight=x) to see each feature's contribution instead."
        )
    precision = _check_precision(precision)
    top_k = _check_top_k(top_k)
    row = _as_row(view, x)
    nodes, steps, prob = _route(view, row, precision, top_k)
    leaf = nodes[-1]
    value = view.value[leaf].copy()
    return PredictionPath(
        nodes=nodes,
        steps=steps,
        leaf=leaf,
        prediction=_leaf_prediction(view, value),
        path_probability=prob,
        leaf_value=value,
    )


def _leaf_prediction(view: _ModelView, value: np.ndarray):
    if view.is_classifier:
        return view.class_names[int(np.argmax(value))]
    return float(value[0]) if value.shape[0] == 1 else value.tolist()
