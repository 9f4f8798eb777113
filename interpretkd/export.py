"""Turn a fitted student into something a person reads: Graphviz, text rules, JSON.

Everything here accepts interpretkd's soft and oblique trees (heap-numbered, see
CONTRIBUTING.md), scikit-learn decision trees, linear models, and any of these as the
``student_`` of a fitted distiller or as the last step of a fitted ``Pipeline``.
Building DOT text needs no binary; only rendering it (``Source.render``) needs ``dot``.
"""

from __future__ import annotations

import html
import json
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from interpretkd._validation import check_positive_int, is_fitted_distiller

__all__ = [
    "export_graphviz",
    "export_text",
    "export_json",
    "to_dict",
    "prediction_path",
    "PredictionPath",
]

# Qualitative colours, one per class (cycled past ten classes).
_CLASS_COLOURS = [
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
]
_HIGHLIGHT = "#d62728"
_NEGATIVE = (33, 102, 172)  # blue: negative weights
_POSITIVE = (178, 24, 43)  # red: positive weights
_SOFT_MIN_SHARE = 1e-3


# --------------------------------------------------------------------------------------
# A common view of every supported student
# --------------------------------------------------------------------------------------


@dataclass
class _ModelView:
    """What export needs to know about a fitted student, whatever its class."""

    kind: str  # "axis", "oblique" or "linear"
    is_classifier: bool
    n_features: int
    feature_names: list[str]
    class_names: list[str] | None
    transforms: list[Any] = field(default_factory=list)
    # Trees (axis and oblique): arrays over all nodes.
    children_left: np.ndarray | None = None
    children_right: np.ndarray | None = None
    depth: np.ndarray | None = None
    value: np.ndarray | None = None  # (n_nodes, n_classes) or (n_nodes, n_outputs)
    share: np.ndarray | None = None  # share of training data reaching each node
    samples: np.ndarray | None = None  # training rows reaching each node (hard trees)
    # Axis-aligned splits: left when x[feature] <= threshold.
    feature: np.ndarray | None = None
    threshold: np.ndarray | None = None
    missing_left: np.ndarray | None = None
    # Oblique splits: right with probability sigmoid(beta * (x @ w + b)).
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    beta: np.ndarray | None = None
    soft: bool = False
    # Spread of each feature in the training data (the estimator's
    # ``feature_scale_``): oblique terms are ranked by |w| * scale, the change in
    # the split's score over one typical step of the feature, so a feature that
    # barely varies cannot top the list with a huge raw weight.
    feature_scale: np.ndarray | None = None
    # Category names of columns a distiller encoded as codes 0..n-1 (its
    # ``categories_``), by feature index: axis splits on them read "c in {a, b}".
    categories: dict[int, list[str]] | None = None
    # Linear models.
    coef: np.ndarray | None = None  # (n_outputs, n_features)
    intercept: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return 0 if self.children_left is None else len(self.children_left)

    def is_leaf(self, node: int) -> bool:
        return self.children_left[node] < 0

    def output_names(self) -> list[str]:
        if self.class_names is not None:
            return self.class_names
        n_out = 1 if self.value is None else self.value.shape[1]
        if self.coef is not None:
            n_out = self.coef.shape[0]
        return ["value"] if n_out == 1 else [f"y[{k}]" for k in range(n_out)]


