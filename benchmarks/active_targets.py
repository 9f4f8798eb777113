"""Benchmark: which targets should active sampling give its synthetic rows?

``augment="active"`` used to give every synthetic row a one-hot target (the teacher's
argmax) whatever the distiller's ``temperature`` and ``targets`` said. Now the rows
get the targets the distiller gives every other row (``ActiveSampler(
hard_targets=False)``, the default), and one-hot targets are a parameter,
``ActiveSampler(hard_targets=True)``. This script measures the two.

Held-out fidelity (argmax agreement, % of the 30% test rows) of a scikit-learn
``DecisionTreeClassifier`` at depth 5 and 8, distilled from an XGBoost teacher (100
trees, depth 6) with ``DistilledClassifier(..., augment=ActiveSampler(...),
n_synthetic=2.0)``, on the splits the active settings were *not* tuned on (seeds 1
and 2) and two sampler seeds each. ``labels`` is the tree trained on the labels,
``soft`` the distiller with no synthetic rows.

Run ``python benchmarks/active_targets.py`` (about 5 minutes on 2 shared cores;
``--quick``: one dataset, one split). Figures go to
``docs/benchmarks/active_targets.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DOCS, fit_xgb_teacher, load_dataset, markdown_table  # noqa: E402

from interpretkd import DistilledClassifier  # noqa: E402
from interpretkd.augment import ActiveSampler  # noqa: E402

SETTINGS = ("labels", "soft", "active, soft rows", "active, one-hot rows")


def run(name, split_seed, depths, sampler_seeds):
    data = load_dataset(name)
    if data is None:
        return []
    X, y = data
    X_tr, X_te, y_tr, _ = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=split_seed
    )
    teacher = fit_xgb_teacher(name, X_tr, y_tr, n_trees=100, seed=split_seed)
    ref = teacher.predict(X_te)
    rows = []
    for depth in depths:
        tree = DecisionTreeClassifier(max_depth=depth, random_state=0)
        for seed in sampler_seeds:
            fid = {}
            t0 = time.perf_counter()
            fid["labels"] = np.mean(tree.fit(X_tr, y_tr).predict(X_te) == ref)
            soft = DistilledClassifier(teacher, tree, random_state=seed)
            fid["soft"] = np.mean(soft.fit(X_tr, y_tr).predict(X_te) == ref)
            for key, hard in (
                ("active, soft rows", False),
                ("active, one-hot rows", True),
            ):
                model = DistilledClassifier(
                    teacher,
                    tree,
                    augment=ActiveSampler(hard_targets=hard, random_state=seed),
                    n_synthetic=2.0,
                    random_state=seed,
                )
                fid[key] = np.mean(model.fit(X_tr, y_tr).predict(X_te) == ref)
            row = {"dataset": name, "split": split_seed, "depth": depth, "seed": seed}
            rows.append({**row, **{k: 100 * v for k, v in fid.items()}})
            print(
                f"{name} split {split_seed} depth {depth} seed {seed}: "
                + "  ".join(f"{k} {100 * v:.2f}" for k, v in fid.items())
                + f"  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    datasets = ("phoneme",) if args.quick else ("phoneme", "spambase", "satimage")
    splits = (1,) if args.quick else (1, 2)
    start = time.perf_counter()
    rows = [
        r
        for name in datasets
        for split in splits
        for r in run(name, split, (5, 8), (0, 1))
    ]
    table = pd.DataFrame(rows)
    mean = table.groupby("depth")[list(SETTINGS)].mean()
    gain = (table["active, soft rows"] - table["active, one-hot rows"]).groupby(
        table["depth"]
    )
    mean["soft rows - one-hot rows"] = gain.mean()
    mean["min"] = gain.min()
    mean["max"] = gain.max()
    print(mean.round(2).to_string())
    per_dataset = table.groupby(["dataset", "depth"])[list(SETTINGS)].mean()
    text = "\n".join(
        [
            "# Active sampling: soft or one-hot targets for the synthetic rows",
            "",
            "Written by `benchmarks/active_targets.py"
            + (" --quick" if args.quick else "")
            + "`. Held-out fidelity (% of test rows where the tree decides as the "
            "XGBoost teacher does), 70/30 stratified splits "
            f"{', '.join(map(str, splits))}, sampler seeds 0 and 1; "
            f"{time.perf_counter() - start:.0f} s.",
            "",
            "Mean over datasets, splits and seeds, and the spread of the difference "
            "between the two kinds of synthetic targets over the "
            f"{len(table) // 2} runs per depth:",
            "",
            markdown_table(mean),
            "",
            "Per dataset (mean of splits and seeds):",
            "",
            markdown_table(per_dataset.reset_index().set_index("dataset")),
            "",
        ]
    )
    if not args.quick:
        DOCS.mkdir(parents=True, exist_ok=True)
        (DOCS / "active_targets.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
