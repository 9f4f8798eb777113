"""A common view of every supported student: what export needs to know about it.

Unwraps distillers and pipelines and describes the student found inside as arrays
over its nodes (trees) or its coefficients (linear models), with names. Where a row
goes is never worked out here: :meth:`_ModelView.paths` passes the rows through the
wrappers' own conversions and asks the student's ``decision_path``, so every picture,
rule and path export draws is the route the model takes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from interpretkd._validation import is_fitted_distiller

# How a tree student sends a row to a leaf (``_ModelView.routing``).
HARD = "hard"  # one test per node decides: the rules are the model
SOFT_ROUTINGS = ("greedy", "max_path", "mixture")  # a soft tree's prediction modes


@dataclass
class _ModelView:
    """What export needs to know about a fitted student, whatever its class."""

    kind: str  # "axis", "oblique" or "linear"
    is_classifier: bool
    n_features: int
    feature_names: list[str]
    class_names: list[str] | None
    # Trees: the estimator whose ``decision_path`` routes rows (its columns are the
    # node ids below), the conversions from the user's rows to its input, and how
    # it routes: HARD, or a soft tree's ``prediction`` ("greedy" is hard too: the
    # likelier branch at every node).
    model: Any = None
    transforms: list[Any] = field(default_factory=list)
    routing: str = HARD
    # Trees (axis and oblique): arrays over all node ids; only the nodes reachable
    # from ``root`` are part of the tree (a TAO tree's pruned nodes are skipped).
    root: int = 0
    children_left: np.ndarray | None = None
    children_right: np.ndarray | None = None
    depth: np.ndarray | None = None
    value: np.ndarray | None = None  # (n_nodes, n_classes) or (n_nodes, n_outputs)
    share: np.ndarray | None = None  # share of training data reaching each node
    samples: np.ndarray | None = None  # training rows reaching each node (hard trees)
    # Whether the model compares float32 values (scikit-learn's and TAO trees).
    reads_float32: bool = False
    # Axis-aligned splits: left when x[feature] <= threshold.
    feature: np.ndarray | None = None
    threshold: np.ndarray | None = None
    missing_left: np.ndarray | None = None
    # Oblique splits: right when w @ x + b > 0 (soft: with probability
    # sigmoid(beta * (w @ x + b))).
    weights: np.ndarray | None = None
    bias: np.ndarray | None = None
    beta: np.ndarray | None = None
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
    # A Pipeline's scalers just before the student: it sees x * mul + add.
    # ``in_data_units`` rewrites the splits for the rows before them, and
    # ``inputs`` then gives those rows' values.
    unscale: tuple[np.ndarray, np.ndarray] | None = None
    data_units: bool = False

    def in_data_units(self) -> _ModelView:
        """This view with splits and weights on the rows the user passes: a
        Pipeline's per-feature scalers (StandardScaler, MinMaxScaler, ...) undone,
        so that ``x > 16.8`` reads in the data's units. Routing still asks the
        model."""
        if self.unscale is None or self.data_units:
            return self
        mul, add = self.unscale
        view = copy.copy(self)
        view.data_units = True
        if self.threshold is not None:  # x * mul + add <= t  <=>  x <= (t - add) / mul
            f = np.where(self.feature >= 0, self.feature, 0)
            view.threshold = (self.threshold - add[f]) / mul[f]
        if self.weights is not None:  # w @ (x * mul + add) + b
            view.weights = self.weights * mul
            view.bias = self.bias + self.weights @ add
        if self.feature_scale is not None:
            view.feature_scale = self.feature_scale / mul
        if self.coef is not None:
            view.coef = self.coef * mul
            view.intercept = self.intercept + self.coef @ add
        return view

    @property
    def n_nodes(self) -> int:
        return 0 if self.children_left is None else len(self.children_left)

    @property
    def soft(self) -> bool:
        """Whether the nodes have branch probabilities (a soft tree)."""
        return self.routing in SOFT_ROUTINGS

    @property
    def exact_rules(self) -> bool:
        """Whether one test per node decides the path, so rules are the model."""
        return self.routing in (HARD, "greedy")

    def is_leaf(self, node: int) -> bool:
        return self.children_left[node] < 0

    def nodes(self) -> list[int]:
        """The tree's nodes, parents before children (depth first, left first)."""
        out, stack = [], [self.root]
        while stack:
            node = stack.pop()
            out.append(node)
            if not self.is_leaf(node):
                stack += [int(self.children_right[node]), int(self.children_left[node])]
        return out

    def output_names(self) -> list[str]:
        if self.class_names is not None:
            return self.class_names
        n_out = 1 if self.value is None else self.value.shape[1]
        if self.coef is not None:
            n_out = self.coef.shape[0]
        return ["value"] if n_out == 1 else [f"y[{k}]" for k in range(n_out)]

    def inputs(self, X, what: str = "X"):
        """User rows converted as ``predict`` converts them: (model input, floats)."""
        if isinstance(X, pd.Series):
            X = X.to_frame().T.infer_objects()
        elif not hasattr(X, "columns") and not hasattr(X, "toarray"):
            X = np.asarray(X)
            if X.ndim == 1:
                X = X[None, :]
        for transform in self.transforms:
            X = transform(X)
        values = X.toarray() if hasattr(X, "toarray") else X
        # scikit-learn's and TAO trees compare float32 values: show the values
        # they compare.
        dtype = np.float32 if self.reads_float32 else np.float64
        values = np.asarray(values, dtype=dtype).astype(np.float64)
        if self.data_units:  # the values before the pipeline's scalers
            values = (values - self.unscale[1]) / self.unscale[0]
        if values.ndim != 2 or values.shape[1] != self.n_features:
            width = values.shape[-1] if values.ndim else 1
            raise ValueError(
                f"{what} has {width} features but the student expects "
                f"{self.n_features}."
            )
        names = getattr(self.model, "feature_names_in_", None)
        if names is not None and not hasattr(X, "columns"):
            X = pd.DataFrame(np.asarray(X), columns=names)
        elif names is None and hasattr(X, "columns"):
            X = X.to_numpy()
        return X, values

    def paths(self, X, what: str = "X") -> tuple[list[list[int]], np.ndarray]:
        """The nodes each row passes, root to leaf, as the model's ``decision_path``
        reports them, and the rows as the student sees them (floats)."""
        X_model, values = self.inputs(X, what)
        indicator = self.model.decision_path(X_model).tocsr()
        indicator.sort_indices()
        # Node ids grow from root to leaf (sklearn numbers depth first, heap order
        # by level). A TAO tree's path also lists its pruned nodes; the view skips
        # them, as the tree's structure does.
        in_tree = np.zeros(self.n_nodes, dtype=bool)
        in_tree[self.nodes()] = True
        paths = [
            [int(n) for n in indicator.indices[start:stop] if in_tree[n]]
            for start, stop in zip(indicator.indptr[:-1], indicator.indptr[1:])
        ]
        return paths, values


