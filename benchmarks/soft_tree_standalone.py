"""A standalone soft decision tree training loop for experiments on Fashion-MNIST.

A copy of the soft tree's training loop in plain autograd — the same model (oblique
inner tests, heap-ordered leaves with one class distribution each), loss, per-batch
balance penalty, Adam with cosine decay — written out in one function so that a
research variant is a flag rather than a change to the estimator. It is *not*
``SoftDecisionTreeClassifier``: figures from it are labelled "standalone loop" in
``docs/soft_tree.md``, and ``benchmarks/soft_tree_variants.py`` re-measures the main
ones with the estimator itself.

The student learns from the CNN teacher cached by ``benchmarks/soft_tree.py`` (T=1 soft
targets on the training images, plus ``--copies`` teacher-labeled augmented copies of
``--kind``), or from the labels with ``--labels``. Variants: inverse-temperature
schedule and learned per-node inverse temperatures, weight decay, input dropout and
noise, weight averaging, a data-dependent ("greedy") initialisation, a straight-through
max path, PCA or pooled inputs, the mixture loss, and TAO refinement of the hardened
tree afterwards. The tree is evaluated on the 10,000 test images: max-path and
mixture accuracy, fidelity to the teacher, training accuracy, leaves in use, leaves
re-fitted to their max-path rows, and the greedy (sign-of-test) descent.

Prints one JSON line per run and appends it to
``benchmarks/.cache/soft_tree_standalone.jsonl``; teacher logits for the augmented
inputs and the nearest-neighbour table are cached there too. One 40-epoch depth-8 run
on the 60,000 training images takes about 70 s on one thread.

Usage::

    nice python benchmarks/soft_tree_standalone.py --lr 0.0018 [options]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from soft_tree import (  # noqa: E402
    CACHE_DIR,
    fit_teacher,
    load_fashion_mnist,
    teacher_logits,
)
from soft_tree_variants import same_class_neighbours  # noqa: E402

from interpretkd.features import ImageEdgeFeatures  # noqa: E402

TEACHER_EPOCHS = 12  # the teacher of benchmarks/soft_tree.py
RESULTS = CACHE_DIR / "soft_tree_standalone.jsonl"
F = torch.nn.functional


# --------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------


def leaf_logp(X, W, b, beta, depth):
    """Log-probability of reaching each leaf, (n, 2**depth), leaves in heap order.

    Inner node i (heap order) sends a row right with probability
    ``sigmoid(beta * (x . W[i] + b[i]))``.
    """
    z = (X @ W.t() + b) * beta
    log_right = F.logsigmoid(z)
    steps = torch.stack((log_right - z, log_right), 1)  # (n, 2, n_inner): left, right
    n = X.shape[0]
    cur = steps[:, :, 0]
    offset = 1
    for k in range(1, depth):
        level = steps[:, :, offset : offset + 2**k]  # the nodes of level k
        # cur holds the children of level k - 1, i.e. the nodes of level k, in order.
        cur = (cur.unsqueeze(1) + level).transpose(1, 2).reshape(n, -1)
        offset += 2**k
    return cur


def descend(Z, start, k_from, depth):
    """Follow the signs of Z (n, n_inner) from nodes ``start`` at level k_from."""
    node = start.clone()
    rows = torch.arange(len(node))
    for _ in range(k_from, depth):
        node = 2 * node + 1 + (Z[rows, node] > 0).long()
    return node - (2**depth - 1)


def greedy_leaf(Z, depth):
    """Leaf reached by following the sign of each test from the root."""
    return descend(Z, torch.zeros(Z.shape[0], dtype=torch.long), 0, depth)


# --------------------------------------------------------------------------------------
# Inputs only the teacher labels
# --------------------------------------------------------------------------------------


def neighbours(X, y, k=5):
    """Indices of each row's k nearest neighbours (Euclidean) within its class."""
    path = CACHE_DIR / f"standalone-nn{k}-n{len(X)}.npy"
    if path.exists():
        return np.load(path)
    out = same_class_neighbours(X, y, k)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def elastic(images, rng, alpha=1.5, sigma=3.0):
    """Elastic distortions of (n, 28, 28) images: smoothed random displacements."""
    n = len(images)
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).unsqueeze(1)
    gen = torch.Generator().manual_seed(int(rng.randint(1 << 30)))
    disp = torch.rand((n, 2, 28, 28), generator=gen) * 2 - 1
    radius = int(3 * sigma)
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    disp = F.conv2d(
        disp.reshape(-1, 1, 28, 28), kernel.view(1, 1, 1, -1), padding=(0, radius)
    )
    disp = F.conv2d(disp, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    disp = disp.reshape(n, 2, 28, 28)
    spread = disp.flatten(1).std(1).view(n, 1, 1, 1).clamp_min(1e-6)
    disp = disp / spread * alpha * (2 / 28) * 0.5
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, 28), torch.linspace(-1, 1, 28), indexing="ij"
    )
    grid = torch.stack((xs, ys), -1).unsqueeze(0) + disp.permute(0, 2, 3, 1)
    out = F.grid_sample(x, grid, align_corners=True, padding_mode="zeros")
    return out.squeeze(1).numpy()


