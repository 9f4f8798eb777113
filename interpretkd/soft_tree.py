"""Soft decision trees (Frosst & Hinton, 2017) as scikit-learn estimators.

A soft decision tree of depth ``d`` has ``2**d - 1`` inner nodes, each a logistic
"filter" ``p_i(x) = sigmoid(beta_i * (x @ w_i + b_i))`` giving the probability of going
**right**, and ``2**d`` leaves, each a fixed class distribution (classifier) or a fixed
value (regressor). Nodes are numbered in heap order (root 0, children of ``i`` are
``2i + 1`` and ``2i + 2``; leaf ``l`` is node ``2**d - 1 + l``).

Training is done with PyTorch: one matrix product evaluates every inner node of a batch,
path probabilities are accumulated level by level in log space (so depth 12 does not
underflow), and the loss is the path-weighted cross-entropy of the paper plus its
balance penalty. The fitted state is plain NumPy, so a fitted estimator pickles, loads
and predicts without torch device state; prediction runs in NumPy.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
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

__all__ = ["SoftDecisionTreeClassifier", "SoftDecisionTreeRegressor"]

# Clamp of the balance penalty's alpha: keeps log(alpha) and log(1 - alpha) finite.
_ALPHA_EPS = 1e-6
# Rows of X evaluated at once at prediction time: bounds memory at depth 10-12.
_PREDICT_ELEMENTS = 1 << 22
# Below this many multiply-adds per batch (batch x features x nodes) torch trains on
# a single thread.
_SMALL_BATCH_WORK = 1 << 22


# --------------------------------------------------------------------------------------
# Tree geometry
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# The torch model (built only while training)
# --------------------------------------------------------------------------------------


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a hard dependency
        raise ImportError(
            "Soft decision trees are trained with PyTorch; install it with "
            "`pip install torch`."
        ) from exc
    return torch


def _resolve_device(device):
    torch = _import_torch()
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


class _Trainer:
    """Owns the torch tensors of one ``fit``/``partial_fit`` call.

    Parameters are kept in the *standardised* input space; the estimator converts them
    to and from its NumPy state.

    The gradients are written out by hand rather than left to autograd: the training
    step of a small tree is a few dozen tiny operations around two matrix products,
    and the bookkeeping of an autograd graph (plus Adam's per-tensor loop) cost as
    much as the arithmetic. The trained tensors (weight, bias, leaf logits and a
    learned log_beta) are views of one flat parameter, their gradients views of one
    flat gradient buffer that every step overwrites, so Adam updates one tensor.
    """

    # Up to these depths the sums over the tree's levels (leaf paths and their
    # gradient; inner-node masses and theirs) are products with a fixed 0/1 matrix,
    # one call instead of two or three a level; deeper, the matrix products cost more
    # than the loops (measured at batch 256, 784 features).
    path_matrix_max_depth = 6
    mass_matrix_max_depth = 8

    def __init__(self, estimator, state, n_features, n_outputs, dtype, device, gen):
        torch = _import_torch()
        self.torch = torch
        self.est = estimator
        self.max_depth = estimator.max_depth
        self.device = device
        self.dtype = dtype
        n_inner = 2**self.max_depth - 1
        n_leaves = 2**self.max_depth
        if state is None:
            bound = 1.0 / math.sqrt(n_features)
            w = (
                torch.rand((n_inner, n_features), generator=gen, dtype=dtype) * 2 - 1
            ) * bound
            b = torch.zeros(n_inner, dtype=dtype)
            leaf = torch.randn((n_leaves, n_outputs), generator=gen, dtype=dtype) * 0.01
            log_beta = torch.full(
                (n_inner,) if estimator.learn_beta else (),
                math.log(estimator.beta),
                dtype=dtype,
            )
            num = torch.zeros(n_inner, dtype=dtype)
            den = torch.zeros(n_inner, dtype=dtype)
        else:
            w, b, leaf, log_beta, num, den = (
                torch.as_tensor(state[k], dtype=dtype)
                for k in (
                    "weight",
                    "bias",
                    "leaf",
                    "log_beta",
                    "alpha_num",
                    "alpha_den",
                )
            )
        # Node-indexed tensors are held in the internal (bit-reversed) node order and
        # converted back to heap order in state().
        inner_order, leaf_order = _bit_reversed_order(self.max_depth)
        self.inner_order = torch.as_tensor(inner_order)
        self.leaf_order = torch.as_tensor(leaf_order)
        w, b, num, den = (t[self.inner_order] for t in (w, b, num, den))
        leaf = leaf[self.leaf_order]
        if log_beta.ndim:
            log_beta = log_beta[self.inner_order]
        learned = bool(estimator.learn_beta)
        params = [w, b, leaf] + ([log_beta] if learned else [])
        # Permutation of each parameter's first axis (internal order <-> heap order).
        self.param_orders = [self.inner_order, self.inner_order, self.leaf_order]
        if learned:
            self.param_orders.append(self.inner_order)
        self.param_shapes = [tuple(p.shape) for p in params]
        self.flat = torch.cat([p.reshape(-1) for p in params]).to(device)
        self.flat.grad = torch.zeros_like(self.flat)
        views, grads = self._split(self.flat), self._split(self.flat.grad)
        self.weight, self.bias, self.leaf = views[:3]
        self.weight_grad, self.bias_grad, self.leaf_grad = grads[:3]
        if learned:
            self.log_beta, self.log_beta_grad = views[3], grads[3]
        else:
            self.log_beta = log_beta.to(device)
        # A fixed beta is a float, so that it folds into the matrix products.
        self.beta = None if learned else math.exp(float(log_beta))
        self.alpha_num = num.to(device)
        self.alpha_den = den.to(device)
        self.params = [self.flat]
        self.optimizer = torch.optim.Adam(self.params, lr=estimator.learning_rate_)
        if state is not None and state.get("optimizer") is not None:
            self._load_optimizer(state["optimizer"])
        depths = _node_depths(self.max_depth)[:n_inner]
        # -penalty * 2**-depth / 2: the weight of log(alpha) + log(1 - alpha).
        self.penalty_weight = torch.as_tensor(
            -0.5 * estimator.penalty * 2.0 ** (-depths), dtype=dtype, device=device
        )
        # Running-average window of alpha grows as 2**depth batches (the paper's
        # "time window exponentially proportional to the depth of the node").
        self.decay = torch.as_tensor(1.0 - 2.0 ** (-depths), dtype=dtype, device=device)
        self.path_matrix = self.path_grad_matrix = self.mass_matrix = None
        if self.max_depth <= max(
            self.path_matrix_max_depth, self.mass_matrix_max_depth
        ):
            steps = _path_matrix(torch, self.max_depth, dtype, device)
            left, right = steps[:n_inner], steps[n_inner:]
            under = left + right  # the leaves under each node
            if self.max_depth <= self.path_matrix_max_depth:
                self.path_matrix = steps
                self.path_grad_matrix = torch.cat((left, under)).t().contiguous()
            if self.max_depth <= self.mass_matrix_max_depth:
                self.mass_matrix = torch.cat((right, under)).t().contiguous()

    def _split(self, flat):
        """Views of a flat tensor shaped as the parameters (internal order)."""
        sizes = [math.prod(shape) for shape in self.param_shapes]
        return [
            part.view(shape)
            for part, shape in zip(flat.split(sizes), self.param_shapes, strict=True)
        ]

    # -- optimizer state as numpy -----------------------------------------------------
    def _load_optimizer(self, saved):
        """Load the saved per-parameter Adam state (heap order) into the flat one."""
        torch = self.torch
        if len(saved["state"]) != len(self.param_shapes):
            return
        flat_state = {}
        for k, v in saved["state"][0].items():
            if k == "step":  # one count for all: every step updates every parameter
                flat_state[k] = torch.as_tensor(v, dtype=torch.float32)
                continue
            parts = []
            for st, order in zip(saved["state"], self.param_orders, strict=True):
                t = torch.as_tensor(st[k], dtype=self.dtype)
                parts.append((t[order] if t.ndim else t).reshape(-1))
            flat_state[k] = torch.cat(parts)
        sd = self.optimizer.state_dict()
        sd["state"] = {0: flat_state}
        self.optimizer.load_state_dict(sd)

    def _dump_optimizer(self):
        """The Adam state as one dict of NumPy arrays per parameter, in heap order.

        The format of the former one-tensor-per-parameter optimizer, so that states
        saved by either version load in either.
        """
        sd = self.optimizer.state_dict()
        if not sd["state"]:
            return {"state": []}
        out = [{} for _ in self.param_shapes]
        for k, v in sd["state"][0].items():
            v = v.detach().cpu()
            parts = [v] * len(out) if k == "step" else self._split(v)
            for st, t, order in zip(out, parts, self.param_orders, strict=True):
                if k != "step" and t.ndim:
                    t = t[order]  # internal order -> heap order
                st[k] = t.numpy().copy()
        return {"state": out}

    def state(self):
        def np_(t, order=None):
            t = t.detach().cpu()
            if order is not None and t.ndim:
                t = t[order]  # internal order -> heap order (the same permutation)
            return t.numpy().astype(np.float64, copy=True)

        inner = self.inner_order
        return {
            "weight": np_(self.weight, inner),
            "bias": np_(self.bias, inner),
            "leaf": np_(self.leaf, self.leaf_order),
            "log_beta": np_(self.log_beta, inner),
            "alpha_num": np_(self.alpha_num, inner),
            "alpha_den": np_(self.alpha_den, inner),
            "optimizer": self._dump_optimizer(),
        }

    # -- model ------------------------------------------------------------------------
    def leaf_log_path(self, X, return_logits=False):
        """Log path probability of every leaf, shape (n, n_leaves), internal order
        (and the node logits with ``return_logits``)."""
        beta = self.log_beta.exp() if self.beta is None else self.beta
        return _leaf_log_path_torch(
            self.torch,
            X,
            self.weight,
            self.bias,
            beta,
            self.max_depth,
            return_logits,
            self.path_matrix,
        )

    def leaf_loss(self, P, T, w, inv_wsum):
        """Weighted mean over samples of sum_l P_l(x) * loss(target, leaf l).

        Returns ``(loss, m, A, B)``: the loss, the leaf masses ``m = w @ P``, and the
        gradient of the loss w.r.t. ``P`` as the product ``A @ B.T``, whose last
        columns, ``w`` in ``A`` and an unset one in ``B``, are for the gradient of the
        penalty w.r.t. ``m``. Writes the gradient w.r.t. the leaf parameters.
        """
        if self.est.loss == "mixture":
            return self._mixture_leaf_loss(P, T, w, inv_wsum)
        torch = self.torch
        L = P.shape[1]
        if self.est._is_classifier:
            # sum_x w_x sum_c T_xc (P log q)_xc = sum_lc (P^T (w T))_lc log q_lc: the
            # product over samples first needs one matrix product, and an extra
            # column w gives the leaf masses P^T w with it.
            A = torch.cat((w.unsqueeze(1) * T, w.unsqueeze(1)), dim=1)
            S = P.t() @ A
            C = S.shape[1] - 1
            SC = S[:, :C]
            log_q = torch.log_softmax(self.leaf, dim=1)
            loss = (SC * log_q).sum() * -inv_wsum
            # Gradient of -sum S log_softmax(leaf) / wsum: (q * rowsum(S) - S) / wsum.
            rowsum = SC.sum(dim=1, keepdim=True)
            torch.addcmul(SC, log_q.exp(), rowsum, value=-1, out=self.leaf_grad)
            self.leaf_grad.mul_(-inv_wsum)
            B = torch.empty((L, C + 1), dtype=P.dtype, device=P.device)
            torch.mul(log_q, -inv_wsum, out=B[:, :C])
            return loss, S[:, C], A, B
        # sum_l P_l |y - v_l|^2 = |y|^2 - 2 y.(P V) + P (|v|^2)
        V = self.leaf
        C = V.shape[1]
        v2 = V.square().sum(dim=1)
        raw = T.square().sum(dim=1) - 2 * (T * (P @ V)).sum(dim=1) + P @ v2
        loss = (w * raw.clamp_min(0)).sum() * inv_wsum
        # Sample weights where the clamp let the gradient through, over the total.
        a = torch.where(raw >= 0, w, 0).mul_(inv_wsum).unsqueeze(1)
        # d/dP_xl = a_x (|v_l|^2 - 2 T_x . v_l); d/dV = 2 (V * P^T a - P^T (a T)).
        A = torch.cat((a * T, a, w.unsqueeze(1)), dim=1)
        S = P.t() @ A
        torch.addcmul(S[:, :C], V, S[:, C : C + 1], value=-1, out=self.leaf_grad)
        self.leaf_grad.mul_(-2)
        B = torch.empty((L, C + 2), dtype=P.dtype, device=P.device)
        torch.mul(V, -2, out=B[:, :C])
        B[:, C] = v2
        return loss, S[:, C + 1], A, B

    def _mixture_leaf_loss(self, P, T, w, inv_wsum):
        """:meth:`leaf_loss` for ``loss="mixture"``: the loss of the mixture ``P @ Q``.

        Classifier: ``-sum_c T_c log (P Q)_c``; regressor: ``|y - P V|**2``. The
        gradient w.r.t. ``P`` is again a product ``A @ B.T`` (``A`` holds the targets
        over the mixture, ``B`` the leaves), with the same extra column for the leaf
        masses.
        """
        torch = self.torch
        L = P.shape[1]
        wc = w.unsqueeze(1)
        if self.est._is_classifier:
            q = torch.softmax(self.leaf, dim=1)
            C = q.shape[1]
            # A leaf distribution is strictly positive, so the mixture is too, up to
            # underflow in float32; the clamp only guards that.
            M = (P @ q).clamp_min_(torch.finfo(P.dtype).tiny)
            loss = (T * torch.log(M)).sum(dim=1).mul_(w).sum() * -inv_wsum
            # d/dP_xl = -w_x / wsum * sum_c T_xc q_lc / M_xc.
            A = torch.cat((wc * T / M, wc), dim=1)
            S = P.t() @ A
            # d/dq = -S / wsum, through the softmax: q * (g - rowsum(q * g)).
            G = S[:, :C] * q
            torch.addcmul(
                G, q, G.sum(dim=1, keepdim=True), value=-1, out=self.leaf_grad
            )
            self.leaf_grad.mul_(-inv_wsum)
            B = torch.empty((L, C + 1), dtype=P.dtype, device=P.device)
            torch.mul(q, -inv_wsum, out=B[:, :C])
            return loss, S[:, C], A, B
        V = self.leaf
        C = V.shape[1]
        resid = T - P @ V
        loss = (w * resid.square().sum(dim=1)).sum() * inv_wsum
        # d/dP_xl = -2 w_x / wsum * resid_x . v_l; d/dV = -2 P^T (w resid) / wsum.
        A = torch.cat((resid.mul_(wc * inv_wsum), wc), dim=1)
        S = P.t() @ A
        torch.mul(S[:, :C], -2, out=self.leaf_grad)
        B = torch.empty((L, C + 1), dtype=P.dtype, device=P.device)
        torch.mul(V, -2, out=B[:, :C])
        return loss, S[:, C], A, B

    def inner_masses(self, leaf_mass):
        """Masses of the right children and of the inner nodes, from the leaf masses.

        A node's path probability is the sum of its leaves', so its weighted mass is the
        sum of its leaves' masses: summing pairs level by level up the tree gives every
        inner node's mass without computing (or exponentiating) the path probabilities
        of the inner nodes. Returns two tensors of shape (n_inner,), internal order.
        """
        if self.mass_matrix is not None:
            both = leaf_mass @ self.mass_matrix
            n_inner = both.shape[0] // 2
            return both[:n_inner], both[n_inner:]
        pairs = []  # (left, right) child masses of the inner nodes of each level
        mass = leaf_mass
        for _ in range(self.max_depth):
            # In internal order a level is [left children, right children].
            pair = mass.view(2, -1)
            pairs.append(pair)
            mass = pair.sum(dim=0)
        pairs = self.torch.cat(pairs[::-1], dim=1)  # levels from the root down
        return pairs[1], pairs.sum(dim=0)

    def leaf_mass_grad(self, g_right, g_parent):
        """Gradient w.r.t. the leaf masses from those w.r.t. :meth:`inner_masses`.

        A leaf's mass counts in the mass of each of its ancestors and in the right-child
        mass of those it lies right of: the gradient accumulates down the tree, level by
        level, each level's children ``[left, right]`` receiving their parent's total
        plus, for the right ones, the parent's ``g_right``.
        """
        torch = self.torch
        if self.mass_matrix is not None:
            return self.mass_matrix @ torch.cat((g_right, g_parent))
        total = g_parent[:1]  # gradient of the root's mass
        for k in range(self.max_depth):
            start, stop = 2**k - 1, 2 ** (k + 1) - 1
            children = torch.stack((total, total + g_right[start:stop])).view(-1)
            if k + 1 < self.max_depth:
                total = children + g_parent[stop : 2 * stop + 1]
        return children

    def balance_penalty(self, right, parent):
        """Penalty from the weighted path masses of the right children and of the
        inner nodes, both of shape (n_inner,).

        Returns ``(penalty, g_right, g_parent)``, the gradients w.r.t. the two inputs
        evaluated as autograd does (clamped entries pass none).
        """
        torch = self.torch
        # alpha of this batch. The paper smooths alpha with a running average whose
        # window grows as 2**depth; differentiating that running ratio shrinks a deep
        # node's gradient by its window (almost no penalty below the top levels), and
        # using the running value with this batch's gradient was also worse: on
        # Fashion-MNIST depth 8 (20k images, 15 epochs) 84.3% max-path with this batch's
        # alpha against 79.5% and 82.0% with the two running-average forms.
        if self.est.penalty_average == "running":
            # The paper's form: running sums over a window of 2**depth batches,
            # this batch's terms carrying the gradient (d/d right = d/d right').
            right = self.decay * self.alpha_num + right
            parent = self.decay * self.alpha_den + parent
        self.alpha_num, self.alpha_den = right, parent
        parent_c = parent.clamp_min(1e-12)
        ratio = right / parent_c
        alpha = ratio.clamp(_ALPHA_EPS, 1 - _ALPHA_EPS)
        weight = self.penalty_weight
        penalty = (weight * (torch.log(alpha) + torch.log1p(-alpha))).sum()
        # d/d alpha of weight * (log(alpha) + log(1 - alpha)), zero where clamped.
        g_alpha = (weight / alpha - weight / (1 - alpha)).masked_fill_(
            ratio != alpha, 0
        )
        g_right = g_alpha / parent_c
        g_parent = (ratio / parent_c).mul_(g_alpha).neg_()
        g_parent.masked_fill_(parent_c != parent, 0)
        return penalty, g_right, g_parent

    def step(self, X, T, w, wsum=None):
        """One Adam step on a batch; returns the batch's loss.

        ``wsum`` is ``float(w.sum())`` when the caller has it already (one host
        synchronisation fewer per step on a GPU).

        Forward and backward are written out (see the class docstring): the backward
        runs the forward's matrix products transposed, from the loss down to the
        gradient w.r.t. the node logits (:func:`_node_logit_grad_torch`) and one
        matrix product for the filters.
        """
        torch = self.torch
        # Only the leaves' path probabilities are exponentiated: the loss needs no
        # other, and the penalty's inner-node masses are sums of leaf masses.
        log_leaf, z = self.leaf_log_path(X, return_logits=True)
        P = log_leaf.exp_()
        inv_wsum = 1.0 / (float(w.sum()) if wsum is None else wsum)
        loss, leaf_mass, A, B = self.leaf_loss(P, T, w, inv_wsum)
        if self.est.penalty > 0:
            penalty, g_right, g_parent = self.balance_penalty(
                *self.inner_masses(leaf_mass)
            )
            B[:, -1] = self.leaf_mass_grad(g_right, g_parent)
            loss = loss + penalty
        else:
            A, B = A[:, :-1], B[:, :-1]
        # Minus the gradient w.r.t. the leaf log paths, A @ B.T * P, times beta when
        # it is fixed: then the node gradient is w.r.t. X w + b, ready for the filters.
        B.mul_(-1.0 if self.beta is None else -self.beta)
        neg_grad_leaf = torch.mm(A, B.t()).mul_(P)
        grad_z = _node_logit_grad_torch(
            torch, neg_grad_leaf, z, self.max_depth, self.path_grad_matrix
        )
        if self.beta is None:
            # z = beta * (X w + b), beta = exp(log_beta): d/d log_beta = sum_x g z.
            torch.sum(grad_z * z, dim=0, out=self.log_beta_grad)
            grad_z.mul_(self.log_beta.exp())
        torch.mm(grad_z.t(), X, out=self.weight_grad)
        torch.sum(grad_z, dim=0, out=self.bias_grad)
        self.optimizer.step()
        return float(loss)

    def score(self, X, T, w):
        """Validation score: agreement with argmax targets, or minus the MSE."""
        torch = self.torch
        with torch.no_grad():
            log_leaf = self.leaf_log_path(X)
            if self.est.prediction == "max_path":
                out = self.leaf[log_leaf.argmax(dim=1)]
            else:
                out = log_leaf.exp() @ (
                    torch.softmax(self.leaf, 1)
                    if self.est._is_classifier
                    else self.leaf
                )
            if self.est._is_classifier:
                hit = (out.argmax(1) == T.argmax(1)).to(w.dtype)
                return float((w * hit).sum() / w.sum())
            return -float((w * (out - T).square().sum(1)).sum() / w.sum())

    def run_epochs(
        self, X, T, w, n_epochs, X_val=None, T_val=None, w_val=None, gen=None
    ):
        """Train for up to ``n_epochs`` epochs; returns (losses, val_scores)."""
        torch = self.torch
        est = self.est
        n = X.shape[0]
        batch_size = min(est.batch_size, n)
        losses, scores = [], []
        best_score, best_state, since_best = -np.inf, None, 0
        progress = None
        epochs = range(n_epochs)
        if est.verbose and n_epochs > 1:
            from tqdm.auto import tqdm

            progress = tqdm(epochs, desc=type(est).__name__, unit="epoch")
            epochs = progress
        schedule = est.learning_rate_schedule
        if schedule == "auto":
            schedule = "cosine" if est._is_classifier else "constant"
        cosine = schedule == "cosine" and n_epochs > 1
        for epoch in epochs:
            if cosine:
                # Cosine decay from learning_rate towards 0 over this call's epochs.
                lr = (
                    est.learning_rate_
                    * 0.5
                    * (1 + math.cos(math.pi * epoch / n_epochs))
                )
                for group in self.optimizer.param_groups:
                    group["lr"] = lr
            order = torch.randperm(n, generator=gen).to(self.device)
            total, weight_total = 0.0, 0.0
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                wb = w[idx]
                wsum = float(wb.sum())
                if wsum <= 0:
                    continue
                total += self.step(X[idx], T[idx], wb, wsum) * wsum
                weight_total += wsum
            losses.append(total / max(weight_total, 1e-300))
            if X_val is not None:
                current = self.score(X_val, T_val, w_val)
                scores.append(current)
            else:
                current = -losses[-1]
            if progress is not None:
                post = {"loss": f"{losses[-1]:.4f}"}
                if X_val is not None:
                    post["val"] = f"{current:.4f}"
                progress.set_postfix(post)
            if est.n_iter_no_change is None:
                continue
            if current > best_score + est.tol:
                best_score, since_best = current, 0
                if X_val is not None:
                    best_state = [p.detach().clone() for p in self.params]
            else:
                since_best += 1
                if since_best >= est.n_iter_no_change:
                    break
        if progress is not None:
            progress.close()
        if best_state is not None:
            with torch.no_grad():
                for p, saved in zip(self.params, best_state):
                    p.copy_(saved)
        return losses, scores


# --------------------------------------------------------------------------------------
# The estimators
# --------------------------------------------------------------------------------------


class _BaseSoftDecisionTree(BaseEstimator):
    """Shared fitting, introspection and prediction code of the soft trees."""

    _is_classifier = False
    # interpretkd.distill passes the teacher's outputs to fit() as they are.
    _accepts_soft_targets = True

    def __init__(
        self,
        *,
        max_depth: int = 6,
        beta: float = 1.0,
        learn_beta: bool = False,
        loss: str = "expected",
        penalty: float = 0.1,
        penalty_average: str = "batch",
        learning_rate: float | str = "auto",
        learning_rate_schedule: str = "auto",
        batch_size: int = 128,
        max_epochs: int = 100,
        validation_fraction: float | None = None,
        n_iter_no_change: int | None = 10,
        tol: float = 1e-4,
        scale_floor: float = 0.0,
        prediction: str = "max_path",
        device: Any = "cpu",
        random_state=None,
        verbose: int = 0,
        warm_start: bool = False,
    ):
        self.max_depth = max_depth
        self.beta = beta
        self.learn_beta = learn_beta
        self.loss = loss
        self.penalty = penalty
        self.penalty_average = penalty_average
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.scale_floor = scale_floor
        self.prediction = prediction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # -- parameter checks -------------------------------------------------------------
    def _check_params(self):
        check_positive_int(self.max_depth, "max_depth")
        if self.max_depth > 16:
            raise ValueError(
                f"max_depth={self.max_depth} would build 2**{self.max_depth} leaves; a "
                "soft tree deeper than 16 is neither readable nor trainable in memory. "
                "Use max_depth <= 16 (6 to 10 is typical)."
            )
        names = ("beta",) if self.learning_rate == "auto" else ("beta", "learning_rate")
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a positive number, got {value!r}.")
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
        for name in ("penalty", "tol", "scale_floor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number >= 0, got {value!r}.")
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
        if self.loss not in ("expected", "mixture"):
            raise ValueError(
                "loss must be 'expected' (the path-weighted loss of every leaf, the "
                "default) or 'mixture' (the loss of the path-weighted mixture of the "
                f"leaves); got {self.loss!r}."
            )
        if self.penalty_average not in ("batch", "running"):
            raise ValueError(
                "penalty_average must be 'batch' (each batch's alpha) or 'running' "
                f"(the paper's running average), got {self.penalty_average!r}."
            )
        check_positive_int(self.batch_size, "batch_size")
        check_positive_int(self.max_epochs, "max_epochs")
        if self.n_iter_no_change is not None:
            check_positive_int(self.n_iter_no_change, "n_iter_no_change")
        vf = self.validation_fraction
        if vf is not None:
            if isinstance(vf, bool) or not isinstance(vf, numbers.Real):
                raise TypeError(
                    "validation_fraction must be None or a number in (0, 1), "
                    f"got {vf!r}."
                )
            if not 0 < vf < 1:
                raise ValueError(
                    "validation_fraction must be in (0, 1) (e.g. 0.1 holds out 10% of "
                    f"the data for early stopping) or None; got {vf!r}."
                )
        if self.learning_rate_schedule not in ("auto", "constant", "cosine"):
            raise ValueError(
                "learning_rate_schedule must be 'cosine' (decay from learning_rate to "
                "0 over max_epochs), 'constant' or 'auto' (cosine for the classifier, "
                "constant for the regressor); got "
                f"{self.learning_rate_schedule!r}."
            )
        if self.prediction not in ("max_path", "mixture"):
            raise ValueError(
                "prediction must be 'max_path' (the leaf of greatest path probability) "
                f"or 'mixture' (all leaves weighted by path probability); got "
                f"{self.prediction!r}."
            )
        if not isinstance(self.learn_beta, (bool, np.bool_)):
            raise TypeError(
                f"learn_beta must be True or False, got {self.learn_beta!r}."
            )

    # -- fitting ----------------------------------------------------------------------
    def _fit(self, X, T, sample_weight, *, n_epochs, incremental, partial=False):
        """Train on validated X (float array) and targets T (n_samples, n_outputs)."""
        torch = _import_torch()
        device = _resolve_device(self.device)
        rng = check_random_state(self.random_state)
        resume = incremental and hasattr(self, "_state")
        if not resume:
            self._rng_seed = int(rng.randint(np.iinfo(np.int32).max))
        gen = torch.Generator().manual_seed(
            self._rng_seed + (len(self.loss_curve_) if resume else 0)
        )
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        w = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.any(w > 0):
            raise ValueError(
                "sample_weight must have at least one positive entry; all weights "
                "are zero."
            )
        if not resume:
            mean = np.average(X, axis=0, weights=w)
            var = np.average((X - mean) ** 2, axis=0, weights=w)
            scale = np.sqrt(var + float(self.scale_floor) ** 2)
            scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
            self._x_mean, self._x_scale = mean, scale
        Xs = ((X - self._x_mean) / self._x_scale).astype(X.dtype, copy=False)
        T = self._transform_targets(T, w, fit_scaler=not resume)

        X_val = T_val = w_val = None
        if self.validation_fraction is not None and not partial:
            stratify = None
            if self._is_classifier and getattr(self, "_hard_labels", None) is not None:
                labels = self._hard_labels
                if np.bincount(labels).min() >= 2:
                    stratify = labels
            n_val = int(math.ceil(self.validation_fraction * X.shape[0]))
            if n_val < 1 or X.shape[0] - n_val < 1:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no data "
                    f"for training or validation with {X.shape[0]} samples; use a "
                    "smaller fraction or validation_fraction=None."
                )
            idx_tr, idx_val = train_test_split(
                np.arange(X.shape[0]),
                test_size=self.validation_fraction,
                random_state=rng.randint(np.iinfo(np.int32).max),
                stratify=stratify,
            )
            X_val, T_val, w_val = Xs[idx_val], T[idx_val], w[idx_val]
            Xs, T, w = Xs[idx_tr], T[idx_tr], w[idx_tr]

        def to_t(a):
            if a is None:
                return None
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

        # Adam moves every weight by about the step size, so a node's logit moves by
        # about step * sqrt(n_features) on standardised inputs: "auto" keeps that
        # constant. 0.1 / sqrt(d) was best or near best on breast_cancer, digits,
        # wine, Letter and Fashion-MNIST (docs/soft_tree.md).
        self.learning_rate_ = (
            0.1 / math.sqrt(X.shape[1])
            if self.learning_rate == "auto"
            else float(self.learning_rate)
        )
        trainer = _Trainer(
            self,
            self._state if resume else None,
            X.shape[1],
            T.shape[1],
            dtype,
            device,
            gen,
        )
        # Small batches run faster on one thread: the synchronisation of a thread
        # pool costs more than the arithmetic it shares out.
        work = min(self.batch_size, X.shape[0]) * X.shape[1] * 2**self.max_depth
        n_threads = 1 if device.type == "cpu" and work < _SMALL_BATCH_WORK else None
        with _torch_threads(torch, n_threads):
            losses, scores = trainer.run_epochs(
                to_t(Xs),
                to_t(T),
                to_t(w),
                n_epochs,
                to_t(X_val),
                to_t(T_val),
                to_t(w_val),
                gen,
            )
        self._state = trainer.state()
        if not resume:
            self.loss_curve_, self.validation_scores_ = [], None
        self.loss_curve_ = list(self.loss_curve_) + losses
        if scores:
            self.validation_scores_ = list(self.validation_scores_ or []) + scores
            self.best_validation_score_ = max(self.validation_scores_)
        self.n_iter_ = len(self.loss_curve_)
        self._publish_state(Xs if X_val is None else np.vstack([Xs, X_val]))
        self._hard_labels = None
        if not np.all(np.isfinite(self.inner_weights_)) or not np.isfinite(
            self.loss_curve_[-1]
        ):
            raise FloatingPointError(
                "Training diverged (NaN or infinite parameters); lower "
                "learning_rate or beta."
            )
        return self

    def _publish_state(self, Xs_train):
        """Set the public fitted attributes from the standardised torch state."""
        s = self._state
        d = self.max_depth
        beta = np.exp(s["log_beta"])
        w_raw = s["weight"] / self._x_scale
        self.inner_weights_ = w_raw
        self.inner_bias_ = s["bias"] - w_raw @ self._x_mean
        self.feature_scale_ = np.array(self._x_scale, dtype=np.float64)
        self.beta_ = beta if self.learn_beta else float(beta)
        self._set_leaves(s["leaf"])
        self.n_leaves_ = 2**d
        # Mean path probability of the training data at every node.
        share = np.zeros(2 ** (d + 1) - 1)
        chunk = max(1, _PREDICT_ELEMENTS // share.size)
        for start in range(0, Xs_train.shape[0], chunk):
            part = Xs_train[start : start + chunk].astype(np.float64)
            share += np.exp(_log_path_numpy(part, s["weight"], s["bias"], beta, d)).sum(
                0
            )
        self.node_sample_share_ = share / Xs_train.shape[0]
        # Importance: |standardised weight| * beta, weighted by the share of data
        # reaching the node, so it does not depend on the features' units.
        strength = np.abs(s["weight"]) * np.broadcast_to(beta, (2**d - 1,))[:, None]
        imp = self.node_sample_share_[: 2**d - 1] @ strength
        total = imp.sum()
        self.feature_importances_ = imp / total if total > 0 else imp

    # -- introspection ----------------------------------------------------------------
    def _log_path(self, X):
        beta = np.asarray(self.beta_, dtype=np.float64)
        return _log_path_numpy(
            X.astype(np.float64, copy=False),
            self.inner_weights_,
            self.inner_bias_,
            beta,
            self.max_depth,
        )

    def _iter_leaf_log_paths(self, X):
        X = self._validate_predict(X)
        n_nodes = 2 ** (self.max_depth + 1) - 1
        chunk = max(1, _PREDICT_ELEMENTS // n_nodes)
        first_leaf = 2**self.max_depth - 1
        for start in range(0, X.shape[0], chunk):
            yield self._log_path(X[start : start + chunk])[:, first_leaf:]

    def _validate_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=(np.float64, np.float32))

    def path_probability(self, X) -> np.ndarray:
        """Probability of reaching every leaf.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_leaves)
            ``proba[i, l]`` is the product of the decisions on the way to leaf ``l``;
            each row sums to one.
        """
        parts = [np.exp(lp) for lp in self._iter_leaf_log_paths(X)]
        return np.concatenate(parts) if parts else np.zeros((0, self.n_leaves_))

    def apply(self, X) -> np.ndarray:
        """Node id of the leaf of greatest path probability.

        As in scikit-learn's trees and :class:`~interpretkd.tao.TAOTreeClassifier`,
        the ids index the columns of :meth:`decision_path`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of shape (n_samples,), dtype int64
            Heap node id of each sample's leaf, in
            ``[2**max_depth - 1, 2**(max_depth + 1) - 1)``: leaf ``l`` (the column
            ``l`` of :meth:`path_probability`, the row ``l`` of the leaf tables) is
            node ``2**max_depth - 1 + l``.
        """
        parts = [lp.argmax(axis=1) for lp in self._iter_leaf_log_paths(X)]
        leaves = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return leaves.astype(np.int64) + (2**self.max_depth - 1)

    def decision_path(self, X) -> sp.csr_matrix:
        """Nodes on the way to the leaf of greatest path probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        indicator : scipy.sparse.csr_matrix of shape (n_samples, n_nodes)
            ``indicator[i, j]`` is 1 when node ``j`` (heap order, leaves included) lies
            on the maximum-probability path of sample ``i``, as in scikit-learn's
            ``DecisionTreeClassifier.decision_path``.
        """
        leaves = self.apply(X)
        d = self.max_depth
        n = leaves.shape[0]
        nodes = np.empty((n, d + 1), dtype=np.int64)
        nodes[:, d] = leaves
        for k in range(d - 1, -1, -1):
            nodes[:, k] = (nodes[:, k + 1] - 1) // 2
        data = np.ones(n * (d + 1), dtype=np.int64)
        indptr = np.arange(0, n * (d + 1) + 1, d + 1)
        return sp.csr_matrix((data, nodes.ravel(), indptr), shape=(n, 2 ** (d + 1) - 1))

    def get_depth(self) -> int:
        """Return the depth of the tree (every leaf sits at ``max_depth``)."""
        check_is_fitted(self)
        return int(self.max_depth)

    def get_n_leaves(self) -> int:
        """Return the number of leaves, ``2**max_depth``."""
        check_is_fitted(self)
        return int(self.n_leaves_)

    def _leaf_outputs(self, X, table_name):
        """Per-sample output: table[max-path leaf] or path-weighted mixture of table."""
        check_is_fitted(self)
        table = getattr(self, table_name)
        parts = []
        for lp in self._iter_leaf_log_paths(X):
            if self.prediction == "max_path":
                parts.append(table[lp.argmax(axis=1)])
            else:
                parts.append(np.exp(lp) @ table)
        if not parts:
            return np.zeros((0,) + table.shape[1:])
        return np.concatenate(parts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


class SoftDecisionTreeClassifier(ClassifierMixin, _BaseSoftDecisionTree):
    """Soft decision tree classifier (Frosst & Hinton, 2017).

    Every inner node ``i`` sends a sample right with probability
    ``p_i(x) = sigmoid(beta * (x @ inner_weights_[i] + inner_bias_[i]))``; each leaf
    holds a fixed class distribution (a "bigot"). The tree is trained with Adam on the
    path-weighted cross-entropy ``sum_l P_l(x) * CE(target(x), Q_l)`` — the expected
    cross-entropy the paper intends; its printed equation wraps the sum in a
    ``log``, which ``loss="mixture"`` keeps — plus the paper's balance penalty.

    ``y`` may be class labels or a 2-D array of soft targets (one probability column
    per class, e.g. a teacher's ``predict_proba``), which is what makes the tree a
    distillation student.

    Parameters
    ----------
    max_depth : int, default=6
        Depth of the tree: ``2**max_depth - 1`` inner nodes and ``2**max_depth``
        leaves.
    beta : float, default=1.0
        Inverse temperature of the inner-node sigmoids. Larger values give harder
        decisions. With ``learn_beta=True`` this is the initial value.
    learn_beta : bool, default=False
        Learn one inverse temperature per inner node (``beta_`` is then an array of
        shape ``(n_inner,)``), parametrised by its logarithm so it stays positive.
    loss : {"expected", "mixture"}, default="expected"
        ``"expected"``: the expected cross-entropy over leaves,
        ``sum_l P_l(x) * CE(target(x), Q_l)`` — the paper's intent; every leaf
        becomes a bigot that learns the mean target of the data reaching it.
        ``"mixture"``: the cross-entropy of the
        mixture, ``CE(target(x), sum_l P_l(x) Q_l)`` — the paper's printed equation
        with its ``log``, a hierarchical mixture of experts' likelihood. It often
        trains better trees, max path included: Letter, depth 8, 91.3% against
        89.4%; Fashion-MNIST, depth 8, distilled with ``penalty=0.03``, 87.6%
        against 87.0%; the digits at depth 5, no change (``docs/soft_tree.md``).
        Worth trying against the default on held-out data.
    penalty : float, default=0.1
        Strength ``lambda`` of the balance penalty
        ``-lambda * sum_i 2**-depth(i) * (log(alpha_i) + log(1 - alpha_i)) / 2``,
        ``alpha_i`` the path-weighted share of the data that node ``i`` sends
        right. 0 disables it.
    penalty_average : {"batch", "running"}, default="batch"
        How ``alpha_i`` is measured. ``"running"`` is the paper's: a running
        average over a window of ``2**depth(i)`` batches (running sums of the
        path mass sent right and reaching the node, this batch's terms carrying
        the gradient). ``"batch"`` uses each batch's share alone; it trained
        markedly better trees here (Fashion-MNIST depth 8: 84.3% against 79.5%,
        see ``docs/soft_tree.md``), because through the running ratio a deep
        node's penalty gradient is divided by its window.
    learning_rate : float or "auto", default="auto"
        Adam step size (the initial one under the cosine schedule). ``"auto"`` is
        ``0.1 / sqrt(n_features)``: Adam moves each weight by about the step, so a
        node's logit moves by about ``step * sqrt(n_features)``; this keeps that
        constant across input widths (0.0036 for 784 pixels, 0.025 for 16 features).
        The value used is ``learning_rate_``.
    learning_rate_schedule : {"auto", "cosine", "constant"}, default="auto"
        ``"cosine"``: the step size decays from ``learning_rate`` to 0 along a
        half cosine over the ``max_epochs`` of each ``fit`` call (``partial_fit``
        uses ``learning_rate``). ``"constant"``: no decay. ``"auto"``: cosine for
        this classifier (+0.4 points on Fashion-MNIST), constant for the regressor.
    batch_size : int, default=128
        Minibatch size (capped at the number of samples).
    max_epochs : int, default=100
        Maximum number of passes over the data (per call to ``fit``).
    validation_fraction : float or None, default=None
        Fraction of the data held out (stratified on labels) to choose the best epoch
        and stop early; the parameters of the best epoch are kept. ``None``: stop on
        the training loss instead.
    n_iter_no_change : int or None, default=10
        Stop when the validation score (or the training loss) has not improved by
        ``tol`` for this many epochs. ``None`` trains for ``max_epochs``.
    tol : float, default=1e-4
        Minimum improvement counted by ``n_iter_no_change``.
    scale_floor : float, default=0.0
        Inputs are standardised for training by ``sqrt(variance + scale_floor**2)``
        per feature. The default divides by the standard deviation. When all features
        share one unit (pixels), a floor of about a tenth of a typical feature's
        spread stops rare, nearly constant features (border pixels) from being
        amplified hundreds of times: Fashion-MNIST pixels in [0, 1], depth 8,
        distilled, ``0.05`` gave 87.4% max-path against 87.0% with none
        (``docs/soft_tree.md``). In the units of ``X``, so leave it at 0 for features
        of mixed units.
    prediction : {"max_path", "mixture"}, default="max_path"
        ``"max_path"``: the distribution of the leaf of greatest path probability (the
        interpretable prediction: one path, one leaf). ``"mixture"``: the average of
        all leaf distributions weighted by path probability.
    device : str or torch.device, default="cpu"
        Where to train: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"`` (a GPU when
        there is one). The fitted state is NumPy in any case.
    random_state : int, RandomState instance or None, default=None
        Seeds a private ``torch.Generator`` (initial weights, batch order) and the
        validation split. The same value gives the same tree.
    verbose : int, default=0
        Show a tqdm progress bar over epochs when > 0.
    warm_start : bool, default=False
        Continue training the current tree (and its optimizer state) on the next
        call to ``fit`` instead of starting afresh.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``np.arange(n_classes)`` when fitted on soft targets.
    inner_weights_ : ndarray of shape (n_inner, n_features)
        Filter of every inner node, in the units of the input features.
    inner_bias_ : ndarray of shape (n_inner,)
        Bias of every inner node.
    beta_ : float or ndarray of shape (n_inner,)
        Inverse temperature (an array when ``learn_beta=True``).
    leaf_distributions_ : ndarray of shape (n_leaves, n_classes)
        Class distribution of every leaf.
    node_sample_share_ : ndarray of shape (n_nodes,)
        Mean path probability of the training data at every node (heap order, leaves
        included); the root's share is 1.
    feature_importances_ : ndarray of shape (n_features,)
        Sum over inner nodes of ``node_sample_share_ * beta * |standardised weight|``,
        normalised to sum to one.
    feature_scale_ : ndarray of shape (n_features,)
        Spread of each feature in the training data (the ``sample_weight``-weighted
        standard deviation, or ``sqrt(variance + scale_floor**2)``; 1.0 for a
        constant feature without a floor), used to standardise the inputs;
        export ranks a node's terms by ``|w| * feature_scale_``. Set by the first
        ``fit`` (or ``partial_fit``) and kept while training continues.
    learning_rate_ : float
        The Adam step size used (``learning_rate`` resolved).
    loss_curve_ : list of float
        Training loss (cross-entropy plus penalty) of every epoch.
    validation_scores_ : list of float or None
        Agreement of the chosen ``prediction`` with the held-out targets' argmax per
        epoch, when ``validation_fraction`` is set.
    n_iter_ : int
        Number of epochs run.
    n_leaves_ : int
        ``2**max_depth``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Inputs are standardised internally for training; the filters are stored back in
    the input's units. Training runs in the floating precision of ``X``: pass
    ``float32`` data for about twice the speed of ``float64``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from interpretkd.soft_tree import SoftDecisionTreeClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> tree = SoftDecisionTreeClassifier(max_depth=4, max_epochs=5, random_state=0)
    >>> tree.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _is_classifier = True

    def fit(self, X, y, sample_weight=None):
        """Fit the tree on labels or soft targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets: a float array whose rows are probability
            distributions over the classes (then ``classes_ = np.arange(n_classes)``).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeClassifier
        """
        self._check_params()
        incremental = bool(self.warm_start) and hasattr(self, "_state")
        X, T = self._prepare(X, y, classes=None, first=not incremental)
        return self._fit(
            X, T, sample_weight, n_epochs=self.max_epochs, incremental=incremental
        )

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on a chunk of data, keeping the current tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels or soft targets, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All class labels; required on the first call when ``y`` holds labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeClassifier
        """
        self._check_params()
        first = not hasattr(self, "_state")
        X, T = self._prepare(X, y, classes=classes, first=first)
        return self._fit(
            X, T, sample_weight, n_epochs=1, incremental=not first, partial=True
        )

    def _prepare(self, X, y, *, classes, first):
        """Validate X and y; return X and the targets as an (n, n_classes) array."""
        if y is None:
            raise ValueError(
                "SoftDecisionTreeClassifier requires y to be passed, but the target y "
                "is None; pass class labels or soft targets."
            )
        self._hard_labels = None
        if is_soft_target_array(y):
            X, Y = validate_data(
                self,
                X,
                y,
                reset=first,
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=True,
            )
            expected = None if first else len(self.classes_)
            T = check_soft_targets(Y, n_classes=expected)
            if first:
                self.classes_ = np.arange(T.shape[1])
            elif not np.array_equal(self.classes_, np.arange(T.shape[1])):
                raise ValueError(
                    "This tree was fitted on labels; continue training it with labels "
                    f"from classes_={self.classes_!r}, not with soft targets."
                )
            return X, T
        try:
            X, y = validate_data(
                self, X, y, reset=first, dtype=(np.float64, np.float32)
            )
        except ValueError as exc:
            if "1d array" not in str(exc):
                raise
            raise ValueError(
                "y has several columns but is not a float array of probabilities. "
                "Pass class labels as a 1-D array, or soft targets as a float array "
                "of shape (n_samples, n_classes) whose rows sum to 1."
            ) from exc
        check_classification_targets(y)
        if first:
            if classes is not None:
                self.classes_ = np.unique(np.asarray(classes))
            else:
                self.classes_ = np.unique(y)
            if self.classes_.shape[0] < 2:
                raise ValueError(
                    "SoftDecisionTreeClassifier needs samples of at least two classes; "
                    f"got 1 class only ({self.classes_[0]!r})."
                )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()!r} not in classes_="
                f"{self.classes_.tolist()!r}; pass all classes to the first "
                "partial_fit call with classes=."
            )
        labels = np.searchsorted(self.classes_, y)
        self._hard_labels = labels
        T = np.zeros((y.shape[0], self.classes_.shape[0]))
        T[np.arange(y.shape[0]), labels] = 1.0
        return X, T

    def _transform_targets(self, T, w, *, fit_scaler):
        return T

    def _set_leaves(self, leaf_logits):
        z = leaf_logits - leaf_logits.max(axis=1, keepdims=True)
        q = np.exp(z)
        self.leaf_distributions_ = q / q.sum(axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities under the chosen ``prediction`` rule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            With ``prediction="max_path"``, the distribution of the most probable leaf;
            with ``"mixture"``, the path-weighted average of all leaf distributions.
        """
        return self._leaf_outputs(X, "leaf_distributions_")

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class label of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_.take(proba.argmax(axis=1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class SoftDecisionTreeRegressor(RegressorMixin, _BaseSoftDecisionTree):
    """Soft decision tree regressor (Frosst & Hinton, 2017, with value leaves).

    Inner nodes are those of :class:`SoftDecisionTreeClassifier`; each leaf holds a
    fixed value (one per output) and the tree is trained on the path-weighted squared
    error ``sum_l P_l(x) * |y - v_l|**2`` plus the balance penalty. Targets are
    standardised internally; ``leaf_values_`` are in the units of ``y``.

    Parameters
    ----------
    max_depth : int, default=6
        Depth of the tree: ``2**max_depth`` leaves.
    beta : float, default=1.0
        Inverse temperature of the inner-node sigmoids.
    learn_beta : bool, default=False
        Learn one inverse temperature per inner node.
    loss : {"expected", "mixture"}, default="expected"
        ``"expected"``: the path-weighted squared error ``sum_l P_l(x) |y - v_l|**2``
        (each leaf learns the mean target of the data reaching it). ``"mixture"``:
        the squared error of the mixture, ``|y - sum_l P_l(x) v_l|**2``, which makes
        ``prediction="mixture"`` more accurate and the leaf values less readable on
        their own.
    penalty : float, default=0.1
        Strength of the balance penalty (see :class:`SoftDecisionTreeClassifier`).
    penalty_average : {"batch", "running"}, default="batch"
        As in :class:`SoftDecisionTreeClassifier`.
    learning_rate : float or "auto", default="auto"
        As in :class:`SoftDecisionTreeClassifier` (``0.1 / sqrt(n_features)``).
    learning_rate_schedule : {"auto", "cosine", "constant"}, default="auto"
        As in :class:`SoftDecisionTreeClassifier`; ``"auto"`` is ``"constant"`` here
        (cosine decay under-trained small regression problems).
    batch_size : int, default=128
        Minibatch size.
    max_epochs : int, default=100
        Maximum number of passes over the data per call to ``fit``.
    validation_fraction : float or None, default=None
        Fraction held out to pick the best epoch and stop early (score: minus the
        mean squared error of the chosen ``prediction`` in standardised units).
    n_iter_no_change : int or None, default=10
        Patience of early stopping; ``None`` trains for ``max_epochs``.
    tol : float, default=1e-4
        Minimum improvement counted by ``n_iter_no_change``.
    scale_floor : float, default=0.0
        Inputs are standardised for training by ``sqrt(variance + scale_floor**2)``
        per feature. The default divides by the standard deviation. When all features
        share one unit (pixels), a floor of about a tenth of a typical feature's
        spread stops rare, nearly constant features (border pixels) from being
        amplified hundreds of times: Fashion-MNIST pixels in [0, 1], depth 8,
        distilled, ``0.05`` gave 87.4% max-path against 87.0% with none
        (``docs/soft_tree.md``). In the units of ``X``, so leave it at 0 for features
        of mixed units.
    prediction : {"max_path", "mixture"}, default="max_path"
        Value of the leaf of greatest path probability, or the path-weighted average.
    device : str or torch.device, default="cpu"
        Where to train.
    random_state : int, RandomState instance or None, default=None
        Seeds the private ``torch.Generator`` and the validation split.
    verbose : int, default=0
        Show a tqdm progress bar when > 0.
    warm_start : bool, default=False
        Continue training the current tree on the next ``fit``.

    Attributes
    ----------
    inner_weights_, inner_bias_, beta_, node_sample_share_, feature_importances_, \
feature_scale_, loss_curve_, validation_scores_, n_iter_, n_leaves_, n_features_in_, \
feature_names_in_
        As in :class:`SoftDecisionTreeClassifier`.
    leaf_values_ : ndarray of shape (n_leaves,) or (n_leaves, n_outputs)
        Value of every leaf (2-D when ``y`` was 2-D).
    n_outputs_ : int
        Number of targets.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from interpretkd.soft_tree import SoftDecisionTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> tree = SoftDecisionTreeRegressor(max_depth=3, max_epochs=5, random_state=0)
    >>> tree.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, e.g. a teacher's predictions when distilling.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeRegressor
        """
        self._check_params()
        incremental = bool(self.warm_start) and hasattr(self, "_state")
        X, T = self._prepare(X, y, first=not incremental)
        return self._fit(
            X, T, sample_weight, n_epochs=self.max_epochs, incremental=incremental
        )

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on a chunk of data, keeping the current tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeRegressor
        """
        self._check_params()
        first = not hasattr(self, "_state")
        X, T = self._prepare(X, y, first=first)
        return self._fit(
            X, T, sample_weight, n_epochs=1, incremental=not first, partial=True
        )

    def _prepare(self, X, y, *, first):
        if y is None:
            raise ValueError(
                "SoftDecisionTreeRegressor requires y to be passed, but the target y "
                "is None."
            )
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
        )
        y = np.asarray(y, dtype=np.float64)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = n_outputs
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} outputs but the tree was fitted with "
                f"{self.n_outputs_}."
            )
        return X, y.reshape(y.shape[0], -1)

    def _transform_targets(self, T, w, *, fit_scaler):
        if fit_scaler:
            mean = np.average(T, axis=0, weights=w)
            scale = np.sqrt(np.average((T - mean) ** 2, axis=0, weights=w))
            scale[~(scale > 0)] = 1.0
            self._y_mean, self._y_scale = mean, scale
        return (T - self._y_mean) / self._y_scale

    def _set_leaves(self, leaf):
        values = leaf * self._y_scale + self._y_mean
        self.leaf_values_ = values[:, 0] if self._y_ndim == 1 else values

    def predict(self, X) -> np.ndarray:
        """Predicted value(s) of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._leaf_outputs(X, "leaf_values_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
