"""The Dask engine: how interpretkd works on Dask collections, partition by partition.

The functions here take the in-memory code that does the real work (a teacher's
``predict``, a student's ``predict``, a labeling function) and run it on each row
partition of a ``dask.array`` or ``dask.dataframe`` collection, on the workers of the
user's ``distributed.Client`` when there is one (else on Dask's local scheduler). Only
small results travel to the client: per-partition sums, one partition at a time, or a
sample of bounded size. Nothing here starts a cluster. :mod:`interpretkd._dask_scores`
builds fidelity and scores on them; :mod:`interpretkd.distill._dask` the fitting.

Dask is an extra (``pip install 'interpretkd[dask]'``): this module imports it only
when a Dask collection has arrived, and :func:`is_dask_collection` tells one apart
without importing Dask at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

__all__ = [
    "EXTRA",
    "is_dask_collection",
    "any_dask",
    "require_dask",
    "current_client",
    "describe",
    "partitions",
    "ship",
    "on_partitions",
    "compute_small",
    "iter_computed",
    "distinct_values",
    "categories_of",
]

#: How to install what this module needs.
EXTRA = "pip install 'interpretkd[dask]'"


# --------------------------------------------------------------------------------------
# Telling a Dask collection apart, and importing Dask only then
# --------------------------------------------------------------------------------------
def is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection, told without importing Dask.

    Dask collections implement the collection protocol (``__dask_graph__`` and
    ``__dask_keys__`` as methods); classes are excluded because they carry the
    methods unbound.
    """
    if obj is None or isinstance(obj, type):
        return False
    return callable(getattr(obj, "__dask_graph__", None)) and callable(
        getattr(obj, "__dask_keys__", None)
    )


def any_dask(*objects) -> bool:
    """Whether any of ``objects`` is a Dask collection."""
    return any(is_dask_collection(obj) for obj in objects)


def require_dask(what: str = "a Dask collection"):
    """Import and return ``(dask, dask.array, dask.dataframe)``.

    Raises
    ------
    ImportError
        Naming the extra to install, when Dask (or its array or dataframe part) is
        missing.
    """
    try:
        import dask
        import dask.array
        import dask.dataframe
    except ImportError as exc:
        raise ImportError(
            f"interpretkd got {what}, and working with Dask collections needs Dask "
            f"and distributed: {EXTRA} (missing: {exc.name or exc})."
        ) from exc
    return dask, dask.array, dask.dataframe


