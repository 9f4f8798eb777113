"""Torch pieces of soft-tree training: the device, threads, and the path algebra.

Leaf log path probabilities of a batch level by level, and the hand-written
gradient of a loss on the leaves with respect to every inner node's logit.
"""

from __future__ import annotations

import contextlib

import numpy as np


def _resolve_device(device):
    """The torch device ``device`` names ("auto": a GPU when torch sees one)."""
    import torch  # here, so that importing interpretkd does not load torch

    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            resolved = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(
                f"device={device!r} is not a torch device; use 'cpu', 'cuda', "
                "'cuda:0' or 'auto'."
            ) from exc
    else:
        raise TypeError(
            f"device must be a string such as 'cpu', 'cuda' or 'auto', got {device!r}."
        )
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but torch sees no CUDA device; use "
            "device='cpu' (or 'auto' to pick a GPU only when there is one)."
        )
    return resolved


@contextlib.contextmanager
def _torch_threads(torch, n_threads: int | None):
    """Run torch on ``n_threads`` intra-op threads, restoring the setting after."""
    previous = torch.get_num_threads()
    if n_threads is None or n_threads == previous:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _bit_reversed_order(max_depth: int):
    """Heap-order index of each node in the trainer's internal node order.

    Returns ``(inner, leaves)``: integer arrays of lengths ``2**max_depth - 1`` and
    ``2**max_depth``. Internally each level is stored in bit-reversed order (the
    ``k``-bit index ``b_1 ... b_k`` within a level at position ``b_k ... b_1``): then
    the children of a level are ``[all left children, all right children]``, each in
    the parents' order, so building the next level is a concatenation along the node
    axis rather than an interleaving of pairs, which is several times slower in torch.
    Bit reversal is its own inverse: the same arrays map heap order to internal order.
    """

    def level(k):
        pos = np.arange(2**k)
        rev = np.zeros_like(pos)
        for bit in range(k):
            rev |= ((pos >> bit) & 1) << (k - 1 - bit)
        return rev

    inner = np.concatenate(
        [2**k - 1 + level(k) for k in range(max_depth)] or [np.zeros(0, np.int64)]
    )
    return inner, level(max_depth)


def _leaf_log_path_torch(
    torch,
    X,
    weight,
    bias,
    beta,
    max_depth: int,
    return_logits: bool = False,
    path_matrix=None,
):
    """Log path probability of every leaf, shape (n, 2**max_depth).

    ``weight``/``bias`` rows and the returned leaf columns are in the internal
    bit-reversed order (see :func:`_bit_reversed_order`). ``beta`` is a float (a fixed
    temperature, folded into the matrix product) or a tensor (learned). With
    ``return_logits`` the node logits ``z = beta * (X w + b)``, shape (n, n_inner),
    come too, for the backward pass (:func:`_node_logit_grad_torch`). With
    ``path_matrix`` (:func:`_path_matrix`) the sums over each leaf's ancestors are one
    matrix product instead of a loop over the levels: faster for a small tree.
    """
    if isinstance(beta, float):
        # beta * (X w + b) in one call: no separate elementwise product to run.
        z = torch.addmm(bias, X, weight.t(), beta=beta, alpha=beta)
    else:
        z = torch.addmm(bias, X, weight.t()) * beta
    log_right = torch.nn.functional.logsigmoid(z)
    # (n, 2, n_inner): log sigmoid(-z) = log sigmoid(z) - z, then log sigmoid(z).
    steps = torch.stack((log_right - z, log_right), dim=1)
    if path_matrix is not None:
        leaves = steps.view(steps.shape[0], -1) @ path_matrix
    else:
        leaves = _sum_down_levels(torch, steps, max_depth)
    return (leaves, z) if return_logits else leaves


def _sum_down_levels(torch, steps, max_depth: int):
    """Sum of the steps along every root-to-leaf path, level by level.

    ``steps`` (n, 2, n_inner) holds each node's left and right step, internal order;
    returns (n, 2**max_depth).
    """
    n = steps.shape[0]
    by_level = torch.split(steps, [2**k for k in range(max_depth)], dim=2)
    current = by_level[0].reshape(n, 2)
    for k in range(1, max_depth):
        # Children of this level: [parents + left steps, parents + right steps].
        current = (current.unsqueeze(1) + by_level[k]).reshape(n, -1)
    return current


def _path_matrix(torch, max_depth: int, dtype=None, device=None):
    """0/1 matrix of shape (2 * n_inner, n_leaves): which steps each leaf's path takes.

    Row ``i`` is the left step of inner node ``i``, row ``n_inner + i`` its right step
    (internal order, as ``steps.view(n, -1)`` in :func:`_leaf_log_path_torch`), so
    that ``steps @ matrix`` sums every leaf's path. The rows of the right steps are
    also the leaves under each node's right child, and the sum of both halves the
    leaves under each node.
    """
    n_inner = 2**max_depth - 1
    unit = torch.eye(2 * n_inner, dtype=dtype, device=device)
    return _sum_down_levels(torch, unit.view(2 * n_inner, 2, n_inner), max_depth)


def _node_logit_grad_torch(torch, neg_grad_leaf, z, max_depth: int, sum_matrix=None):
    """Gradient w.r.t. the node logits from minus that w.r.t. the leaf log paths.

    The backward pass of :func:`_leaf_log_path_torch`, written out: a leaf's log path
    sums log sigmoid(z) (went right) or log sigmoid(-z) (went left) over its
    ancestors, so with ``g_L`` and ``g_R`` the summed gradients of the leaves below a
    node's left and right child, the node's gradient is
    ``(g_L + g_R) * sigmoid(-z) - g_L`` (the form autograd evaluates). The sums are
    built level by level up the tree, pairs of halves in the internal order, or, with
    ``sum_matrix`` (shape (n_leaves, 2 * n_inner): the left-step rows of
    :func:`_path_matrix`, then the sums of both halves, transposed), as one matrix
    product. A few operations replace an autograd graph of some 40 nodes, whose
    bookkeeping dominated the step of a small tree.

    ``neg_grad_leaf`` is *minus* the gradient w.r.t. the leaf log paths, shape
    (n, n_leaves), internal order (the sign folds into the caller's scalars, saving a
    pass); returns the gradient w.r.t. ``z``, shape (n, n_inner).
    """
    n, n_inner = z.shape
    sig_left = torch.sigmoid(-z)  # d log sigmoid(z) / dz, precise where it is small
    if sum_matrix is not None:
        sums = (neg_grad_leaf @ sum_matrix).view(n, 2, n_inner)  # [-g_L, -(g_L + g_R)]
        return torch.addcmul(sums[:, 0], sums[:, 1], sig_left, value=-1)
    grad = torch.empty_like(z)
    below = neg_grad_leaf
    for k in range(max_depth - 1, -1, -1):
        start, stop = 2**k - 1, 2 ** (k + 1) - 1
        pair = below.view(n, 2, -1)  # level k's [left children, right children]
        below = pair.sum(dim=1)  # minus (g_L + g_R) of every node of level k
        # -g_L + (g_L + g_R) * sigmoid(-z)
        torch.addcmul(
            pair[:, 0],
            below,
            sig_left[:, start:stop],
            value=-1,
            out=grad[:, start:stop],
        )
    return grad
