"""Benchmark: does synthetic data make a depth-limited tree more faithful to a teacher?

Held-out fidelity (argmax agreement) to an XGBoost teacher of a scikit-learn
``DecisionTreeClassifier`` student at several depths, trained on:

- ``labels``: the training labels (the baseline a user has without distillation);
- ``mimic``: the teacher's argmax on the training rows;
- ``munge`` / ``noise``: the training rows plus ``--ratio`` x as many rows from
  :class:`~interpretkd.augment.Munge` / :class:`~interpretkd.augment.NoiseSampler`,
  all labeled with the teacher's argmax;
- ``active``: the training rows plus the same number of rows from
  :class:`~interpretkd.augment.ActiveSampler`, placed per leaf of the current tree.

Run ``python benchmarks/augmentation.py`` (about 4 minutes on 2 shared cores) or
with ``--quick`` (two small datasets, two depths, fewer teacher trees). Teachers are
cached under ``benchmarks/results/``, and so are the figures of each dataset (rerun
with ``--force`` to recompute them). Figures go to ``docs/benchmarks/augmentation.md``
and a plot to ``docs/benchmarks/augmentation.png`` (``--quick``: to
``benchmarks/results/`` only). ``--seed`` picks the split, teacher and samplers of the
main table (0, on which the active settings were tuned); ``--check-seeds 1 2`` adds the
same table on other splits, to confirm the figures on data they were not tuned on.
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
from common import (  # noqa: E402
    DOCS,
    RESULTS,
    fit_xgb_teacher,
    load_dataset,
    markdown_table,
)

from interpretkd.augment import ActiveSampler, Munge, NoiseSampler  # noqa: E402

DATASETS = ("phoneme", "spambase", "satimage", "letter")
DEPTHS = (3, 5, 8, 12)
SETTINGS = ("labels", "mimic", "munge", "noise", "active")


def fit_teacher(name, X, y, n_trees, seed):
    """An XGBoost teacher (depth 6), cached under benchmarks/results/ by common.py."""
    return fit_xgb_teacher(name, X, y, n_trees=n_trees, max_depth=6, seed=seed)


def tree(depth, seed):
    return DecisionTreeClassifier(max_depth=depth, random_state=seed)


def cache_path(name, args, seed) -> Path:
    tag = f"{name}_t{args.trees}_r{args.ratio:g}_a{args.rounds}x{args.proposals}"
    return RESULTS / f"augmentation_{tag}_s{seed}.csv"


def run_dataset(name, depths, n_trees, ratio, seed, active_kwargs):
    data = load_dataset(name)
    if data is None:
        return []
    X, y = data
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    start = time.perf_counter()
    teacher = fit_teacher(name, X_tr, y_tr, n_trees, seed)
    t_teacher = time.perf_counter() - start
    ref = teacher.predict(X_te)
    mimic = teacher.predict(X_tr)
    n_syn = int(round(ratio * len(X_tr)))
    print(
        f"{name}: {X.shape[0]} rows, {X.shape[1]} features, {len(np.unique(y))} "
        f"classes; teacher accuracy {np.mean(ref == y_te):.4f} ({t_teacher:.0f} s)"
    )

    def labels_of(Z):
        return teacher.predict(Z)

    pools = {}
    for key, gen in (
        ("munge", Munge(random_state=seed)),
        ("noise", NoiseSampler(random_state=seed)),
    ):
        Z = gen.sample(X_tr, n_syn)
        pools[key] = (np.vstack([X_tr, Z]), np.concatenate([mimic, labels_of(Z)]))

    def label(Z):
        return teacher.predict_proba(Z)

    rows = []
    for depth in depths:
        fid = {}
        timing = {}
        for setting in SETTINGS:
            t0 = time.perf_counter()
            if setting == "labels":
                student = tree(depth, seed).fit(X_tr, y_tr)
            elif setting == "mimic":
                student = tree(depth, seed).fit(X_tr, mimic)
            elif setting in pools:
                student = tree(depth, seed).fit(*pools[setting])
            else:

                def fit(Z, T, depth=depth):
                    return tree(depth, seed).fit(Z, T.argmax(1))

                sampler = ActiveSampler(random_state=seed, **active_kwargs)
                Z, T = sampler.run(X_tr, n_syn, label=label, fit=fit)
                student = fit(np.vstack([X_tr, Z]), np.vstack([label(X_tr), T]))
            fid[setting] = float(np.mean(student.predict(X_te) == ref))
            timing[setting] = time.perf_counter() - t0
        rows.append({"dataset": name, "depth": depth, **fid})
        print(
            f"  depth {depth:2d}: "
            + "  ".join(f"{s} {100 * fid[s]:.2f}" for s in SETTINGS)
            + f"  (active {timing['active']:.0f} s)"
        )
    return rows


def soft_tree_rows(args) -> list[dict]:
    """Depth-5 soft tree on labels, on teacher targets, and with MUNGE rows."""
    try:
        from interpretkd.soft_tree import SoftDecisionTreeClassifier
    except ImportError as exc:
        print(f"skip soft tree: interpretkd.soft_tree not importable ({exc})")
        return []
    from sklearn.preprocessing import StandardScaler

    rows = []
    small = [d for d in args.datasets if d in ("phoneme", "satimage", "spambase")]
    for name in small[:2]:
        data = load_dataset(name)
        if data is None:
            continue
        X, y = data
        X_tr, X_te, y_tr, _ = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=args.seed
        )
        teacher = fit_teacher(name, X_tr, y_tr, args.trees, args.seed)
        ref = teacher.predict(X_te)
        Z = Munge(random_state=args.seed).sample(X_tr, int(args.ratio * len(X_tr)))
        scaler = StandardScaler().fit(X_tr)

        def soft(X_fit, Y_fit, scaler=scaler, X_te=X_te, ref=ref):
            model = SoftDecisionTreeClassifier(
                max_depth=5, max_epochs=args.soft_epochs, random_state=args.seed
            )
            model.fit(scaler.transform(X_fit), Y_fit)
            pred = np.asarray(model.predict(scaler.transform(X_te)))
            return float(np.mean(pred == ref))

        X_aug = np.vstack([X_tr, Z])
        row = {
            "dataset": name,
            "labels": soft(X_tr, y_tr),
            "teacher targets": soft(X_tr, teacher.predict_proba(X_tr)),
            "+ munge": soft(X_aug, teacher.predict_proba(X_aug)),
        }
        print(
            f"  soft tree depth 5 on {name}: "
            + "  ".join(f"{k} {100 * v:.2f}" for k, v in row.items() if k != "dataset")
        )
        rows.append(row)
    return rows


def percent_table(table: pd.DataFrame):
    """Fidelities in %, one row per dataset and depth plus the mean per depth."""
    pct = table.copy()
    pct[list(SETTINGS)] = 100 * pct[list(SETTINGS)]
    mean = pct.groupby("depth")[list(SETTINGS)].mean().reset_index()
    mean.insert(0, "dataset", "mean")
    full = pd.concat([pct, mean], ignore_index=True)
    full["depth"] = full["depth"].astype(int)
    best = full[list(SETTINGS[1:])].max(axis=1) - full["labels"]
    full["best - labels"] = [f"{v:+.2f}" for v in best]
    return mean, markdown_table(full.set_index("dataset"))


def write_report(tables: dict, soft, args, elapsed: float) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    mean, main_table = percent_table(tables[args.seed])
    lines = [
        "# Synthetic data for tree students: fidelity to an XGBoost teacher",
        "",
        "Written by `benchmarks/augmentation.py"
        + (" --quick" if args.quick else "")
        + "`. Held-out fidelity (% of test rows where the student's class equals the "
        f"teacher's), 70/30 stratified split, seed {args.seed}. Teacher: XGBoost, "
        f"{args.trees} trees of depth 6, learning rate 0.1. Student: scikit-learn "
        "`DecisionTreeClassifier(max_depth=d)`. Synthetic rows: "
        f"{args.ratio:g} x the training rows, labeled with the teacher's argmax.",
        "",
        "- `labels`: tree on the training labels (no distillation);",
        "- `mimic`: tree on the teacher's argmax for the training rows;",
        "- `munge`, `noise`: training rows plus `Munge()` / `NoiseSampler()` rows;",
        "- `active`: training rows plus `ActiveSampler("
        + ", ".join(f"{k}={v!r}" for k, v in args.active_kwargs.items())
        + ")` rows, placed per leaf of the current tree where it disagrees with the "
        "teacher.",
        "",
        f"## Seed {args.seed}"
        + (" (the split the active settings were tuned on)" if args.seed == 0 else ""),
        "",
        main_table,
        "",
        f"Total run time {elapsed / 60:.1f} min on a shared 2-core machine (noisy).",
        "",
        "![fidelity vs depth](augmentation.png)",
        "",
    ]
    lines += verdict(mean)
    lines += [
        "Caveats: one split and one seed per dataset; a depth-limited tree moves by "
        "1-2 points between draws of synthetic rows, so single cells are noisy and "
        "the means are the figures to read. The active settings were picked among "
        "three tried on these same splits (rounds x proposals x ratio: 2x6x2, 3x8x4, "
        "2x12x2; mean gain over `labels` at depth 5 / 8: +2.97 / +1.46, +2.25 / "
        "+1.63, and this run), so they are tuned, not held out. Teacher: 100 trees "
        "instead of 300 to keep the default run short.",
        "",
    ]
    lines += confirmation(tables, args)
    if soft:
        lines += [
            "## Soft decision tree (depth 5)",
            "",
            f"`SoftDecisionTreeClassifier(max_depth=5, max_epochs={args.soft_epochs})` "
            "on standardised features, trained on the labels, on the teacher's "
            f"probabilities, and on those plus {args.ratio:g} x MUNGE rows labeled "
            "with the teacher's probabilities (held-out fidelity, %):",
            "",
            "| dataset | labels | teacher targets | + munge |",
            "|---|---:|---:|---:|",
        ]
        for r in soft:
            lines.append(
                f"| {r['dataset']} | {100 * r['labels']:.2f} | "
                f"{100 * r['teacher targets']:.2f} | {100 * r['+ munge']:.2f} |"
            )
        lines.append("")
    # A --quick run is a smoke test: its figures stay out of the docs.
    out = RESULTS / "augmentation_quick.md" if args.quick else DOCS / "augmentation.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    plot(mean, args)


def confirmation(tables: dict, args) -> list[str]:
    """The same table on splits the settings were not tuned on (``--check-seeds``)."""
    others = [seed for seed in tables if seed != args.seed]
    if not others:
        return []
    names = [set(table["dataset"]) for table in tables.values()]
    common = [name for name in args.datasets if all(name in n for n in names)]
    lines = [
        "## Confirmation on other splits (not used for tuning)",
        "",
        "Same settings, another seed for the 70/30 split, the teacher and the "
        "samplers. Mean gain over `labels` (points) per seed, over the datasets "
        "every seed has (" + ", ".join(common) + "):",
        "",
    ]
    gains = []
    for seed, table in tables.items():
        mean, _ = percent_table(table[table["dataset"].isin(common)])
        gain = mean.set_index("depth")[list(SETTINGS[1:])].sub(
            mean.set_index("depth")["labels"], axis=0
        )
        gain.insert(0, "seed", f"{seed}" + (" (tuned)" if seed == args.seed else ""))
        gains.append(gain.reset_index().set_index("seed"))
    lines += [markdown_table(pd.concat(gains)), ""]
    for seed in others:
        mean, text = percent_table(tables[seed])
        lines += [f"### Seed {seed}", "", text, ""]
        lines += verdict(mean)[2:]
    return lines


def verdict(mean: pd.DataFrame) -> list[str]:
    """The issue's targets, checked on the mean over datasets."""
    lines = ["## Against the targets", ""]
    for _, r in mean.iterrows():
        gain = {s: r[s] - r["labels"] for s in SETTINGS[1:]}
        best = max(gain, key=gain.get)
        worst = min(gain.values())
        lines.append(
            f"- depth {int(r['depth'])}: best `{best}` {gain[best]:+.2f} points over "
            f"`labels` (target at depth 5 and 8: >= +2); `active` "
            f"{gain['active']:+.2f} (floor: -0.3); worst setting {worst:+.2f}."
        )
    return lines + [""]


