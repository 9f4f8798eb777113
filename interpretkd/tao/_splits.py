"""Fitting one node's split: the best threshold of a projection, and the weighted
logistic regression behind sparse oblique splits.
"""

from __future__ import annotations

import numpy as np

# Oblique splits: the L1 logistic regression that picks a node's features sees at most
# this many of the node's rows (a random subset); the bias is then tuned on all rows.
_OBLIQUE_MAX_ROWS = 3000
# Inverse strength of the L1 penalty (on standardised features, mean-1 weights).
_OBLIQUE_L1_C = 0.5


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
