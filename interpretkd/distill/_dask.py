"""Distilling from Dask collections: the teacher labels on the workers, the student
learns on the client.

The distillers' ``fit`` hands over to this module when ``X``, ``y``,
``sample_weight`` or ``X_unlabeled`` is a Dask collection. Every partition is
checked and labeled on the workers by the distiller's own code (the same input
checks, teacher adapter, temperature, ``alpha`` and ``targets`` rules as in memory,
:mod:`~interpretkd.distill._dask_sources`), with the fitted teacher shipped once; an
XGBoost teacher is evaluated by ``xgboost.dask`` with the user's client. Then, by the
kind of student:

* a student with ``partial_fit`` (the soft trees) *streams*: partitions come to the
  client one at a time, in a new random order each epoch, until every labeled row
  has been seen ``max_epochs`` times (:mod:`~interpretkd.distill._dask_stream`);
* any other student gets every labeled row when there are at most
  ``max_student_rows`` of them, else a uniform sample of that size drawn on the
  cluster (:mod:`~interpretkd.distill._dask_sample`).
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone

from interpretkd import _dask
from interpretkd.distill._dask_sample import concat_parts, sample_rows
from interpretkd.distill._dask_sources import make_source, ship_labeler
from interpretkd.distill._dask_stream import (
    _final,
    _partial_mode,
    stream_student,
    streams,
)
from interpretkd.distill._models import _is_fitted
from interpretkd.distill._protocol import SoftLabelWarning

__all__ = ["fit_on_dask", "fit_with_dask_pool", "score_on_dask"]


# --------------------------------------------------------------------------------------
# Fitting the student
# --------------------------------------------------------------------------------------
def _fit_student(distiller, memory_parts, sources, shipped, seed):
    """Fit the student on the in-memory parts and the Dask sources; set
    ``student_`` and ``n_distill_samples_``."""
    student = distiller._make_student(seed)
    if streams(student):
        if not distiller._y_numeric and _partial_mode(student) == "hard":
            warnings.warn(
                f"{type(_final(student)).__name__} accepts neither soft targets nor "
                "sample_weight, so it is trained on the teacher's most probable "
                "class (hard labels) and the teacher's uncertainty is lost.",
                SoftLabelWarning,
                stacklevel=4,
            )
        distiller._say("streaming the labeled partitions to the student")
        student, rows = stream_student(
            distiller, student, memory_parts, sources, shipped, seed=seed
        )
        distiller.student_ = student
        distiller.n_distill_samples_ = rows
        distiller.student_node_rows_ = None  # the rows were streamed, not kept
        distiller._say("done")
        return distiller

    parts, _ = sample_rows(
        distiller, sources, shipped, budget=int(distiller.max_student_rows), seed=seed
    )
    parts = list(memory_parts) + parts
    if not parts:
        raise ValueError("Every partition is empty: there are no rows to learn from.")
    Xs, T, w = concat_parts(parts)
    return distiller._fit_student_on(Xs, T, w, seed)


def _in_memory_parts(rows, targets, sample_weight):
    """Labeled rows in memory as ``(X_student, targets, weights)`` parts;
    ``sample_weight`` belongs to the first."""
    out = []
    for i, (Xs, T) in enumerate(zip(rows, targets, strict=True)):
        w = None
        if i == 0 and sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
        out.append((Xs, np.asarray(T, dtype=np.float64), w))
    return out


def fit_with_dask_pool(
    distiller, rows, targets, sample_weight, X_unlabeled, *, teacher, seed
):
    """The rest of ``fit`` when the labeled rows are in memory and ``X_unlabeled``
    is a Dask collection.

    ``rows`` and ``targets`` are what ``fit`` labeled in memory (the training rows
    first, which ``sample_weight`` belongs to, then any synthetic rows);
    ``teacher`` is the adapter it labeled them with.
    """
    _dask.require_dask("X_unlabeled as a Dask collection")
    distiller.__dict__.pop("student_", None)  # not shipped with the labeler
    source = make_source(distiller, X_unlabeled, "X_unlabeled")
    shipped = ship_labeler(distiller, teacher, [source], _columns(distiller))
    parts = _in_memory_parts(rows, targets, sample_weight)
    return _fit_student(distiller, parts, [source], shipped, seed)


def _columns(distiller):
    """X's column names when X was a DataFrame (the distiller kept them)."""
    names = getattr(distiller, "feature_names_in_", None)
    return None if names is None else list(names)


