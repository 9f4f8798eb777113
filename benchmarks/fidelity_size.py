"""Benchmark: held-out fidelity against size, per kind of student — which student
should be the default?

For each dataset (letter, satimage, spambase, phoneme: the KEEL copies of the UCI
sets) an XGBoost teacher is trained on 70% of the rows; students of every kind and
depth 2..8 are distilled on those same rows by :func:`interpretkd.fidelity_curve`
(the library's ``DistilledClassifier`` with its defaults: soft targets, no synthetic
rows) and measured on the other 30%, which neither model saw. Students:

- ``CART labels``: scikit-learn's tree on the true labels (``alpha=1``), the
  baseline a user would fit without interpretkd;
- ``CART distilled``: the same tree on the teacher's soft targets;
- ``TAO axis``: ``TAOTreeClassifier()`` (one feature a split);
- ``TAO oblique 2`` / ``TAO oblique 3``: ``TAOTreeClassifier(split="oblique",
  max_features_per_split=2 or 3)``.

What a person reads grows with the leaves and with the terms of the splits (one per
axis split, up to 2 or 3 per oblique split): both are reported with the fidelity.
The curve's own recommendation (the smallest depth within one point of the best
held-out fidelity) is given per dataset.

Run ``python benchmarks/fidelity_size.py`` (about 15 minutes on two shared cores) or
``--quick`` (two datasets, depths 2-5, 4,000 rows). It prints the tables and writes
``docs/benchmarks/fidelity_size.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DOCS, fit_xgb_teacher, load_dataset, markdown_table  # noqa: E402

from interpretkd import fidelity_curve  # noqa: E402
from interpretkd.tao import TAOTreeClassifier  # noqa: E402

DATASETS = ["letter", "satimage", "spambase", "phoneme"]
OUT = DOCS / "fidelity_size.md"
KINDS = ["CART labels", "CART distilled", "TAO axis", "TAO oblique 2", "TAO oblique 3"]


def curves(teacher, X, y, split, sizes, seed, n_jobs):
    """Two curves on one split: the distilled kinds, and CART on the labels."""
    distilled = fidelity_curve(
        teacher,
        X,
        y,
        students={
            "CART distilled": "cart",
            "TAO axis": "tao-axis",
            "TAO oblique 2": TAOTreeClassifier(
                split="oblique", max_features_per_split=2
            ),
            "TAO oblique 3": "tao-oblique",
        },
        sizes=sizes,
        cv=[split],
        n_jobs=n_jobs,
        random_state=seed,
    )
    labels = fidelity_curve(
        teacher,
        X,
        y,
        students={"CART labels": "cart"},
        sizes=sizes,
        cv=[split],
        distiller_params={"alpha": 1.0},  # the true labels only
        random_state=seed,
    )
    return distilled, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast run")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--sizes", nargs="+", type=int, default=None)
    parser.add_argument("--max-rows", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    datasets = args.datasets or (DATASETS[2:] if args.quick else DATASETS)
    sizes = args.sizes or (list(range(2, 6)) if args.quick else list(range(2, 9)))
    max_rows = args.max_rows or (4000 if args.quick else 12000)
    n_trees = 100 if args.quick else 200
    frames, recommended = [], []
    for name in datasets:
        data = load_dataset(name)
        if data is None:
            continue
        X, y = data
        if X.shape[0] > max_rows:
            keep = np.random.default_rng(args.seed).choice(
                X.shape[0], max_rows, replace=False
            )
            X, y = X[keep], y[keep]
        idx = np.arange(len(y))
        train, test = train_test_split(
            idx, test_size=0.3, random_state=args.seed, stratify=y
        )
        start = time.perf_counter()
        teacher = fit_xgb_teacher(name, X[train], y[train], n_trees=n_trees)
        teacher_acc = float(np.mean(teacher.predict(X[test]) == y[test]))
        print(
            f"\n{name}: {X.shape[0]} rows x {X.shape[1]} features, "
            f"{len(np.unique(y))} classes; teacher test accuracy {teacher_acc:.4f} "
            f"({time.perf_counter() - start:.1f} s)",
            flush=True,
        )
        start = time.perf_counter()
        distilled, labels = curves(
            teacher, X, y, (train, test), sizes, args.seed, args.n_jobs
        )
        print(f"  {time.perf_counter() - start:.1f} s for the curves", flush=True)
        frame = pd.concat([labels.to_frame(), distilled.to_frame()])
        frame.insert(0, "dataset", name)
        frames.append(frame)
        print(
            frame[["student", "size", "fidelity", "n_leaves", "n_terms", "fit_seconds"]]
            .round(4)
            .to_string(index=False),
            flush=True,
        )
        rec = distilled.recommended
        recommended.append(
            {
                "dataset": name,
                "teacher accuracy (%)": 100 * teacher_acc,
                "best": f"{distilled.best['student']}, depth {distilled.best['size']}",
                "best fidelity (%)": 100 * distilled.best["fidelity"],
                "recommended": f"{rec['student']}, depth {rec['size']}",
                "recommended fidelity (%)": 100 * rec["fidelity"],
                "leaves": rec["n_leaves"],
            }
        )
    if not frames:
        print("no dataset available")
        return 1
    report = summarise(pd.concat(frames), pd.DataFrame(recommended), args, max_rows)
    print("\n" + report)
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(report)
        print(f"wrote {OUT}")
    return 0


def _pivot(df, value, fmt=".2f", scale=1.0):
    table = df.pivot_table(index="size", columns="student", values=value) * scale
    table = table.reindex(columns=[k for k in KINDS if k in table.columns])
    table.index.name = "depth"
    return markdown_table(table, fmt)


def summarise(df, recommended, args, max_rows) -> str:
    datasets = list(dict.fromkeys(df["dataset"]))
    mean = df.groupby(["size", "student"])["fidelity"].mean().unstack() * 100
    best = mean.reindex(columns=[k for k in KINDS if k in mean.columns]).idxmax(axis=1)
    lines = [
        "# Fidelity against size: which student to read",
        "",
        f"Command: `python benchmarks/fidelity_size.py"
        f"{' --quick' if args.quick else ''}` (seed {args.seed}). Datasets: "
        f"{', '.join(datasets)}, each subsampled to at most {max_rows} rows, split "
        "70/30 (stratified). Teacher: XGBoost (depth 6) trained on the 70%. Every "
        "student is distilled on the same 70% by `interpretkd.fidelity_curve` "
        "(`DistilledClassifier` defaults: soft targets, no synthetic rows; `CART "
        "labels` uses `alpha=1`, the true labels only) and measured on the 30% "
        "neither model saw. Fidelity: % of those rows on which the student decides "
        "as the teacher does.",
        "",
        "Terms: what a person reads in the splits — one feature per axis split, "
        "the non-zero weights of an oblique split (at most 2 or 3). Times are "
        "wall-clock seconds per fit on a shared 2-core machine: noisy.",
        "",
        "## Mean held-out fidelity over the datasets (%)",
        "",
        _pivot(df, "fidelity", scale=100),
        "",
        "Most faithful kind at each depth: "
        + "; ".join(f"{d}: {k}" for d, k in best.items())
        + ".",
        "",
        "## Mean leaves",
        "",
        _pivot(df, "n_leaves", fmt=".1f"),
        "",
        "## Mean terms in the splits",
        "",
        _pivot(df, "n_terms", fmt=".1f"),
        "",
        "## Mean seconds per fit",
        "",
        _pivot(df, "fit_seconds"),
        "",
        "## What `fidelity_curve` recommends (distilled kinds, within 1 point of "
        "the best)",
        "",
        markdown_table(recommended.set_index("dataset")),
        "",
        "## Every dataset: held-out fidelity (%)",
        "",
    ]
    for name in datasets:
        part = df[df["dataset"] == name]
        lines += [f"### {name}", "", _pivot(part, "fidelity", scale=100), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