def _resolve(estimator, feature_names, class_names) -> _ModelView:
    """Unwrap distillers and pipelines and describe the student found inside."""
    names_f = None
    names_c = None
    categories = None
    transforms: list[Any] = []
    est = estimator
    for _ in range(32):  # nesting deeper than this is a cycle, not a model
        if isinstance(est, Pipeline):
            check_is_fitted(est)
            if len(est) > 1:
                head = est[:-1]
                transforms.append(head.transform)
                try:
                    names_f = [str(n) for n in head.get_feature_names_out(names_f)]
                except Exception:  # transformers without feature names out
                    names_f = None
            est = est[-1]
            continue
        if is_fitted_distiller(est):
            if names_f is None and hasattr(est, "feature_names_in_"):
                names_f = [str(n) for n in est.feature_names_in_]
            encoded = getattr(est, "categories_", None)
            if encoded and hasattr(est, "feature_names_in_"):
                columns = [str(c) for c in est.feature_names_in_]
                categories = {
                    columns.index(str(col)): [str(c) for c in cats]
                    for col, cats in encoded.items()
                    if str(col) in columns
                }
            if names_c is None and hasattr(est, "classes_"):
                # The student predicts column indices into the distiller's classes_,
                # and may have seen only some of them (hard targets, or classes
                # the teacher never predicts): name its own classes.
                student = est.student_
                if isinstance(student, Pipeline):
                    student = student[-1]
                columns = getattr(student, "classes_", range(len(est.classes_)))
                names_c = [str(est.classes_[int(i)]) for i in columns]
            if hasattr(est, "_student_matrix"):  # the distiller's input conversion
                transforms.append(partial(est._student_matrix, reset=False))
            est = est.student_
            continue
        axis_tao = getattr(est, "split", None) == "axis" and hasattr(est, "as_sklearn")
        if (hasattr(est, "inner_weights_") and not axis_tao) or hasattr(est, "tree_"):
            break
        if hasattr(est, "as_sklearn") and callable(est.as_sklearn):
            check_is_fitted(est)
            if names_f is None and hasattr(est, "feature_names_in_"):
                names_f = [str(n) for n in est.feature_names_in_]
            if names_c is None and hasattr(est, "classes_"):
                names_c = [str(c) for c in est.classes_]
            est = est.as_sklearn()
            continue
        if hasattr(est, "coef_"):
            break
        try:
            check_is_fitted(est)  # an unfitted estimator: NotFittedError says so
        except TypeError:
            pass  # not an estimator at all; the message below lists what is accepted
        raise TypeError(
            f"Cannot export an estimator of type {type(est).__name__}. Supported: "
            "interpretkd soft and oblique trees, scikit-learn decision trees and "
            "linear models, a fitted DistilledClassifier/DistilledRegressor or a "
            "Pipeline ending in one of these. For an ensemble, export one of its "
            "estimators_, or distill it into a tree first."
        )
    else:  # pragma: no cover - defensive
        raise TypeError("Estimator nesting is too deep to export.")

    if names_f is None and hasattr(est, "feature_names_in_"):
        names_f = [str(n) for n in est.feature_names_in_]
    if hasattr(est, "inner_weights_"):
        view = _oblique_view(est)
    elif hasattr(est, "tree_"):
        view = _axis_view(est)
    else:
        view = _linear_view(est)
    view.transforms = transforms
    view.categories = categories

    view.feature_names = _check_names(
        feature_names if feature_names is not None else names_f,
        view.n_features,
        "feature_names",
        default=[f"x[{i}]" for i in range(view.n_features)],
        explicit=feature_names is not None,
    )
    if view.is_classifier:
        n_classes = _n_classes(view)
        default = [str(c) for c in getattr(est, "classes_", range(n_classes))]
        view.class_names = _check_names(
            class_names if class_names is not None else names_c,
            n_classes,
            "class_names",
            default=default,
            explicit=class_names is not None,
        )
    elif class_names is not None:
        raise ValueError(
            "class_names was given but the student is a regressor; leave it at None."
        )
    return view


def _n_classes(view: _ModelView) -> int:
    if view.value is not None:
        return view.value.shape[1]
    n = view.coef.shape[0]
    return 2 if n == 1 else n


def _check_names(names, n, what, *, default, explicit) -> list[str]:
    if names is None:
        return list(default)
    if isinstance(names, str) or not isinstance(names, Sequence | np.ndarray):
        raise TypeError(
            f"{what} must be a list of {n} strings, got {type(names).__name__}."
        )
    names = [str(v) for v in names]
    if len(names) != n:
        if not explicit:
            return list(default)
        raise ValueError(
            f"{what} has {len(names)} entries but the model has {n}; pass one name "
            "per "
            + ("input feature of the student." if "feature" in what else "class.")
        )
    return names


