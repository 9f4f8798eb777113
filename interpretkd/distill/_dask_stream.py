"""Streaming students on Dask collections: every labeled row, partition by
partition, epoch by epoch, one partition on the client at a time."""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from interpretkd import _dask
from interpretkd.distill._dask_sources import _held_out, _label_task, _take, on_sources
from interpretkd.distill._protocol import expand_soft_targets, soft_label_mode


# --------------------------------------------------------------------------------------
# partial_fit by the soft-label protocol
# --------------------------------------------------------------------------------------
def _final(student):
    return student.steps[-1][1] if isinstance(student, Pipeline) else student


def streams(student) -> bool:
    """Whether ``student`` learns partition by partition (it has ``partial_fit``)."""
    return callable(getattr(student, "partial_fit", None))


def partial_fit_on_soft_targets(
    student, X, targets, sample_weight=None, *, classes=None, threshold=1e-3
):
    """One ``partial_fit`` call on soft targets, by the soft-label protocol.

    The counterpart of :func:`~interpretkd.distill.fit_on_soft_targets` for a
    student that learns chunk by chunk: soft targets as they are ("soft"; the
    student's ``classes_`` are then the column indices, which the caller names once
    training ends), one weighted row per class ("weight"), or the most probable
    class ("hard"); the last two learn the labels ``classes`` and are told all of
    them on each call, as ``partial_fit`` requires. ``classes=None`` means
    regression: ``targets`` are values.
    """
    takes_weight = "sample_weight" in inspect.signature(student.partial_fit).parameters
    kwargs = {}
    if sample_weight is not None and takes_weight:
        kwargs["sample_weight"] = sample_weight
    if classes is None:
        student.partial_fit(X, targets, **kwargs)
        return student
    mode = _partial_mode(student)
    if mode == "soft":
        student.partial_fit(X, targets, **kwargs)
    elif mode == "weight":
        rows = np.arange(targets.shape[0])
        rows_e, ye, we = expand_soft_targets(
            rows, targets, sample_weight, threshold=threshold
        )
        Xe = X.iloc[rows_e] if hasattr(X, "iloc") else X[rows_e]
        student.partial_fit(Xe, classes[ye], classes=classes, sample_weight=we)
    else:
        student.partial_fit(X, classes[targets.argmax(axis=1)], classes=classes)
    return student


def _partial_mode(student) -> str:
    """The soft-label protocol's mode for ``partial_fit``: "weight" needs
    ``partial_fit`` itself to take ``sample_weight``."""
    mode = soft_label_mode(student)
    takes_weight = "sample_weight" in inspect.signature(student.partial_fit).parameters
    return "hard" if mode == "weight" and not takes_weight else mode


# --------------------------------------------------------------------------------------
# Streaming students: every labeled row, partition by partition, epoch by epoch
# --------------------------------------------------------------------------------------
def _n_epochs(student) -> int:
    """Passes over the data: the student's ``max_epochs``, else one.

    scikit-learn's incremental models count the passes of ``fit`` in ``max_iter``
    (1000 by default for ``SGDClassifier``); read as passes over a Dask collection
    that would re-read the data a thousand times, so they get one pass.
    """
    value = getattr(_final(student), "max_epochs", None)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return max(1, int(value))
    return 1


def _early_stopping(student):
    """(n_iter_no_change, tol, validation_fraction) the student declares, or
    (None, 0, None) when it declares no early stopping."""
    final = _final(student)
    patience = getattr(final, "n_iter_no_change", None)
    tol = getattr(final, "tol", None)
    if patience is None or tol is None or _n_epochs(student) < 2:
        return None, 0.0, None
    fraction = getattr(final, "validation_fraction", None)
    if getattr(final, "early_stopping", True) is False:  # scikit-learn's switch
        fraction = None
    return int(patience), float(tol), fraction


def _validation_score(student, part, predicted_classes, named):
    """(weighted score sum, weight sum) on held-out rows: agreement with the
    targets' argmax (classification) or minus the squared error (regression), the
    soft tree's own validation scores. ``predicted_classes``: what the student's
    predictions are, per column of the targets (None for regression)."""
    Xs, T, w = part
    w = np.ones(Xs.shape[0]) if w is None else w
    pred = np.asarray(student.predict(named(Xs)))
    if predicted_classes is not None:
        column = pd.Index(predicted_classes).get_indexer(pred)
        hit = (column == T.argmax(axis=1)).astype(np.float64)
        return float(np.sum(w * hit)), float(np.sum(w))
    err = np.square(pred.reshape(T.shape) - T).reshape(len(T), -1).sum(axis=1)
    return -float(np.sum(w * err)), float(np.sum(w))


