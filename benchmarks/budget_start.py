"""Benchmark: a rollout start for TAO trees with a leaf budget (not kept).

With ``max_leaf_nodes=L`` a TAO tree starts from scikit-learn's best-first CART of L
leaves. The rollout start (``interpretkd/tao/_start.py``) lifted depth-limited trees
by 2 to 3 points over the CART start; this script measures a best-first form of it
against the CART start. The prototype, written here and patched in for the fit: as
best-first CART, the leaf whose split removes the most weighted Gini impurity is
split next, until L leaves (a node left unsplit is pruned in TAO's complete tree, so
the budget stays strict); but the split of a node at the top two levels is chosen by
the rollout's lookahead (its candidates, scored by the error of greedy trees grown
on their two sides). Variants:

- ``depth``: greedy trees of the depth a balanced tree of L leaves has below the
  node (for 32 leaves, as the depth-5 rollout start), and the rollout's short
  lookahead with its margin below the top levels;
- ``depth, top``: the same, CART's split below the top levels;
- ``leaves, top``: greedy trees best-first to the full depth with the node's share
  of the budget a side (L/2 at the root, L/4 a level down), CART's split below;
- ``depth, top, margin`` / ``leaves, top, margin``: as ``depth, top`` / ``leaves,
  top``, the lookahead split kept only where it errs less than the greedy tree of
  the same size on the node's rows by the rollout's margin (weight / sqrt(rows)),
  CART's split otherwise;
- ``cut back``: the library's rollout tree one level deeper than a balanced tree of
  L leaves (depth 6 for 32 leaves), cut back to L leaves best-first (the split that
  removes the most Gini impurity first).

Data and teachers are those of ``frontier.py`` (the same subsample to 12,000 rows,
70/30 stratified split, XGBoost teacher of 200 trees of depth 6). Students:
``DistilledClassifier(teacher, TAOTreeClassifier(max_depth=12, max_leaf_nodes=L,
split=..., max_features_per_split=3))``: oblique-3 with 32 and 128 leaves, axis with
32; held-out fidelity to the teacher and fit seconds. Seed 0 tunes, seeds 1 and 2
check: ``python benchmarks/budget_start.py --seeds 0`` then ``--seeds 1 2 --variants
"leaves, top, margin"`` (every fit is cached under ``benchmarks/results/`` as it
ends). It prints the tables; the figures are quoted in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import heapq
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, markdown_table  # noqa: E402
from oblique_solver import DATASETS, split_data  # noqa: E402

from interpretkd.distill import DistilledClassifier  # noqa: E402
from interpretkd.tao import TAOTreeClassifier  # noqa: E402

# The prototype reuses the rollout start's private pieces (candidate generation and
# scoring, the margin); only this benchmark reaches into them.
from interpretkd.tao._optimiser import _TAOOptimiser  # noqa: E402
from interpretkd.tao._start import (  # noqa: E402
    _DEEP_MARGIN,
    _LOOKAHEAD,
    _Rollout,
    rollout_tree,
)

CELLS = (("oblique-3", 32), ("oblique-3", 128), ("axis", 32))
# Prototype settings (scoring trees limited in depth or leaves, margin at the top
# levels, short lookahead below them); None: the library's start, best-first CART.
VARIANTS = {
    "CART start": None,
    "depth": dict(scoring="depth", margin=False, deep=True),
    "depth, top": dict(scoring="depth", margin=False, deep=False),
    "leaves, top": dict(scoring="leaves", margin=False, deep=False),
    "depth, top, margin": dict(scoring="depth", margin=True, deep=False),
    "leaves, top, margin": dict(scoring="leaves", margin=True, deep=False),
    "cut back": dict(cut=True),
}
CACHE_VERSION = 1


# --------------------------------------------------------------------------------------
# Prototype: best-first growth with the rollout's split choice
# --------------------------------------------------------------------------------------


class BudgetRollout(_Rollout):
    """The rollout's grower, splitting leaves best-first up to a leaf budget."""

    def __init__(self, X, y, w, depth, msl, estimator, seed, budget, options):
        super().__init__(X, y, w, depth, msl, estimator, seed)
        self.budget, self.options = budget, options
        self.levels = max(int(np.ceil(np.log2(budget))), 1)
        self.cap = None  # leaves of the scoring trees (None: limited in depth only)

    def subtree_error(self, X, y, w, depth):
        """The library's scoring, with the greedy trees held to ``self.cap`` leaves."""
        const = self.estimator._constant_error(y, w)
        if depth == 0 or const <= 0:
            return const
        est = self.estimator._make_cart(
            depth, self.msl, None, self.seed, max_leaf_nodes=self.cap
        )
        est.fit(X, y, sample_weight=w)
        return self.estimator._prediction_error(est.predict(X), y, w)

    def split_of(self, rows, level):
        """The split of a leaf at ``level``, or None where it should not split."""
        if level == self.depth or rows.size < 2 * self.msl:
            return None
        if self.estimator._constant_error(self.y[rows], self.w[rows]) <= 0:
            return None
        opts = self.options
        if level < _LOOKAHEAD and level < self.levels - 1:
            found = self.top_split(rows, level)
            if found is not None:
                return found
        elif opts["deep"] and level < self.depth - 1:
            return self.deep_split(rows, level)
        stump = self.greedy(rows, 1).tree_
        if stump.children_left[0] == -1:
            return None
        return int(stump.feature[0]), float(stump.threshold[0])

    def top_split(self, rows, level):
        opts = self.options
        horizon, share = self.levels - level - 1, None
        if opts["scoring"] == "leaves":
            horizon, share = None, max(2, self.budget >> (level + 1))
        try:
            self.cap = share
            found = self.best_split(rows, level, horizon)
            if found is None or not opts["margin"]:
                return None if found is None else found[0]
            sub = self.scoring_rows(rows)
            ws = self.w[sub]
            margin = _DEEP_MARGIN * ws.sum() / np.sqrt(sub.size)
            below = self.depth - level - 1 if horizon is None else horizon
            self.cap = None if share is None else 2 * share
            greedy = self.subtree_error(self.X[sub], self.y[sub], ws, below + 1)
            return found[0] if greedy - found[1] >= margin else None
        finally:
            self.cap = None

    def cut_back(self, deeper):
        """Best-first, the splits of a deeper rollout tree up to the budget."""
        feature, threshold, live = deeper
        frontier, order = [], 0

        def propose(node, rows):
            nonlocal order
            if node >= live.size or not live[node]:
                return
            left = self.X[rows, feature[node]] <= threshold[node]
            gain = self.impurity(rows) - (
                self.impurity(rows[left]) + self.impurity(rows[~left])
            )
            order += 1
            heapq.heappush(frontier, (-gain, order, node, rows, left))

        propose(0, np.flatnonzero(self.w > 0))
        n_leaves = 1
        while frontier and n_leaves < self.budget:
            _, _, node, rows, left = heapq.heappop(frontier)
            self.feature[node], self.threshold[node] = feature[node], threshold[node]
            self.live[node] = True
            n_leaves += 1
            propose(2 * node + 1, rows[left])
            propose(2 * node + 2, rows[~left])

    def impurity(self, rows):
        """Gini impurity times weight of these rows."""
        y, w = self.y[rows], self.w[rows]
        total = w.sum()
        if total <= 0:
            return 0.0
        share = np.bincount(y, weights=w) / total
        return float(total * (1.0 - share @ share))

    def grow_best_first(self):
        frontier, order = [], 0

        def propose(node, rows, level):
            nonlocal order
            split = self.split_of(rows, level)
            if split is None:
                return
            f, t = split
            left = self.X[rows, f] <= t
            gain = self.impurity(rows) - (
                self.impurity(rows[left]) + self.impurity(rows[~left])
            )
            order += 1  # ties: the node proposed first
            heapq.heappush(frontier, (-gain, order, node, level, f, t, rows, left))

        propose(0, np.flatnonzero(self.w > 0), 0)
        n_leaves = 1
        while frontier and n_leaves < self.budget:
            _, _, node, level, f, t, rows, left = heapq.heappop(frontier)
            self.feature[node], self.threshold[node] = f, t
            self.live[node] = True
            n_leaves += 1
            propose(2 * node + 1, rows[left], level + 1)
            propose(2 * node + 2, rows[~left], level + 1)