def _shift(m, rng, pixels):
    """Each image moved by its own random offset of up to ``pixels``, zero-filled."""
    n = len(m)
    pad = np.pad(m, ((0, 0), (pixels, pixels), (pixels, pixels)))
    dx = rng.randint(0, 2 * pixels + 1, n)
    dy = rng.randint(0, 2 * pixels + 1, n)
    ii = np.arange(28)
    return pad[
        np.arange(n)[:, None, None],
        (dy[:, None] + ii)[:, :, None],
        (dx[:, None] + ii)[:, None, :],
    ]


def make_inputs(X, rng, kind, copies, y=None):
    """``copies`` augmented copies of the (n, 784) images X, concatenated.

    ``kind`` is matched by substring, so kinds combine (e.g. "flipnoise"):

    - "flip" or "shift": horizontal flip of half the images;
    - "nn" (e.g. "nnmix"): convex mix, weight uniform in [0, 1], with one of the 5
      nearest same-class neighbours (replaces the flip);
    - "munge": each pixel taken from such a neighbour with probability 1/2;
    - "noise": Gaussian pixel noise, sd 0.1, clipped to [0, 1];
    - "shift" (not "shift1"): random shift by up to 2 pixels; "shift1": up to 1;
    - "elastic": elastic distortion;
    - kinds starting with "mix": mixup of random pairs, the first weighted >= 1/2.
    """
    imgs = X.reshape(-1, 28, 28)
    if "nn" in kind or "munge" in kind:
        nbr = neighbours(X, y)
    out = []
    for _ in range(copies):
        n = len(imgs)
        flip = rng.rand(n) < (0.5 if "flip" in kind or "shift" in kind else 0)
        m = np.where(flip[:, None, None], imgs[:, :, ::-1], imgs)
        if "nn" in kind:
            j = nbr[np.arange(n), rng.randint(0, nbr.shape[1], n)]
            lam = rng.rand(n).astype(np.float32)[:, None, None]
            m = lam * imgs + (1 - lam) * imgs[j]
        if "munge" in kind:
            j = nbr[np.arange(n), rng.randint(0, nbr.shape[1], n)]
            swap = rng.rand(n, 28, 28) < 0.5
            m = np.where(swap, imgs[j], imgs)
        if "noise" in kind:
            m = np.clip(m + rng.normal(0, 0.1, m.shape).astype(np.float32), 0, 1)
        if "shift" in kind and "shift1" not in kind:
            m = _shift(m, rng, 2)
        if "shift1" in kind:
            m = _shift(m, rng, 1)
        if "elastic" in kind:
            m = elastic(m, rng)
        if kind.startswith("mix"):
            j = rng.permutation(n)
            lam = rng.beta(1.0, 1.0, n).astype(np.float32)
            lam = np.maximum(lam, 1 - lam)[:, None, None]
            m = lam * m + (1 - lam) * m[j]
        out.append(m.reshape(n, -1).astype(np.float32))
    return np.concatenate(out)


