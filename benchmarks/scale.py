"""Benchmark: distilling from more rows than one process holds, on a Dask cluster.

A lazily generated ``dask.array`` of N rows x 20 features (never materialised: each
partition is drawn from a seeded generator when a worker needs it) is the unlabeled
pool; an XGBoost teacher (200 trees, depth 6) is trained on a small labeled sample
of 20,000 rows of the same distribution, whose label is a fixed non-linear function
of eight features plus noise. Two students, each distilled in its own process on a
``distributed.LocalCluster`` (2 worker processes of 1 thread):

- ``tree``: ``DecisionTreeClassifier(max_depth=6)``: every row when N is at most
  ``max_student_rows`` (1,000,000 by default), else a sample of that size drawn on
  the cluster;
- ``soft``: ``SoftDecisionTreeClassifier(max_depth=6)``, streamed every row,
  ``--epochs`` passes.

For each, the script prints the wall time of ``fit``, the client process's peak
resident memory (``ru_maxrss``; the scheduler of the LocalCluster lives in it too,
the workers do not), and the fidelity on 200,000 held-out generated rows, computed
on the cluster, against the same student trained on the 20,000 labeled rows alone
(on their labels, and distilled from the teacher on them). It also measures the
teacher's labeling throughput on the cluster (``xgboost.dask.inplace_predict`` over
the whole pool, in rows per CPU second of the workers, the generation of the rows
included and also shown alone) against the teacher's own ``predict_proba`` on one
in-memory block of the size of a partition, on one thread, in rows per CPU second.
CPU seconds, not wall time, because the machine's 2 cores are shared.

``--sampling`` instead compares the uniform sample interpretkd gives an in-memory
student with two weighted ones the script draws itself (``importance_sample``):
favouring rows the teacher is unsure about, and that plus the rows a pilot student
gets wrong, on a pool of ``--rows`` rows with budgets ``--budgets``, several seeds;
held-out fidelity of depth-6 and depth-10 trees distilled from 2,000 labeled rows
plus the sample.

Run ``nice -n 10 python benchmarks/scale.py --rows 1e6 3e6 1e7`` (the 10M case takes
several minutes on 2 shared cores) or ``--quick`` (1M rows only, one epoch). Figures
go to ``docs/benchmarks/scale.md`` (not with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# This checkout's interpretkd (not another one installed), and the shared helpers.
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parent)]
from common import DOCS, RESULTS  # noqa: E402

N_FEATURES = 20
N_LABELED = 20_000
N_HOLDOUT = 200_000
CHUNK = 250_000


# --------------------------------------------------------------------------------------
# The data: a fixed distribution, generated lazily
# --------------------------------------------------------------------------------------
def label_of(X, rng):
    """The true class: a non-linear function of eight features, 5% of labels noisy."""
    score = (
        1.5 * np.sin(2 * X[:, 0])
        + X[:, 1] * X[:, 2]
        + 0.7 * X[:, 3] ** 2
        - 0.7
        + 0.5 * X[:, 4]
        - 0.6 * np.abs(X[:, 5])
        + 0.3 * X[:, 6] * X[:, 7]
    )
    y = (score > 0).astype(np.int64)
    flip = rng.random(len(y)) < 0.05
    return np.where(flip, 1 - y, y)


def lazy_rows(n_rows, seed, chunk=CHUNK):
    """A Dask array of standard normal rows, each partition drawn when needed."""
    import dask.array as da

    return da.random.default_rng(seed).standard_normal(
        (int(n_rows), N_FEATURES), chunks=(chunk, N_FEATURES)
    )


def labeled_rows():
    rng = np.random.default_rng(12345)
    X = rng.standard_normal((N_LABELED, N_FEATURES))
    return X, label_of(X, rng)


def teacher_model():
    """The XGBoost teacher, trained once on the labeled rows and cached."""
    from xgboost import XGBClassifier

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "scale_teacher.json"
    teacher = XGBClassifier(
        n_estimators=200, max_depth=6, learning_rate=0.1, n_jobs=1, random_state=0
    )
    if path.exists():
        teacher.load_model(path)
    else:
        X, y = labeled_rows()
        teacher.fit(X, y)
        teacher.save_model(path)
    return teacher


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """CPU time used so far by this process, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def worker_cpu_seconds(client) -> float:
    """CPU time used so far by the worker processes, summed (the machine is shared,
    so throughput per core is counted in CPU seconds, not in wall time)."""
    return float(sum(client.run(cpu_seconds).values()))