def _axis_view(est) -> _ModelView:
    tree = est.tree_
    if tree.n_outputs > 1 and hasattr(est, "classes_"):
        raise ValueError(
            "Multi-output decision tree classifiers cannot be exported; fit one tree "
            "per output."
        )
    is_classifier = hasattr(est, "classes_")
    value = tree.value[:, 0, :] if is_classifier else tree.value[:, :, 0]
    value = np.asarray(value, dtype=np.float64)
    if is_classifier:
        totals = value.sum(axis=1, keepdims=True)
        value = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
    weighted = np.asarray(tree.weighted_n_node_samples, dtype=np.float64)
    left = np.asarray(tree.children_left, dtype=np.int64)
    right = np.asarray(tree.children_right, dtype=np.int64)
    missing = getattr(tree, "missing_go_to_left", None)
    return _ModelView(
        kind="axis",
        is_classifier=is_classifier,
        n_features=int(tree.n_features),
        feature_names=[],
        class_names=None,
        children_left=left,
        children_right=right,
        depth=_depths(left, right),
        value=value,
        share=weighted / weighted[0] if weighted[0] > 0 else None,
        samples=np.asarray(tree.n_node_samples, dtype=np.int64),
        feature=np.asarray(tree.feature, dtype=np.int64),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        missing_left=None if missing is None else np.asarray(missing, dtype=bool),
    )


def _depths(left, right) -> np.ndarray:
    depth = np.zeros(len(left), dtype=np.int64)
    for node in range(len(left)):  # sklearn numbers a parent before its children
        if left[node] >= 0:
            depth[left[node]] = depth[node] + 1
            depth[right[node]] = depth[node] + 1
    return depth


def _oblique_view(est) -> _ModelView:
    weights = np.asarray(est.inner_weights_, dtype=np.float64)
    if weights.ndim != 2:
        raise ValueError(
            f"inner_weights_ must be 2-D (n_inner, n_features); got {weights.shape}."
        )
    n_inner, n_features = weights.shape
    tree_depth = int(round(np.log2(n_inner + 1)))
    if 2**tree_depth - 1 != n_inner:
        raise ValueError(
            f"inner_weights_ has {n_inner} rows; a heap-numbered tree has 2**depth - 1 "
            "inner nodes."
        )
    n_leaves = n_inner + 1
    n_nodes = n_inner + n_leaves
    bias = np.asarray(getattr(est, "inner_bias_", np.zeros(n_inner)), dtype=np.float64)
    beta = np.broadcast_to(
        np.asarray(getattr(est, "beta_", 1.0), dtype=np.float64), (n_inner,)
    ).copy()
    is_classifier = hasattr(est, "leaf_distributions_")
    if is_classifier:
        leaves = np.asarray(est.leaf_distributions_, dtype=np.float64)
    else:
        leaves = np.asarray(est.leaf_values_, dtype=np.float64)
        if leaves.ndim == 1:
            leaves = leaves[:, None]
    value = np.full((n_nodes, leaves.shape[1]), np.nan)
    value[n_inner:] = leaves
    share = getattr(est, "node_sample_share_", None)
    if share is not None:
        share = np.asarray(share, dtype=np.float64)
        if share.shape != (n_nodes,):
            share = None
        elif is_classifier:
            # An inner node's distribution: its leaves weighted by the data they hold.
            for node in range(n_inner - 1, -1, -1):
                kids = [2 * node + 1, 2 * node + 2]
                mass = share[kids].sum()
                if mass > 0:
                    value[node] = (value[kids] * share[kids, None]).sum(axis=0) / mass
    nodes = np.arange(n_nodes)
    left = np.where(nodes < n_inner, 2 * nodes + 1, -1)
    right = np.where(nodes < n_inner, 2 * nodes + 2, -1)
    full_weights = np.zeros((n_nodes, n_features))
    full_weights[:n_inner] = weights
    full_bias = np.zeros(n_nodes)
    full_bias[:n_inner] = bias
    full_beta = np.ones(n_nodes)
    full_beta[:n_inner] = beta
    return _ModelView(
        kind="oblique",
        is_classifier=is_classifier,
        n_features=n_features,
        feature_names=[],
        class_names=None,
        children_left=left,
        children_right=right,
        depth=np.floor(np.log2(nodes + 1)).astype(np.int64),
        value=value,
        share=share,
        weights=full_weights,
        bias=full_bias,
        beta=full_beta,
        soft=hasattr(est, "path_probability") or hasattr(est, "beta_"),
        feature_scale=_feature_scale(est, n_features),
    )


