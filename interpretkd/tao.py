"""Depth-limited trees optimised against the teacher by tree alternating optimisation.

``TAOTreeClassifier`` and ``TAOTreeRegressor`` start from a CART tree of the requested
depth and then improve it by TAO (Carreira-Perpiñán & Tavallali, NeurIPS 2018): with
the rest of the tree held fixed, every node is re-fit on the rows that reach it so as to
send each row to the child subtree that predicts its target best; nodes at one depth
touch disjoint rows and are updated together; leaves take the best value for their
rows. A node's new split is kept only when it lowers the training loss, so no round
ever makes the tree worse on the data it is fit on. Because the teacher can label as
many rows as wanted, fitting on teacher-labelled synthetic rows is what makes the tree
faithful.

Splits are axis-aligned (``split="axis"``, exportable as a plain scikit-learn tree with
:meth:`TAOTreeClassifier.as_sklearn`) or sparse oblique (``split="oblique"``, a few
weights per node). ``to_hard_tree`` turns a fitted soft decision tree into the oblique
hard tree that follows its most probable path, ready to be refined by TAO.

Tree structure follows the package convention: nodes in heap order (root 0, children
of ``i`` are ``2i + 1`` left and ``2i + 2`` right), a tree of depth ``d`` has
``2**d - 1`` inner nodes and ``2**d`` leaves, and a row goes **right** at inner node
``i`` when ``inner_weights_[i] @ x + inner_bias_[i] > 0``. A node whose weights are
all zero is *pruned*: every row goes left (bias <= 0) or right (bias > 0), and the
other child's subtree is unreachable.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from interpretkd._validation import (
    check_positive_int,
    check_soft_targets,
    is_soft_target_array,
)

__all__ = ["TAOTreeClassifier", "TAOTreeRegressor", "to_hard_tree"]

# Oblique splits: the L1 logistic regression that picks a node's features sees at most
# this many of the node's rows (a random subset); the bias is then tuned on all rows.
_OBLIQUE_MAX_ROWS = 3000
# Inverse strength of the L1 penalty (on standardised features, mean-1 weights).
_OBLIQUE_L1_C = 0.5
# Rows routed per chunk when splits are dense (bounds the gathered block's memory).
_ROUTE_CHUNK_ELEMENTS = 1 << 22


# --------------------------------------------------------------------------------------
# Tree arithmetic shared by fitting and prediction
# --------------------------------------------------------------------------------------


def _project(X, rows, idx, val):
    """``sum_k X[rows, idx[:, k]] * val[:, k]`` for per-row sparse weight vectors.

    ``idx``/``val`` hold one row per entry of ``rows``. Fitting and routing both call
    this function so that a threshold found on its output routes rows identically.
    """
    width = idx.shape[1]
    if width == 1:
        return X[rows, idx[:, 0]] * val[:, 0]
    out = np.empty(len(rows), dtype=np.float64)
    step = max(1, _ROUTE_CHUNK_ELEMENTS // width)
    for start in range(0, len(rows), step):
        sl = slice(start, start + step)
        out[sl] = (X[rows[sl, None], idx[sl]] * val[sl]).sum(axis=1)
    return out


def _goes_right(X, rows, nodes, idx, val, bias):
    return _project(X, rows, idx[nodes], val[nodes]) + bias[nodes] > 0


def _route(X, start, n_levels, idx, val, bias):
    """Follow every row from its start node down ``n_levels`` levels (vectorised)."""
    rows = np.arange(X.shape[0])
    node = np.asarray(start, dtype=np.intp).copy()
    for _ in range(n_levels):
        node = 2 * node + 1 + _goes_right(X, rows, node, idx, val, bias)
    return node


def _route_path(X, depth, idx, val, bias):
    """Node of every row at every level: array of shape (n_samples, depth + 1)."""
    rows = np.arange(X.shape[0])
    path = np.zeros((X.shape[0], depth + 1), dtype=np.intp)
    for d in range(depth):
        node = path[:, d]
        path[:, d + 1] = 2 * node + 1 + _goes_right(X, rows, node, idx, val, bias)
    return path


def _weighted_logistic_newton(Z, target, weight, *, l2=1e-3, n_steps=25):
    """Weighted L2-penalised logistic regression by Newton's method.

    For the few features of one oblique split, a handful of exact Newton steps is
    faster and more reliable than a general-purpose solver. Returns (coef, intercept).
    """
    n, k = Z.shape
    A = np.hstack([Z, np.ones((n, 1))])
    theta = np.zeros(k + 1)
    penalty = np.full(k + 1, l2 * weight.sum())
    penalty[-1] = 0.0
    t = target.astype(np.float64)
    for _ in range(n_steps):
        prob = 1.0 / (1.0 + np.exp(-np.clip(A @ theta, -30, 30)))
        grad = A.T @ (weight * (prob - t)) + penalty * theta
        hess = (A * (weight * prob * (1 - prob))[:, None]).T @ A + np.diag(penalty)
        hess[np.diag_indices_from(hess)] += 1e-9 * weight.sum()
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return theta[:k], theta[k]


def _segment_best_split(v, g, n_groups, cost_left, cost_right, min_samples_leaf):
    """Best threshold per group for a weighted binary routing problem.

    Rows are sorted by group ``g`` (non-decreasing) and, within a group, by value ``v``.
    Sending row ``i`` left costs ``cost_left[i]`` (it wants to go right), sending it
    right costs ``cost_right[i]``. Rows with ``v <= threshold`` go left.

    Returns
    -------
    err : ndarray of shape (n_groups,)
        Lowest cost of a split leaving at least ``min_samples_leaf`` rows on each side
        (``inf`` where none exists).
    thr : ndarray of shape (n_groups,)
        Its threshold (midpoint between consecutive distinct values).
    all_left, all_right : ndarray of shape (n_groups,)
        Cost of sending the whole group left / right.
    """
    n = v.shape[0]
    counts = np.bincount(g, minlength=n_groups)
    ends = np.cumsum(counts)
    starts = ends - counts
    cl = np.concatenate(([0.0], np.cumsum(cost_left)))
    cr = np.concatenate(([0.0], np.cumsum(cost_right)))
    all_left = cl[ends] - cl[starts]
    all_right = cr[ends] - cr[starts]
    err = np.full(n_groups, np.inf)
    thr = np.zeros(n_groups)
    if n < 2:
        return err, thr, all_left, all_right
    start_of_row = starts[g]
    # Cost of a split just after row j: left part pays cost_left, right part cost_right.
    split_err = (cl[1:] - cl[start_of_row]) + (cr[ends[g]] - cr[1:])
    n_left = np.arange(n) - start_of_row + 1
    valid = (n_left >= min_samples_leaf) & (counts[g] - n_left >= min_samples_leaf)
    valid[:-1] &= v[1:] > v[:-1]
    valid[-1] = False
    split_err = np.where(valid, split_err, np.inf)
    nonempty = counts > 0
    group_min = np.full(n_groups, np.inf)
    group_min[nonempty] = np.minimum.reduceat(split_err, starts[nonempty])
    found = np.isfinite(group_min)
    if not found.any():
        return err, thr, all_left, all_right
    is_best = valid & (split_err == group_min[g])
    first = np.full(n_groups, n)
    first[nonempty] = np.minimum.reduceat(
        np.where(is_best, np.arange(n), n), starts[nonempty]
    )
    j = first[found]
    lo, hi = v[j].astype(np.float64), v[j + 1].astype(np.float64)
    mid = lo / 2.0 + hi / 2.0
    # A midpoint that rounds up to the upper value would send it left: use the lower.
    mid = np.where(mid >= hi, lo, mid)
    err[found] = group_min[found]
    thr[found] = mid
    return err, thr, all_left, all_right


# --------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------


class _BaseTAOTree(BaseEstimator):
    """Machinery shared by the TAO classifier and regressor (not public)."""

    _accepts_soft_targets = False

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
    def _fit(self, X, T, sample_weight):
        depth, msl = self._check_params()
        n, p = X.shape
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(w < 0):
            raise ValueError(
                "sample_weight must be non-negative; got a negative weight. Pass "
                "zero to ignore a row."
            )
        rng = check_random_state(self.random_state)
        width = 1
        if self.split == "oblique":
            mfps = self.max_features_per_split
            width = p if mfps is None else min(int(mfps), p)

        warm = self.warm_start and hasattr(self, "_feat_idx")
        if warm:
            if self._tree_depth != depth or self.n_features_in_ != p:
                raise ValueError(
                    "warm_start=True continues from the fitted tree, which has depth "
                    f"{self._tree_depth} and {self.n_features_in_} features; got "
                    f"max_depth={depth} and {p} features. Set warm_start=False to "
                    "start again from CART."
                )
            width = max(width, self._feat_idx.shape[1])
            starts = [self._padded_state(width)]
        else:
            starts = [
                self._cart_state(X, T, w, depth, msl, width, rng, restart=i)
                for i in range(self.n_init)
            ]

        best = None
        for state in starts:
            state, history = self._tao(X, T, w, depth, msl, state, rng)
            if best is None or history[-1]["loss"] < best[1][-1]["loss"]:
                best = (state, history)
        state, history = best
        idx, val, bias, values, leaf_weight = state
        self._feat_idx, self._feat_val, self._bias = idx, val, bias
        self._tree_depth = depth
        self._leaf_weight = leaf_weight
        self._set_leaf_values(values)
        self.history_ = history
        self.n_iter_ = max(1, len(history) - 1)
        self._set_public_arrays(X, w)
        return self

    def _padded_state(self, width):
        idx, val = self._feat_idx, self._feat_val
        if idx.shape[1] < width:
            pad = width - idx.shape[1]
            idx = np.hstack([idx, np.zeros((idx.shape[0], pad), dtype=np.intp)])
            val = np.hstack([val, np.zeros((val.shape[0], pad))])
        return (
            idx.copy(),
            val.copy(),
            self._bias.copy(),
            self._get_leaf_values().copy(),
            self._leaf_weight.copy(),
        )

    def _cart_state(self, X, T, w, depth, msl, width, rng, restart):
        """Complete heap-ordered tree from a CART tree of the same depth.

        Where CART stopped early the node is pruned (all rows go left) so that the
        tree keeps the fixed shape TAO works on.
        """
        seed = rng.randint(np.iinfo(np.int32).max)
        # Restarts after the first grow CART on a random half of the features at each
        # node, for diverse starting points.
        max_features = None if restart == 0 else 0.5
        cart = self._make_cart(depth, msl, max_features, seed)
        self._fit_cart(cart, X, T, w)
        t = cart.tree_
        n_inner = 2**depth - 1
        idx = np.zeros((n_inner, width), dtype=np.intp)
        val = np.zeros((n_inner, width))
        bias = np.zeros(n_inner)
        leaf_source = np.zeros(2**depth, dtype=np.intp)
        stack = [(0, 0, 0)]  # (heap node, depth, sklearn node)
        while stack:
            h, d, s = stack.pop()
            if d == depth:
                leaf_source[h - n_inner] = s
                continue
            left, right = t.children_left[s], t.children_right[s]
            if left == -1:
                # CART leaf above the full depth: pruned node, same leaf both sides.
                stack.append((2 * h + 1, d + 1, s))
                stack.append((2 * h + 2, d + 1, s))
            else:
                idx[h, 0] = t.feature[s]
                val[h, 0] = 1.0
                bias[h] = -t.threshold[s]
                stack.append((2 * h + 1, d + 1, left))
                stack.append((2 * h + 2, d + 1, right))
        values = self._values_from_cart(cart, leaf_source)
        return idx, val, bias, values, np.zeros(2**depth)

    # ------------------------------------------------------------------------- TAO
    def _tao(self, X, T, w, depth, msl, state, rng):
        idx, val, bias, values, leaf_weight = state
        n_inner = 2**depth - 1
        n = X.shape[0]
        total_weight = max(w.sum(), np.finfo(float).tiny)
        eps = 1e-12 * total_weight

        leaf = _route(X, np.zeros(n, np.intp), depth, idx, val, bias) - n_inner
        values, leaf_weight = self._fit_leaves(T, w, leaf, values)
        loss = float(w @ self._row_loss(T, values, leaf))
        history = [self._history_entry(0, loss, total_weight, T, w, values, leaf, 0)]
        best = (idx.copy(), val.copy(), bias.copy(), values.copy(), leaf_weight)
        best_loss = loss
        presorted = np.argsort(X, axis=0, kind="stable")

        for round_ in range(1, self.max_iter + 1):
            n_changed = 0
            path = _route_path(X, depth, idx, val, bias)
            for d in range(depth - 1, -1, -1):
                node = path[:, d]
                n_below = depth - d - 1
                leaf_l = _route(X, 2 * node + 1, n_below, idx, val, bias) - n_inner
                leaf_r = _route(X, 2 * node + 2, n_below, idx, val, bias) - n_inner
                loss_l = self._row_loss(T, values, leaf_l)
                loss_r = self._row_loss(T, values, leaf_r)
                # Cost of a wrong turn: the loss it adds over the better child.
                cost_left = w * np.maximum(loss_l - loss_r, 0.0)
                cost_right = w * np.maximum(loss_r - loss_l, 0.0)
                goes_right = path[:, d + 1] == 2 * node + 2
                first = 2**d - 1
                local = node - first
                n_nodes = 2**d
                current = np.bincount(
                    local,
                    weights=np.where(goes_right, cost_right, cost_left),
                    minlength=n_nodes,
                )
                if msl == 1:
                    used = (cost_left > 0) | (cost_right > 0)
                else:
                    used = np.ones(n, dtype=bool)
                if not used.any():
                    continue
                new = self._fit_level(
                    X, local, n_nodes, cost_left, cost_right, used, msl, presorted, rng
                )
                new_err, new_idx, new_val, new_bias = new
                better = np.flatnonzero(new_err < current - eps)
                if better.size and msl > 1:
                    better = self._keep_leaves_large_enough(
                        X, local, better, new, leaf_l, leaf_r, goes_right, d, depth, msl
                    )
                if better.size:
                    nodes = first + better
                    k = new_idx.shape[1]
                    idx[nodes] = 0
                    val[nodes] = 0.0
                    idx[nodes, :k] = new_idx[better]
                    val[nodes, :k] = new_val[better]
                    bias[nodes] = new_bias[better]
                    n_changed += better.size
            leaf = _route(X, np.zeros(n, np.intp), depth, idx, val, bias) - n_inner
            values, leaf_weight = self._fit_leaves(T, w, leaf, values)
            new_loss = float(w @ self._row_loss(T, values, leaf))
            history.append(
                self._history_entry(
                    round_, new_loss, total_weight, T, w, values, leaf, n_changed
                )
            )
            if new_loss < best_loss:
                best = (idx.copy(), val.copy(), bias.copy(), values.copy(), leaf_weight)
                best_loss = new_loss
            converged = n_changed == 0 or (loss - new_loss) <= self.tol * loss
            loss = new_loss
            if converged:
                break
        return best, history

    @staticmethod
    def _keep_leaves_large_enough(
        X, local, better, new, leaf_l, leaf_r, goes_right, d, depth, msl
    ):
        """Drop the new splits that would leave a leaf below them with 1 to msl-1 rows.

        Re-routing a node's rows changes which rows reach the leaves of its subtrees,
        so the splits below may no longer keep ``min_samples_leaf`` rows on each side.
        """
        _, new_idx, new_val, new_bias = new
        changed = np.zeros(2**d, dtype=bool)
        changed[better] = True
        right = goes_right.copy()
        rows = np.flatnonzero(changed[local])
        right[rows] = _goes_right(X, rows, local[rows], new_idx, new_val, new_bias)
        leaf = np.where(right, leaf_r, leaf_l)
        counts = np.bincount(leaf, minlength=2**depth)
        small = np.flatnonzero((counts > 0) & (counts < msl))
        # Ancestor of each small leaf at depth d, as an index within that level.
        bad = (small + 2**depth) >> (depth - d)
        ok = np.ones(2**d, dtype=bool)
        ok[bad - 2**d] = False
        return better[ok[better]]

    def _fit_level(self, X, local, n_nodes, cost_left, cost_right, used, msl, ps, rng):
        """Best split for every node of one level, given each row's turning costs."""
        p = X.shape[1]
        counts = np.bincount(local[used], minlength=n_nodes)
        best_idx = np.zeros((n_nodes, 1), dtype=np.intp)
        best_val = np.zeros((n_nodes, 1))
        cl_used = np.bincount(local[used], cost_left[used], minlength=n_nodes)
        cr_used = np.bincount(local[used], cost_right[used], minlength=n_nodes)
        # Pruned node: everything left (bias 0) or everything right (bias 1).
        best_err = np.minimum(cl_used, cr_used)
        best_bias = np.where(cr_used < cl_used, 1.0, 0.0)
        local16 = local.astype(np.int16 if n_nodes < 2**15 else np.int32)
        for f in range(p):
            # Rows of every node in increasing order of feature f, node by node.
            order = ps[:, f]
            order = order[used[order]]
            seq = order[np.argsort(local16[order], kind="stable")]
            err, thr, _, _ = _segment_best_split(
                X[seq, f], local[seq], n_nodes, cost_left[seq], cost_right[seq], msl
            )
            improved = err < best_err
            best_err[improved] = err[improved]
            best_idx[improved, 0] = f
            best_val[improved, 0] = 1.0
            best_bias[improved] = -thr[improved]
        if self.split == "axis":
            return best_err, best_idx, best_val, best_bias

        mfps = self.max_features_per_split
        width = p if mfps is None else min(int(mfps), p)
        out_idx = np.zeros((n_nodes, width), dtype=np.intp)
        out_val = np.zeros((n_nodes, width))
        out_idx[:, :1] = best_idx
        out_val[:, :1] = best_val
        rows_of = np.flatnonzero(used)
        order = np.argsort(local[rows_of], kind="stable")
        rows_sorted = rows_of[order]
        bounds = np.concatenate(([0], np.cumsum(counts)))
        for j in np.flatnonzero(counts >= 2):
            rows = rows_sorted[bounds[j] : bounds[j + 1]]
            cand = self._oblique_candidate(
                X, rows, cost_left, cost_right, msl, width, rng
            )
            if cand is None:
                continue
            err, cidx, cval, cbias = cand
            if err < best_err[j]:
                best_err[j] = err
                out_idx[j] = cidx
                out_val[j] = cval
                best_bias[j] = cbias
        return best_err, out_idx, out_val, best_bias

    def _oblique_candidate(self, X, rows, cost_left, cost_right, msl, width, rng):
        """Sparse linear split for one node: L1 logistic regression, exact bias."""
        from sklearn.linear_model import LogisticRegression

        care = rows[(cost_left[rows] > 0) | (cost_right[rows] > 0)]
        if care.size > _OBLIQUE_MAX_ROWS:
            care = rng.choice(care, _OBLIQUE_MAX_ROWS, replace=False)
        target = cost_left[care] > 0  # the row wants to go right
        if care.size < 2 or target.all() or not target.any():
            return None
        weight = np.abs(cost_left[care] - cost_right[care])
        weight = weight / weight.mean()
        Xc = np.asarray(X[care], dtype=np.float64)
        mean = Xc.mean(axis=0)
        scale = Xc.std(axis=0)
        scale[scale == 0] = 1.0
        Z = (Xc - mean) / scale
        p = X.shape[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if width < p:
                l1 = LogisticRegression(
                    l1_ratio=1.0,
                    C=_OBLIQUE_L1_C,
                    solver="liblinear",
                    max_iter=200,
                    random_state=rng.randint(np.iinfo(np.int32).max),
                )
                l1.fit(Z, target, sample_weight=weight)
                coef = np.abs(l1.coef_[0])
                if not coef.any():
                    return None
                keep = np.argsort(-coef, kind="stable")[:width]
                keep = np.sort(keep[coef[keep] > 0])
            else:
                keep = np.arange(p)
        coef, _ = _weighted_logistic_newton(Z[:, keep], target, weight)
        coef = coef / scale[keep]
        if not np.any(coef):
            return None
        coef = coef / np.abs(coef).max()
        cidx = np.zeros(width, dtype=np.intp)
        cval = np.zeros(width)
        cidx[: keep.size] = keep
        cval[: keep.size] = coef
        proj = _project(
            X,
            rows,
            np.broadcast_to(cidx, (rows.size, width)),
            np.broadcast_to(cval, (rows.size, width)),
        )
        order = np.argsort(proj, kind="stable")
        err, thr, _, _ = _segment_best_split(
            proj[order],
            np.zeros(rows.size, dtype=np.intp),
            1,
            cost_left[rows[order]],
            cost_right[rows[order]],
            msl,
        )
        if not np.isfinite(err[0]):
            return None
        return float(err[0]), cidx, cval, -float(thr[0])

    # ------------------------------------------------------------ public structure
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


class TAOTreeClassifier(ClassifierMixin, _BaseTAOTree):
    """Depth-limited classification tree optimised by TAO, for faithful distillation.

    Starts from CART and re-fits each node's split, deepest level first, to send each
    training row to the child subtree that predicts its target best; leaves take the
    class with the most target mass. A change is kept only when it lowers the training
    loss (the weighted expected disagreement ``1 - Y[i, predicted class]``, which for
    labels is the training error), so training fidelity never falls from one round
    to the next.

    Parameters
    ----------
    max_depth : int, default=5
        Depth of the (complete) tree; 1 to 16.
    min_samples_leaf : int, default=1
        Fewest training rows a split may leave on either side.
    split : {"axis", "oblique"}, default="axis"
        ``"axis"``: one feature and a threshold per node (exportable with
        :meth:`as_sklearn`). ``"oblique"``: a sparse linear split per node chosen by an
        L1-penalised logistic regression on the node's rows; an axis split is kept
        where it does at least as well.
    max_features_per_split : int or None, default=3
        Most features an oblique split uses (None: all). Ignored for axis splits.
    max_iter : int, default=10
        Most TAO rounds (one round updates every node once).
    tol : float, default=0.0
        Stop when a round lowers the training loss by at most ``tol`` times the loss.
        TAO also stops when a round changes no split.
    n_init : int, default=1
        Number of starting trees; the first is CART, the others CART grown on random
        halves of the features. The one with the lowest final training loss is kept.
    warm_start : bool, default=False
        When True and the estimator is fitted, ``fit`` continues TAO from the current
        tree (e.g. one made by :func:`to_hard_tree`) instead of starting from CART.
    random_state : int, RandomState instance or None, default=None
        Seeds CART's tie-breaking, the restarts and the row subsets of oblique fits.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``np.arange(n_classes)`` when fit on soft targets.
    inner_weights_ : ndarray of shape (2**max_depth - 1, n_features)
        Split weights in heap order; a row goes right when
        ``inner_weights_[i] @ x + inner_bias_[i] > 0``. All-zero rows are pruned nodes.
    inner_bias_ : ndarray of shape (2**max_depth - 1,)
    leaf_distributions_ : ndarray of shape (2**max_depth, n_classes)
        Class distribution of each leaf (mean target of its training rows).
    feature_importances_ : ndarray of shape (n_features,)
        Share of training weight routed by each feature (weighted by the size of the
        feature's coefficient times its standard deviation in oblique splits).
    n_iter_ : int
        TAO rounds run (at least 1).
    history_ : list of dict
        One entry per round with the training ``loss``, ``fidelity`` (weighted
        agreement of the tree with ``argmax`` of the targets) and ``n_changed``
        (splits replaced in that round). Round 0 is the starting tree (CART, or the
        fitted tree when warm-starting) with its leaves fit to the data.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    TAOTreeRegressor : the same for regression.
    to_hard_tree : oblique hard tree from a fitted soft decision tree.

    References
    ----------
    M. Á. Carreira-Perpiñán and P. Tavallali, "Alternating optimization of decision
    trees, with application to learning sparse oblique trees", NeurIPS 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from interpretkd.tao import TAOTreeClassifier
    >>> X, y = make_classification(n_samples=500, random_state=0)
    >>> tree = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> tree.history_[-1]["fidelity"] >= tree.history_[0]["fidelity"]
    True
    """

    _accepts_soft_targets = True

    def fit(self, X, y, sample_weight=None):
        """Fit the tree to class labels or to soft targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a 2-D float array of class probabilities per row
            (e.g. a teacher's soft targets); then ``classes_ = np.arange(n_classes)``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TAOTreeClassifier
        """
        if y is not None and is_soft_target_array(y):
            X = validate_data(self, X, dtype=self._x_dtype())
            Y = check_soft_targets(y)
            if Y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"X has {X.shape[0]} rows but the soft targets y have "
                    f"{Y.shape[0]}; pass one row of targets per row of X."
                )
            classes = np.arange(Y.shape[1])
        else:
            X, y = validate_data(self, X, y, dtype=self._x_dtype())
            check_classification_targets(y)
            classes, y_idx = np.unique(y, return_inverse=True)
            Y = np.zeros((y.shape[0], classes.size))
            Y[np.arange(y.shape[0]), y_idx] = 1.0
        if self.warm_start and hasattr(self, "classes_"):
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start=True needs the same classes as the fitted tree "
                    f"({self.classes_.tolist()}); got {classes.tolist()}."
                )
        self.classes_ = classes
        return self._fit(X, Y, sample_weight)

    # Hooks used by the shared machinery -----------------------------------------
    def _make_cart(self, depth, msl, max_features, seed):
        return DecisionTreeClassifier(
            max_depth=depth,
            min_samples_leaf=msl,
            max_features=max_features,
            random_state=seed,
        )

    def _fit_cart(self, cart, X, T, w):
        cart.fit(X, T.argmax(axis=1), sample_weight=w)

    def _values_from_cart(self, cart, leaf_source):
        k = len(self.classes_)
        dist = np.zeros((cart.tree_.node_count, k))
        dist[:, cart.classes_.astype(np.intp)] = cart.tree_.value[:, 0, :]
        sums = dist.sum(axis=1, keepdims=True)
        dist = np.divide(dist, sums, out=np.full_like(dist, 1.0 / k), where=sums > 0)
        return dist[leaf_source]

    def _fit_leaves(self, T, w, leaf, old):
        n_leaves = old.shape[0]
        mass = np.zeros_like(old)
        np.add.at(mass, leaf, w[:, None] * T)
        weight = mass.sum(axis=1)
        dist = old.copy()
        filled = weight > 0
        dist[filled] = mass[filled] / weight[filled, None]
        return dist, np.bincount(leaf, weights=w, minlength=n_leaves)

    def _row_loss(self, T, values, leaf):
        predicted = values.argmax(axis=1)[leaf]
        return 1.0 - T[np.arange(T.shape[0]), predicted]

    def _history_entry(self, round_, loss, total_weight, T, w, values, leaf, changed):
        agree = values.argmax(axis=1)[leaf] == T.argmax(axis=1)
        return {
            "round": round_,
            "loss": float(loss / total_weight),
            "fidelity": float(w @ agree / total_weight),
            "n_changed": changed,
        }

    def _set_leaf_values(self, values):
        self.leaf_distributions_ = values

    def _get_leaf_values(self):
        return self.leaf_distributions_

    def _leaf_value_matrix(self):
        return self.leaf_distributions_

    def _impurity(self, dist):
        return float(1.0 - np.sum(dist**2))

    def _empty_sklearn_tree(self):
        est = DecisionTreeClassifier(max_depth=self._tree_depth)
        est.classes_ = self.classes_
        est.n_classes_ = len(self.classes_)
        return est

    # Prediction -------------------------------------------------------------------
    def predict_proba(self, X):
        """Class distribution of the leaf each sample reaches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        leaves = self.apply(X) - (2**self._tree_depth - 1)
        return self.leaf_distributions_[leaves]

    def predict(self, X):
        """Predicted class label of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_.take(proba.argmax(axis=1))