def cluster(workers, threads):
    from distributed import Client, LocalCluster

    lc = LocalCluster(
        n_workers=workers,
        threads_per_worker=threads,
        processes=True,
        dashboard_address=None,
    )
    return lc, Client(lc)


# --------------------------------------------------------------------------------------
# One measurement per process (so that ru_maxrss is this student's alone)
# --------------------------------------------------------------------------------------
def run_student(kind, n_rows, epochs, workers, threads):
    from sklearn.tree import DecisionTreeClassifier

    from interpretkd import (
        DistilledClassifier,
        SoftDecisionTreeClassifier,
        fidelity_score,
    )

    teacher = teacher_model()
    X_lab, y_lab = labeled_rows()
    lc, client = cluster(workers, threads)
    try:
        pool = lazy_rows(n_rows, seed=1)
        holdout = lazy_rows(N_HOLDOUT, seed=2, chunk=50_000)
        if kind == "tree":

            def make():
                return DecisionTreeClassifier(max_depth=6, random_state=0)
        else:

            def make():
                return SoftDecisionTreeClassifier(
                    max_depth=6, max_epochs=epochs, random_state=0
                )

        rss_before = peak_rss_mb()
        start = time.perf_counter()
        cpu0, workers0 = cpu_seconds(), worker_cpu_seconds(client)
        model = DistilledClassifier(teacher, make(), random_state=0)
        model.fit(X_lab, y_lab, X_unlabeled=pool)
        fit_s = time.perf_counter() - start
        client_cpu = cpu_seconds() - cpu0
        workers_cpu = worker_cpu_seconds(client) - workers0
        rss_fit = peak_rss_mb()
        fidelity = fidelity_score(None, model, holdout)
        # the same student on the labeled rows alone
        on_labels = make().fit(X_lab, y_lab)
        fid_labels = fidelity_score(teacher, on_labels, holdout)
        small = DistilledClassifier(teacher, make(), random_state=0).fit(X_lab, y_lab)
        fid_small = fidelity_score(None, small, holdout)
        return {
            "student": kind,
            "rows": int(n_rows),
            "fit_s": fit_s,
            "client_cpu_s": client_cpu,
            "workers_cpu_s": workers_cpu,
            "rss_mb_before_fit": rss_before,
            "rss_mb_peak": rss_fit,
            "n_distill_samples": int(model.n_distill_samples_),
            "fidelity": fidelity,
            "fidelity_labels_only": fid_labels,
            "fidelity_distilled_labeled_only": fid_small,
        }
    finally:
        client.close()
        lc.close()