def _feature_scale(est, n_features: int) -> np.ndarray | None:
    scale = getattr(est, "feature_scale_", None)
    if scale is None:
        return None
    scale = np.asarray(scale, dtype=np.float64)
    return scale if scale.shape == (n_features,) else None


def _linear_view(est) -> _ModelView:
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.atleast_1d(
        np.asarray(getattr(est, "intercept_", np.zeros(coef.shape[0])), dtype=float)
    )
    intercept = np.broadcast_to(intercept, (coef.shape[0],)).copy()
    return _ModelView(
        kind="linear",
        is_classifier=hasattr(est, "classes_"),
        n_features=coef.shape[1],
        feature_names=[],
        class_names=None,
        coef=coef,
        intercept=intercept,
    )


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


# --------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------


def _num(v, precision: int) -> str:
    text = np.format_float_positional(
        np.float64(v), precision=precision, unique=True, trim="-"
    )
    return "0" if text in ("-0", "-0.") else text


def _check_precision(precision) -> int:
    return check_positive_int(precision, "precision", minimum=0)


def _check_top_k(top_k) -> int | None:
    """None spells out every term."""
    return None if top_k is None else check_positive_int(top_k, "top_k", minimum=0)


def _check_depth(max_depth) -> int | None:
    """None draws the whole tree."""
    if max_depth is None:
        return None
    return check_positive_int(max_depth, "max_depth", minimum=0)


def _check_share(min_share, view: _ModelView) -> float:
    if min_share is None:
        return _SOFT_MIN_SHARE if view.kind == "oblique" else 0.0
    if isinstance(min_share, bool) or not isinstance(min_share, numbers.Real):
        raise TypeError(
            f"min_share must be a number in [0, 1) or None, got {min_share!r}."
        )
    if not 0.0 <= min_share < 1.0:
        raise ValueError(
            f"min_share must be in [0, 1) (the smallest share of training data a drawn "
            f"subtree must hold); got {min_share}."
        )
    return float(min_share)


