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
  ``max_student_rows`` of them, else a weighted sample of that size drawn on the
  cluster (:mod:`~interpretkd.distill._dask_sample`).
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import has_fit_parameter

from interpretkd import _dask
from interpretkd.distill._base import _is_fitted
from interpretkd.distill._dask_sample import concat_parts, sample_rows
from interpretkd.distill._dask_sources import make_source, ship_labeler
from interpretkd.distill._dask_stream import _final, stream_student, streams
from interpretkd.distill._protocol import SoftLabelWarning, soft_label_mode

__all__ = ["fit_on_dask", "fit_with_dask_pool", "fidelity_on_dask", "score_on_dask"]

#: Default of the distillers' ``max_student_rows`` (see their docstrings).
DEFAULT_MAX_STUDENT_ROWS = 1_000_000


# --------------------------------------------------------------------------------------
# Fitting the student
# --------------------------------------------------------------------------------------
def _max_student_rows(distiller) -> int:
    value = getattr(distiller, "max_student_rows", DEFAULT_MAX_STUDENT_ROWS)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(
            "max_student_rows must be a positive integer (the most rows an "
            f"in-memory student is trained on); got {value!r}."
        )
    return int(value)


def _fit_student(distiller, memory_parts, sources, shipped, seed):
    """Fit the student on the in-memory parts and the Dask sources; set
    ``student_`` and ``n_distill_samples_``."""
    student = distiller._make_student(seed)
    if streams(student):
        if not distiller._y_numeric and soft_label_mode(student) == "hard":
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
        distiller._say("done")
        return distiller

    def pilot_fit(Xs, T, w):
        return distiller._fit_student_on(Xs, T, w, seed)

    parts, sampled = sample_rows(
        distiller,
        sources,
        shipped,
        budget=_max_student_rows(distiller),
        seed=seed,
        pilot_fit=pilot_fit,
        weighted=has_fit_parameter(_final(student), "sample_weight"),
    )
    parts = list(memory_parts) + parts
    if not parts:
        raise ValueError("Every partition is empty: there are no rows to learn from.")
    Xs, T, w = concat_parts(parts)
    distiller.n_distill_samples_ = Xs.shape[0]
    distiller._say(f"fitting the student on {Xs.shape[0]} rows")
    distiller.student_ = distiller._fit_student_on(Xs, T, w, seed)
    distiller._say("done")
    return distiller


def _in_memory_parts(parts, sample_weight):
    """``(X_student, targets)`` pairs as ``(X_student, targets, weights)``;
    ``sample_weight`` belongs to the first."""
    out = []
    for i, (Xs, T) in enumerate(parts):
        w = None
        if i == 0 and sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
        out.append((Xs, np.asarray(T, dtype=np.float64), w))
    return out


def fit_with_dask_pool(
    distiller, memory_parts, sample_weight, X_unlabeled, *, label_fn, seed
):
    """The rest of ``fit`` when the labeled rows are in memory (already labeled:
    ``memory_parts``, a list of ``(X_student, targets)`` whose first holds the
    rows ``sample_weight`` belongs to) and ``X_unlabeled`` is a Dask collection.
    """
    _dask.require_dask("X_unlabeled as a Dask collection")
    distiller.__dict__.pop("student_", None)  # not shipped with the labeler
    source = make_source(distiller, X_unlabeled, "X_unlabeled")
    shipped = ship_labeler(distiller, label_fn, None, [source])
    parts = _in_memory_parts(memory_parts, sample_weight)
    return _fit_student(distiller, parts, [source], shipped, seed)


# --------------------------------------------------------------------------------------
# X itself a Dask collection
# --------------------------------------------------------------------------------------
def _unique(values):
    """Distinct labels of a Dask array or Series, sorted, found on the cluster."""
    return np.unique(_dask.distinct_values(values, "y"))


