"""Starting trees for TAO: the rollout start, grown top-down with lookahead.

CART picks each split for the impurity it removes right away. The rollout start picks
the splits of the top ``_LOOKAHEAD`` levels for what the whole subtree below them can
reach: every candidate split is scored by the training error of the two greedy trees
(CART, to the full remaining depth) grown on its sides, and the best is kept. Below
the lookahead levels the tree is CART's. TAO then refines the tree as it refines a
CART start. Measured in ``docs/benchmarks/frontier.md``: for axis-aligned trees of
depth 3 to 8 this start lets TAO reach a better tree than the CART start does.

No library grows such a tree (scikit-learn's trees are greedy and imodels' are
greedy or exhaustive), hence this module. The result is a heap-ordered axis tree of
the requested depth: ``(feature, threshold, live)`` per inner node; a node that is
not live is pruned (every row goes left).
"""

from __future__ import annotations

import numpy as np

# Levels chosen by lookahead; deeper levels are CART's.
_LOOKAHEAD = 2
# Features scored at a node: the best ones by the impurity decrease of their best
# single threshold.
_TOP_FEATURES = 6
# Thresholds scored per feature: at most this many, spread over the quantiles.
_N_THRESHOLDS = 8
# A node's candidates are scored on at most this many of its rows (a random subset;
# 3000 made the start, and the fitted tree, vary with the seed: Letter, depth 5,
# held-out fidelity 45.7 to 51.2 over five seeds against 50.6 with all rows);
# the chosen split then routes all of them.
_SCORING_ROWS = 20000


def rollout_tree(X, y, w, depth, min_samples_leaf, estimator, seed):
    """Heap-ordered axis tree grown with lookahead at the top levels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        What the greedy trees fit (class indices, or values for regression).
    w : ndarray of shape (n_samples,)
        Non-negative row weights.
    depth : int
    min_samples_leaf : int
    estimator : TAO estimator
        Supplies ``_make_cart`` (the greedy tree) and ``_constant_error`` /
        ``_prediction_error`` (how wrong a constant or a prediction is).
    seed : int
        Seeds the greedy trees and the scoring subsets.

    Returns
    -------
    feature : ndarray of shape (2**depth - 1,) of int
    threshold : ndarray of shape (2**depth - 1,)
        A row goes right at a live node when ``x[feature] > threshold``.
    live : ndarray of shape (2**depth - 1,) of bool
    """
    grower = _Rollout(X, y, w, depth, int(min_samples_leaf), estimator, seed)
    keep = np.flatnonzero(w > 0)  # a zero-weight row is as good as absent
    grower.grow(0, keep, 0)
    return grower.feature, grower.threshold, grower.live


class _Rollout:
    """State of one rollout growth (the heap arrays it fills)."""

    def __init__(self, X, y, w, depth, msl, estimator, seed):
        self.X, self.y, self.w = X, y, w
        self.depth, self.msl = depth, msl
        self.estimator, self.seed = estimator, seed
        self.rng = np.random.default_rng(seed)
        n_inner = 2**depth - 1
        self.feature = np.zeros(n_inner, dtype=np.intp)
        self.threshold = np.zeros(n_inner)
        self.live = np.zeros(n_inner, dtype=bool)

    # ------------------------------------------------------------------ growing
    def grow(self, node, rows, level):
        side = self.msl
        if level == self.depth or rows.size < 2 * side:
            return
        if self.estimator._constant_error(self.y[rows], self.w[rows]) <= 0:
            return  # nothing left to separate
        if level >= _LOOKAHEAD:
            self.copy_greedy(node, rows, level)
            return
        best = self.best_split(rows, level)
        if best is None:
            self.copy_greedy(node, rows, level)
            return
        f, t = best
        self.feature[node], self.threshold[node], self.live[node] = f, t, True
        left = self.X[rows, f] <= t
        self.grow(2 * node + 1, rows[left], level + 1)
        self.grow(2 * node + 2, rows[~left], level + 1)

    def copy_greedy(self, node, rows, level):
        """The greedy tree of the remaining depth, copied into the heap below node."""
        tree = self.greedy(rows, self.depth - level).tree_
        n_inner = self.live.size
        stack = [(node, 0)]
        while stack:
            h, s = stack.pop()
            if h >= n_inner or tree.children_left[s] == -1:
                continue
            self.feature[h] = tree.feature[s]
            self.threshold[h] = tree.threshold[s]
            self.live[h] = True
            stack.append((2 * h + 1, tree.children_left[s]))
            stack.append((2 * h + 2, tree.children_right[s]))

    def greedy(self, rows, depth):
        est = self.estimator._make_cart(depth, self.msl, None, self.seed)
        return est.fit(self.X[rows], self.y[rows], sample_weight=self.w[rows])

    # ------------------------------------------------------------------ scoring
    def best_split(self, rows, level):
        """(feature, threshold) whose two greedy subtrees err least, or None."""
        sub = rows
        if rows.size > _SCORING_ROWS:
            sub = np.sort(self.rng.choice(rows, _SCORING_ROWS, replace=False))
        Xs, ys, ws = self.X[sub], self.y[sub], self.w[sub]
        below = self.depth - level - 1
        side = self.msl
        best_err, best = np.inf, None
        for f in self.top_features(Xs, ys, ws):
            column = Xs[:, f]
            for t in _candidate_thresholds(column, ws):
                left = column <= t
                n_left = int(left.sum())
                if n_left < side or column.size - n_left < side:
                    continue
                err = self.subtree_error(Xs[left], ys[left], ws[left], below)
                if err >= best_err:
                    continue
                err += self.subtree_error(Xs[~left], ys[~left], ws[~left], below)
                if err < best_err:
                    best_err, best = err, (int(f), float(t))
        return best

    def subtree_error(self, X, y, w, depth):
        """Weighted training error of the greedy tree of ``depth`` on these rows."""
        const = self.estimator._constant_error(y, w)
        if depth == 0 or const <= 0:
            return const
        est = self.estimator._make_cart(depth, self.msl, None, self.seed)
        est.fit(X, y, sample_weight=w)
        return self.estimator._prediction_error(est.predict(X), y, w)

    def top_features(self, X, y, w):
        """The features whose best single threshold removes the most impurity."""
        gain = np.zeros(X.shape[1])
        for f in range(X.shape[1]):
            stump = self.estimator._make_cart(1, self.msl, None, self.seed)
            t = stump.fit(X[:, [f]], y, sample_weight=w).tree_
            if t.node_count > 1:
                imp, n = t.impurity, t.weighted_n_node_samples
                gain[f] = imp[0] * n[0] - imp[1] * n[1] - imp[2] * n[2]
        return np.argsort(-gain, kind="stable")[:_TOP_FEATURES]


def _candidate_thresholds(values, weights):
    """Midpoints between distinct values; at most ``_N_THRESHOLDS``, one at each
    weighted quantile ``i / (_N_THRESHOLDS + 1)`` (the first midpoint above it)."""
    order = np.argsort(values, kind="stable")
    v, wv = values[order], weights[order]
    distinct = np.unique(v)
    if distinct.size < 2:
        return distinct[:0]
    mids = (distinct[:-1] + distinct[1:]) / 2.0
    if mids.size <= _N_THRESHOLDS:
        return mids
    cum = np.cumsum(wv)
    levels = cum[-1] * np.arange(1, _N_THRESHOLDS + 1) / (_N_THRESHOLDS + 1)
    quantiles = v[np.minimum(np.searchsorted(cum, levels), v.size - 1)]
    pos = np.minimum(np.searchsorted(mids, quantiles), mids.size - 1)
    return np.unique(mids[pos])