# --------------------------------------------------------------------------------------
# Logistic regression per node: greedy initialisation and TAO refinement
# --------------------------------------------------------------------------------------


def fit_lr(X, y, weight, w0, b0, l2, iters):
    """Weighted, L2-penalised logistic regression by L-BFGS from (w0, b0)."""
    w = w0.clone().requires_grad_()
    b = b0.clone().reshape(1).requires_grad_()
    opt = torch.optim.LBFGS(
        [w, b], lr=1, max_iter=iters, history_size=10, line_search_fn="strong_wolfe"
    )
    total = weight.sum()

    def closure():
        opt.zero_grad()
        bce = F.binary_cross_entropy_with_logits(X @ w + b, y, reduction="none")
        loss = (weight * bce).sum() / total + l2 * w.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()[0]


def two_groups(T, iters=10):
    """2-means on target rows, from (most frequent class, the rest); bool groups."""
    m = T.mean(0)
    c1 = torch.zeros_like(m)
    c1[m.argmax()] = 1.0
    c0 = (m - c1 * m.max()) / (1 - m.max()).clamp_min(1e-9)
    for _ in range(iters):
        g = (T - c1).square().sum(1) < (T - c0).square().sum(1)
        if g.all() or (~g).all():
            break
        c1 = T[g].mean(0)
        c0 = T[~g].mean(0)
    return g


def greedy_init(X, T, depth, scale=1.0, l2=1e-3, iters=15, max_rows=20000, seed=0):
    """Top-down initialisation of the inner tests.

    Each node splits the targets of the rows that reach it (by the hard tests above)
    into two groups by 2-means and fits a logistic regression to the groups (on up to
    ``max_rows`` rows); nodes with fewer than 10 rows or one group get a random test.
    """
    D = X.shape[1]
    W = torch.zeros(2**depth - 1, D)
    b = torch.zeros(2**depth - 1)
    gen = torch.Generator().manual_seed(seed)
    node = torch.zeros(len(X), dtype=torch.long)
    for k in range(depth):
        for i in range(2**k - 1, 2 ** (k + 1) - 1):
            rows = torch.nonzero(node == i).squeeze(1)
            if len(rows) < 10:
                W[i] = torch.randn(D, generator=gen) / D**0.5
                continue
            if len(rows) > max_rows:
                rows = rows[torch.randperm(len(rows), generator=gen)[:max_rows]]
            g = two_groups(T[rows]).float()
            if g.min() == g.max():
                W[i] = torch.randn(D, generator=gen) / D**0.5
                continue
            ones, zeros = torch.ones(len(rows)), torch.zeros(D)
            w, bb = fit_lr(X[rows], g, ones, zeros, torch.zeros(()), l2, iters)
            W[i], b[i] = w * scale, bb * scale
        if k < depth - 1:
            z = (X * W[node]).sum(1) + b[node]
            node = 2 * node + 1 + (z > 0).long()
    return W, b


