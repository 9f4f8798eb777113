"""Starting trees for TAO: the rollout start, grown top-down with lookahead.

CART picks each split for the impurity it removes right away. The rollout start picks
the splits of the top ``_LOOKAHEAD`` levels for what the whole subtree below them can
reach: every candidate split is scored by the training error of the two greedy trees
(CART, to the full remaining depth) grown on its sides, and the best is kept.

Below those levels a node's split is also chosen by lookahead, but a short one: the
greedy trees that score a candidate have at most ``_DEEP_HORIZON`` levels, and the
split found is kept only when it beats the greedy tree of the same size grown on the
node's rows by a margin, ``_DEEP_MARGIN`` times the node's weight over the square
root of its rows (one row in ``sqrt(n)`` at unit weight: about one standard deviation
of the difference of two error counts on the same rows). A node whose lookahead split
does not clear the margin gets CART's split (and its children are tried again); the
last level of splits is CART's. TAO then refines the tree as it refines a CART
start. Measured in ``docs/benchmarks/frontier.md``: for axis-aligned trees of depth
3 to 8 the rollout start lets TAO reach a better tree than the CART start does; the
margin keeps the short lookahead where it pays (Letter's 26 classes, where greedy
splits leave most of the error) and mostly off where it would fit noise (the three
other sets).

No library grows such a tree (scikit-learn's trees are greedy and imodels' are
greedy or exhaustive), hence this module. The result is a heap-ordered axis tree of
the requested depth: ``(feature, threshold, live)`` per inner node; a node that is
not live is pruned (every row goes left).
"""

from __future__ import annotations

import warnings

import numpy as np

# Levels chosen by lookahead to the full depth.
_LOOKAHEAD = 2
# Deeper nodes: candidates scored by greedy trees of at most this many levels, and a
# split kept only when it beats the greedy tree by _DEEP_MARGIN * weight / sqrt(rows),
# CART's split otherwise (measured in docs/benchmarks.md: without the margin the
# short lookahead added 1.9 to 7.5 points on Letter at depth 8 but cost 0.4 to 2.7
# on each of the three other sets).
_DEEP_HORIZON = 2
_DEEP_MARGIN = 1.0
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
        Supplies ``_make_cart`` (the greedy tree), ``_constant_error`` /
        ``_prediction_error`` (how wrong a constant or a prediction is) and
        ``_rollout_deep_lookahead`` (whether nodes below the top levels get the
        short lookahead; the margin is in units of row weight, which errors counted
        in misclassified weight share).
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
    with warnings.catch_warnings():
        # The greedy trees that score a small node's candidates may see more
        # classes than half their rows, which scikit-learn warns about; that is
        # expected here and says nothing about the user's data.
        warnings.filterwarnings(
            "ignore", message="The number of unique classes", category=UserWarning
        )
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
        top = level < _LOOKAHEAD
        deep = self.estimator._rollout_deep_lookahead
        if not top and (not deep or level == self.depth - 1):
            self.copy_greedy(node, rows, level)  # the last split: CART's stump
            return
        if top:
            found = self.best_split(rows, level)
            if found is None:
                self.copy_greedy(node, rows, level)
                return
            f, t = found[0]
        else:
            split = self.deep_split(rows, level)
            if split is None:
                return  # CART would not split these rows either
            f, t = split
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
    def scoring_rows(self, rows):
        """The rows a node's candidates are scored on (all, up to _SCORING_ROWS)."""
        if rows.size > _SCORING_ROWS:
            return np.sort(self.rng.choice(rows, _SCORING_ROWS, replace=False))
        return rows

    def best_split(self, rows, level, horizon=None):
        """The split whose two greedy subtrees (of at most ``horizon`` levels, None:
        to the full depth) err least, ``((feature, threshold), error)``, or None."""
        sub = self.scoring_rows(rows)
        Xs, ys, ws = self.X[sub], self.y[sub], self.w[sub]
        below = self.depth - level - 1
        if horizon is not None:
            below = min(below, horizon)
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
        return None if best is None else (best, best_err)

    def deep_split(self, rows, level):
        """The split of a node below the top levels: the short lookahead's where it
        errs less than the greedy tree of the same size on the node's rows by the
        margin, else CART's (None where CART would not split)."""
        sub = self.scoring_rows(rows)
        ws = self.w[sub]
        margin = _DEEP_MARGIN * ws.sum() / np.sqrt(sub.size)
        depth = min(self.depth - level - 1, _DEEP_HORIZON) + 1
        greedy = self.subtree_error(self.X[sub], self.y[sub], ws, depth)
        # No split can beat the greedy tree by more than the greedy tree's error.
        if greedy >= margin:
            found = self.best_split(sub, level, _DEEP_HORIZON)
            if found is not None and greedy - found[1] >= margin:
                return found[0]
        stump = self.greedy(rows, 1).tree_
        if stump.children_left[0] == -1:
            return None
        return int(stump.feature[0]), float(stump.threshold[0])

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
