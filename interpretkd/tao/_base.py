"""What both TAO trees share: the optimiser, routing and the public structure."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from interpretkd._validation import check_positive_int
from interpretkd.tao._optimiser import _TAOOptimiser
from interpretkd.tao._routing import _route, _route_path


class _BaseTAOTree(_TAOOptimiser, BaseEstimator):
    """Machinery shared by the TAO classifier and regressor (not public)."""

    accepts_soft_targets = False

    def __init__(
        self,
        *,
        max_depth=5,
        min_samples_leaf=1,
        split="axis",
        max_features_per_split=3,
        max_iter=10,
        tol=0.0,
        n_init=1,
        warm_start=False,
        random_state=None,
    ):
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.split = split
        self.max_features_per_split = max_features_per_split
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.warm_start = warm_start
        self.random_state = random_state

    # ----------------------------------------------------------------- parameters
    def _check_params(self):
        depth = check_positive_int(self.max_depth, "max_depth")
        if depth > 16:
            raise ValueError(
                f"max_depth must be <= 16 (a complete tree of depth {depth} has "
                f"{2**depth} leaves, far beyond what a person reads); got {depth}."
            )
        msl = self.min_samples_leaf
        if isinstance(msl, bool) or not isinstance(msl, numbers.Integral) or msl < 1:
            raise ValueError(
                "min_samples_leaf must be an integer >= 1 (the fewest training rows "
                f"a non-empty leaf may hold); got {msl!r}."
            )
        if self.split not in ("axis", "oblique"):
            raise ValueError(
                f'split must be "axis" (one feature and a threshold per node) or '
                f'"oblique" (a sparse linear split per node); got {self.split!r}.'
            )
        mfps = self.max_features_per_split
        if mfps is not None:
            check_positive_int(mfps, "max_features_per_split")
        check_positive_int(self.max_iter, "max_iter")
        check_positive_int(self.n_init, "n_init")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or tol < 0:
            raise ValueError(
                "tol must be a number >= 0 (TAO stops when a round lowers the loss by "
                f"less than tol times the loss); got {tol!r}."
            )
        return depth, int(msl)

    def _x_dtype(self):
        # Axis trees work on float32 like scikit-learn's trees, so that as_sklearn()
        # predicts identically; oblique trees need float64 for their projections.
        return np.float32 if self.split == "axis" else np.float64

    # --------------------------------------------------------------------- fitting
    def _set_public_arrays(self, X, w):
        n_inner = 2**self._tree_depth - 1
        p = self.n_features_in_
        weights = np.zeros((n_inner, p))
        rows = np.repeat(np.arange(n_inner), self._feat_idx.shape[1])
        np.add.at(weights, (rows, self._feat_idx.ravel()), self._feat_val.ravel())
        self.inner_weights_ = weights
        self.inner_bias_ = self._bias.copy()
        # Importance: each live node's share of the training weight, split over its
        # features in proportion to |weight| times the feature's spread.
        spread = np.asarray(X, dtype=np.float64).std(axis=0)
        spread[spread == 0] = 1.0
        node_weight = self._node_weights()
        contrib = np.abs(weights) * spread
        sums = contrib.sum(axis=1, keepdims=True)
        share = np.divide(contrib, sums, out=np.zeros_like(contrib), where=sums > 0)
        importances = (share * node_weight[:n_inner, None]).sum(axis=0)
        total = importances.sum()
        self.feature_importances_ = importances / total if total > 0 else importances

    def _node_weights(self):
        """Training weight reaching every node, heap order, leaves included."""
        depth = self._tree_depth
        weight = np.zeros(2 ** (depth + 1) - 1)
        weight[2**depth - 1 :] = self._leaf_weight
        for i in range(2**depth - 2, -1, -1):
            weight[i] = weight[2 * i + 1] + weight[2 * i + 2]
        return weight

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

    def as_sklearn(self):
        """Return the same tree as a fitted scikit-learn decision tree.

        Only for ``split="axis"``. Pruned nodes are collapsed, so the result may be
        shallower than ``max_depth``; its predictions are identical. The tree works
        with ``sklearn.tree.export_graphviz``, ``plot_tree`` and
        ``shap.TreeExplainer``; node sample counts are training weights.

        Returns
        -------
        tree : DecisionTreeClassifier or DecisionTreeRegressor
        """
        from sklearn.tree._tree import NODE_DTYPE, Tree

        check_is_fitted(self)
        if np.count_nonzero(self._feat_val, axis=1).max(initial=0) > 1:
            raise ValueError(
                "as_sklearn() needs an axis-aligned tree (one feature per split); this "
                'tree has oblique splits. Fit with split="axis", or render it with '
                "interpretkd's own export functions."
            )
        nodes_list = self._live_structure()
        m = len(nodes_list)
        n_inner = 2**self._tree_depth - 1
        node_weight = self._node_weights()
        # Unreached leaves get a tiny weight so SHAP's cover ratios stay defined.
        floor = 1e-9 * max(node_weight[0], 1.0)
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
                cover[pos] = max(node_weight[h], floor)
                values[pos, 0] = leaf_values[h - n_inner]
            else:
                col = int(np.flatnonzero(self._feat_val[h])[0])
                scale = self._feat_val[h, col]
                nodes[pos]["feature"] = self._feat_idx[h, col]
                nodes[pos]["threshold"] = -self._bias[h] / scale
                cover[pos] = cover[left] + cover[right]
                values[pos, 0] = (
                    cover[left] * values[left, 0] + cover[right] * values[right, 0]
                ) / cover[pos]
            nodes[pos]["weighted_n_node_samples"] = cover[pos]
            nodes[pos]["n_node_samples"] = max(1, int(round(cover[pos])))
            nodes[pos]["impurity"] = self._impurity(values[pos, 0])
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