def tao_refine(
    X,
    T,
    W,
    b,
    Q,
    depth,
    passes=3,
    l2=1e-4,
    iters=30,
    Xtest=None,
    ytest=None,
    log=print,
    leaf_smooth=1e-3,
):
    """TAO-style refinement of the hardened tree (tests ``X @ W.T + b > 0``).

    Each pass visits the levels bottom-up; every inner node is re-fitted by weighted
    logistic regression to send each row reaching it towards the child whose subtree
    (followed greedily) gives it the lower cross-entropy, weighted by the difference,
    and keeps the new test only when the weighted 0/1 loss does not get worse. Then
    each leaf becomes the mean target of the rows reaching it. Logs test accuracy and
    training fidelity (to the targets' argmax) after each pass.
    """
    W, b, Q = W.clone(), b.clone(), Q.clone()

    def report(tag):
        if Xtest is None:
            return
        pred = Q[greedy_leaf(Xtest @ W.t() + b, depth)].argmax(1).numpy()
        train = Q[greedy_leaf(X @ W.t() + b, depth)].argmax(1) == T.argmax(1)
        log(
            f"{tag}: test {np.mean(pred == ytest):.4f} "
            f"train-fid {train.float().mean().item():.4f}"
        )

    report("start")
    n = X.shape[0]
    rows_all = torch.arange(n)
    for p in range(passes):
        for k in range(depth - 1, -1, -1):
            Z = X @ W.t() + b
            node = torch.zeros(n, dtype=torch.long)
            for _ in range(k):
                node = 2 * node + 1 + (Z[rows_all, node] > 0).long()
            log_q = torch.log(Q.clamp_min(1e-9))
            left = descend(Z, 2 * node + 1, k + 1, depth)
            right = descend(Z, 2 * node + 2, k + 1, depth)
            loss_left = -(T * log_q[left]).sum(1)
            loss_right = -(T * log_q[right]).sum(1)
            target = (loss_right < loss_left).float()
            weight = (loss_left - loss_right).abs()
            for i in range(2**k - 1, 2 ** (k + 1) - 1):
                rows = torch.nonzero(node == i).squeeze(1)
                if len(rows) < 2 or weight[rows].sum() <= 0:
                    continue
                yi, wi, Xi = target[rows], weight[rows], X[rows]
                if yi.min() == yi.max():
                    continue
                w_new, b_new = fit_lr(Xi, yi, wi, W[i], b[i], l2, iters)
                old = ((((Xi @ W[i] + b[i]) > 0).float() != yi).float() * wi).sum()
                new = ((((Xi @ w_new + b_new) > 0).float() != yi).float() * wi).sum()
                if new <= old:
                    W[i], b[i] = w_new, b_new
        leaf = greedy_leaf(X @ W.t() + b, depth)
        S = torch.zeros_like(Q).index_add_(0, leaf, T) + leaf_smooth * Q
        Q = S / S.sum(1, keepdim=True)
        report(f"pass {p + 1}")
    return W, b, Q


# --------------------------------------------------------------------------------------
# Targets and features
# --------------------------------------------------------------------------------------


def augmented(X, y, a):
    """The training images followed by ``a.copies`` augmented copies of them."""
    if not a.copies:
        return X
    rng = np.random.RandomState(123)
    return np.concatenate([X, make_inputs(X, rng, a.kind, a.copies, y)])


def teacher_targets(a, data, X, Xall):
    """Teacher logits for Xall and the test images, cached in benchmarks/.cache."""
    X_full, y_full, X_test, _ = data
    kind = a.kind if a.copies else "none"
    path = CACHE_DIR / (
        f"standalone-{a.teacher}-e{TEACHER_EPOCHS}-{kind}-c{a.copies}-n{len(X)}.npz"
    )
    teacher_file = (
        CACHE_DIR / f"fmnist-{a.teacher}-n{len(X_full)}-e{TEACHER_EPOCHS}-s0.pt"
    )
    fresh = path.exists() and (
        not teacher_file.exists()
        or path.stat().st_mtime >= teacher_file.stat().st_mtime
    )
    if fresh:
        cached = np.load(path)
        return cached["L"], cached["Lt"]
    # The teacher was trained on all 60,000 training images, whatever --ntrain is.
    teacher, _ = fit_teacher(a.teacher, X_full, y_full, epochs=TEACHER_EPOCHS)
    L = teacher_logits(teacher, Xall)
    Lt = teacher_logits(teacher, X_test)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, L=L, Lt=Lt)
    tmp.replace(path)
    return L, Lt


def append_standardised(inputs, raw, make, floor=0.05):
    """Append ``make(raw)`` to each of ``inputs`` (all inputs, test, training), each
    column standardised by the training rows' mean and ``sqrt(var + floor**2)``."""
    (Xs, Xts, Xtr), (Xall, X_test, X) = inputs, raw
    F_tr = make(X)
    mu, sd = F_tr.mean(0), (F_tr.var(0) + floor**2).sqrt()
    F_all = F_tr if Xall is X else make(Xall)
    return tuple(
        torch.cat([Z, (G - mu) / sd], 1)
        for Z, G in ((Xs, F_all), (Xts, make(X_test)), (Xtr, F_tr))
    )


