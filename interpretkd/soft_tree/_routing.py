"""Routing of a fitted soft tree in NumPy: path probabilities and greedy descent.

Nodes are numbered in heap order (root 0, children of ``i`` are ``2i + 1`` and
``2i + 2``); an inner node's probability is that of going **right**. These two
functions are the only definition of where a fitted soft tree sends a row; ``apply``,
``decision_path`` and ``predict`` call them, and export asks those methods.
"""

from __future__ import annotations

import numpy as np

# Rows of X evaluated at once at prediction time: bounds memory at depth 10-12.
_PREDICT_ELEMENTS = 1 << 22


def _node_depths(max_depth: int) -> np.ndarray:
    """Depth of every node (inner nodes then leaves) in heap order."""
    n_nodes = 2 ** (max_depth + 1) - 1
    return np.floor(np.log2(np.arange(1, n_nodes + 1))).astype(np.int64)


def _log_path_numpy(X, weights, bias, beta, max_depth: int) -> np.ndarray:
    """Log path probability of every node, shape (n_samples, 2**(max_depth+1) - 1)."""
    z = (X @ weights.T + bias) * beta
    # log sigmoid(z) and log sigmoid(-z), computed without overflow.
    log_right = -np.logaddexp(0.0, -z)
    log_left = log_right - z
    steps = np.stack((log_left, log_right), axis=2)  # (n, n_inner, 2)
    n = X.shape[0]
    levels = [np.zeros((n, 1))]
    current = levels[0]
    for k in range(max_depth):
        start, stop = 2**k - 1, 2 ** (k + 1) - 1
        current = (current[:, :, None] + steps[:, start:stop]).reshape(n, -1)
        levels.append(current)
    return np.concatenate(levels, axis=1)


def _greedy_leaves(scores: np.ndarray, max_depth: int) -> np.ndarray:
    """Heap id of the leaf reached by taking the likelier branch at every node.

    ``scores`` holds every inner node's ``x @ w + b`` (heap order, one row per
    sample). A row goes right at node ``i`` when ``scores[:, i] > 0`` (the inverse
    temperature is positive, so it does not change the sign): exactly the hard
    oblique tree that the text rules of a tree with ``prediction="greedy"`` spell
    out. The trainer scores validation rows with this function too.
    """
    rows = np.arange(scores.shape[0])
    node = np.zeros(scores.shape[0], dtype=np.int64)
    for _ in range(max_depth):
        node = 2 * node + 1 + (scores[rows, node] > 0)
    return node