def _resolve(estimator, feature_names, class_names) -> _ModelView:
    """Unwrap distillers and pipelines and describe the student found inside."""
    names_f = None
    names_c = None
    categories = None
    unscale = None  # the affine map of scalers just before the student
    node_rows = None  # a distiller's count of its training rows at each node
    transforms: list[Any] = []
    named = None  # the outermost model that keeps names for its classes
    est = estimator
    for _ in range(32):  # nesting deeper than this is a cycle, not a model
        if named is None and getattr(est, "class_names_", None) is not None:
            named = est
        if isinstance(est, Pipeline):
            check_is_fitted(est)
            if len(est) > 1:
                head = est[:-1]
                transforms.append(head.transform)
                unscale = _affine(head)
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
                # The student predicts the distiller's labels, and may have seen
                # only some of them (hard targets, or classes the teacher never
                # predicts): name its own classes.
                student = est.student_
                if isinstance(student, Pipeline):
                    student = student[-1]
                names_c = [str(c) for c in getattr(student, "classes_", est.classes_)]
            node_rows = getattr(est, "student_node_rows_", None)
            transforms.append(est.transform_for_student)  # the distiller's input
            est = est.student_
            continue
        if hasattr(est, "inner_weights_") or hasattr(est, "tree_"):
            break
        if hasattr(est, "coef_"):
            break
        try:
            check_is_fitted(est)  # an unfitted estimator: NotFittedError says so
        except TypeError:
            pass  # not an estimator at all; the message below lists what is accepted
        raise TypeError(
            f"Cannot export an estimator of type {type(est).__name__}. Supported: "
            "interpretkd soft and TAO trees, scikit-learn decision trees and "
            "linear models, a fitted DistilledClassifier/DistilledRegressor or a "
            "Pipeline ending in one of these. For an ensemble, export one of its "
            "estimators_, or distill it into a tree first."
        )
    else:  # pragma: no cover - defensive
        raise TypeError("Estimator nesting is too deep to export.")

    if names_f is None and hasattr(est, "feature_names_in_"):
        names_f = [str(n) for n in est.feature_names_in_]
    if names_c is None and hasattr(est, "classes_"):
        names_c = [str(c) for c in est.classes_]
    if hasattr(est, "inner_weights_"):
        view = _heap_view(est)
    elif hasattr(est, "tree_"):
        view = _axis_view(est)
    else:
        view = _linear_view(est)
    view.model = est
    view.transforms = transforms
    view.categories = categories
    if unscale is not None and len(unscale[0]) == view.n_features:
        view.unscale = unscale
    if view.samples is not None and node_rows is not None:
        # Rows, not the weighted copies a soft-label expansion fit the tree on.
        node_rows = np.asarray(node_rows, dtype=np.int64)
        if node_rows.shape == view.samples.shape:
            view.samples = node_rows

    view.feature_names = _check_names(
        feature_names if feature_names is not None else names_f,
        view.n_features,
        "feature_names",
        default=[f"x[{i}]" for i in range(view.n_features)],
        explicit=feature_names is not None,
    )
    if view.is_classifier:
        n_classes = _n_classes(view)
        if class_names is None and named is not None:
            class_names = _kept_class_names(named, names_c)
        if isinstance(class_names, Mapping):
            class_names = _rename_classes(class_names, names_c, n_classes)
        view.class_names = _check_names(
            class_names if class_names is not None else names_c,
            n_classes,
            "class_names",
            default=[str(c) for c in range(n_classes)],
            explicit=class_names is not None,
        )
    elif class_names is not None:
        raise ValueError(
            "class_names was given but the student is a regressor; leave it at None."
        )
    return view


