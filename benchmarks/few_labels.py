"""Benchmark: few labels, many unlabeled rows: what the unlabeled rows add to a student.

The library's headline use: a teacher trained on the few labeled rows there are, then
distilled into a readable student on those rows **and the unlabeled ones**. For each of
four UCI datasets and each split seed: 70/30 split (at most 12,000 rows), a stratified
``--fractions`` share of the training rows keeps its labels (5% and 20%), the rest is
``X_unlabeled``. The teacher (XGBoost, 200 trees of depth 6) is fit on the labeled rows.
Students, depth 5:

- ``CART labels``: ``DecisionTreeClassifier(max_depth=5)`` on the labeled rows;
- ``CART``, ``TAO axis``, ``TAO oblique``: ``DistilledClassifier(teacher, student)``
  with the library's defaults (soft targets), fit on the labeled rows only
  (``distilled``) and with ``X_unlabeled`` (``+ unlabeled``); ``TAO oblique`` is
  ``TAOTreeClassifier(split="oblique")`` (at most 3 features a split); ``TAO axis``
  starts from the rollout tree (the default, ``init="auto"``);
- ``TAO oblique 32 leaves``: ``TAOTreeClassifier(split="oblique", max_depth=12,
  max_leaf_nodes=32)``, the same size as a depth-5 tree counted in leaves.

Reported: mean test **accuracy** and **fidelity** (agreement with the teacher) over the
datasets, for the tuning split (seed 0) and the check splits (seeds 1, 2), and the
gain the unlabeled rows bring. Run ``python benchmarks/few_labels.py`` (about 10
minutes on two shared cores; fits are cached under ``benchmarks/results/``) or
``--quick``. Writes ``docs/benchmarks/few_labels.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DOCS,
    RESULTS,
    fit_xgb_teacher,
    load_dataset,
    markdown_table,
)

from interpretkd.distill import DistilledClassifier  # noqa: E402
from interpretkd.tao import TAOTreeClassifier  # noqa: E402

DATASETS = ("letter", "satimage", "spambase", "phoneme")
FRACTIONS = (0.05, 0.2)
DEPTH = 5
STUDENTS = ("CART", "TAO axis", "TAO oblique", "TAO oblique 32 leaves")
# v2: one row cached per fit; TAO axis starts from the rollout tree; 32-leaf student.
CACHE_VERSION = 2


def make_student(name, seed):
    if name == "CART":
        return DecisionTreeClassifier(max_depth=DEPTH, random_state=seed)
    if name == "TAO oblique 32 leaves":
        return TAOTreeClassifier(
            max_depth=12, max_leaf_nodes=32, split="oblique", random_state=seed
        )
    split = "oblique" if name == "TAO oblique" else "axis"
    return TAOTreeClassifier(max_depth=DEPTH, split=split, random_state=seed)


def run_one(name, seed, fraction, args, path) -> list[dict]:
    """Fit what ``path`` lacks; every fit is cached as soon as it ends."""
    rows = pd.read_csv(path).to_dict("records") if path.exists() else []
    have = {(r["student"], r["data"]) for r in rows}
    wanted = [("teacher", "labels"), ("CART", "labels")]
    wanted += [(s, a) for s in STUDENTS for a in ("distilled", "+ unlabeled")]
    if all(key in have for key in wanted):
        return rows
    data = load_dataset(name)
    if data is None:
        return []
    X, y = data
    if X.shape[0] > args.max_rows:
        keep = np.random.default_rng(seed).choice(X.shape[0], args.max_rows, False)
        X, y = X[keep], y[keep]
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    X_lab, X_unl, y_lab, _ = train_test_split(
        X_tr, y_tr, train_size=fraction, random_state=seed, stratify=y_tr
    )
    teacher = fit_xgb_teacher(name, X_lab, y_lab, n_trees=args.trees, seed=seed)
    ref = teacher.predict(X_te)

    def record(student, augment, pred, seconds):
        pred = np.asarray(pred)
        rows.append(
            dict(
                dataset=name,
                seed=seed,
                fraction=fraction,
                student=student,
                data=augment,
                accuracy=100 * float(np.mean(pred == y_te)),
                fidelity=100 * float(np.mean(pred == ref)),
                seconds=seconds,
            )
        )
        r = rows[-1]
        print(
            f"  {name:9s} seed {seed} {fraction:4.0%} {student:12s} {augment:12s} "
            f"accuracy {r['accuracy']:6.2f}  fidelity {r['fidelity']:6.2f}  "
            f"{seconds:5.1f} s",
            flush=True,
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(path, index=False)

    if ("teacher", "labels") not in have:
        record("teacher", "labels", ref, 0.0)
    if ("CART", "labels") not in have:
        t0 = time.perf_counter()
        cart = DecisionTreeClassifier(max_depth=DEPTH, random_state=seed)
        cart.fit(X_lab, y_lab)
        record("CART", "labels", cart.predict(X_te), time.perf_counter() - t0)
    for student in STUDENTS:
        for augment, unl in (("distilled", None), ("+ unlabeled", X_unl)):
            if (student, augment) in have:
                continue
            model = DistilledClassifier(
                teacher, make_student(student, seed), random_state=seed
            )
            t0 = time.perf_counter()
            model.fit(X_lab, y_lab, X_unlabeled=unl)
            record(student, augment, model.predict(X_te), time.perf_counter() - t0)
    return rows


def cached(name, seed, fraction, args) -> pd.DataFrame:
    tag = "quick_" if args.quick else ""
    path = (
        RESULTS / f"few_labels_{tag}{name}_s{seed}_f{fraction:g}_v{CACHE_VERSION}.csv"
    )
    if args.force and path.exists():
        path.unlink()
    return pd.DataFrame(run_one(name, seed, fraction, args, path))


def report(df: pd.DataFrame, args, elapsed: float) -> str:
    df = df.copy()
    df["split"] = np.where(df.seed == 0, "seed 0 (tuning)", "seeds 1-2 (check)")
    order = [
        ("teacher", "labels"),
        ("CART", "labels"),
        *[(s, a) for s in STUDENTS for a in ("distilled", "+ unlabeled")],
    ]
    lines = [
        "# Few labels, many unlabeled rows",
        "",
        f"Command: `python benchmarks/few_labels.py{' --quick' if args.quick else ''}`."
        " Datasets: "
        + ", ".join(sorted(df.dataset.unique()))
        + f" (at most {args.max_rows} rows, 70/30 split); a stratified share of the "
        "training rows is labeled, the rest passed as `X_unlabeled`. Teacher: "
        f"XGBoost, {args.trees} trees of depth 6, fit on the labeled rows. Students of "
        f"depth {DEPTH} with the library's defaults "
        "(`DistilledClassifier(teacher, student)`). Mean over datasets (%).",
        "",
        f"{df.seconds.sum() / 60:.0f} min of fitting in all (this report: "
        f"{elapsed / 60:.1f} min) on a shared 2-core machine.",
        "",
    ]
    for metric in ("accuracy", "fidelity"):
        table = df.pivot_table(
            index=["student", "data"],
            columns=["fraction", "split"],
            values=metric,
            aggfunc="mean",
        )
        table = table.reindex([o for o in order if o in table.index])
        table.columns = [f"{f:.0%} labeled, {s}" for f, s in table.columns]
        lines += [f"## Test {metric}", "", markdown_table(table), ""]
    gain = df[df.data.isin(["distilled", "+ unlabeled"])].pivot_table(
        index=["dataset", "seed", "fraction", "student"],
        columns="data",
        values=["accuracy", "fidelity"],
    )
    diff = pd.DataFrame(
        {
            m: gain[(m, "+ unlabeled")] - gain[(m, "distilled")]
            for m in ("accuracy", "fidelity")
        }
    ).reset_index()
    diff["split"] = np.where(diff.seed == 0, "seed 0", "seeds 1-2")
    table = diff.pivot_table(
        index="student", columns=["fraction", "split"], values=["accuracy", "fidelity"]
    )
    table.columns = [f"{m}, {f:.0%}, {s}" for m, f, s in table.columns]
    lines += [
        "## What the unlabeled rows add (points, `+ unlabeled` minus `distilled`)",
        "",
        markdown_table(table),
        "",
    ]
    labels = df[(df.student == "CART") & (df.data == "labels")].set_index(
        ["dataset", "seed", "fraction"]
    )
    vs = df[df.data == "+ unlabeled"].set_index(["dataset", "seed", "fraction"])
    vs = vs.assign(gain=vs.accuracy - labels.accuracy.reindex(vs.index)).reset_index()
    table = vs.pivot_table(index="student", columns="fraction", values="gain")
    table.columns = [f"{f:.0%} labeled" for f in table.columns]
    per_set = df.pivot_table(
        index=["dataset", "student", "data"],
        columns="fraction",
        values=["accuracy", "fidelity"],
    )
    per_set.columns = [f"{m}, {f:.0%} labeled" for m, f in per_set.columns]
    lines += [
        "## Accuracy over CART on the labels (points, students with the unlabeled "
        "rows, all seeds)",
        "",
        markdown_table(table),
        "",
        "## Every dataset (mean over seeds, %)",
        "",
        markdown_table(per_set),
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, fast run")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=None)
    parser.add_argument("--fractions", nargs="+", type=float, default=None)
    parser.add_argument("--force", action="store_true", help="ignore cached runs")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets = args.datasets or ["phoneme", "spambase"]
        args.seeds = args.seeds or [0]
        args.fractions = args.fractions or [0.05]
        args.max_rows, args.trees = 3000, 50
    else:
        args.max_rows, args.trees = 12000, 200
    args.datasets = args.datasets or list(DATASETS)
    args.seeds = args.seeds or [0, 1, 2]
    args.fractions = args.fractions or list(FRACTIONS)
    start = time.perf_counter()
    frames = [
        cached(name, seed, fraction, args)
        for seed in args.seeds
        for fraction in args.fractions
        for name in args.datasets
    ]
    frames = [f for f in frames if not f.empty]
    if not frames:
        print("no dataset available")
        return 1
    text = report(
        pd.concat(frames, ignore_index=True), args, time.perf_counter() - start
    )
    print("\n" + text)
    if not args.no_write:
        out = (RESULTS if args.quick else DOCS) / "few_labels.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    sys.exit(main())