def features(a, X, Xall, X_test):
    """(training + augmented, test, training) inputs of the tree, as tensors."""
    if a.pca:
        mu = X.mean(0)
        _, _, Vt = np.linalg.svd(X[:20000] - mu, full_matrices=False)
        V = torch.from_numpy(Vt[: a.pca].T.astype(np.float32))
        Xs, Xts, Xtr = (torch.from_numpy(Z - mu) @ V for Z in (Xall, X_test, X))
        sd = Xtr.std(0)
        return Xs / sd, Xts / sd, Xtr / sd
    mean, std = X.mean(0), X.std(0) + a.std_eps
    std[std < 1e-6] = 1.0
    Xs, Xts, Xtr = (torch.from_numpy((Z - mean) / std) for Z in (Xall, X_test, X))
    if a.pool > 1:
        Xs, Xts, Xtr = (
            F.avg_pool2d(Z.reshape(-1, 1, 28, 28), a.pool).reshape(len(Z), -1)
            for Z in (Xs, Xts, Xtr)
        )
        sd = Xtr.std(0) + 0.02
        Xs, Xts, Xtr = Xs / sd, Xts / sd, Xtr / sd
    if a.maxpool_add:
        k = a.maxpool_add

        def maxpool(Z):
            Z = torch.from_numpy(np.ascontiguousarray(Z)).reshape(-1, 1, 28, 28)
            return F.max_pool2d(Z, k, stride=k, ceil_mode=True).reshape(len(Z), -1)

        Xs, Xts, Xtr = append_standardised((Xs, Xts, Xtr), (Xall, X_test, X), maxpool)
    if a.edges_add:
        edges = ImageEdgeFeatures((28, 28), pool=a.edges_add, include_pixels=False)
        edges.fit(X)

        def edge_maps(Z):
            parts = [edges.transform(Z[i : i + 10000]) for i in range(0, len(Z), 10000)]
            return torch.from_numpy(np.concatenate(parts))

        Xs, Xts, Xtr = append_standardised((Xs, Xts, Xtr), (Xall, X_test, X), edge_maps)
    return Xs, Xts, Xtr


# --------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------


def leaf_logp_all(Xe, W, b, beta, depth):
    """leaf_logp without gradients, 5,000 rows at a time."""
    with torch.no_grad():
        parts = [
            leaf_logp(Xe[i : i + 5000], W, b, beta, depth)
            for i in range(0, len(Xe), 5000)
        ]
    return torch.cat(parts)


def predict(Xe, W, b, leaf, beta, depth):
    """(leaf log-probabilities, max-path predictions, mixture predictions)."""
    lp = leaf_logp_all(Xe, W, b, beta, depth)
    with torch.no_grad():
        q = torch.softmax(leaf, 1)
        max_path = q[lp.argmax(1)].argmax(1).numpy()
        mixture = (lp.exp() @ q).argmax(1).numpy()
    return lp, max_path, mixture


def balance_penalty(P, pscale, depth):
    """Per-batch balance penalty: -sum_i pscale_i * (log a_i + log(1 - a_i)) / 2.

    a_i is the share of node i's probability mass (summed over the batch) sent right.
    """
    m = P.sum(0)
    rights, parents = [], []
    for _ in range(depth):
        pairs = m.view(-1, 2)
        m = pairs.sum(1)
        rights.append(pairs[:, 1])
        parents.append(m)
    right = torch.cat(rights[::-1])  # heap order: root first
    parent = torch.cat(parents[::-1])
    al = (right / parent.clamp_min(1e-12)).clamp(1e-6, 1 - 1e-6)
    return -(pscale * 0.5 * (al.log() + (-al).log1p())).sum()


