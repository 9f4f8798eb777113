"""What both TAO trees share: parameters, routing and the public structure."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from interpretkd._tabular import resolve_categorical
from interpretkd.tao._optimiser import _TAOOptimiser
from interpretkd.tao._routing import _route, _route_path

# Deeper complete trees have more leaves than anyone reads.
_MAX_DEPTH = 16


class _BaseTAOTree(_TAOOptimiser, BaseEstimator):
    """Machinery shared by the TAO classifier and regressor (not public)."""

    accepts_soft_targets = False

    _parameter_constraints: dict = {
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left"), None],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "split": [StrOptions({"axis", "oblique"})],
        "max_features_per_split": [Interval(Integral, 1, None, closed="left"), None],
        "categorical_features": ["array-like", None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"auto", "rollout", "cart"})],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # Whether init="auto" starts trees without a leaf budget from the rollout tree.
    _rollout_by_default = False
    # Whether the rollout start also looks ahead below its top levels (_start.py).
    _rollout_deep_lookahead = False

    def __init__(
        self,
        *,
        max_depth=5,
        max_leaf_nodes=None,
        min_samples_leaf=1,
        split="axis",
        max_features_per_split=3,
        categorical_features=None,
        max_iter=10,
        tol=0.0,
        n_init=1,
        init="auto",
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.split = split
        self.max_features_per_split = max_features_per_split
        self.categorical_features = categorical_features
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _check_depth(self) -> int:
        """What the constraint on max_depth cannot say: why 16 is the limit."""
        if self.max_depth > _MAX_DEPTH:
            raise ValueError(
                f"max_depth must be <= {_MAX_DEPTH} (a complete tree of depth "
                f"{self.max_depth} has {2**self.max_depth} leaves, far beyond what a "
                f"person reads); got {self.max_depth}."
            )
        return int(self.max_depth)

    def _categorical_mask(self, n_features: int) -> np.ndarray:
        """``categorical_features`` resolved against the validated X of ``fit``."""
        declared = resolve_categorical(
            self.categorical_features,
            n_features,
            getattr(self, "feature_names_in_", None),
        )
        mask = np.zeros(n_features, dtype=bool)
        mask[sorted(declared)] = True
        return mask

    def _x_dtype(self):
        # TAO trees read float32 values, as scikit-learn's trees do: as_sklearn()
        # then predicts identically, and a one-feature split (axis trees, and the
        # rollout's and CART's splits in oblique trees) is exactly the inequality
        # export writes, which is exact for float32 values. Projections and
        # thresholds are still computed in float64 (the weights are float64).
        return np.float32

    # --------------------------------------------------------------------- fitting
    def _set_public_arrays(self, X, T, w):
        n_inner = 2**self._tree_depth - 1
        p = self.n_features_in_
        weights = np.zeros((n_inner, p))
        rows = np.repeat(np.arange(n_inner), self._feat_idx.shape[1])
        np.add.at(weights, (rows, self._feat_idx.ravel()), self._feat_val.ravel())
        self.inner_weights_ = weights
        self.inner_bias_ = self._bias.copy()
        self._set_node_statistics(X, T, w)
        # The spread of each feature on the training rows (weighted like the fit):
        # export ranks an oblique split's terms by |weight| x spread, so a feature
        # that barely varies cannot lead a printed inequality, and importance splits
        # each live node's share of the training weight in the same proportion.
        Xf = np.asarray(X, dtype=np.float64)
        ww = w if w.sum() > 0 else None
        mean = np.average(Xf, axis=0, weights=ww)
        spread = np.sqrt(np.average((Xf - mean) ** 2, axis=0, weights=ww))
        spread[~(spread > 0)] = 1.0
        self.feature_scale_ = spread
        contrib = np.abs(weights) * spread
        sums = contrib.sum(axis=1, keepdims=True)
        share = np.divide(contrib, sums, out=np.zeros_like(contrib), where=sums > 0)
        node_weight = self.weighted_n_node_samples_[:n_inner, None]
        importances = (share * node_weight).sum(axis=0)
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances

    def _set_node_statistics(self, X, T, w):
        """Training rows, their weight, and the weighted mean and impurity of their
        targets at every node (heap order), from the tree's own routing."""
        depth = self._tree_depth
        n_nodes = 2 ** (depth + 1) - 1
        path = _route_path(X, depth, self._feat_idx, self._feat_val, self._bias)
        T = T.reshape(T.shape[0], -1)
        count = np.zeros(n_nodes, dtype=np.int64)
        weight = np.zeros(n_nodes)
        first = np.zeros((n_nodes, T.shape[1]))
        second = np.zeros((n_nodes, T.shape[1]))
        for level in path.T:
            count += np.bincount(level, minlength=n_nodes)
            weight += np.bincount(level, weights=w, minlength=n_nodes)
            for k in range(T.shape[1]):
                wt = w * T[:, k]
                first[:, k] += np.bincount(level, weights=wt, minlength=n_nodes)
                second[:, k] += np.bincount(
                    level, weights=wt * T[:, k], minlength=n_nodes
                )
        reached = weight > 0
        mean = np.full_like(first, np.nan)
        mean[reached] = first[reached] / weight[reached, None]
        mean_sq = np.full_like(second, np.nan)
        mean_sq[reached] = second[reached] / weight[reached, None]
        self.n_node_samples_ = count
        self.weighted_n_node_samples_ = weight
        self._node_mean = mean
        self._node_impurity = self._impurity(mean, mean_sq)

    def _is_pruned(self):
        """For each inner node: 0 live, -1 everything goes left, +1 goes right."""
        dead = ~np.any(self._feat_val != 0, axis=1)
        return np.where(dead, np.where(self._bias > 0, 1, -1), 0)

    def _live_structure(self):
        """Nodes of the tree with pruned nodes collapsed, in depth-first order.

        Returns a list of ``(heap_node, depth, left_pos, right_pos)`` where the
        positions index this list (-1 for a leaf).
        """
        pruned = self._is_pruned()
        n_inner = 2**self._tree_depth - 1
        out = []

        def visit(h, d):
            while h < n_inner and pruned[h] != 0:
                h = 2 * h + 1 if pruned[h] < 0 else 2 * h + 2
            pos = len(out)
            out.append([h, d, -1, -1])
            if h < n_inner:
                out[pos][2] = visit(2 * h + 1, d + 1)
                out[pos][3] = visit(2 * h + 2, d + 1)
            return pos

        visit(0, 0)
        return out

    def apply(self, X):
        """Return the heap index of the leaf each sample ends in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of shape (n_samples,)
            Node indices ``2**max_depth - 1 + l`` in heap numbering.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self._x_dtype())
        n = X.shape[0]
        return _route(
            X,
            np.zeros(n, np.intp),
            self._tree_depth,
            self._feat_idx,
            self._feat_val,
            self._bias,
        )

    def decision_path(self, X):
        """Return the nodes each sample passes through, as a sparse indicator matrix.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        indicator : scipy.sparse.csr_matrix of shape (n_samples, n_nodes)
            ``indicator[i, j]`` is 1 when sample ``i`` visits heap node ``j``
            (``n_nodes = 2**(max_depth + 1) - 1``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self._x_dtype())
        depth = self._tree_depth
        path = _route_path(X, depth, self._feat_idx, self._feat_val, self._bias)
        n = X.shape[0]
        indptr = np.arange(0, n * (depth + 1) + 1, depth + 1)
        return sp.csr_matrix(
            (np.ones(path.size, dtype=np.int8), path.ravel(), indptr),
            shape=(n, 2 ** (depth + 1) - 1),
        )

    def get_depth(self):
        """Depth of the tree once pruned nodes are collapsed (<= ``max_depth``)."""
        check_is_fitted(self)
        return max(d for _, d, _, _ in self._live_structure())

    def get_n_leaves(self):
        """Number of reachable leaves once pruned nodes are collapsed."""
        check_is_fitted(self)
        return sum(1 for _, _, left, _ in self._live_structure() if left == -1)

    def _is_axis_aligned(self) -> bool:
        """Every split tests one feature with weight 1: ``x[f] > threshold``."""
        nonzero = self._feat_val != 0
        return bool(
            np.all(nonzero.sum(axis=1) <= 1) and np.all(self._feat_val[nonzero] == 1.0)
        )

    def as_sklearn(self):
        """Return the same tree as a fitted scikit-learn decision tree.

        Only for axis-aligned trees (``split="axis"``). Pruned nodes are collapsed,
        so the result may be shallower than ``max_depth``; its nodes route every
        sample as this tree does and its predictions are identical. The tree works
        with ``sklearn.tree.export_graphviz``, ``plot_tree`` and
        ``shap.TreeExplainer``. As in a tree scikit-learn fits, each node holds the
        training rows reaching it (``n_node_samples``), their total weight
        (``weighted_n_node_samples``), the weighted mean of their targets
        (``value``: the class distribution, or the mean) and its impurity (Gini, or
        the weighted variance); a leaf's value is what it predicts. A node no
        training row reaches gets a weight of ``1e-9`` times the root's, so that
        SHAP's ratios stay defined.

        Returns
        -------
        tree : DecisionTreeClassifier or DecisionTreeRegressor
        """
        from sklearn.tree._tree import NODE_DTYPE, Tree

        check_is_fitted(self)
        if not self._is_axis_aligned():
            raise ValueError(
                "as_sklearn() needs an axis-aligned tree (each split one feature with "
                'weight 1); this tree has oblique splits. Fit with split="axis", or '
                "render it with interpretkd's own export functions."
            )
        nodes_list = self._live_structure()
        m = len(nodes_list)
        n_inner = 2**self._tree_depth - 1
        weight = self.weighted_n_node_samples_
        floor = 1e-9 * max(weight[0], 1.0)
        leaf_values = self._leaf_value_matrix()
        nodes = np.zeros(m, dtype=NODE_DTYPE)
        values = np.zeros((m, 1, leaf_values.shape[1]))
        cover = np.zeros(m)
        for pos in range(m - 1, -1, -1):
            h, _, left, right = nodes_list[pos]
            nodes[pos]["left_child"] = left
            nodes[pos]["right_child"] = right
            if left == -1:
                nodes[pos]["feature"] = -2
                nodes[pos]["threshold"] = -2.0
                cover[pos] = max(weight[h], floor)
                values[pos, 0] = leaf_values[h - n_inner]
            else:
                col = int(np.flatnonzero(self._feat_val[h])[0])
                nodes[pos]["feature"] = self._feat_idx[h, col]
                nodes[pos]["threshold"] = -self._bias[h]
                cover[pos] = cover[left] + cover[right]
                if weight[h] > 0:
                    values[pos, 0] = self._node_mean[h]
                else:
                    values[pos, 0] = (
                        cover[left] * values[left, 0] + cover[right] * values[right, 0]
                    ) / cover[pos]
            nodes[pos]["weighted_n_node_samples"] = cover[pos]
            nodes[pos]["n_node_samples"] = self.n_node_samples_[h]
            impurity = self._node_impurity[h]
            if not np.isfinite(impurity):  # no training row: the value's own impurity
                impurity = self._impurity(values[pos], values[pos] ** 2)[0]
            nodes[pos]["impurity"] = impurity
            nodes[pos]["missing_go_to_left"] = 1
        max_depth = max(d for _, d, _, _ in nodes_list)
        est = self._empty_sklearn_tree()
        n_classes = np.array([leaf_values.shape[1]], dtype=np.intp)
        tree = Tree(self.n_features_in_, n_classes, 1)
        tree.__setstate__(
            {"max_depth": max_depth, "node_count": m, "nodes": nodes, "values": values}
        )
        est.tree_ = tree
        est.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            est.feature_names_in_ = self.feature_names_in_
        est.n_outputs_ = 1
        est.max_features_ = self.n_features_in_
        return est

    def _history_entry(self, round_, loss, total_weight, T, w, values, leaf, changed):
        return {
            "round": round_,
            "loss": float(loss / total_weight),
            "n_changed": changed,
        }