def _score_task(index, block, y, w, raw, labeler, name, split, student, classes):
    part = _label_task(index, block, y, w, raw, labeler, name, split)
    if part is None or part[0].shape[0] == 0:
        return 0.0, 0.0
    return _validation_score(student, part, classes, labeler.distiller._named)


def _held_out_score(distiller, student, memory_held, sources, shipped, held, classes):
    """The student's validation score over the held-out rows of every partition,
    computed on the workers."""
    total = weight = 0.0
    for part in memory_held:
        if part[0].shape[0]:
            s, w = _validation_score(student, part, classes, distiller._named)
            total, weight = total + s, weight + w
    tasks = on_sources(
        _score_task, sources, shipped, held, _dask.ship(student), classes
    )
    for s, w in _dask.compute_small(tasks):
        total, weight = total + s, weight + w
    return total / weight if weight > 0 else -np.inf


def stream_student(distiller, student, memory_parts, sources, shipped, *, seed):
    """Train ``student`` with ``partial_fit`` on every labeled row, one partition at
    a time; return it and the number of rows of one pass.

    An epoch visits every partition of the Dask sources and every in-memory part
    once, in a new random order; ``partial_fit`` shuffles the rows inside a part.
    Rows are never moved between partitions, so data sorted by time or by class
    should be shuffled once beforehand. The teacher labels each partition again
    every epoch (on the workers, while the client trains on the previous one), so
    nothing is kept on the cluster between epochs.

    The number of epochs is the student's ``max_epochs`` (see :func:`_n_epochs`).
    When the student declares ``n_iter_no_change`` and ``tol``, training stops
    early as ``fit`` would: on a held-out share of every partition when it sets
    ``validation_fraction`` (the best epoch's student is kept), else on the mean
    training loss of the epoch (for a student that records ``loss_curve_``).
    """
    classes = None if distiller._y_numeric else np.asarray(distiller.classes_)
    # What the student predicts while it learns: column indices for a student of
    # soft targets (named with the labels at the end), the labels for the others.
    predicted = classes
    if classes is not None and _partial_mode(student) == "soft":
        predicted = np.arange(len(classes))
    threshold = getattr(distiller, "expansion_threshold", 1e-3)
    n_epochs = _n_epochs(student)
    patience, tol, fraction = _early_stopping(student)
    rng = np.random.default_rng([seed, 3])
    split = held = None
    if fraction is not None:
        split, held = (float(fraction), seed, True), (float(fraction), seed, False)

    memory_train, memory_held = [], []
    for i, part in enumerate(memory_parts):
        if split is None:
            memory_train.append(part)
            continue
        mask = _held_out(part[0].shape[0], fraction, seed, i, stream=4)
        memory_train.append(_take(part, ~mask))
        memory_held.append(_take(part, mask))

    n_dask = sum(len(source) for source in sources)
    units = [("memory", i) for i in range(len(memory_train))]
    units += [("dask", i) for i in range(n_dask)]
    best_score, best_student, since_best = -np.inf, None, 0
    rows = 0
    for epoch in range(n_epochs):
        order = rng.permutation(len(units))
        tasks = on_sources(_label_task, sources, shipped, split)
        feed = _dask.iter_computed(
            [tasks[units[j][1]] for j in order if units[j][0] == "dask"]
        )
        rows = 0
        loss_total = loss_rows = 0.0
        for j in order:
            kind, i = units[j]
            part = memory_train[i] if kind == "memory" else next(feed)
            if part is None or part[0].shape[0] == 0:
                continue
            Xs, T, w = part
            partial_fit_on_soft_targets(
                student,
                distiller._named(Xs),
                T,
                w,
                classes=classes,
                threshold=threshold,
            )
            rows += Xs.shape[0]
            curve = getattr(_final(student), "loss_curve_", None)
            if curve:
                loss_total += float(curve[-1]) * Xs.shape[0]
                loss_rows += Xs.shape[0]
        if rows == 0:
            raise ValueError(
                "Every partition is empty: there are no rows to train the student on."
            )
        distiller._say(f"epoch {epoch + 1}/{n_epochs}: the student saw {rows} rows")
        if patience is None:
            continue
        if held is not None:
            current = _held_out_score(
                distiller, student, memory_held, sources, shipped, held, predicted
            )
        elif loss_rows > 0:
            current = -loss_total / loss_rows
        else:
            continue
        if current > best_score + tol:
            best_score, since_best = current, 0
            if held is not None:
                best_student = copy.deepcopy(student)
        else:
            since_best += 1
            if since_best >= patience:
                distiller._say(f"no improvement for {patience} epochs: stopping")
                break
    student = student if best_student is None else best_student
    if predicted is not classes:  # the soft-label protocol: columns named by labels
        _final(student).classes_ = classes
    return student, rows