def _affine(head: Pipeline) -> tuple[np.ndarray, np.ndarray] | None:
    """``(mul, add)`` with ``head.transform(X) == X * mul + add`` when every step
    of ``head`` is a fitted per-feature scaler (mul > 0); None otherwise."""
    mul, add = np.float64(1.0), np.float64(0.0)
    for _, step in head.steps:
        if step is None or step == "passthrough":
            continue
        name = type(step).__name__
        if type(step).__module__.split(".")[0] != "sklearn":
            return None
        if name == "StandardScaler":
            centre = step.mean_ if step.with_mean else None
        elif name == "RobustScaler":
            centre = step.center_
        if name in ("StandardScaler", "RobustScaler"):
            scale = step.scale_
            m = 1.0 / scale if scale is not None else np.float64(1.0)
            a = -centre * m if centre is not None else np.float64(0.0)
        elif name == "MinMaxScaler" and not step.clip:
            m, a = step.scale_, step.min_
        elif name == "MaxAbsScaler":
            m, a = 1.0 / step.scale_, np.float64(0.0)
        else:
            return None
        mul, add = mul * m, add * m + a
    mul, add = np.atleast_1d(mul).astype(np.float64), np.atleast_1d(add)
    n = max(mul.size, add.size)
    mul, add = np.broadcast_to(mul, (n,)).copy(), np.broadcast_to(add, (n,)).copy()
    if not np.all(np.isfinite(mul) & (mul > 0) & np.isfinite(add)):
        return None
    return mul, add.astype(np.float64)


def _kept_class_names(model, labels) -> dict[str, str]:
    """The names a model keeps for its classes (``class_names_``: one per label of
    its ``classes_``, e.g. those ``interpretkd distill --class-names`` saved), by
    label, for the labels the student predicts (``labels``; None: all)."""
    names, classes = model.class_names_, getattr(model, "classes_", None)
    if (
        classes is None
        or isinstance(names, str)
        or not isinstance(names, Sequence | np.ndarray)
        or len(names) != len(classes)
    ):
        count = "no classes_" if classes is None else f"{len(classes)} classes"
        raise ValueError(
            f"{type(model).__name__}.class_names_ must be a list of names, one per "
            f"label of its classes_ ({count}); got {names!r}. Set it to one name per "
            "class, or delete it to show the labels."
        )
    kept = {str(c): str(n) for c, n in zip(classes, names)}
    return kept if labels is None else {k: v for k, v in kept.items() if k in labels}


def _rename_classes(names: Mapping, labels, n_classes: int) -> list[str]:
    """Names for the model's classes from a {label: name} mapping; a label the
    mapping leaves out keeps its own name."""
    labels = labels if labels is not None else [str(c) for c in range(n_classes)]
    given = {str(k): str(v) for k, v in names.items()}
    unknown = sorted(set(given) - set(labels))
    if unknown:
        raise ValueError(
            f"class_names names {', '.join(map(repr, unknown))}, which the model "
            f"does not predict; its classes are {', '.join(map(repr, labels))}. "
            "Key the mapping by class label."
        )
    return [given.get(label, label) for label in labels]


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
        reads_float32=True,
        feature_names=[],
        class_names=None,
        children_left=left,
        children_right=right,
        depth=_depths(left, right, 0),
        value=value,
        share=weighted / weighted[0] if weighted[0] > 0 else None,
        samples=np.asarray(tree.n_node_samples, dtype=np.int64),
        feature=np.asarray(tree.feature, dtype=np.int64),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        missing_left=None if missing is None else np.asarray(missing, dtype=bool),
    )