def current_client():
    """The user's ``distributed.Client`` when one is active, else None."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client: Dask's local scheduler computes
        return None


# --------------------------------------------------------------------------------------
# The shape of a collection, and its row partitions
# --------------------------------------------------------------------------------------
class Layout:
    """What the client knows about a collection without computing it.

    Attributes
    ----------
    kind : {"array", "frame", "series"}
    n_features : int or None
        Width of a 2-D collection (None for 1-D).
    columns : list or None
        Column names of a DataFrame.
    npartitions : int
    lengths : tuple of int or None
        Rows per partition, when Dask knows them.
    """

    def __init__(self, kind, n_features, columns, npartitions, lengths):
        self.kind = kind
        self.n_features = n_features
        self.columns = columns
        self.npartitions = npartitions
        self.lengths = lengths

    @property
    def n_rows(self) -> int | None:
        return None if self.lengths is None else int(sum(self.lengths))


def describe(X, name: str, *, ndim: int | None = 2) -> Layout:
    """The :class:`Layout` of a Dask array, DataFrame or Series, checked.

    Parameters
    ----------
    X : dask.array.Array, dask.dataframe.DataFrame or dask.dataframe.Series
    name : str
        How ``X`` is named in error messages.
    ndim : {1, 2, None}, default=2
        The number of dimensions expected (None: either).

    Raises
    ------
    TypeError
        If ``X`` is another kind of Dask collection (a ``Delayed``, a bag).
    ValueError
        If it has the wrong number of dimensions or an unknown number of columns.
    """
    _, da, dd = require_dask()
    if isinstance(X, da.Array):
        if ndim is not None and X.ndim != ndim:
            raise ValueError(
                f"{name} is a {X.ndim}-D Dask array; expected {ndim}-D "
                f"({'rows x features' if ndim == 2 else 'one value per row'})."
            )
        if X.ndim not in (1, 2):
            raise ValueError(f"{name} must be a 1-D or 2-D Dask array, not {X.ndim}-D.")
        n_features = None
        if X.ndim == 2:
            if math.isnan(X.shape[1]):
                raise ValueError(
                    f"{name} has an unknown number of columns; give it known chunk "
                    "sizes (X.compute_chunk_sizes(), or df.to_dask_array("
                    "lengths=True) for an array made from a DataFrame)."
                )
            n_features = int(X.shape[1])
        rows = X.chunks[0]
        lengths = None if any(math.isnan(c) for c in rows) else tuple(map(int, rows))
        return Layout("array", n_features, None, len(rows), lengths)
    if isinstance(X, dd.DataFrame):
        if ndim == 1:
            raise ValueError(
                f"{name} is a Dask DataFrame; expected one value per row (a Series "
                "or a 1-D array)."
            )
        columns = list(X.columns)
        return Layout("frame", len(columns), columns, X.npartitions, None)
    if isinstance(X, dd.Series):
        if ndim == 2:
            raise ValueError(
                f"{name} is a Dask Series; expected rows x features (a DataFrame or "
                "a 2-D array)."
            )
        return Layout("series", None, None, X.npartitions, None)
    raise TypeError(
        f"{name} is a {type(X).__name__}; interpretkd takes Dask arrays and Dask "
        "DataFrames / Series (dask.array, dask.dataframe)."
    )


def partitions(X, name: str) -> list:
    """One ``Delayed`` per row partition of ``X``, in order.

    A 2-D array split along its columns is first rechunked to one column chunk, so
    that each partition holds whole rows.
    """
    _, da, _ = require_dask()
    if isinstance(X, da.Array):
        if X.ndim == 2:
            if len(X.chunks[1]) > 1:
                X = X.rechunk({1: -1})
            return list(X.to_delayed()[:, 0])
        return list(X.to_delayed())
    if hasattr(X, "to_delayed"):
        return list(X.to_delayed())
    raise TypeError(f"{name} is a {type(X).__name__}, not a Dask array or DataFrame.")


def aligned(X, others: dict, x_name: str) -> dict:
    """Row partitions of ``X`` and of each of ``others`` (name -> collection), aligned.

    A Dask array with known chunks is rechunked like a Dask array ``X`` with known
    chunks; otherwise the two must have as many partitions (the rows of each pair
    are checked on the workers). A one-column 2-D array becomes 1-D.

    Returns
    -------
    parts : dict
        ``{x_name: [...], name: [...], ...}``, lists of equal length.
    """
    _, da, _ = require_dask()
    layout = describe(X, x_name)
    out = {x_name: partitions(X, x_name)}
    for name, other in others.items():
        if other is None:
            continue
        if not is_dask_collection(other):
            raise TypeError(
                f"{x_name} is a Dask collection but {name} is a "
                f"{type(other).__name__}; pass {name} as a Dask collection "
                f"partitioned like {x_name} (e.g. the column of the same DataFrame)."
            )
        other_layout = describe(other, name, ndim=None)
        if (
            isinstance(other, da.Array)
            and layout.kind == "array"
            and layout.lengths is not None
            and other_layout.lengths is not None
            and other_layout.lengths != layout.lengths
            and other_layout.n_rows == layout.n_rows
        ):
            other = other.rechunk({0: X.chunks[0]})
            other_layout = describe(other, name, ndim=None)
        if other_layout.npartitions != layout.npartitions:
            raise ValueError(
                f"{name} has {other_layout.npartitions} partitions but {x_name} has "
                f"{layout.npartitions}; partition them alike (for arrays: "
                f"{name}.rechunk({x_name}.chunks[0]) once both have known chunk "
                "sizes; for DataFrames: take both from one DataFrame)."
            )
        if other_layout.kind == "array" and other.ndim == 2 and other.shape[1] == 1:
            other = other[:, 0]
        out[name] = partitions(other, name)
    return out


# --------------------------------------------------------------------------------------
# Running in-memory code on every partition
# --------------------------------------------------------------------------------------
def ship(obj):
    """``obj`` as an argument of partition tasks, sent to the workers once.

    With a ``distributed.Client`` the object is scattered to every worker (one copy
    each, whatever the number of partitions); otherwise it is one node of the graph.
    """
    dask, _, _ = require_dask()
    client = current_client()
    if client is not None:
        return client.scatter(obj, broadcast=True, hash=False)
    return dask.delayed(obj, pure=False)


class PartitionError(RuntimeError):
    """A partition failed on a worker for a reason other than bad input."""


def _rewrap(exc: BaseException, index: int, name: str) -> BaseException:
    """The exception of one partition, with the partition named in its message."""
    prefix = f"Partition {index} of {name}: "
    if isinstance(exc, (ValueError, TypeError)):
        base = ValueError if isinstance(exc, ValueError) else TypeError
        for cls in (type(exc), base):
            try:
                return cls(prefix + str(exc))
            except Exception:  # a subclass whose constructor takes other arguments
                continue
    return PartitionError(
        f"{prefix}{type(exc).__name__} on the worker: {exc}".rstrip(": ")
    )


def _run_on_partition(fn, index, name, args):
    try:
        return fn(*args)
    except Exception as exc:
        raise _rewrap(exc, index, name) from exc


def on_partitions(fn: Callable, parts: dict, name: str, *, shared=()) -> list:
    """One task per partition: ``fn(index, *partition_args, *shared)``.

    Parameters
    ----------
    fn : callable
        Run on the workers; it gets the partition's index, then the partition of
        each list in ``parts`` (in order), then ``shared``.
    parts : dict
        Name -> list of ``Delayed`` partitions, all of one length (see
        :func:`aligned`).
    name : str
        How the data is named in errors: a ``ValueError`` or ``TypeError`` raised
        by ``fn`` reaches the client as the same type, prefixed with
        "Partition i of name"; any other exception as a :class:`PartitionError`.
    shared : tuple
        Arguments every task gets (ship large ones with :func:`ship` first).

    Returns
    -------
    tasks : list of Delayed
    """
    dask, _, _ = require_dask()
    lists = list(parts.values())
    n = len(lists[0])
    # pure=False: keys are random rather than hashes of (possibly large) arguments.
    run = dask.delayed(_run_on_partition, pure=False)
    return [
        run(fn, i, name, (i, *(lst[i] for lst in lists), *shared)) for i in range(n)
    ]


def compute_small(tasks: Sequence) -> list:
    """Compute tasks whose results are small, all at once; return the results."""
    dask, _, _ = require_dask()
    client = current_client()
    if client is not None:
        return client.gather(client.compute(list(tasks)))
    return list(dask.compute(*tasks))


def iter_computed(tasks: Sequence, *, prefetch: int = 2) -> Iterator:
    """Yield the results of ``tasks`` in order, one at a time.

    With a ``distributed.Client`` the next ``prefetch`` tasks compute on the
    cluster while the caller works on the current result; their results stay on
    the workers until their turn, so the client holds one result at a time.
    Without a client, each task is computed when its turn comes.
    """
    dask, _, _ = require_dask()
    client = current_client()
    tasks = list(tasks)
    if client is None:
        for task in tasks:
            (result,) = dask.compute(task)
            yield result
        return
    window = max(1, int(prefetch))
    futures = {i: client.compute(tasks[i]) for i in range(min(window, len(tasks)))}
    for i in range(len(tasks)):
        future = futures.pop(i)
        following = i + window
        if following < len(tasks):
            futures[following] = client.compute(tasks[following])
        try:
            result = future.result()
        except BaseException:
            for pending in futures.values():
                pending.cancel()
            raise
        del future
        yield result


def _distinct(index, block):
    import pandas as pd

    if not hasattr(block, "iloc"):
        block = pd.Series(np.asarray(block).ravel())
    return pd.unique(block.dropna())


def distinct_values(X, name: str) -> np.ndarray:
    """The distinct non-missing values of a 1-D Dask collection, found partition by
    partition on the workers (no shuffle), in the order they first appear."""
    import pandas as pd

    tasks = on_partitions(_distinct, {name: partitions(X, name)}, name)
    found = [v for v in compute_small(tasks) if len(v)]
    if not found:
        return np.array([])
    return pd.unique(pd.Series(np.concatenate([np.asarray(v) for v in found])))


def _categories(index, block):
    return list(block.cat.categories)


def categories_of(column, name: str) -> list:
    """The categories of a categorical Dask Series whose categories Dask does not
    know: the union over partitions, in the order they first appear (the order
    the computed column has)."""
    tasks = on_partitions(_categories, {name: partitions(column, name)}, name)
    seen: dict = {}
    for cats in compute_small(tasks):
        seen.update((c, None) for c in cats if c not in seen)
    return list(seen)
