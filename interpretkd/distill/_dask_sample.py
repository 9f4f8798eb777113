"""In-memory students on Dask collections: every labeled row when they fit in
``max_student_rows``, else a weighted sample of that size drawn on the cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd

from interpretkd import _dask
from interpretkd.distill._dask_sources import _label_task, _subset, _take, on_sources

#: The sample an in-memory student gets when the rows exceed max_student_rows:
#: "uniform", or "importance" (favouring rows the teacher is unsure about and, with
#: USE_PILOT, rows a pilot student gets wrong, weighted to stay unbiased). Uniform
#: is the default because it measured as faithful or more, at a fraction of the
#: cost (docs/scale.md; benchmarks/scale.py --sampling compares them).
SAMPLING = "uniform"
#: Strength of the preference of the "importance" sample.
IMPORTANCE_GAMMA = 4.0
#: Whether the "importance" sample also favours rows a pilot student, fitted on a
#: uniform sample first, gets wrong.
USE_PILOT = True


# --------------------------------------------------------------------------------------
# In-memory students: all rows when they fit, else a weighted sample
# --------------------------------------------------------------------------------------
def _uniforms(n, seed, index):
    """The fixed random numbers of one partition's rows, in (0, 1]."""
    return 1.0 - np.random.default_rng([seed, 1, index]).random(n)


def _importance(part, pilot, gamma, labeler):
    """Sampling weight of each row: ``1 + gamma * score``, ``score`` in [0, 1] the
    mean of how unsure the teacher is (one minus the gap between its two most
    probable classes) and whether the pilot student decides otherwise. Every row
    keeps a weight of at least 1, so a chance to be drawn."""
    Xs, T, _ = part
    top = np.sort(T, axis=1)[:, -2:]
    score = 1.0 - (top[:, 1] - top[:, 0])
    if pilot is not None:
        distiller = labeler.distiller
        decided = pd.Index(distiller.classes_).get_indexer(
            pilot.predict(distiller._named(Xs))
        )
        score = 0.5 * (score + (decided != T.argmax(axis=1)))
    return 1.0 + gamma * score


def _length(index, block):
    return len(block)


def _priorities(index, block, y, w, raw, labeler, name, seed, pilot, gamma):
    """Priority ``weight / u`` of every row of a partition (uniform: ``1 / u``)."""
    if pilot is None and gamma == 0:
        return 1.0 / _uniforms(len(block), seed, index)
    part = labeler(block, y, w, raw, name=name)
    if part is None:
        return np.empty(0)
    return _importance(part, pilot, gamma, labeler) / _uniforms(len(block), seed, index)


def _select_task(index, block, y, w, raw, labeler, name, seed, pilot, gamma, tau):
    """The rows of a partition whose priority exceeds ``tau``, labeled and
    weighted."""
    if pilot is None and gamma == 0:
        # Uniform: choose the rows first, and the teacher labels only those.
        keep = 1.0 / _uniforms(len(block), seed, index) > tau
        part = labeler(*(_subset(a, keep) for a in (block, y, w, raw)), name=name)
        if part is None:
            return None
        importance = np.ones(part[0].shape[0])
    else:
        part = labeler(block, y, w, raw, name=name)
        if part is None:
            return None
        importance = _importance(part, pilot, gamma, labeler)
        keep = importance / _uniforms(len(block), seed, index) > tau
        part, importance = _take(part, keep), importance[keep]
    # Priority sampling (Duffield, Lund & Thorup, 2007): a kept row stands for
    # max(w, tau) / w rows, which makes weighted sums over the sample unbiased
    # estimates of the sums over every row.
    factor = np.maximum(importance, tau) / importance
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


def sample_rows(distiller, sources, shipped, *, budget, seed, pilot_fit, weighted):
    """Teacher-labeled rows of the Dask sources for an in-memory student: all of them
    when there are at most ``budget``, else ``budget`` rows drawn on the cluster.

    The sample is drawn by *priority sampling* (Duffield, Lund & Thorup, 2007): row
    i gets the priority ``w_i / u_i`` (``w_i`` its importance, ``u_i`` uniform in
    (0, 1]), the ``budget`` rows of highest priority are kept, and each carries the
    weight ``max(w_i, tau) / w_i`` (``tau`` the next priority), so that every
    weighted sum over the sample (the student's loss among them) is an unbiased
    estimate of the same sum over all rows. With every ``w_i = 1`` (``SAMPLING =
    "uniform"``, the default) that is a uniform sample of exactly ``budget`` rows,
    drawn before the teacher labels only those. With ``SAMPLING = "importance"`` a
    student that takes sample weights gets rows favoured by :func:`_importance`:
    how unsure the teacher is and (``USE_PILOT``) whether a pilot student, fitted on
    a uniform sample first, decides otherwise.

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
    importance = (
        SAMPLING == "importance"
        and weighted
        and not distiller._y_numeric
        and IMPORTANCE_GAMMA > 0
    )
    pilot = None
    if not importance or USE_PILOT:
        distiller._say(f"drawing {budget} of {total} rows uniformly on the cluster")
        uniform = (seed, None, 0.0)
        tasks = on_sources(_priorities, sources, shipped, *uniform)
        tau = _kth_largest(tasks, budget + 1)
        parts = _gather(on_sources(_select_task, sources, shipped, *uniform, tau))
        if not importance:
            return parts, True
        pilot = _dask.ship(pilot_fit(*concat_parts(parts)))
        del parts
    also = "" if pilot is None else " and rows a student of a uniform sample gets wrong"
    distiller._say(
        f"drawing {budget} of {total} rows on the cluster, favouring rows the "
        f"teacher is unsure about{also}"
    )
    chosen = (seed + 1, pilot, IMPORTANCE_GAMMA)
    tau = _kth_largest(on_sources(_priorities, sources, shipped, *chosen), budget + 1)
    return _gather(on_sources(_select_task, sources, shipped, *chosen, tau)), True
