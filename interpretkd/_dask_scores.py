"""Fidelity, scores and samples of Dask collections, computed on the workers.

Each partition's figures are computed by the in-memory code (a distiller's
``predict`` and ``teacher_predict``, :func:`~interpretkd.metrics.fidelity_score`'s
predictions) and reduced to a few numbers, merged on the client; the results equal the
in-memory ones on the same rows, up to rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from interpretkd._dask import (
    aligned,
    compute_small,
    describe,
    iter_computed,
    on_partitions,
    partitions,
    ship,
)

__all__ = [
    "fidelity_on_partitions",
    "scores_on_partitions",
    "sample_on_partitions",
]

#: Rows of a Dask collection a report keeps for its tables and pictures.
REPORT_ROWS = 10_000


def _weights(n, sample_weight):
    if sample_weight is None:
        return np.ones(n)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(
            f"its sample_weight has {w.shape[0]} rows but the partition has {n}; "
            "partition them alike."
        )
    return w


def _label_stats(reference, predicted, sample_weight=None) -> np.ndarray:
    """[rows, weight, weight of agreeing rows, whether the two share any label]
    of one partition."""
    reference = np.asarray(reference)
    predicted = np.asarray(predicted)
    if reference.shape[0] != predicted.shape[0]:
        raise ValueError(
            f"the two sides have {reference.shape[0]} and {predicted.shape[0]} rows; "
            "partition them alike."
        )
    w = _weights(reference.shape[0], sample_weight)
    shared = bool(
        np.isin(predicted, reference).any() or np.isin(reference, predicted).any()
    )
    return np.array(
        [reference.shape[0], w.sum(), np.sum(w * (reference == predicted)), shared],
        dtype=np.float64,
    )


def _value_stats(reference, predicted, sample_weight=None) -> np.ndarray:
    """Per output, of one partition: [rows, weight, weighted mean of the reference,
    weighted sum of its squared deviations from that mean, weighted sum of squared
    residuals]; shape (5, n_outputs)."""
    reference = np.asarray(reference, dtype=np.float64)
    if reference.ndim == 1:
        reference = reference[:, None]
    n, k = reference.shape
    predicted = np.asarray(predicted, dtype=np.float64).reshape(n, k)
    w = _weights(n, sample_weight)[:, None]
    total = float(w.sum())
    if n == 0 or total == 0:
        return np.vstack([np.full(k, n, dtype=np.float64), np.zeros((4, k))])
    mean = (w * reference).sum(axis=0) / total
    return np.vstack(
        [
            np.full(k, n, dtype=np.float64),
            np.full(k, total),
            mean,
            (w * (reference - mean) ** 2).sum(axis=0),
            (w * (reference - predicted) ** 2).sum(axis=0),
        ]
    )


def _r2_from_stats(stats: Sequence[np.ndarray]) -> float:
    """R² of the predictions against the reference, from per-partition stats.

    Partition statistics are merged with Chan et al.'s pairwise update (exact up to
    rounding, unlike raw sums of squares); a constant reference gives 1.0 when the
    predictions match it and 0.0 otherwise, and several outputs are averaged with
    equal weight, as ``sklearn.metrics.r2_score`` does.
    """
    weight = mean = m2 = res = None
    for s in stats:
        if s[1, 0] == 0:
            continue
        if weight is None:
            weight, mean, m2, res = s[1].copy(), s[2].copy(), s[3].copy(), s[4].copy()
            continue
        total = weight + s[1]
        delta = s[2] - mean
        mean = mean + delta * s[1] / total
        m2 = m2 + s[3] + delta**2 * weight * s[1] / total
        res = res + s[4]
        weight = total
    if weight is None:
        raise ValueError("The Dask collection has no rows to score.")
    r2 = np.where(m2 > 0, 1.0 - res / np.where(m2 > 0, m2, 1.0), 0.0)
    r2 = np.where((m2 == 0) & (res == 0), 1.0, r2)
    return float(np.mean(r2))


_NO_SHARED_LABEL = (
    "The teacher and the student predict no label in common on any row. Compare two "
    "models that predict the same labels (a raw booster, torch module or callable "
    "predicts column indices 0..K-1: name its columns with "
    "as_teacher(model, classes=[...]))."
)


def _agreement(stats: Sequence[np.ndarray], message: str | None) -> float:
    """Weighted share of agreeing rows; ``message`` is raised when the two sides
    never share a label (None: not checked)."""
    total = np.sum(np.vstack(list(stats)), axis=0)
    if total[0] == 0 or total[1] == 0:
        raise ValueError("The Dask collection has no rows (or no weight) to score.")
    if message is not None and total[2] == 0 and total[3] == 0:
        raise ValueError(message)
    return float(total[2] / total[1])


def _n_rows(stats) -> int:
    return int(sum(np.asarray(s).reshape(-1)[0] for s in stats))


def _fidelity_partition(index, block, predictors):
    if len(block) == 0:
        return None
    teacher_predict, student_predict, classification = predictors
    stats = _label_stats if classification else _value_stats
    return stats(teacher_predict(block), student_predict(block))


def fidelity_on_partitions(
    teacher_predict: Callable, student_predict: Callable, classification: bool, X
) -> float:
    """Fidelity over every row of a Dask collection, computed on the workers.

    Parameters
    ----------
    teacher_predict, student_predict : callable
        The two models' ``predict`` on one in-memory partition (a distiller's
        ``teacher_predict`` and ``predict``, or a teacher adapter's and a
        student's); shipped to the workers once.
    classification : bool
    X : dask.array.Array or dask.dataframe.DataFrame

    Returns
    -------
    score : float
        The share of rows on which the labels agree (classification), or the R² of
        the student's predictions against the teacher's (regression): what
        :func:`~interpretkd.metrics.fidelity_score` gives on ``X.compute()``, up
        to rounding.
    """
    describe(X, "X")
    parts = {"X": partitions(X, "X")}
    shipped = ship((teacher_predict, student_predict, classification))
    tasks = on_partitions(_fidelity_partition, parts, "X", shared=(shipped,))
    results = [r for r in compute_small(tasks) if r is not None]
    if not results:
        raise ValueError("The Dask collection X has no rows to score.")
    if classification:
        return _agreement(results, _NO_SHARED_LABEL)
    return _r2_from_stats(results)


def _scores_partition(index, block, y, sample_weight, distilled, with_fidelity):
    if len(block) == 0:
        return None
    stats = _label_stats if hasattr(distilled, "classes_") else _value_stats
    student = np.asarray(distilled.predict(block))
    out = {}
    teacher = None
    if with_fidelity:
        teacher = np.asarray(distilled.teacher_predict(block))
        out["fidelity"] = stats(teacher, student)
    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != student.shape[0]:
            raise ValueError(
                f"its y has {y.shape[0]} rows but the partition has "
                f"{student.shape[0]}; partition them alike."
            )
        if with_fidelity:
            out["teacher_score"] = stats(y, teacher, sample_weight)
        out["student_score"] = stats(y, student, sample_weight)
    return out


def scores_on_partitions(
    distilled, X, y=None, sample_weight=None, *, with_fidelity=True
) -> dict:
    """A fitted distiller's figures over every row of a Dask collection, in one pass
    on the workers.

    Returns
    -------
    scores : dict
        ``n_samples``; ``fidelity`` (with ``with_fidelity``); with ``y``,
        ``student_score`` and (with ``with_fidelity``) ``teacher_score``: accuracy
        for a classifier, R² for a regressor, weighted by ``sample_weight``. The
        numbers :func:`~interpretkd.report.distillation_report` and ``score`` give
        on the same rows in memory, up to rounding.
    """
    parts = aligned(X, {"y": y, "sample_weight": sample_weight}, "X")
    n = len(parts["X"])
    parts.setdefault("y", [None] * n)
    parts.setdefault("sample_weight", [None] * n)
    parts = {key: parts[key] for key in ("X", "y", "sample_weight")}
    tasks = on_partitions(
        _scores_partition, parts, "X", shared=(ship(distilled), with_fidelity)
    )
    results = [r for r in compute_small(tasks) if r is not None]
    if not results:
        raise ValueError("The Dask collection X has no rows to score.")
    is_clf = hasattr(distilled, "classes_")
    out: dict = {"n_samples": _n_rows(next(iter(r.values())) for r in results)}
    for key in ("fidelity", "teacher_score", "student_score"):
        if key not in results[0]:
            continue
        stats = [r[key] for r in results]
        if not is_clf:
            out[key] = _r2_from_stats(stats)
        elif key == "fidelity":
            out[key] = _agreement(stats, _NO_SHARED_LABEL)
        else:  # accuracy: labels y and the predictions may share none
            out[key] = _agreement(stats, None)
    return out


# --------------------------------------------------------------------------------------
# A small uniform sample in memory
# --------------------------------------------------------------------------------------
def _length(index, block):
    return len(block)


def _rows_of(block, keep):
    if hasattr(block, "iloc"):
        return block.iloc[np.flatnonzero(keep)]
    return np.asarray(block)[keep]


def _bernoulli_rows(index, block, y, seed, share):
    keep = np.random.default_rng([seed, index]).random(len(block)) < share
    return _rows_of(block, keep), None if y is None else _rows_of(y, keep)


def _concat_rows(pieces):
    if not pieces:
        return None
    if hasattr(pieces[0], "iloc"):
        import pandas as pd

        return pd.concat(pieces)
    return np.concatenate([np.asarray(p) for p in pieces])


def sample_on_partitions(X, y=None, *, n: int, seed: int = 0):
    """About ``n`` rows of ``X`` (and the matching ``y``) drawn uniformly on the
    cluster and returned in memory; every row when there are at most ``n``.

    Each row is kept with probability ``n / n_rows`` (the row count comes from the
    chunk sizes, or is counted on the workers), so the sample's size varies around
    ``n``; it is cut to ``n`` rows when it exceeds them.

    Returns
    -------
    X_sample : ndarray or DataFrame
    y_sample : ndarray, Series or None
    """
    layout = describe(X, "X")
    parts = aligned(X, {"y": y}, "X")
    n_rows = layout.n_rows
    if n_rows is None:
        counts = on_partitions(_length, {"X": parts["X"]}, "X")
        n_rows = int(sum(compute_small(counts)))
    share = 1.0 if n_rows <= n else n / n_rows
    parts.setdefault("y", [None] * len(parts["X"]))
    tasks = on_partitions(
        _bernoulli_rows, {"X": parts["X"], "y": parts["y"]}, "X", shared=(seed, share)
    )
    xs, ys = [], []
    for X_part, y_part in iter_computed(tasks):
        if len(X_part):
            xs.append(X_part)
            ys.append(y_part)
    X_sample = _concat_rows(xs)
    if X_sample is None:
        raise ValueError("The Dask collection X has no rows.")
    y_sample = None if y is None else _concat_rows(ys)
    if len(X_sample) > n:
        X_sample = X_sample[:n] if not hasattr(X_sample, "iloc") else X_sample.iloc[:n]
        if y_sample is not None:
            y_sample = (
                y_sample[:n] if not hasattr(y_sample, "iloc") else y_sample.iloc[:n]
            )
    return X_sample, y_sample