def prototype_state(options):
    """A ``_rollout_state`` for budgeted trees, as the library's but best-first."""

    def state(self, X, T, w, depth, msl, width, rng):
        seed = rng.randint(np.iinfo(np.int32).max)
        y = self._greedy_target(T)
        grower = BudgetRollout(
            X, y, w, depth, msl, self, seed, int(self.max_leaf_nodes), options
        )
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="The number of unique classes", category=UserWarning
            )
            if options.get("cut"):
                # The rollout tree one level deeper than a balanced tree of the
                # budget, cut back best-first.
                deeper = min(depth, grower.levels + 1)
                grower.cut_back(rollout_tree(X, y, w, deeper, msl, self, seed))
            else:
                grower.grow_best_first()
        live = grower.live
        n_inner = 2**depth - 1
        idx = np.zeros((n_inner, width), dtype=np.intp)
        val = np.zeros((n_inner, width))
        idx[live, 0] = grower.feature[live]
        val[live, 0] = 1.0  # a node not live has no weights: pruned, and frozen
        bias = np.where(live, -grower.threshold, 0.0)
        return idx, val, bias, self._neutral_leaf_values(T, w, 2**depth)

    return state


def fit_one(method, leaves, variant, teacher, X_tr, y_tr, seed):
    options = VARIANTS[variant]
    saved = _TAOOptimiser._rollout_state, _TAOOptimiser._start_kind
    if options is not None:
        _TAOOptimiser._rollout_state = prototype_state(options)
        _TAOOptimiser._start_kind = lambda self: "rollout"
    try:
        student = TAOTreeClassifier(
            max_depth=12,
            max_leaf_nodes=leaves,
            split="oblique" if method.startswith("oblique") else "axis",
            max_features_per_split=3,
            random_state=seed,
        )
        model = DistilledClassifier(teacher, student, random_state=seed)
        t0 = time.perf_counter()
        model.fit(X_tr, y_tr)
        return model, time.perf_counter() - t0
    finally:
        _TAOOptimiser._rollout_state, _TAOOptimiser._start_kind = saved