def run_throughput(n_rows, workers, threads):
    """Rows per CPU second: the teacher's own predict_proba on one in-memory block
    (one thread), and the teacher on the cluster through xgboost.dask over the whole
    lazily generated pool (generation included, and generation alone)."""
    import xgboost.dask as xgb_dask

    teacher = teacher_model()
    booster = teacher.get_booster()
    block = np.random.default_rng(3).standard_normal((CHUNK, N_FEATURES))
    teacher.set_params(n_jobs=1)
    teacher.predict_proba(block[:1000])
    cpu0 = cpu_seconds()
    teacher.predict_proba(block)
    own_cpu = cpu_seconds() - cpu0
    lc, client = cluster(workers, threads)
    try:
        pool = lazy_rows(n_rows, seed=1)
        # Warm the workers up (imports, the booster scattered) before timing.
        warm = lazy_rows(4 * CHUNK, seed=9)
        xgb_dask.inplace_predict(
            client, booster, warm, predict_type="margin"
        ).sum().compute()
        cpu0 = worker_cpu_seconds(client)
        start = time.perf_counter()
        pool.sum().compute()
        gen_s = time.perf_counter() - start
        gen_cpu = worker_cpu_seconds(client) - cpu0
        cpu0 = worker_cpu_seconds(client)
        start = time.perf_counter()
        margins = xgb_dask.inplace_predict(client, booster, pool, predict_type="margin")
        margins.sum().compute()
        label_s = time.perf_counter() - start
        label_cpu = worker_cpu_seconds(client) - cpu0
    finally:
        client.close()
        lc.close()
    return {
        "rows": int(n_rows),
        "own_rows_per_cpu_s": CHUNK / own_cpu,
        "cluster_rows_per_cpu_s": n_rows / label_cpu,
        "generation_rows_per_cpu_s": n_rows / gen_cpu,
        "labeling_only_rows_per_cpu_s": n_rows / max(label_cpu - gen_cpu, 1e-9),
        "cluster_wall_s": label_s,
        "generation_wall_s": gen_s,
        "worker_threads": workers * threads,
    }


def importance_sample(teacher, pool, budget, seed, pilot=None, gamma=4.0):
    """The weighted sample the study compares with the library's uniform one.

    Priority sampling (Duffield, Lund & Thorup, 2007) on the cluster: row i gets the
    importance ``w_i = 1 + gamma * s_i``, ``s_i`` in [0, 1] how unsure the teacher is
    (one minus the gap between its two most probable classes) or, with a ``pilot``
    student, the mean of that and whether the pilot decides otherwise; its priority
    is ``w_i / u_i`` (``u_i`` uniform in (0, 1]); the ``budget`` rows of highest
    priority are kept, each with the weight ``max(w_i, tau) / w_i`` (``tau`` the next
    priority), which keeps weighted sums over the sample unbiased. interpretkd
    draws uniform samples only (this one measured no better, docs/scale.md), so the
    study's alternative lives here, written with public Dask and model calls.

    Returns
    -------
    X_sample : ndarray of shape (budget, n_features)
    weights : ndarray of shape (budget,)
    """
    import dask
    import dask.array as da

    def priorities(block, block_info=None):
        index = block_info[0]["chunk-location"][0]
        proba = teacher.predict_proba(block)
        top = np.sort(proba, axis=1)[:, -2:]
        score = 1.0 - (top[:, 1] - top[:, 0])
        if pilot is not None:
            score = 0.5 * (score + (pilot.predict(block) != proba.argmax(axis=1)))
        importance = 1.0 + gamma * score
        u = 1.0 - np.random.default_rng([seed, index]).random(len(block))
        return np.stack([importance / u, importance], axis=1)

    scored = pool.map_blocks(
        priorities, chunks=(pool.chunks[0], (2,)), dtype=np.float64
    ).persist()
    tau = float(da.topk(scored[:, 0], budget + 1).compute()[-1])
    keep = scored[:, 0] > tau
    X_sample, importance = dask.compute(pool[keep], scored[keep, 1])
    return X_sample, np.maximum(importance, tau) / importance


