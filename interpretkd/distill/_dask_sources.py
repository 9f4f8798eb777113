"""Dask sources for the distillers: the partitions the teacher labels on the workers.

A *source* is one Dask collection of rows (``X`` or ``X_unlabeled``) with its labels,
weights and, for an XGBoost teacher evaluated by ``xgboost.dask``, the teacher's
outputs, as aligned lists of partitions. The *labeler* holds the distiller's labeling
state and is shipped to the workers once per fit; every task built by
:func:`on_sources` gets it and turns a partition into ``(X_student, targets,
weights)`` with the distiller's own input checks and target rules.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from interpretkd import _dask
from interpretkd.teachers import as_teacher, is_torch_module


# --------------------------------------------------------------------------------------
# What runs on the workers
# --------------------------------------------------------------------------------------
def _identity(values):
    return values


class _Labeler:
    """The distiller's input checks and target rules, for one partition at a time.

    Shipped to the workers once per fit. Calling it turns a partition of rows (with
    its labels, weights and, when the teacher ran through ``xgboost.dask``, the
    teacher's outputs) into ``(X_student, targets, weights)``, or None when empty:
    the same ``_student_side`` / ``_check_unlabeled``, ``_teacher_side``, ``_label``
    and ``_mix_labels`` that ``fit`` applies in memory.
    """

    def __init__(self, distiller, teacher, raw_teacher=None, columns=None):
        self.distiller = distiller
        self.teacher = teacher
        # The outputs xgboost.dask computed, read through an adapter that returns
        # them as they are: the temperature / alpha / targets rules stay the ones
        # the in-memory path applies.
        self.raw_teacher = raw_teacher
        # X's column names when X was a DataFrame: partitions take its container.
        self.columns = columns

    def _like_X(self, block):
        """A partition in the container X had, as fit's chunks of X_unlabeled."""
        if self.columns is None and isinstance(block, pd.DataFrame):
            return block.to_numpy()
        if self.columns is not None and not isinstance(block, pd.DataFrame):
            return pd.DataFrame(np.asarray(block), columns=self.columns)
        return block

    def __call__(self, block, y=None, w=None, raw=None, *, name="X_unlabeled"):
        n = len(block)
        if n == 0:
            return None
        for other, what in ((y, "y"), (w, "sample_weight"), (raw, "teacher output")):
            if other is not None and len(other) != n:
                raise ValueError(
                    f"its {what} has {len(other)} rows but the partition has {n}; "
                    "partition them alike (take them from one DataFrame, or rechunk "
                    "one like the other)."
                )
        distiller = self.distiller
        block = self._like_X(block)
        if name == "X_unlabeled":
            Xs = distiller._check_unlabeled(block)
        else:
            Xs = distiller._student_side(block)
        if raw is not None:
            teacher, X_teacher = self.raw_teacher, np.asarray(raw)
        else:
            teacher, X_teacher = self.teacher, distiller._teacher_side(block, Xs)
        targets = np.asarray(distiller._label(teacher, X_teacher), dtype=np.float64)
        if y is not None:
            targets = distiller._mix_labels(targets, np.asarray(y))
        weights = None
        if w is not None:
            weights = np.asarray(w, dtype=np.float64)
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise ValueError(
                    "sample_weight must be finite and non-negative; this partition "
                    "has a negative, NaN or infinite weight."
                )
        return Xs, targets, weights


def _take(part, mask):
    Xs, T, w = part
    return Xs[mask], T[mask], None if w is None else w[mask]


def _subset(obj, mask):
    if obj is None:
        return None
    if hasattr(obj, "iloc"):
        return obj.iloc[np.flatnonzero(mask)]
    return np.asarray(obj)[mask]


def _held_out(n, fraction, seed, index, stream=2):
    """Rows of a partition held out for early stopping: a fixed random share."""
    return np.random.default_rng([seed, stream, index]).random(n) < fraction


def _label_task(index, block, y, w, raw, labeler, name, split):
    """A partition labeled; ``split`` = (fraction, seed, train) keeps only the
    training (or only the held-out) rows."""
    part = labeler(block, y, w, raw, name=name)
    if part is None or split is None:
        return part
    fraction, seed, train = split
    held = _held_out(part[0].shape[0], fraction, seed, index)
    return _take(part, ~held if train else held)


# --------------------------------------------------------------------------------------
# Sources: Dask collections the teacher labels partition by partition
# --------------------------------------------------------------------------------------
class _Source:
    """One Dask collection to be labeled, with its labels, weights and teacher
    outputs, as aligned lists of partitions."""

    def __init__(self, name, parts, n_rows):
        self.name = name
        self.parts = {
            name: parts[name],
            "y": parts.get("y", [None] * len(parts[name])),
            "sample_weight": parts.get("sample_weight", [None] * len(parts[name])),
            "teacher output": parts.get("teacher output", [None] * len(parts[name])),
        }
        self.n_rows = n_rows

    def __len__(self):
        return len(self.parts[self.name])

    @property
    def has_raw(self) -> bool:
        return self.parts["teacher output"][0] is not None


def on_sources(fn, sources, shipped, *shared):
    """One task per partition of every source, in order:
    ``fn(index, block, y, w, raw, shipped, source_name, *shared)``."""
    tasks = []
    for source in sources:
        tasks.extend(
            _dask.on_partitions(
                fn, source.parts, source.name, shared=(shipped, source.name, *shared)
            )
        )
    return tasks


def _check_columns(distiller, X, name):
    """Refuse, before any work, a collection whose columns differ from X's."""
    layout = _dask.describe(X, name)
    expected = getattr(distiller, "feature_names_in_", None)
    if layout.columns is not None and expected is not None:
        columns = [str(c) for c in layout.columns]
        wanted = [str(c) for c in expected]
        if columns != wanted:
            missing = [c for c in wanted if c not in columns]
            extra = [c for c in columns if c not in wanted]
            detail = (
                f"missing {missing[:10]}, unexpected {extra[:10]}"
                if missing or extra
                else "the same columns in another order"
            )
            raise ValueError(
                f"{name} has other columns than the X the teacher was given "
                f"({detail}). Select X's columns in X's order: "
                f"{name}[{wanted[:10]}{' + ...' if len(wanted) > 10 else ''}]."
            )
    if layout.n_features != distiller.n_features_in_:
        raise ValueError(
            f"{name} has {layout.n_features} features but X has "
            f"{distiller.n_features_in_}; {name} must have the same columns as X."
        )
    return layout


def _xgboost_outputs(distiller, X):
    """The teacher's margins (classification) or values (regression) on ``X``,
    computed by ``xgboost.dask`` with the user's client; None when the teacher is
    not an XGBoost model or no client is active (then the adapter runs blockwise).
    """
    client = _dask.current_client()
    model = distiller.teacher_
    if client is None or not type(model).__module__.startswith("xgboost"):
        return None
    if getattr(distiller, "_teacher_casts", None):
        return None
    if type(model).__name__ == "Booster":
        booster, best = model, None
    elif callable(getattr(model, "get_booster", None)):
        booster = model.get_booster()
        # The scikit-learn API predicts with the best iteration when early stopping
        # found one; the in-memory adapter does too.
        best = getattr(model, "best_iteration", None)
    else:
        return None
    import xgboost.dask as xgb_dask

    return xgb_dask.inplace_predict(
        client,
        booster,
        X,
        predict_type="value" if distiller._y_numeric else "margin",
        iteration_range=(0, 0) if best is None else (0, int(best) + 1),
    )


def make_source(distiller, X, name, *, y=None, sample_weight=None):
    layout = _check_columns(distiller, X, name)
    others = {"y": y, "sample_weight": sample_weight}
    raw = _xgboost_outputs(distiller, X)
    if raw is not None:
        others["teacher output"] = raw
    return _Source(name, _dask.aligned(X, others, name), layout.n_rows)


def _for_threads(teacher):
    """The adapter as worker threads may share it.

    A torch module in training mode is switched to eval mode for each query and
    back; threads labeling partitions with one shared module would race on that
    switch (and some would run with dropout on), so they get a copy kept in eval
    mode. The user's module is left as it is.
    """
    if is_torch_module(teacher.model) and teacher.model.training:
        teacher = copy.copy(teacher)
        teacher.model = copy.deepcopy(teacher.model).eval()
    return teacher


def ship_labeler(distiller, teacher, sources, columns):
    """The distiller's labeling state, sent to the workers once.

    ``teacher`` is the adapter ``fit`` labels with; ``columns`` X's column names
    when X was a DataFrame, else None.
    """
    teacher.progress = False  # no progress bars on the workers
    teacher = _for_threads(teacher)
    raw_teacher = None
    if any(source.has_raw for source in sources):
        raw_teacher = as_teacher(
            _identity,
            output="values" if distiller._y_numeric else "logits",
            classes=None if distiller._y_numeric else teacher.classes_,
            batch_size=teacher.batch_size,
        )
    labeler = _Labeler(distiller, teacher, raw_teacher, columns)
    return _dask.ship(labeler)