def _top_terms(
    w: np.ndarray, top_k: int | None, scale: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the non-zero weights, largest ``|w| * scale`` first, at most
    ``top_k`` (``scale`` is one per feature; None ranks by ``|w|``)."""
    nonzero = np.flatnonzero(w)
    strength = np.abs(w[nonzero])
    if scale is not None:
        strength = strength * scale[nonzero]
    order = nonzero[np.argsort(-strength, kind="stable")]
    return order if top_k is None else order[:top_k]


def _linear_text(view, w, b, precision, top_k, sep=" * ", scale=None) -> str:
    terms = _top_terms(w, top_k, scale)
    parts = []
    for i in terms:
        sign = "-" if w[i] < 0 else "+"
        parts.append(f"{sign} {_num(abs(w[i]), precision)}{sep}{view.feature_names[i]}")
    hidden = np.count_nonzero(w) - len(terms)
    if hidden > 0:
        parts.append(f"+ ... ({hidden} more term{'s' if hidden > 1 else ''})")
    sign = "-" if b < 0 else "+"
    parts.append(f"{sign} {_num(abs(b), precision)}")
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _blend(rgb: tuple[int, int, int], alpha: float) -> str:
    alpha = float(np.clip(alpha, 0.0, 1.0))
    mixed = [round(255 - alpha * (255 - c)) for c in rgb]
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _node_fill(view: _ModelView, node: int, value_range) -> str:
    value = view.value[node]
    if np.isnan(value).any():
        return "#f2f2f2"
    if view.is_classifier:
        k = int(np.argmax(value))
        n = len(value)
        purity = (value[k] - 1.0 / n) / (1.0 - 1.0 / n) if n > 1 else 1.0
        rgb = _hex_to_rgb(_CLASS_COLOURS[k % len(_CLASS_COLOURS)])
        return _blend(rgb, 0.15 + 0.75 * purity)
    lo, hi = value_range
    alpha = 0.5 if hi <= lo else (value[0] - lo) / (hi - lo)
    return _blend((229, 129, 57), 0.1 + 0.8 * alpha)


def _weight_colour(w: float, scale: float) -> str:
    if scale <= 0:
        return "#ffffff"
    rgb = _POSITIVE if w > 0 else _NEGATIVE
    return _blend(rgb, abs(w) / scale)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------------------
# Which nodes to draw
# --------------------------------------------------------------------------------------


def _visible_nodes(view, max_depth, min_share, path_nodes):
    """Return (drawn, collapsed): nodes drawn in full, and cut-off stubs."""
    drawn: list[int] = []
    collapsed: list[int] = []
    stack = [0]
    on_path = set(path_nodes)
    while stack:
        node = stack.pop()
        small = (
            min_share > 0
            and view.share is not None
            and node != 0
            and view.share[node] < min_share
        )
        deep = max_depth is not None and view.depth[node] > max_depth
        if (small or deep) and node not in on_path:
            collapsed.append(node)
            continue
        drawn.append(node)
        if not view.is_leaf(node):
            stack.append(int(view.children_right[node]))
            stack.append(int(view.children_left[node]))
    return drawn, collapsed


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


def _inner_rows(view, node, precision, top_k) -> list[str]:
    if view.kind == "axis":
        if _category_side(view, node, True) is not None:
            return [_esc(_axis_condition(view, node, True, precision))]
        f = int(view.feature[node])
        threshold = _num(view.threshold[node], precision)
        return [f"{_esc(view.feature_names[f])} &le; {threshold}"]
    w = view.weights[node]
    terms = _top_terms(w, top_k, view.feature_scale)
    head = f"node {node}"
    if not np.any(w):  # a pruned split: the bias alone decides
        side = "right" if view.bias[node] * view.beta[node] > 0 else "left"
        return [f"<B>{head}</B>", f"every sample goes {side}"]
    if view.soft:
        head += f" &middot; &beta; = {_num(view.beta[node], min(precision, 2))}"
    rows = [f"<B>{head}</B>"]
    for i in terms:
        colour = "#b2182b" if w[i] > 0 else "#2166ac"
        sign = "+" if w[i] > 0 else "&minus;"
        rows.append(
            f'<FONT COLOR="{colour}">{sign}{_num(abs(w[i]), precision)}</FONT> '
            f"{_esc(view.feature_names[i])}"
        )
    hidden = int(np.count_nonzero(w)) - len(terms)
    tail = f"b = {_num(view.bias[node], precision)}"
    if hidden > 0 and len(terms) > 0:
        tail = f"&hellip; {hidden} more, " + tail
    rows.append(f'<FONT POINT-SIZE="8">{tail}</FONT>')
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
):
    """Draw a fitted student as a Graphviz graph.

    Axis-aligned trees show each split, the training samples reaching the node and
    its majority class, coloured by class. Soft and oblique trees show at each inner
    node the ``top_k`` features with the largest ``|weight|`` (signed), the bias and
    ``beta``; each edge shows the share of training data routed along it; leaves show
    their class distribution or value. A linear student is drawn as one table of its
    largest weights.

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
    class_names : list of str, default=None
        Names of the classes, in the order of ``classes_``. Defaults to ``classes_``
        (the distiller's, when given a distiller).
    max_depth : int, default=None
        Draw nodes down to this depth only; deeper subtrees become a ``(...)`` stub.
        The path of ``highlight`` is always drawn in full.
    top_k : int or None, default=3
        Terms shown per oblique split (or linear model), largest ``|weight|`` first
        — for estimators with ``feature_scale_`` (soft trees), largest
        ``|weight| * feature_scale_``, so a feature that barely varies cannot top
        the list with a huge raw weight; None shows every non-zero term.
    highlight : array-like of shape (n_features,), default=None
        One sample whose path is drawn in red, with the probability of each step
        (soft trees follow the max-path, as ``apply`` does). For a linear student the
        table gains the sample's values and each feature's contribution.
    image_shape : tuple of int, default=None
        For image inputs, e.g. ``(28, 28)``: each oblique split also shows its weights
        as a small picture (red positive, blue negative), as in Frosst & Hinton (2017);
        with ``feature_scale_`` each pixel's weight is multiplied by its spread, so
        near-constant border pixels do not swamp the picture.
    precision : int, default=3
        Digits after the decimal point of thresholds, weights and probabilities.
    min_share : float, default=None
        Subtrees receiving less than this share of the training data are collapsed
        into a stub. None: 0.001 for soft and oblique trees (whose soft routing leaves
        many near-empty branches) and 0 (draw everything) for axis-aligned trees.
    filled : bool, default=True
        Colour nodes by majority class (classification) or by value (regression).
    rotate : bool, default=False
        Draw left to right instead of top to bottom.
    out_file : str, default=None
        Also write the DOT text to this path.

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

    view = _resolve(estimator, feature_names, class_names)
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
            )
        )
    lines.append("}")
    source = "\n".join(lines) + "\n"
    if out_file is not None:
        with open(out_file, "w", encoding="utf-8") as fh:
            fh.write(source)
    return graphviz.Source(source)


