"""Routing of a hard tree with sparse splits: which child, which leaf, which path.

A row goes **right** at inner node ``i`` when ``w_i @ x + b_i > 0``; the weights
are stored sparsely, ``idx[i]`` the features and ``val[i]`` their weights.
"""

from __future__ import annotations

import numpy as np

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
