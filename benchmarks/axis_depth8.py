"""Benchmark: variants of the axis-aligned TAO student at depth 8 (issue 17).

The data, split and teacher of ``frontier.py`` (at most 12,000 rows, 70/30 split,
XGBoost with 200 trees of depth 6, cached teachers), the students of that page fit
again here so that one variant can be measured at a time:
``DistilledClassifier(teacher, TAOTreeClassifier(max_depth=d, **variant))``.
Printed per dataset: held-out fidelity, training fidelity (agreement with the
teacher's argmax on the training rows), the gain over the best existing way (best of
CART on labels, CART on the teacher's argmax and a regression tree on the teacher's
probabilities, as in ``frontier.py``) and fit seconds; then the mean gain.

Run ``python benchmarks/axis_depth8.py --variants default msl5 --seeds 0``. Nothing is
cached or written: this is the bench on which each change of the axis student is
tried before the frontier page is regenerated. ``VARIANTS`` holds the ones that are
parameters; those that needed code (the short lookahead below the rollout's top
levels, now the default, and the ones not kept) were measured with that code in
place; their figures are in ``docs/benchmarks.md`` ("Changes measured for issue
17"). Set ``PYTHONPATH`` to the checkout whose ``interpretkd`` is to be measured.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fit_xgb_teacher, load_dataset  # noqa: E402
from frontier import CART, DATASETS, MAX_ROWS, N_TREES, fit_one  # noqa: E402

from interpretkd.distill import DistilledClassifier  # noqa: E402
from interpretkd.tao import TAOTreeClassifier  # noqa: E402

# Name -> keyword arguments of TAOTreeClassifier on top of max_depth and the seed.
VARIANTS = {
    "default": {},
    "iter20": {"max_iter": 20},
    "ninit3": {"n_init": 3},
    "msl5": {"min_samples_leaf": 5},
    "msl10": {"min_samples_leaf": 10},
    "msl20": {"min_samples_leaf": 20},
}


def split(name, seed):
    X, y = load_dataset(name)
    if X.shape[0] > MAX_ROWS:
        keep = np.random.default_rng(seed).choice(X.shape[0], MAX_ROWS, False)
        X, y = X[keep], y[keep]
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["default"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--depths", nargs="+", type=int, default=[8])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = parser.parse_args(argv)
    for seed in args.seeds:
        data = {}
        for name in args.datasets:
            X_tr, X_te, y_tr, y_te = split(name, seed)
            teacher = fit_xgb_teacher(name, X_tr, y_tr, n_trees=N_TREES, seed=seed)
            P = teacher.predict_proba(X_tr)
            ref_te, ref_tr = teacher.predict(X_te), P.argmax(axis=1)
            best = {}
            for d in args.depths:
                scores = []
                for method in CART:
                    model, _ = fit_one(
                        method, "none", f"depth={d}", teacher, X_tr, y_tr, P, seed
                    )
                    scores.append(100 * np.mean(model.predict(X_te) == ref_te))
                best[d] = max(scores)
            data[name] = (X_tr, X_te, y_tr, teacher, ref_te, ref_tr, best)
        for d in args.depths:
            for variant in args.variants:
                gains, secs = [], []
                for name, (
                    X_tr,
                    X_te,
                    y_tr,
                    teacher,
                    ref_te,
                    ref_tr,
                    best,
                ) in data.items():
                    student = TAOTreeClassifier(
                        max_depth=d, random_state=seed, **VARIANTS[variant]
                    )
                    t0 = time.perf_counter()
                    model = DistilledClassifier(teacher, student, random_state=seed)
                    model.fit(X_tr, y_tr)
                    seconds = time.perf_counter() - t0
                    fid = 100 * np.mean(model.predict(X_te) == ref_te)
                    train = 100 * np.mean(model.predict(X_tr) == ref_tr)
                    gains.append(fid - best[d])
                    secs.append(seconds)
                    print(
                        f"seed {seed} depth {d} {variant:12s} {name:9s} "
                        f"fidelity {fid:6.2f} (train {train:6.2f}) "
                        f"gain {fid - best[d]:+6.2f} leaves "
                        f"{model.student_.get_n_leaves():4d} {seconds:5.1f} s",
                        flush=True,
                    )
                print(
                    f"seed {seed} depth {d} {variant:12s} MEAN gain "
                    f"{np.mean(gains):+.2f}  seconds {np.sum(secs):.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