def _tree_dot(
    view, max_depth, top_k, highlight, image_shape, precision, min_share, filled
):
    path_nodes: list[int] = []
    path_prob = 1.0
    steps: dict[int, dict] = {}
    if highlight is not None:
        row = _as_row(view, highlight)
        path_nodes, step_list, path_prob = _route(view, row, precision, top_k)
        steps = {s["node"]: s for s in step_list}
    on_path = set(path_nodes)
    drawn, collapsed = _visible_nodes(view, max_depth, min_share, path_nodes)
    leaves = view.value[view.children_left < 0]
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
            if view.kind == "oblique":
                rows.append(f"<B>leaf {node - (view.n_nodes - 1) // 2}</B>")
            rows.extend(_value_rows(view, node, precision))
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
        attrs = [f"label={_html_label(rows, extra)}"]
        if filled and not extra:
            attrs.append(f'fillcolor="{_node_fill(view, node, value_range)}"')
        if node in on_path:
            attrs.append(f'color="{_HIGHLIGHT}", penwidth=2.5, class="highlight"')
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
    if node == 0 or node in steps:
        if view.kind == "axis":
            parts.append("yes" if side == "left" else "no")
        else:
            parts.append("&le; 0" if side == "left" else "&gt; 0")
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
    row_x = None if highlight is None else _as_row(view, highlight)
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
    w, b = view.weights[node], view.bias[node]
    if view.beta[node] < 0:  # right when beta * score > 0, i.e. score < 0
        w, b = -w, -b
    op = "<=" if go_left else ">"
    text = _linear_text(view, w, b, precision, top_k, scale=view.feature_scale)
    return f"{text} {op} 0"


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
    """Write a fitted student as if/then rules.

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
        non-zero term, so the rules decide exactly as the tree's max-path does.
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
    An oblique split reads ``w1 * a + w2 * b + bias > 0`` for the right branch; for a
    soft tree that is where the node sends a sample with probability above 1/2.
    Linear students are written as one equation per output.
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
    lines: list[str] = []

    def walk(node: int, indent: int, conditions: list[str]) -> None:
        pad = "|   " * indent
        if node in cut:
            share = ""
            if view.share is not None:
                share = f" (share={100 * view.share[node]:.2g}%)"
            if style == "tree":
                lines.append(f"{pad}...{share}")
            else:
                lines.append(f"if {' and '.join(conditions) or 'True'} then ...{share}")
            return
        if view.is_leaf(node):
            leaf = _leaf_text(view, node, precision, show_samples)
            if style == "tree":
                lines.append(f"{pad}then {leaf}")
            else:
                lines.append(f"if {' and '.join(conditions) or 'True'} then {leaf}")
            return
        left_cond = _condition(view, node, True, precision, top_k)
        right_cond = _condition(view, node, False, precision, top_k)
        if style == "tree":
            lines.append(f"{pad}if {left_cond}:")
            walk(int(view.children_left[node]), indent + 1, conditions)
            lines.append(f"{pad}else:  # {right_cond}")
            walk(int(view.children_right[node]), indent + 1, conditions)
        else:
            walk(int(view.children_left[node]), indent, [*conditions, left_cond])
            walk(int(view.children_right[node]), indent, [*conditions, right_cond])

    walk(0, 0, [])
    return "\n".join(lines) + "\n"


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


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------


def to_dict(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> dict:
    """Describe a fitted student as plain Python data (JSON-serialisable).

    Parameters
    ----------
    estimator : fitted estimator
        See :func:`export_graphviz`.
    feature_names, class_names : list of str, default=None
        See :func:`export_graphviz`.

    Returns
    -------
    tree : dict
        ``kind`` (``"axis"``, ``"oblique"`` or ``"linear"``), ``task``,
        ``feature_names``, ``class_names`` (classifiers), and either ``nodes`` (trees:
        one dict per node with ``id``, ``depth``, ``left``/``right`` child ids (None at
        leaves), the split — ``feature`` and ``threshold`` (go left when
        ``x[feature] <= threshold``) or ``weights``, ``bias`` and ``beta`` (go right
        when ``beta * (weights @ x + bias) > 0``) — and ``value`` at leaves, plus
        ``samples``/``share`` where known) or ``coef`` and ``intercept`` (linear).
    """
    view = _resolve(estimator, feature_names, class_names)
    out: dict[str, Any] = {
        "kind": view.kind,
        "task": "classification" if view.is_classifier else "regression",
        "feature_names": list(view.feature_names),
    }
    if view.is_classifier:
        out["class_names"] = list(view.class_names)
    if view.kind == "linear":
        out["coef"] = view.coef.tolist()
        out["intercept"] = view.intercept.tolist()
        return out
    if view.kind == "oblique":
        out["soft"] = bool(view.soft)
    nodes = []
    for node in range(view.n_nodes):
        leaf = view.is_leaf(node)
        entry: dict[str, Any] = {
            "id": node,
            "depth": int(view.depth[node]),
            "left": None if leaf else int(view.children_left[node]),
            "right": None if leaf else int(view.children_right[node]),
        }
        if not leaf:
            if view.kind == "axis":
                entry["feature"] = int(view.feature[node])
                entry["threshold"] = float(view.threshold[node])
            else:
                entry["weights"] = view.weights[node].tolist()
                entry["bias"] = float(view.bias[node])
                entry["beta"] = float(view.beta[node])
        value = view.value[node]
        if not np.isnan(value).any():
            entry["value"] = value.tolist()
        if view.samples is not None:
            entry["samples"] = int(view.samples[node])
        if view.share is not None:
            entry["share"] = float(view.share[node])
        nodes.append(entry)
    out["nodes"] = nodes
    return out


def export_json(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    indent: int | None = 2,
    out_file: str | None = None,
) -> str:
    """Write :func:`to_dict` of a fitted student as JSON text.

    Parameters
    ----------
    estimator : fitted estimator
        See :func:`export_graphviz`.
    feature_names, class_names : list of str, default=None
        See :func:`export_graphviz`.
    indent : int or None, default=2
        Passed to :func:`json.dumps`.
    out_file : str, default=None
        Also write the JSON text to this path.

    Returns
    -------
    text : str
    """
    text = json.dumps(
        to_dict(estimator, feature_names=feature_names, class_names=class_names),
        indent=indent,
    )
    if out_file is not None:
        with open(out_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    return text