def train(a, Xs, T, Xts, y_test):
    """Fit the tree; returns (W, b, leaf, logb, start time)."""
    g = torch.Generator().manual_seed(a.seed)
    D, n_inner, n_leaves = Xs.shape[1], 2**a.depth - 1, 2**a.depth
    W = (
        (torch.rand((n_inner, D), generator=g) * 2 - 1) / math.sqrt(D)
    ).requires_grad_()
    b = torch.zeros(n_inner, requires_grad=True)
    leaf = (torch.randn((n_leaves, 10), generator=g) * 0.01).requires_grad_()
    if a.init == "greedy":
        t_init = time.time()
        W0, b0 = greedy_init(Xs, T, a.depth, scale=a.init_scale)
        with torch.no_grad():
            W.copy_(W0)
            b.copy_(b0)
        print(f"greedy init {time.time() - t_init:.0f}s", flush=True)
    logb = torch.zeros(n_inner, requires_grad=True)
    params = [W, b, leaf] + ([logb] if a.learn_beta else [])
    opt = torch.optim.Adam(params, lr=a.lr, weight_decay=0)
    swa, n_swa = None, 0
    depths = np.concatenate([[k] * 2**k for k in range(a.depth)])
    wscale = torch.tensor(2.0**depths, dtype=torch.float32)
    pscale = torch.tensor(a.penalty * 2.0**-depths, dtype=torch.float32)
    n = len(Xs)
    total = a.epochs * math.ceil(n / a.bs)
    t0 = time.time()
    it = 0
    beta = a.beta0
    for ep in range(a.epochs):
        order = torch.randperm(n, generator=g)
        for s in range(0, n, a.bs):
            frac = it / total
            for group in opt.param_groups:
                group["lr"] = a.lr * 0.5 * (1 + math.cos(math.pi * frac))
            beta = a.beta0 * (a.beta1 / a.beta0) ** frac
            if a.learn_beta:
                beta = beta * logb.exp()
            idx = order[s : s + a.bs]
            xb, tb = Xs[idx], T[idx]
            if a.indrop:
                keep = torch.rand(xb.shape, generator=g) >= a.indrop
                xb = xb * keep / (1 - a.indrop)
            if a.noise:
                xb = xb + a.noise * torch.randn(xb.shape, generator=g)
            P = leaf_logp(xb, W, b, beta, a.depth).exp()
            if a.st_frac and frac >= 1 - a.st_frac:  # straight-through max path
                hard = F.one_hot(P.argmax(1), P.shape[1]).to(P.dtype)
                P = hard + P - P.detach()
            log_q = torch.log_softmax(leaf, 1)
            if a.loss == "expected" or (a.switch and frac >= 1 - a.switch):
                loss = -((P.t() @ tb) * log_q).sum() / len(idx)
            else:
                mix = (P @ log_q.exp()).clamp_min(1e-12)
                loss = -(tb * mix.log()).sum() / len(idx)
                if a.loss == "both":
                    loss = loss - ((P.t() @ tb) * log_q).sum() / len(idx)
            if a.penalty > 0:
                loss = loss + balance_penalty(P, pscale, a.depth)
            if a.wd:
                loss = loss + a.wd * W.square().sum()
            if a.wdd:
                loss = loss + a.wdd * (W.square().sum(1) * wscale).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            it += 1
            if a.l1:
                # Proximal step of an L1 penalty on the filters: soft-thresholding
                # by the current step size times a.l1 (exact zeros).
                with torch.no_grad():
                    shrink = opt.param_groups[0]["lr"] * a.l1
                    W.copy_(W.sign() * (W.abs() - shrink).clamp_min(0))
            if a.swa and frac >= 1 - a.swa and it % 50 == 0:
                cur = [t.detach().clone() for t in (W, b, leaf, logb)]
                if swa is None:
                    swa = cur
                else:
                    swa = [s_ + (c - s_) / (n_swa + 1) for s_, c in zip(swa, cur)]
                n_swa += 1
        if ep % 10 == 9 or ep == a.epochs - 1:
            _, mp, mix = predict(Xts, W, b, leaf, beta, a.depth)
            print(
                f"ep {ep + 1} {time.time() - t0:.0f}s test mp "
                f"{np.mean(mp == y_test):.4f} mix {np.mean(mix == y_test):.4f}",
                flush=True,
            )
    if a.swa and swa is not None:
        with torch.no_grad():
            for t, s_ in zip((W, b, leaf, logb), swa):
                t.copy_(s_)
    return W, b, leaf, logb, t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--teacher",
        default="cnn",
        choices=["cnn", "mlp"],
        help="teacher of benchmarks/soft_tree.py (trained there, cached)",
    )
    p.add_argument("--T", type=float, default=1.0, help="distillation temperature")
    p.add_argument("--copies", type=int, default=0, help="augmented copies to add")
    p.add_argument("--kind", default="shift", help="augmentation (see make_inputs)")
    p.add_argument("--labels", action="store_true", help="train on true labels")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--bs", type=int, default=128, help="batch size")
    p.add_argument(
        "--lr", type=float, default=0.1 / 28, help="peak Adam step (cosine decay)"
    )
    p.add_argument("--beta0", type=float, default=1.0, help="first inverse temp.")
    p.add_argument("--beta1", type=float, default=1.0, help="last (geometric path)")
    p.add_argument("--penalty", type=float, default=0.1, help="balance penalty")
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--wd", type=float, default=0.0, help="L2 on the inner weights")
    p.add_argument("--learn_beta", action="store_true", help="per-node log beta")
    p.add_argument(
        "--swa", type=float, default=0.0, help="average weights over this last fraction"
    )
    p.add_argument("--init", default="random", choices=["random", "greedy"])
    p.add_argument("--init_scale", type=float, default=1.0, help="greedy init scale")
    p.add_argument("--alpha", type=float, default=0.0, help="share of hard labels")
    p.add_argument(
        "--std_eps", type=float, default=0.05, help="added to each pixel's std"
    )
    p.add_argument(
        "--st_frac",
        type=float,
        default=0.0,
        help="last fraction of training on the straight-through max path",
    )
    p.add_argument("--tao", type=int, default=0, help="TAO passes after training")
    p.add_argument("--l2", type=float, default=1e-4, help="TAO logistic L2")
    p.add_argument("--pca", type=int, default=0, help="PCA components as inputs")
    p.add_argument("--ntrain", type=int, default=60000, help="first n train images")
    p.add_argument(
        "--wdd", type=float, default=0.0, help="weight decay scaled by 2^depth"
    )
    p.add_argument("--indrop", type=float, default=0.0, help="input dropout rate")
    p.add_argument(
        "--l1", type=float, default=0.0, help="proximal L1 on the filters (x step)"
    )
    p.add_argument("--noise", type=float, default=0.0, help="input Gaussian noise sd")
    p.add_argument("--tag", default="", help="free text recorded with the results")
    p.add_argument("--pool", type=int, default=1, help="average-pool pixels k x k")
    p.add_argument(
        "--switch",
        type=float,
        default=0.0,
        help="last fraction of training uses the expected loss",
    )
    p.add_argument(
        "--loss", default="expected", choices=["expected", "mixture", "both"]
    )
    p.add_argument(
        "--maxpool_add",
        type=int,
        default=0,
        help="append the k x k max-pooled pixels to the inputs",
    )
    p.add_argument(
        "--edges_add",
        type=int,
        default=0,
        help="append 8 rectified oriented-edge maps, max-pooled k x k",
    )
    a = p.parse_args(argv)
    if (a.maxpool_add or a.edges_add) and (a.pca or a.pool > 1):
        p.error(
            "--maxpool_add and --edges_add append to the raw pixels: no --pca or --pool"
        )
    if a.pca and a.pool > 1:
        p.error("--pca and --pool do not combine")
    torch.set_num_threads(a.threads)
    data = load_fashion_mnist()
    if data is None:
        print("Fashion-MNIST is not available: nothing to do.")
        return 0
    X, y, X_test, y_test = data
    X, y = X[: a.ntrain], y[: a.ntrain]
    Xall = augmented(X, y, a)
    teacher_test = None
    if not a.labels:
        L, Lt = teacher_targets(a, data, X, Xall)
        teacher_test = Lt.argmax(1)
        T = torch.softmax(torch.from_numpy(L) / a.T, 1)
        if a.alpha:
            hard = F.one_hot(torch.from_numpy(y), 10).float()
            T[: len(y)] = (1 - a.alpha) * T[: len(y)] + a.alpha * hard
        print(
            "teacher test acc",
            np.mean(teacher_test == y_test),
            "train acc",
            np.mean(L[: len(y)].argmax(1) == y),
        )
    else:
        T = F.one_hot(torch.from_numpy(np.tile(y, 1 + a.copies)), 10).float()
    Xs, Xts, Xtr = features(a, X, Xall, X_test)
    if a.pca and a.lr == 0.1 / 28:
        a.lr = 0.1 / math.sqrt(a.pca)  # the default step, for a.pca inputs
    if a.maxpool_add or a.edges_add:
        a.lr *= math.sqrt(784 / Xs.shape[1])  # the same step per unit of logit

    W, b, leaf, logb, t0 = train(a, Xs, T, Xts, y_test)
    depth, n_leaves = a.depth, 2**a.depth
    beta = a.beta1
    if a.learn_beta:
        beta = beta * logb.detach().exp()
    lp, mp, mix = predict(Xts, W, b, leaf, beta, depth)
    res = dict(
        vars(a),
        mp=float(np.mean(mp == y_test)),
        mix=float(np.mean(mix == y_test)),
        secs=time.time() - t0,
        nonzero_weights=float((W != 0).float().mean()),
    )
    if teacher_test is not None:
        res["fid_mp"] = float(np.mean(mp == teacher_test))
    _, mp_train, _ = predict(Xtr, W, b, leaf, beta, depth)
    res["train_mp"] = float(np.mean(mp_train == y))
    # Leaves re-fitted to the mean target of the rows (all training inputs) whose max
    # path ends there.
    reached = predict(Xs, W, b, leaf, beta, depth)[0].argmax(1)
    count = torch.bincount(reached, minlength=n_leaves)
    res["leaves_used"] = int((count >= 0.001 * len(reached)).sum())
    res["leaves_any"] = int((count > 0).sum())
    q = torch.softmax(leaf, 1).detach()
    S = torch.zeros(n_leaves, 10).index_add_(0, reached, T) + 1e-3 * q
    refit = S / S.sum(1, keepdim=True)
    res["mp_refit"] = float(np.mean(refit[lp.argmax(1)].argmax(1).numpy() == y_test))
    if depth > 8:
        # Pruned back to depth 8, each depth-8 node's table the mean soft target of
        # the training rows whose depth-8 max path ends there.
        beta8 = beta[:255] if torch.is_tensor(beta) else beta
        W8, b8 = W.detach()[:255], b.detach()[:255]
        reached8 = leaf_logp_all(Xs, W8, b8, beta8, 8).argmax(1)
        S8 = torch.zeros(256, 10).index_add_(0, reached8, T) + 1e-3
        q8 = S8 / S8.sum(1, keepdim=True)
        pred8 = q8[leaf_logp_all(Xts, W8, b8, beta8, 8).argmax(1)].argmax(1)
        res["pruned8_mp"] = float(np.mean(pred8.numpy() == y_test))
    Zt = Xts @ W.detach().t() * beta + b.detach() * beta
    res["greedy"] = float(
        np.mean(q[greedy_leaf(Zt, depth)].argmax(1).numpy() == y_test)
    )
    print(json.dumps(res), flush=True)
    if a.tao:
        Wb, bb = W.detach() * beta, b.detach() * beta
        tao_refine(
            Xs, T, Wb, bb, q, depth, passes=a.tao, l2=a.l2, Xtest=Xts, ytest=y_test
        )
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as fh:
        fh.write(json.dumps(res) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
