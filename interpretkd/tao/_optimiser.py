"""The TAO optimiser: a starting tree, then rounds of re-fitting nodes level by level.

A mixin of the TAO estimators; it reads their parameters and writes their fitted
state (``_feat_idx``, ``_feat_val``, ``_bias``, leaf values).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight

from interpretkd._progress import progress_bar
from interpretkd.tao._routing import _goes_right, _project, _route, _route_path
from interpretkd.tao._splits import (
    _OBLIQUE_L1_C,
    _OBLIQUE_MAX_ROWS,
    _segment_best_split,
    _weighted_logistic_newton,
)
from interpretkd.tao._start import rollout_tree


class _TAOOptimiser:
    """Fitting of a TAO tree: mixed into the estimators."""

    def _fit(self, X, T, sample_weight):
        """TAO from a starting tree (or the fitted one) on validated X and targets T."""
        depth, msl = self._check_depth(), int(self.min_samples_leaf)
        start = self._start_kind()
        n, p = X.shape
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if np.any(w < 0):
            raise ValueError(
                "sample_weight must be non-negative; got a negative weight. Pass "
                "zero to ignore a row."
            )
        # Category codes have no order: an oblique split never mixes them with
        # other columns (axis splits on them stay, as in every tree).
        self.is_categorical_ = self._categorical_mask(p)
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
            budget = self.max_leaf_nodes
            if budget is not None and self.get_n_leaves() > budget:
                raise ValueError(
                    f"warm_start=True continues from the fitted tree, which has "
                    f"{self.get_n_leaves()} leaves; max_leaf_nodes={budget} is "
                    "smaller. Set warm_start=False to start again, or raise "
                    "max_leaf_nodes."
                )
            width = max(width, self._feat_idx.shape[1])
            starts = [self._padded_state(width)]
        else:
            starts = [
                self._rollout_state(X, T, w, depth, msl, width, rng)
                if i == 0 and start == "rollout"
                else self._cart_state(X, T, w, depth, msl, width, rng, restart=i)
                for i in range(self.n_init)
            ]

        best = None
        for i, state in enumerate(starts):
            label = type(self).__name__
            if len(starts) > 1:
                label += f" (start {i + 1}/{len(starts)})"
            state, history = self._tao(X, T, w, depth, msl, state, rng, label)
            if best is None or history[-1]["loss"] < best[1][-1]["loss"]:
                best = (state, history)
        state, history = best
        idx, val, bias, values = state
        self._feat_idx, self._feat_val, self._bias = idx, val, bias
        self._tree_depth = depth
        self._set_leaf_values(values)
        self.history_ = history
        self.n_iter_ = max(1, len(history) - 1)
        self._set_public_arrays(X, T, w)
        return self

    def _start_kind(self):
        """The start of restart 0: "rollout" or "cart" (``init="auto"`` resolved)."""
        if self.init == "auto":
            rollout = self._rollout_by_default and self.max_leaf_nodes is None
            return "rollout" if rollout else "cart"
        if self.init == "rollout" and self.max_leaf_nodes is not None:
            raise ValueError(
                'init="rollout" grows a depth-limited tree and does not keep to a '
                f"leaf budget; got max_leaf_nodes={self.max_leaf_nodes}. Use "
                'init="cart" (or "auto") with max_leaf_nodes, or max_leaf_nodes=None.'
            )
        return self.init

    def _padded_state(self, width):
        idx, val = self._feat_idx, self._feat_val
        if idx.shape[1] < width:
            pad = width - idx.shape[1]
            idx = np.hstack([idx, np.zeros((idx.shape[0], pad), dtype=np.intp)])
            val = np.hstack([val, np.zeros((val.shape[0], pad))])
        return idx.copy(), val.copy(), self._bias.copy(), self._get_leaf_values().copy()

    def _cart_state(self, X, T, w, depth, msl, width, rng, restart):
        """Complete heap-ordered tree from a CART tree of the same depth.

        Where CART stopped early the node is pruned (all rows go left) so that the
        tree keeps the fixed shape TAO works on.
        """
        seed = rng.randint(np.iinfo(np.int32).max)
        # Restarts after the first grow CART on a random half of the features at each
        # node, for diverse starting points.
        max_features = None if restart == 0 else 0.5
        cart = self._make_cart(
            depth, msl, max_features, seed, max_leaf_nodes=self.max_leaf_nodes
        )
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
        return idx, val, bias, self._values_from_cart(cart, leaf_source)

    def _rollout_state(self, X, T, w, depth, msl, width, rng):
        """Complete heap-ordered tree from the rollout start (``_start``)."""
        seed = rng.randint(np.iinfo(np.int32).max)
        y = self._greedy_target(T)
        feature, threshold, live = rollout_tree(X, y, w, depth, msl, self, seed)
        n_inner = 2**depth - 1
        idx = np.zeros((n_inner, width), dtype=np.intp)
        val = np.zeros((n_inner, width))
        idx[live, 0] = feature[live]
        val[live, 0] = 1.0
        bias = np.where(live, -threshold, 0.0)
        # Leaf values are fit to the rows by the first step of TAO; a leaf no row
        # reaches keeps this neutral value.
        values = self._neutral_leaf_values(T, w, 2**depth)
        return idx, val, bias, values

    # ------------------------------------------------------------------------- TAO
    def _tao(self, X, T, w, depth, msl, state, rng, label="TAO"):
        idx, val, bias, values = state
        n_inner = 2**depth - 1
        n = X.shape[0]
        total_weight = max(w.sum(), np.finfo(float).tiny)
        eps = 1e-12 * total_weight

        leaf = _route(X, np.zeros(n, np.intp), depth, idx, val, bias) - n_inner
        values = self._fit_leaves(T, w, leaf, values)
        loss = float(w @ self._row_loss(T, values, leaf))
        history = [self._history_entry(0, loss, total_weight, T, w, values, leaf, 0)]
        best = (idx.copy(), val.copy(), bias.copy(), values.copy())
        best_loss = loss
        presorted = np.argsort(X, axis=0, kind="stable")
        # With a leaf budget, a node pruned in the start stays pruned: the tree can
        # then only lose leaves, never exceed the start's count.
        frozen = None
        if self.max_leaf_nodes is not None:
            frozen = ~np.any(val != 0, axis=1)

        rounds = range(1, self.max_iter + 1)
        if self.verbose:
            rounds = progress_bar(rounds, desc=label, unit="round")
        converged = False
        for round_ in rounds:
            if converged:  # checked here so that the bar counts the last round
                break
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
                if frozen is not None:
                    new_err[frozen[first : first + n_nodes]] = np.inf
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
            values = self._fit_leaves(T, w, leaf, values)
            new_loss = float(w @ self._row_loss(T, values, leaf))
            history.append(
                self._history_entry(
                    round_, new_loss, total_weight, T, w, values, leaf, n_changed
                )
            )
            if new_loss < best_loss:
                best = (idx.copy(), val.copy(), bias.copy(), values.copy())
                best_loss = new_loss
            converged = n_changed == 0 or (loss - new_loss) <= self.tol * loss
            loss = new_loss
            if self.verbose:
                rounds.set_postfix(
                    {
                        "loss": f"{new_loss / total_weight:.4g}",
                        "changed": n_changed,
                        "converged": converged,
                    }
                )
        if self.verbose:
            rounds.close()
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
        # Columns an oblique split may combine: the non-categorical ones.
        combinable = np.flatnonzero(~self.is_categorical_)
        out_idx = np.zeros((n_nodes, width), dtype=np.intp)
        out_val = np.zeros((n_nodes, width))
        out_idx[:, :1] = best_idx
        out_val[:, :1] = best_val
        rows_of = np.flatnonzero(used)
        order = np.argsort(local[rows_of], kind="stable")
        rows_sorted = rows_of[order]
        bounds = np.concatenate(([0], np.cumsum(counts)))
        if combinable.size < 2:
            return best_err, out_idx, out_val, best_bias
        for j in np.flatnonzero(counts >= 2):
            rows = rows_sorted[bounds[j] : bounds[j + 1]]
            cand = self._oblique_candidate(
                X, rows, cost_left, cost_right, msl, width, combinable, rng
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

    def _oblique_candidate(
        self, X, rows, cost_left, cost_right, msl, width, combinable, rng
    ):
        """Sparse linear split for one node: L1 logistic regression, exact bias.

        Only the columns ``combinable`` enter it; the split has at most ``width``
        terms.
        """
        from sklearn.linear_model import LogisticRegression

        care = rows[(cost_left[rows] > 0) | (cost_right[rows] > 0)]
        if care.size > _OBLIQUE_MAX_ROWS:
            care = rng.choice(care, _OBLIQUE_MAX_ROWS, replace=False)
        target = cost_left[care] > 0  # the row wants to go right
        if care.size < 2 or target.all() or not target.any():
            return None
        weight = np.abs(cost_left[care] - cost_right[care])
        weight = weight / weight.mean()
        Xc = np.asarray(X[np.ix_(care, combinable)], dtype=np.float64)
        mean = Xc.mean(axis=0)
        scale = Xc.std(axis=0)
        scale[scale == 0] = 1.0
        Z = (Xc - mean) / scale
        p = combinable.size
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
        cidx[: keep.size] = combinable[keep]
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