def plot(mean: pd.DataFrame, args) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("skip plot: pip install matplotlib")
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for setting in SETTINGS:
        ax.plot(mean["depth"], mean[setting], marker="o", label=setting)
    ax.set_xlabel("max_depth")
    ax.set_ylabel("mean held-out fidelity (%)")
    ax.set_title("Tree students of an XGBoost teacher")
    ax.set_xticks(list(mean["depth"]))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = RESULTS / "augmentation.png" if args.quick else DOCS / "augmentation.png"
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast run")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--depths", nargs="+", type=int, default=None)
    parser.add_argument(
        "--trees", type=int, default=None, help="teacher trees (default 100)"
    )
    parser.add_argument(
        "--ratio", type=float, default=None, help="synthetic rows per row (default 2)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="active rounds")
    parser.add_argument("--proposals", type=int, default=12, help="active proposals")
    parser.add_argument("--seed", type=int, default=0, help="seed of the main table")
    parser.add_argument(
        "--check-seeds",
        nargs="*",
        type=int,
        default=[],
        help="further seeds whose tables confirm the main one",
    )
    parser.add_argument("--force", action="store_true", help="ignore cached figures")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="only report figures already cached; skip the rest",
    )
    parser.add_argument(
        "--no-soft-tree", dest="soft_tree", action="store_false", help="skip it"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets = args.datasets or ["phoneme", "satimage"]
        args.depths = args.depths or [5, 8]
        args.trees = args.trees or 50
    args.datasets = args.datasets or list(DATASETS)
    args.depths = args.depths or list(DEPTHS)
    args.trees = args.trees or 100
    args.ratio = args.ratio or 2.0
    args.soft_epochs = 10 if args.quick else 30
    args.active_kwargs = {"n_rounds": args.rounds, "n_proposals": args.proposals}
    start = time.perf_counter()
    tables = {}
    for seed in dict.fromkeys([args.seed, *args.check_seeds]):
        frames = [seed_frame(name, args, seed) for name in args.datasets]
        frames = [frame for frame in frames if frame is not None]
        if frames:
            tables[seed] = pd.concat(frames, ignore_index=True)
    soft = soft_tree_rows(args) if args.soft_tree else []
    if args.seed in tables:
        write_report(tables, soft, args, time.perf_counter() - start)


def seed_frame(name, args, seed):
    """Figures of one dataset and seed, from the cache or computed (and cached)."""
    path = cache_path(name, args, seed)
    if path.exists() and not args.force:
        cached = pd.read_csv(path)
        if set(args.depths) <= set(cached["depth"]):
            print(f"{name}: cached figures from {path.name} (--force to rerun)")
            return cached[cached["depth"].isin(args.depths)]
    if args.cached_only:
        print(f"{name}, seed {seed}: no cached figures, skipped (--cached-only)")
        return None
    print(f"seed {seed}:", end=" ")
    rows = run_dataset(
        name, args.depths, args.trees, args.ratio, seed, args.active_kwargs
    )
    if not rows:
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