def run(name, seed, variants):
    path = RESULTS / f"budget_start_{name}_s{seed}_v{CACHE_VERSION}.csv"
    rows = pd.read_csv(path).to_dict("records") if path.exists() else []
    have = {(r["method"], r["leaves_max"], r["variant"]) for r in rows}
    todo = [(m, L, v) for m, L in CELLS for v in variants if (m, L, v) not in have]
    if todo:
        X_tr, X_te, y_tr, teacher = split_data(name, seed)
        ref = teacher.predict(X_te)
        for method, leaves, variant in todo:
            model, secs = fit_one(method, leaves, variant, teacher, X_tr, y_tr, seed)
            fidelity = 100 * float(np.mean(model.predict(X_te) == ref))
            n_leaves = int(model.student_.get_n_leaves())
            rows.append(
                dict(
                    dataset=name,
                    seed=seed,
                    method=method,
                    leaves_max=leaves,
                    variant=variant,
                    fidelity=fidelity,
                    leaves=n_leaves,
                    seconds=secs,
                )
            )
            print(
                f"  {name:9s} seed {seed} {method:9s} L={leaves:<4d} {variant:20s} "
                f"fidelity {fidelity:6.2f}  leaves {n_leaves:4d}  {secs:6.1f} s",
                flush=True,
            )
            RESULTS.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(path, index=False)
    return pd.DataFrame(rows)


def report(df):
    df = df.assign(cell=df.method + ", " + df.leaves_max.astype(str) + " leaves")
    order = [v for v in VARIANTS if v in set(df.variant)]
    for label, seeds in (("seed 0", [0]), ("seeds 1-2", [1, 2])):
        part = df[df.seed.isin(seeds)]
        if part.empty:
            continue
        # Mean of the datasets per seed, then of the seeds.
        per_seed = part.groupby(["variant", "cell", "seed"]).fidelity.mean()
        mean = per_seed.groupby(["variant", "cell"]).mean().unstack().reindex(order)
        gain = (mean - mean.loc["CART start"]).drop(index="CART start")
        secs = part.groupby(["variant", "cell"]).seconds.mean().unstack()
        table = part.pivot_table(
            index=["cell", "dataset"], columns="variant", values="fidelity"
        )
        print(f"\n{label}: held-out fidelity (%)\n" + markdown_table(table))
        print(f"\n{label}: mean of the four sets\n" + markdown_table(mean))
        print(f"\n{label}: gain over the CART start\n" + markdown_table(gain, "+.2f"))
        print(f"\n{label}: fit seconds\n" + markdown_table(secs.reindex(order), ".1f"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args(argv)
    variants = ["CART start", *(v for v in args.variants if v != "CART start")]
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {list(VARIANTS)}")
    frames = [run(name, s, variants) for s in args.seeds for name in args.datasets]
    report(pd.concat(frames))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