# --------------------------------------------------------------------------------------
# X itself a Dask collection
# --------------------------------------------------------------------------------------
def _unique(values):
    """Distinct labels of a Dask array or Series, sorted, found on the cluster."""
    return np.unique(_dask.distinct_values(values, "y"))


def _schema(X, layout, y, classes):
    """A small in-memory stand-in for ``X`` and ``y``: X's columns and dtypes, with
    every category of its category columns (found on the cluster, partition by
    partition), and every class of ``y``; so that the distiller's column model and
    checks learn from it without reading X."""
    found = {}
    if layout.kind == "frame":
        meta = X._meta
        for col in meta.columns:
            dtype = meta[col].dtype
            if isinstance(dtype, pd.CategoricalDtype):
                found[col] = list(dtype.categories)
                if "__UNKNOWN_CATEGORIES__" in found[col]:
                    found[col] = _dask.categories_of(X[col], col)
            elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(
                dtype
            ):
                found[col] = list(_dask.distinct_values(X[col], col))
    n = max([2] + [len(v) for v in found.values()])
    if classes is not None:
        n = max(n, len(classes))
        y_schema = np.resize(np.asarray(classes), n)
    else:
        y_schema = np.zeros(n, dtype=y.dtype)
    if layout.kind == "array":
        dtype = X.dtype if X.dtype.kind in "biuf" else np.float64
        return np.zeros((n, layout.n_features), dtype=dtype), y_schema
    columns = {}
    for col in meta.columns:
        dtype = meta[col].dtype
        if col in found:
            values = found[col]
            if not values:
                raise ValueError(
                    f"Column {col!r} of X holds no value at all; drop it or fill it."
                )
            padded = (values * n)[:n]
            if isinstance(dtype, pd.CategoricalDtype):
                columns[col] = pd.Categorical(padded, categories=values)
            else:
                columns[col] = pd.Series(padded, dtype=dtype)
        elif pd.api.types.is_bool_dtype(dtype):
            columns[col] = np.zeros(n, dtype=bool)
        else:
            columns[col] = np.zeros(n, dtype=dtype)
    return pd.DataFrame(columns, columns=meta.columns), y_schema


def _fit_dask_teacher(distiller, X, y, sample_weight, classes, seed):
    """The fitted teacher, and the labels of its columns when fitted here."""
    teacher = distiller.teacher
    if teacher is not None and _is_fitted(teacher):
        return teacher, None
    module = type(teacher).__module__ if teacher is not None else ""
    if not module.startswith("xgboost.dask"):
        what = "teacher=None" if teacher is None else f"An unfitted {teacher!r}"
        raise TypeError(
            f"{what} cannot be trained on a Dask collection X. Pass a fitted "
            "teacher, an xgboost.dask.DaskXGBClassifier / DaskXGBRegressor to train "
            "on the cluster, or X in memory (with the big data as X_unlabeled)."
        )
    _, da, _ = _dask.require_dask()
    teacher = clone(teacher)
    if classes is not None:
        # XGBoost classifiers take labels 0..K-1 only.
        if isinstance(y, da.Array):
            y = y.map_blocks(partial(np.searchsorted, classes), dtype=np.int64)
        else:
            y = y.map_partitions(
                lambda s: pd.Series(np.searchsorted(classes, s), index=s.index),
                meta=(y.name, np.int64),
            )
    casts = {  # string columns as the categories seen, as in memory
        col: pd.CategoricalDtype(distiller.categories_[col])
        for col in distiller._teacher_casts
    }
    if casts:
        X = X.astype(casts)
    distiller._say("fitting the teacher on the cluster")
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    teacher.fit(X, y, **kwargs)
    return teacher, classes