class TAOTreeRegressor(RegressorMixin, _BaseTAOTree):
    """Depth-limited regression tree optimised by TAO, for faithful distillation.

    Starts from CART and re-fits each node's split, deepest level first, to send each
    training row to the child subtree whose prediction is closest to its target;
    leaves take the weighted mean of their rows. A change is kept only when it lowers
    the training squared error, so no round makes the tree worse on its training data.

    Parameters
    ----------
    max_depth : int, default=5
        Depth of the (complete) tree; 1 to 16.
    min_samples_leaf : int, default=1
        Fewest training rows a split may leave on either side.
    split : {"axis", "oblique"}, default="axis"
        ``"axis"``: one feature and a threshold per node (exportable with
        :meth:`as_sklearn`); ``"oblique"``: a sparse linear split per node.
    max_features_per_split : int or None, default=3
        Most features an oblique split uses (None: all). Ignored for axis splits.
    max_iter : int, default=10
        Most TAO rounds.
    tol : float, default=0.0
        Stop when a round lowers the training loss by at most ``tol`` times the loss.
    n_init : int, default=1
        Number of starting trees (CART, then CART on random halves of the features).
    warm_start : bool, default=False
        Continue TAO from the fitted tree instead of starting from CART.
    random_state : int, RandomState instance or None, default=None
        Seeds CART's tie-breaking, the restarts and the row subsets of oblique fits.

    Attributes
    ----------
    inner_weights_ : ndarray of shape (2**max_depth - 1, n_features)
        Split weights in heap order; right when ``w @ x + b > 0``.
    inner_bias_ : ndarray of shape (2**max_depth - 1,)
    leaf_values_ : ndarray of shape (2**max_depth,)
        Prediction of each leaf.
    feature_importances_ : ndarray of shape (n_features,)
    n_iter_ : int
    history_ : list of dict
        Per round: training ``loss`` (weighted mean squared error) and ``n_changed``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    TAOTreeClassifier

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from interpretkd.tao import TAOTreeRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, random_state=0)
    >>> tree = TAOTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    >>> tree.history_[-1]["loss"] <= tree.history_[0]["loss"]
    True
    """

    _accepts_soft_targets = True

    def fit(self, X, y, sample_weight=None):
        """Fit the tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Targets, e.g. a teacher's predictions.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TAOTreeRegressor
        """
        X, y = validate_data(self, X, y, dtype=self._x_dtype(), y_numeric=True)
        return self._fit(X, np.asarray(y, dtype=np.float64), sample_weight)

    def _make_cart(self, depth, msl, max_features, seed):
        return DecisionTreeRegressor(
            max_depth=depth,
            min_samples_leaf=msl,
            max_features=max_features,
            random_state=seed,
        )

    def _fit_cart(self, cart, X, T, w):
        cart.fit(X, T, sample_weight=w)

    def _values_from_cart(self, cart, leaf_source):
        return cart.tree_.value[:, 0, 0][leaf_source].astype(np.float64)

    def _fit_leaves(self, T, w, leaf, old):
        n_leaves = old.shape[0]
        weight = np.bincount(leaf, weights=w, minlength=n_leaves)
        total = np.bincount(leaf, weights=w * T, minlength=n_leaves)
        values = old.copy()
        filled = weight > 0
        values[filled] = total[filled] / weight[filled]
        return values, weight

    def _row_loss(self, T, values, leaf):
        return (T - values[leaf]) ** 2

    def _set_leaf_values(self, values):
        self.leaf_values_ = values

    def _get_leaf_values(self):
        return self.leaf_values_

    def _leaf_value_matrix(self):
        return self.leaf_values_[:, None]

    def _impurity(self, value):
        return 0.0

    def _empty_sklearn_tree(self):
        return DecisionTreeRegressor(max_depth=self._tree_depth)

    def predict(self, X):
        """Predicted value of each sample (the value of the leaf it reaches).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        leaves = self.apply(X) - (2**self._tree_depth - 1)
        return self.leaf_values_[leaves]


# --------------------------------------------------------------------------------------
# Soft tree -> hard tree
# --------------------------------------------------------------------------------------


def to_hard_tree(soft_tree, *, max_features_per_split=None):
    """Return the max-path hard tree of a fitted soft decision tree.

    Each inner node of the soft tree sends a row right with probability
    ``sigmoid(beta * (w @ x + b))``; the hard tree sends it right when that probability
    exceeds 1/2, i.e. when ``beta * (w @ x + b) > 0``, and predicts with the leaf it
    reaches. The result predicts exactly like the soft tree's most probable path and
    is an oblique :class:`TAOTreeClassifier` (or :class:`TAOTreeRegressor`) with
    ``warm_start=True``, so ``fit(X, teacher_targets)`` refines it by TAO.

    Parameters
    ----------
    soft_tree : fitted SoftDecisionTreeClassifier or SoftDecisionTreeRegressor
        Any fitted tree with heap-ordered ``inner_weights_`` (n_inner, n_features),
        ``inner_bias_`` (n_inner,), ``beta_`` (scalar or per node) and
        ``leaf_distributions_`` (classifier) or ``leaf_values_`` (regressor), where the
        weights apply to the raw input features.
    max_features_per_split : int or None, default=None
        Sparsity of splits re-fit by later TAO rounds; the converted splits keep all
        their weights.

    Returns
    -------
    tree : TAOTreeClassifier or TAOTreeRegressor
        Fitted, ``split="oblique"``, ``warm_start=True``, ``n_iter_ == 0``.
    """
    missing = [
        a
        for a in ("inner_weights_", "inner_bias_", "n_features_in_")
        if not hasattr(soft_tree, a)
    ]
    if missing:
        raise TypeError(
            "to_hard_tree needs a fitted soft decision tree with attributes "
            "inner_weights_, inner_bias_ and n_features_in_; "
            f"{type(soft_tree).__name__} lacks {', '.join(missing)}. Fit it first."
        )
    W = np.asarray(soft_tree.inner_weights_, dtype=np.float64)
    b = np.asarray(soft_tree.inner_bias_, dtype=np.float64).reshape(-1)
    n_inner = W.shape[0]
    depth = int(round(np.log2(n_inner + 1)))
    if W.ndim != 2 or 2**depth - 1 != n_inner or b.shape[0] != n_inner:
        raise ValueError(
            "inner_weights_ must have 2**depth - 1 rows (heap order) and inner_bias_ "
            f"one entry per row; got shapes {W.shape} and {b.shape}."
        )
    beta = np.broadcast_to(
        np.asarray(getattr(soft_tree, "beta_", 1.0), dtype=np.float64).reshape(-1),
        (n_inner,),
    )
    sign = np.sign(beta)
    W = W * sign[:, None]
    b = b * sign
    p = W.shape[1]

    if hasattr(soft_tree, "leaf_distributions_"):
        est = TAOTreeClassifier(
            max_depth=depth,
            split="oblique",
            max_features_per_split=max_features_per_split,
            warm_start=True,
        )
        est.classes_ = np.asarray(soft_tree.classes_)
        est.leaf_distributions_ = np.asarray(
            soft_tree.leaf_distributions_, dtype=np.float64
        ).copy()
    elif hasattr(soft_tree, "leaf_values_"):
        est = TAOTreeRegressor(
            max_depth=depth,
            split="oblique",
            max_features_per_split=max_features_per_split,
            warm_start=True,
        )
        values = np.asarray(soft_tree.leaf_values_, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(
                "to_hard_tree converts single-output regression trees only; this soft "
                f"tree has leaf_values_ of shape {values.shape}. Fit one soft tree "
                "per output."
            )
        est.leaf_values_ = values.copy()
    else:
        raise TypeError(
            "to_hard_tree needs leaf_distributions_ (classifier) or leaf_values_ "
            f"(regressor) on the soft tree; {type(soft_tree).__name__} has neither."
        )
    est.n_features_in_ = int(soft_tree.n_features_in_)
    if hasattr(soft_tree, "feature_names_in_"):
        est.feature_names_in_ = soft_tree.feature_names_in_
    est._feat_idx = np.tile(np.arange(p, dtype=np.intp), (n_inner, 1))
    est._feat_val = W
    est._bias = b
    est._tree_depth = depth
    est._leaf_weight = np.zeros(2**depth)
    est.inner_weights_ = W.copy()
    est.inner_bias_ = b.copy()
    importance = np.abs(W).sum(axis=0)
    est.feature_importances_ = importance / max(importance.sum(), 1e-300)
    est.n_iter_ = 0
    est.history_ = []
    return est
