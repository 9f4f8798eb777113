"""In-memory students on Dask collections: every labeled row when they fit in
``max_student_rows``, else a uniform sample of that size drawn on the cluster."""

from __future__ import annotations

import numpy as np

from interpretkd import _dask
from interpretkd.distill._dask_sources import _label_task, _subset, on_sources


# --------------------------------------------------------------------------------------
# In-memory students: all rows when they fit, else a uniform sample
# --------------------------------------------------------------------------------------
def _uniforms(n, seed, index):
    """The fixed random numbers of one partition's rows, in (0, 1]."""
    return 1.0 - np.random.default_rng([seed, 1, index]).random(n)


def _length(index, block):
    return len(block)


def _priorities(index, block, y, w, raw, labeler, name, seed):
    """Priority ``1 / u`` of every row of a partition."""
    return 1.0 / _uniforms(len(block), seed, index)


def _select_task(index, block, y, w, raw, labeler, name, seed, tau):
    """The rows of a partition whose priority exceeds ``tau``, labeled (the teacher
    labels only those) and weighted."""
    keep = 1.0 / _uniforms(len(block), seed, index) > tau
    part = labeler(*(_subset(a, keep) for a in (block, y, w, raw)), name=name)
    if part is None:
        return None
    # Priority sampling (Duffield, Lund & Thorup, 2007) with every row's importance
    # 1: a kept row stands for max(1, tau) rows, which makes weighted sums over the
    # sample unbiased estimates of the sums over every row.
    factor = np.full(part[0].shape[0], max(1.0, tau))
    Xs, T, sw = part
    return Xs, T, factor if sw is None else factor * sw


def _top(values, k):
    """The ``k`` largest of the concatenated arrays, in decreasing order."""
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in values])
    if values.size > k:
        values = np.partition(values, values.size - k)[values.size - k :]
    return np.sort(values)[::-1]


def _kth_largest(tasks, k, *, fan_in=8):
    """The ``k``-th largest value over the arrays the tasks return, reduced as a
    tree on the cluster so that the client receives ``k`` numbers; -inf when there
    are fewer values."""
    dask, _, _ = _dask.require_dask()
    top = dask.delayed(_top, pure=False)
    level = [top([task], k) for task in tasks]
    while len(level) > 1:
        level = [top(level[i : i + fan_in], k) for i in range(0, len(level), fan_in)]
    (values,) = _dask.compute_small(level)
    return float(values[k - 1]) if values.size >= k else -np.inf


def _gather(tasks):
    """The tasks' labeled parts, pulled one at a time; empty ones left out."""
    return [p for p in _dask.iter_computed(tasks) if p is not None and len(p[0])]


def concat_parts(parts):
    """One ``(X_student, targets, weights)`` from several (weights 1 where None)."""
    Xs = np.concatenate([p[0] for p in parts], axis=0)
    T = np.concatenate([p[1] for p in parts], axis=0)
    if all(p[2] is None for p in parts):
        return Xs, T, None
    w = np.concatenate([np.ones(len(p[0])) if p[2] is None else p[2] for p in parts])
    return Xs, T, w


def _count_rows(sources) -> int:
    """Rows of every source: from the chunk sizes when Dask knows them, else
    counted on the workers."""
    total = 0
    for source in sources:
        if source.n_rows is not None:
            total += source.n_rows
            continue
        parts = {source.name: source.parts[source.name]}
        tasks = _dask.on_partitions(_length, parts, source.name)
        total += int(sum(_dask.compute_small(tasks)))
    return total


def sample_rows(distiller, sources, shipped, *, budget, seed):
    """Teacher-labeled rows of the Dask sources for an in-memory student: all of them
    when there are at most ``budget``, else a uniform sample of ``budget`` rows drawn
    on the cluster.

    The sample is drawn by *priority sampling* (Duffield, Lund & Thorup, 2007) with
    every row's importance 1: row i gets the priority ``1 / u_i`` (``u_i`` uniform in
    (0, 1], fixed by the seed), the ``budget`` rows of highest priority are kept
    (exactly ``budget``, chosen before the teacher labels only those) and each
    carries the weight ``max(1, tau)`` (``tau`` the next priority), so that every
    weighted sum over the sample (the student's loss among them) is an unbiased
    estimate of the same sum over all rows. Samples that favour rows the teacher is
    unsure about measured no better (docs/scale.md; ``benchmarks/scale.py
    --sampling`` reproduces the study).

    Returns
    -------
    parts : list of (X_student, targets, weights)
    sampled : bool
        False when every row was taken.
    """
    total = _count_rows(sources)
    if total <= budget:
        distiller._say(f"labeling all {total} rows on the cluster")
        return _gather(on_sources(_label_task, sources, shipped, None)), False
    distiller._say(f"drawing {budget} of {total} rows uniformly on the cluster")
    tasks = on_sources(_priorities, sources, shipped, seed)
    tau = _kth_largest(tasks, budget + 1)
    return _gather(on_sources(_select_task, sources, shipped, seed, tau)), True