def _depths(left, right, root) -> np.ndarray:
    depth = np.zeros(len(left), dtype=np.int64)
    for node in range(root, len(left)):  # a parent is numbered before its children
        if left[node] >= 0:
            depth[left[node]] = depth[node] + 1
            depth[right[node]] = depth[node] + 1
    return depth


def _heap_view(est) -> _ModelView:
    """A heap-numbered tree: a soft tree or a TAO tree (see ``interpretkd.tao``).

    An all-zero row of a hard tree's ``inner_weights_`` is a pruned node: every row
    goes left (bias <= 0) or right, so the view links its parent straight to the
    child that is taken, and the other subtree is not part of the tree.
    """
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
    n_nodes = 2 * n_inner + 1
    bias = np.asarray(getattr(est, "inner_bias_", np.zeros(n_inner)), dtype=np.float64)
    beta = np.broadcast_to(
        np.asarray(getattr(est, "beta_", 1.0), dtype=np.float64), (n_inner,)
    )
    soft = hasattr(est, "path_probability")
    routing = getattr(est, "prediction", "max_path") if soft else HARD
    pruned = np.zeros(n_inner, dtype=bool) if soft else ~np.any(weights, axis=1)

    def taken(node: int) -> int:  # the first node below ``node`` that is not pruned
        while node < n_inner and pruned[node]:
            node = 2 * node + 1 + int(bias[node] > 0)
        return node

    left = np.full(n_nodes, -1, dtype=np.int64)
    right = np.full(n_nodes, -1, dtype=np.int64)
    for node in np.flatnonzero(~pruned):
        left[node], right[node] = taken(2 * node + 1), taken(2 * node + 2)
    root = taken(0)

    is_classifier = hasattr(est, "leaf_distributions_")
    leaves = np.asarray(
        est.leaf_distributions_ if is_classifier else est.leaf_values_,
        dtype=np.float64,
    )
    leaves = leaves.reshape(n_inner + 1, -1)
    value = np.full((n_nodes, leaves.shape[1]), np.nan)
    value[n_inner:] = leaves
    # The training data reaching each node: a soft tree's mean path probability, a
    # TAO tree's training rows and weight.
    samples = getattr(est, "n_node_samples_", None)
    mass = getattr(est, "weighted_n_node_samples_", None)
    share = getattr(est, "node_sample_share_", None)
    if mass is not None and mass.shape == (n_nodes,) and mass[root] > 0:
        share = np.asarray(mass, dtype=np.float64) / mass[root]
    if share is not None:
        share = np.asarray(share, dtype=np.float64)
        share = share if share.shape == (n_nodes,) else None
    axis = not soft and getattr(est, "split", None) == "axis" and _one_feature(weights)
    if share is not None and (is_classifier or axis):
        # An inner node's value: its children's weighted by the data they hold.
        for node in range(n_inner - 1, -1, -1):
            if pruned[node]:
                continue
            kids = [left[node], right[node]]
            total = share[kids].sum()
            if total > 0:
                value[node] = (value[kids] * share[kids, None]).sum(axis=0) / total
    view = _ModelView(
        kind="axis" if axis else "oblique",
        is_classifier=is_classifier,
        n_features=n_features,
        reads_float32=not soft,
        feature_names=[],
        class_names=None,
        routing=routing,
        root=root,
        children_left=left,
        children_right=right,
        depth=_depths(left, right, root),
        value=value,
        share=share,
        samples=None if samples is None else np.asarray(samples, dtype=np.int64),
        feature_scale=_feature_scale(est, n_features),
    )
    if axis:
        # A TAO axis split sends x right when x[f] + b > 0: left when x[f] <= -b.
        view.feature = np.zeros(n_nodes, dtype=np.int64)
        view.feature[:n_inner] = np.argmax(weights != 0, axis=1)
        view.threshold = np.zeros(n_nodes)
        view.threshold[:n_inner] = -bias
    else:
        view.weights = np.zeros((n_nodes, n_features))
        view.weights[:n_inner] = weights
        view.bias = np.zeros(n_nodes)
        view.bias[:n_inner] = bias
        view.beta = np.ones(n_nodes)
        view.beta[:n_inner] = beta
    return view


def _one_feature(weights: np.ndarray) -> bool:
    """Every split tests one feature with weight 1 (pruned rows are all zero)."""
    nonzero = weights != 0
    return bool(np.all(nonzero.sum(axis=1) <= 1) and np.all(weights[nonzero] == 1.0))


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
        routing="",
        coef=coef,
        intercept=intercept,
    )
