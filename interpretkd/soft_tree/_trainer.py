"""The soft-tree trainer: torch tensors, loss, hand-written gradients and epochs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from interpretkd.soft_tree._routing import _greedy_leaves, _node_depths
from interpretkd.soft_tree._torch_ops import (
    _bit_reversed_order,
    _leaf_log_path_torch,
    _node_logit_grad_torch,
    _path_matrix,
)

# Clamp of the balance penalty's alpha: keeps log(alpha) and log(1 - alpha) finite.
_ALPHA_EPS = 1e-6


@dataclass(frozen=True)
class _TrainConfig:
    """The settings one training run needs, resolved from the estimator's parameters."""

    max_depth: int
    is_classifier: bool
    loss: str  # "expected" or "mixture"
    penalty: float
    penalty_average: str  # "batch" or "running"
    beta: float  # initial inverse temperature
    learn_beta: bool
    learning_rate: float
    cosine: bool  # decay the step size along a half cosine over each call's epochs
    batch_size: int
    n_iter_no_change: int | None
    tol: float
    prediction: str  # scored on the validation rows: "max_path", "greedy", "mixture"
    progress_label: str | None  # a tqdm bar over the epochs when set


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

    def __init__(self, config, state, n_features, n_outputs, dtype, device, gen):
        import torch

        self.torch = torch
        self.cfg = config
        self.max_depth = config.max_depth
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
                (n_inner,) if config.learn_beta else (),
                math.log(config.beta),
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
        learned = config.learn_beta
        params = [w, b, leaf] + ([log_beta] if learned else [])
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
        self.optimizer = torch.optim.Adam(self.params, lr=config.learning_rate)
        saved = None if state is None else state.get("optimizer")
        # The moments are those of the flat parameter; a warm start after
        # set_params(learn_beta=...) changes its size, and Adam then starts afresh.
        if saved and saved["exp_avg"].shape == tuple(self.flat.shape):
            adam = self.optimizer.state_dict()
            # load_state_dict moves each moment to the parameter's device and dtype.
            adam["state"] = {0: {k: torch.as_tensor(v) for k, v in saved.items()}}
            self.optimizer.load_state_dict(adam)
        depths = _node_depths(self.max_depth)[:n_inner]
        # -penalty * 2**-depth / 2: the weight of log(alpha) + log(1 - alpha).
        self.penalty_weight = torch.as_tensor(
            -0.5 * config.penalty * 2.0 ** (-depths), dtype=dtype, device=device
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
            # Adam's moments of the flat parameter (internal order), as they are.
            "optimizer": {
                k: v.detach().cpu().numpy().copy()
                for k, v in self.optimizer.state_dict()["state"].get(0, {}).items()
            },
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
        if self.cfg.loss == "mixture":
            return self._mixture_leaf_loss(P, T, w, inv_wsum)
        torch = self.torch
        if self.cfg.is_classifier:
            # sum_x w_x sum_c T_xc (P log q)_xc = sum_lc (P^T (w T))_lc log q_lc: the
            # product over samples first needs one matrix product, and an extra
            # column w gives the leaf masses P^T w with it.
            A = torch.cat((w.unsqueeze(1) * T, w.unsqueeze(1)), dim=1)
            S = P.t() @ A
            C = S.shape[1] - 1
            SC = S[:, :C]
            log_q = torch.log_softmax(self.leaf, dim=1)
            loss = (SC * log_q).sum() * -inv_wsum
            # The loss is -sum S log_softmax(leaf) / wsum.
            self._softmax_leaf_grad(SC, log_q.exp(), -inv_wsum)
            return loss, S[:, C], A, self._leaf_factor(log_q, -inv_wsum, 1)
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
        B = self._leaf_factor(V, -2, 2)
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
        wc = w.unsqueeze(1)
        if self.cfg.is_classifier:
            q = torch.softmax(self.leaf, dim=1)
            C = q.shape[1]
            # A leaf distribution is strictly positive, so the mixture is too, up to
            # underflow in float32; the clamp only guards that.
            M = (P @ q).clamp_min_(torch.finfo(P.dtype).tiny)
            loss = (T * torch.log(M)).sum(dim=1).mul_(w).sum() * -inv_wsum
            # d/dP_xl = -w_x / wsum * sum_c T_xc q_lc / M_xc.
            A = torch.cat((wc * T / M, wc), dim=1)
            S = P.t() @ A
            # d/dq = -S / wsum, so d/dlog(q) = -(S * q) / wsum.
            self._softmax_leaf_grad(S[:, :C] * q, q, -inv_wsum)
            return loss, S[:, C], A, self._leaf_factor(q, -inv_wsum, 1)
        V = self.leaf
        C = V.shape[1]
        resid = T - P @ V
        loss = (w * resid.square().sum(dim=1)).sum() * inv_wsum
        # d/dP_xl = -2 w_x / wsum * resid_x . v_l; d/dV = -2 P^T (w resid) / wsum.
        A = torch.cat((resid.mul_(wc * inv_wsum), wc), dim=1)
        S = P.t() @ A
        torch.mul(S[:, :C], -2, out=self.leaf_grad)
        return loss, S[:, C], A, self._leaf_factor(V, -2, 1)

    def _softmax_leaf_grad(self, G, q, scale):
        """Write the gradient w.r.t. the leaf logits into ``leaf_grad``, given that
        w.r.t. the log leaf distributions, ``scale * G``: through the softmax,
        ``scale * (G - q * rowsum(G))`` (``q`` the leaf distributions)."""
        self.torch.addcmul(
            G, q, G.sum(dim=1, keepdim=True), value=-1, out=self.leaf_grad
        )
        self.leaf_grad.mul_(scale)

    def _leaf_factor(self, values, scale, n_extra):
        """The leaf side ``B`` of a gradient ``A @ B.T``: ``scale * values`` (one row
        a leaf) and ``n_extra`` columns more, left for the caller to fill."""
        n_leaves, n_cols = values.shape
        B = self.torch.empty(
            (n_leaves, n_cols + n_extra), dtype=values.dtype, device=values.device
        )
        self.torch.mul(values, scale, out=B[:, :n_cols])
        return B

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
        if self.cfg.penalty_average == "running":
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
        if self.cfg.penalty > 0:
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
        """Validation score of the chosen prediction: agreement with the targets'
        argmax (classifier) or minus the mean squared error (regressor)."""
        torch = self.torch
        classifier = self.cfg.is_classifier
        with torch.no_grad():
            if self.cfg.prediction == "greedy":
                out = self.leaf[self._greedy_leaves(X)]
            else:
                log_leaf = self.leaf_log_path(X)
                if self.cfg.prediction == "max_path":
                    out = self.leaf[log_leaf.argmax(dim=1)]
                else:
                    leaves = torch.softmax(self.leaf, 1) if classifier else self.leaf
                    out = log_leaf.exp() @ leaves
            if classifier:
                hit = (out.argmax(1) == T.argmax(1)).to(w.dtype)
                return float((w * hit).sum() / w.sum())
            return -float((w * (out - T).square().sum(1)).sum() / w.sum())

    def _greedy_leaves(self, X):
        """Internal-order index of the leaf each row reaches by the likelier branch
        (the routing of ``prediction="greedy"``, defined once in ``_routing``)."""
        # Node scores in heap order (the bit-reversed order is its own inverse).
        heap = self.inner_order.to(X.device)
        scores = self.torch.addmm(self.bias, X, self.weight.t())[:, heap]
        leaf = _greedy_leaves(scores.cpu().numpy(), self.max_depth)
        heap_leaf = self.torch.as_tensor(leaf - (2**self.max_depth - 1))
        return self.leaf_order[heap_leaf].to(X.device)

    def run_epochs(
        self, X, T, w, n_epochs, X_val=None, T_val=None, w_val=None, gen=None
    ):
        """Train for up to ``n_epochs`` epochs; returns (losses, val_scores)."""
        torch = self.torch
        cfg = self.cfg
        n = X.shape[0]
        batch_size = min(cfg.batch_size, n)
        losses, scores = [], []
        best_score, best_state, since_best = -np.inf, None, 0
        progress = None
        epochs = range(n_epochs)
        if cfg.progress_label is not None and n_epochs > 1:
            from interpretkd._progress import progress_bar

            progress = progress_bar(epochs, desc=cfg.progress_label, unit="epoch")
            epochs = progress
        cosine = cfg.cosine and n_epochs > 1
        for epoch in epochs:
            if cosine:
                # Cosine decay from learning_rate towards 0 over this call's epochs.
                lr = (
                    cfg.learning_rate * 0.5 * (1 + math.cos(math.pi * epoch / n_epochs))
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
            if cfg.n_iter_no_change is None:
                continue
            if current > best_score + cfg.tol:
                best_score, since_best = current, 0
                if X_val is not None:
                    best_state = [p.detach().clone() for p in self.params]
            else:
                since_best += 1
                if since_best >= cfg.n_iter_no_change:
                    break
        if progress is not None:
            progress.close()
        if best_state is not None:
            with torch.no_grad():
                for p, saved in zip(self.params, best_state):
                    p.copy_(saved)
        return losses, scores