def run_sampling(n_rows, budgets, seeds, workers, threads):
    """Held-out fidelity of trees on a sample: the library's uniform sample against
    the importance samples (unsure rows, unsure rows and a pilot's mistakes)."""
    from sklearn.tree import DecisionTreeClassifier

    from interpretkd import DistilledClassifier, fidelity_score

    teacher = teacher_model()
    X_lab, y_lab = labeled_rows()
    X_lab, y_lab = X_lab[:2000], y_lab[:2000]
    lc, client = cluster(workers, threads)
    rows = []
    try:
        pool = lazy_rows(n_rows, seed=1, chunk=50_000)
        holdout = lazy_rows(N_HOLDOUT, seed=2, chunk=50_000)
        for depth in (6, 10):
            for budget in budgets:
                for seed in seeds:
                    uniform = None
                    for name in ("uniform", "unsure", "unsure + pilot"):
                        model = DistilledClassifier(
                            teacher,
                            DecisionTreeClassifier(max_depth=depth, random_state=0),
                            max_student_rows=budget,
                            random_state=seed,
                        )
                        start = time.perf_counter()
                        if name == "uniform":  # interpretkd's own sample
                            model.fit(X_lab, y_lab, X_unlabeled=pool)
                            uniform = model
                        else:  # the labeled rows (weight 1) and a weighted sample
                            X_s, w_s = importance_sample(
                                teacher,
                                pool,
                                budget,
                                seed + 1,
                                pilot=uniform if name == "unsure + pilot" else None,
                            )
                            model.fit(
                                np.vstack([X_lab, X_s]),
                                np.r_[y_lab, teacher.predict(X_s)],
                                sample_weight=np.r_[np.ones(len(X_lab)), w_s],
                            )
                        rows.append(
                            {
                                "depth": depth,
                                "budget": budget,
                                "seed": seed,
                                "sampling": name,
                                "fit_s": time.perf_counter() - start,
                                "fidelity": fidelity_score(None, model, holdout),
                            }
                        )
                        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        client.close()
        lc.close()
    return rows


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------
def child(args) -> None:
    """Run one measurement and print it as JSON on the last line."""
    if args.job == "throughput":
        out = run_throughput(args.n, args.workers, args.threads)
    elif args.job == "sampling":
        out = run_sampling(args.n, args.budgets, args.seeds, args.workers, args.threads)
    else:
        out = run_student(args.job, args.n, args.epochs, args.workers, args.threads)
    print(json.dumps(out))


def spawn(job, n, args) -> dict | list:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        job,
        "--n",
        str(int(n)),
        "--epochs",
        str(args.epochs),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--budgets",
        *map(str, args.budgets),
        "--seeds",
        *map(str, args.seeds),
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"{job} at {n} rows failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def student_table(results) -> str:
    lines = [
        "| rows | student | fit, wall (s) | CPU client / workers (s) | client peak "
        "memory (MB) | rows learned | held-out fidelity | same student on the 20k "
        "labels | distilled on the 20k labeled rows only |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['student']} | {r['fit_s']:.0f} | "
            f"{r['client_cpu_s']:.0f} / {r['workers_cpu_s']:.0f} | "
            f"{r['rss_mb_peak']:.0f} | {r['n_distill_samples']:,} | "
            f"{100 * r['fidelity']:.2f}% | {100 * r['fidelity_labels_only']:.2f}% | "
            f"{100 * r['fidelity_distilled_labeled_only']:.2f}% |"
        )
    return "\n".join(lines)