def fit_on_dask(distiller, X, y, X_unlabeled, sample_weight, *, seed):
    """``fit`` when ``X`` (with ``y`` and ``sample_weight``) is a Dask collection."""
    _dask.require_dask("a Dask collection as X, y or sample_weight")
    if y is None:
        raise ValueError(
            f"{type(distiller).__name__} requires y to be passed, but the target y "
            "is None."
        )
    if not _dask.is_dask_collection(X) or not _dask.is_dask_collection(y):
        raise TypeError(
            "X, y and sample_weight must all be Dask collections partitioned alike, "
            "or all in memory (a large unlabeled pool can be a Dask X_unlabeled); "
            f"got X as {type(X).__name__} and y as {type(y).__name__}."
        )
    if distiller.augment is not None:
        raise ValueError(
            f"augment={distiller.augment!r} draws synthetic rows from X in memory; "
            "with a Dask X use augment=None (a Dask X_unlabeled is the larger pool)."
        )
    distiller._check_student_task()
    distiller.__dict__.pop("student_", None)  # not shipped with the labeler
    layout = _dask.describe(X, "X")
    if _dask.describe(y, "y", ndim=None).n_features not in (None, 1):
        raise ValueError(
            "y must hold one label or value per row; got a 2-D Dask collection with "
            "several columns."
        )
    # The column model, y's checks and the teacher's adapter come from a small
    # in-memory stand-in of X and y (every category and every class present).
    classes = None if distiller._y_numeric else _unique(y)
    schema, y_schema = _schema(X, layout, y, classes)
    X_student, y_schema = distiller._training_data(schema, y_schema)
    if sample_weight is not None:  # refused, as in memory, if the student takes none
        distiller._check_weights(np.ones(len(y_schema)), X_student)
    X_teacher = distiller._teacher_side(schema, X_student)
    distiller.teacher_, fit_classes = _fit_dask_teacher(
        distiller, X, y, sample_weight, classes, seed
    )
    teacher = distiller._start_teacher(
        distiller.teacher_, y_schema, X_teacher, fit_classes
    )
    sources = [make_source(distiller, X, "X", y=y, sample_weight=sample_weight)]
    memory = []
    if X_unlabeled is not None and _dask.is_dask_collection(X_unlabeled):
        sources.append(make_source(distiller, X_unlabeled, "X_unlabeled"))
    elif X_unlabeled is not None:
        like = schema if isinstance(schema, pd.DataFrame) else X_student
        for chunk in distiller._unlabeled_chunks(X_unlabeled, like=like):
            chunk_student = distiller._check_unlabeled(chunk)
            T = distiller._label(teacher, distiller._teacher_side(chunk, chunk_student))
            memory.append((chunk_student, np.asarray(T, dtype=np.float64), None))
    shipped = ship_labeler(distiller, teacher, sources, _columns(distiller))
    return _fit_student(distiller, memory, sources, shipped, seed)


# --------------------------------------------------------------------------------------
# Measuring a fitted distiller on Dask collections
# --------------------------------------------------------------------------------------
def score_on_dask(distiller, X, y, sample_weight=None) -> float:
    """The distiller's ``score`` (the student's accuracy or R² against ``y``) over
    every row of Dask collections partitioned alike."""
    from interpretkd._dask_scores import scores_on_partitions

    if not _dask.is_dask_collection(X):
        raise TypeError(
            "y or sample_weight is a Dask collection but X is not; pass all of them "
            "as Dask collections partitioned alike, or all in memory."
        )
    scores = scores_on_partitions(distiller, X, y, sample_weight, with_fidelity=False)
    return scores["student_score"]