def _schema(distiller, X, layout):
    """A small in-memory stand-in for ``X``: its columns, dtypes and, for columns
    of categories, every category that occurs in ``X`` (found on the cluster), so
    that the distiller's input checks learn X's columns without reading it all."""
    if layout.kind == "array":
        dtype = X.dtype if X.dtype.kind in "biuf" else np.float64
        return np.zeros((1, layout.n_features), dtype=dtype)
    meta = X._meta
    found = {}
    for col in meta.columns:
        dtype = meta[col].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            found[col] = list(dtype.categories)
            if "__UNKNOWN_CATEGORIES__" in found[col]:
                found[col] = _dask.categories_of(X[col], col)
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            found[col] = list(_dask.distinct_values(X[col], col))
    n = max([1] + [len(v) for v in found.values()])
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
    return pd.DataFrame(columns, columns=meta.columns)


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
    distiller._say("fitting the teacher on the cluster")
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    teacher.fit(X, y, **kwargs)
    return teacher, classes


def fit_on_dask(distiller, X, y, X_unlabeled, sample_weight, *, label_fn, labeled_fn):
    """``fit`` when ``X`` (with ``y`` and ``sample_weight``) is a Dask collection."""
    _dask.require_dask("a Dask collection as X, y or sample_weight")
    seed = int(check_random_state(distiller.random_state).randint(2**31 - 1))
    distiller._validate_common_params()
    if y is None:
        raise ValueError(
            f"{type(distiller).__name__} requires y to be passed, but the target y "
            "is None."
        )
    if not _dask.is_dask_collection(X):
        raise TypeError(
            "y or sample_weight is a Dask collection but X is not; pass X, y and "
            "sample_weight all as Dask collections partitioned alike, or all in "
            "memory (a large unlabeled pool can be a Dask X_unlabeled)."
        )
    if distiller.augment is not None:
        raise ValueError(
            f"augment={distiller.augment!r} draws synthetic rows from X in memory; "
            "with a Dask X use augment=None (a Dask X_unlabeled is the larger pool)."
        )
    distiller.__dict__.pop("student_", None)  # not shipped with the labeler
    layout = _dask.describe(X, "X")
    distiller._student_matrix(_schema(distiller, X, layout), reset=True)
    if _dask.describe(y, "y", ndim=None).n_features not in (None, 1):
        raise ValueError(
            "y must hold one label or value per row; got a 2-D Dask collection with "
            "several columns."
        )
    classes = None
    if distiller._y_numeric:
        y_kind = np.zeros(1, dtype=y.dtype)
        distiller._check_y(y_kind)
    else:
        classes = _unique(y)
        distiller._check_y(classes)
    distiller._teacher_casts = []
    distiller.teacher_, y_classes = _fit_dask_teacher(
        distiller, X, y, sample_weight, classes, seed
    )
    distiller._teacher = distiller._adapt_teacher(
        distiller.teacher_, classes, classes=y_classes
    )
    sources = [make_source(distiller, X, "X", y=y, sample_weight=sample_weight)]
    memory = []
    if X_unlabeled is not None:
        if _dask.is_dask_collection(X_unlabeled):
            sources.append(make_source(distiller, X_unlabeled, "X_unlabeled"))
        else:
            teacher = distiller._teacher
            extra = distiller._extra_rows(
                None,
                X_unlabeled,
                lambda Xt, _Xs: label_fn(teacher, Xt),
                seed,
                0,
            )
            memory = _in_memory_parts(extra, None)
    shipped = ship_labeler(distiller, label_fn, labeled_fn, sources)
    return _fit_student(distiller, memory, sources, shipped, seed)


# --------------------------------------------------------------------------------------
# Measuring a fitted distiller on Dask collections
# --------------------------------------------------------------------------------------
def fidelity_on_dask(distiller, X) -> float:
    """The distiller's ``fidelity`` over every row of a Dask collection."""
    from interpretkd._dask_scores import scores_on_partitions

    return scores_on_partitions(distiller, X)["fidelity"]


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