def throughput_table(results) -> str:
    lines = [
        "| rows | teacher's own predict_proba, 1 thread | teacher on the cluster "
        "(xgboost.dask), rows generated on the fly | ratio | generating the rows "
        "alone | labeling alone (difference) | ratio, labeling alone | wall time on "
        "the cluster (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        own = r["own_rows_per_cpu_s"]
        lines.append(
            f"| {r['rows']:,} | {own:,.0f} | {r['cluster_rows_per_cpu_s']:,.0f} | "
            f"{own / r['cluster_rows_per_cpu_s']:.2f}x | "
            f"{r['generation_rows_per_cpu_s']:,.0f} | "
            f"{r['labeling_only_rows_per_cpu_s']:,.0f} | "
            f"{own / r['labeling_only_rows_per_cpu_s']:.2f}x | "
            f"{r['cluster_wall_s']:.1f} |"
        )
    return "\n".join(lines) + (
        "\n\nRows per CPU second (the machine is shared: CPU seconds count the work "
        "of each core, wall time does not); the cluster's CPU time is that of its "
        "worker processes."
    )


def sampling_table(rows) -> str:
    import pandas as pd

    frame = pd.DataFrame(rows)
    table = (
        frame.groupby(["depth", "budget", "sampling"])["fidelity"]
        .agg(["mean", "std", "count"])
        .mul([100, 100, 1])
        .reset_index()
    )
    times = frame.groupby(["depth", "budget", "sampling"])["fit_s"].mean().values
    lines = [
        "| depth | budget | sampling | held-out fidelity (mean ± sd) | seeds | "
        "fit (s) |",
        "|---|---|---|---|---|---|",
    ]
    for (_, r), t in zip(table.iterrows(), times):
        lines.append(
            f"| {r['depth']} | {r['budget']:,} | {r['sampling']} | "
            f"{r['mean']:.2f} ± {r['std']:.2f} | {int(r['count'])} | {t:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=float, nargs="+", default=[1e6, 3e6, 1e7])
    parser.add_argument("--students", nargs="+", default=["tree", "soft"])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sampling", action="store_true")
    parser.add_argument("--budgets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=float, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.job, args.n = args.child, int(args.n)
        child(args)
        return
    if args.quick:
        args.rows, args.epochs = [1e6], 1
    import interpretkd

    print(f"interpretkd from {Path(interpretkd.__file__).parent}", flush=True)
    teacher_model()  # trained once, before the children read it
    if args.sampling:
        n = int(args.rows[0])
        rows = spawn("sampling", n, args)
        text = sampling_table(rows)
        print(text)
        page = DOCS / "scale_sampling.md"
        page.write_text(
            "# Sampling for in-memory students\n\n"
            f"`python benchmarks/scale.py --sampling --rows {n:.0e} --budgets "
            f"{' '.join(map(str, args.budgets))} --seeds "
            f"{' '.join(map(str, args.seeds))}`: a pool of {n:,} generated rows, "
            "2,000 labeled rows, held-out fidelity on 200,000 generated rows, of a "
            "DecisionTreeClassifier distilled on the labeled rows plus a sample of "
            "`budget` pool rows drawn on the cluster: `uniform` (interpretkd's "
            "sample, `max_student_rows=budget`), `unsure` (priority sampling with "
            "importance 1 + 4 x how unsure the teacher is, weights max(w, tau) / w; "
            "drawn by the benchmark's `importance_sample`) and `unsure + pilot` (the "
            "importance also counts whether the `uniform` tree decides otherwise). "
            "Fit times are wall seconds on the shared machine, the weighted samples' "
            "drawing included."
            "\n\n" + text + "\n"
        )
        return
    students, rates = [], []
    for n in args.rows:
        rates.append(spawn("throughput", n, args))
        print(throughput_table(rates[-1:]), flush=True)
        for kind in args.students:
            students.append(spawn(kind, n, args))
            print(student_table(students[-1:]), flush=True)
    text = (
        "## Distilling on the cluster\n\n"
        + student_table(students)
        + "\n\n## Teacher labeling throughput\n\n"
        + throughput_table(rates)
        + "\n"
    )
    print(text)
    if not args.quick:
        rows = " ".join(f"{n:.0e}" for n in args.rows)
        (DOCS / "scale.md").write_text(
            "# Scale: distilling from a lazily generated Dask array\n\n"
            f"`nice -n 10 python benchmarks/scale.py --rows {rows} --epochs "
            f"{args.epochs}` on a LocalCluster of {args.workers} worker processes x "
            f"{args.threads} thread, this project's 2-core machine (shared). "
            "See the module docstring of benchmarks/scale.py for the setup.\n\n" + text
        )


if __name__ == "__main__":
    main()
