"""``interpretkd distill --scheduler``: tables read and labeled on a Dask cluster.

With ``--scheduler ADDRESS`` the command connects to the user's Dask scheduler; with
``--scheduler local`` it starts a ``distributed.LocalCluster`` on this machine for the
length of the command (the only place interpretkd starts a cluster). ``--data`` and
``--unlabeled`` may then be file patterns (``'events/*.parquet'``) or remote URLs,
read with ``dask.dataframe``; the columns are checked against the teacher before any
partition is read, and the distiller labels, samples or streams them on the cluster.
"""

from __future__ import annotations

import contextlib
import glob
import os

import click

from interpretkd.cli._common import (
    _finish,
    _say,
    _split_target,
)

__all__ = ["TABLE", "check_pattern", "distill_on_dask"]

_PATTERN_CHARS = "*?["


def is_pattern(path: str) -> bool:
    """Whether ``path`` names several files or remote ones (read only with Dask)."""
    return any(c in path for c in _PATTERN_CHARS) or "://" in path


class _TableParam(click.ParamType):
    """An existing table file, or a file pattern / URL for ``--scheduler``.

    A plain path is checked exactly as ``click.Path(exists=True, dir_okay=False)``
    checks it; a pattern must match at least one file (URLs are left to Dask).
    """

    name = "path"

    def convert(self, value, param, ctx):
        value = os.fspath(value)
        if not is_pattern(value):
            return click.Path(exists=True, dir_okay=False).convert(value, param, ctx)
        if "://" not in value and not glob.glob(value):
            self.fail(f"no file matches the pattern {value!r}.", param, ctx)
        return value


#: The type of ``--data`` and ``--unlabeled``.
TABLE = _TableParam()


def check_pattern(path: str | None, option: str, scheduler: str | None) -> None:
    """Refuse a pattern without ``--scheduler`` (it needs Dask to be read)."""
    if path is not None and scheduler is None and is_pattern(path):
        raise click.BadParameter(
            f"{path} names several or remote files; reading them needs a Dask "
            "cluster: add --scheduler ADDRESS (or --scheduler local), or give one "
            "file.",
            param_hint=option,
        )


@contextlib.contextmanager
def _client(scheduler: str, quiet: bool):
    from interpretkd._dask import require_dask

    require_dask("--scheduler")
    import distributed

    if scheduler == "local":
        with (
            distributed.LocalCluster(dashboard_address=None) as cluster,
            distributed.Client(cluster) as client,
        ):
            _say(quiet, f"Started a local Dask cluster at {cluster.scheduler_address}")
            yield client
        return
    try:
        client = distributed.Client(scheduler, timeout="20s")
    except OSError as exc:
        raise click.BadParameter(
            f"cannot reach a Dask scheduler at {scheduler} ({exc}). Give the "
            "address `dask scheduler` prints (tcp://host:8786), or 'local'.",
            param_hint="--scheduler",
        ) from None
    with client:
        _say(quiet, f"Connected to the Dask scheduler at {scheduler}")
        yield client


def _read(path: str, what: str):
    """A Dask DataFrame of the table(s) ``path`` names, by their suffix."""
    import dask.dataframe as dd

    suffix = os.path.splitext(path.rstrip("/"))[1].lower()
    if suffix in (".csv", ".tsv", ".txt"):
        frame = dd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    elif suffix in (".parquet", ".pq") or os.path.isdir(path):
        frame = dd.read_parquet(path)
    else:
        raise click.BadParameter(
            f"cannot tell the table format of {path}; end it in .csv, .tsv or "
            ".parquet (a directory of Parquet files is read as one table).",
            param_hint=what,
        )
    return frame.rename(columns={c: str(c) for c in frame.columns})


def _labels_present(labels, *, target, data):
    """A partition of the label column, refused when a row has no label (as in
    memory; the row numbers of a partition are not the file's, so they are not
    named)."""
    missing = int(labels.isna().sum())
    if missing:
        raise ValueError(
            f"{data}: the label column {target!r} is empty in {missing} row(s) of "
            "a partition. Fill in those labels or delete the rows."
        )
    return labels


def _split(frame, target: str, data: str):
    """Features and labels of a Dask DataFrame: the column checked on the schema,
    the labels partition by partition."""
    _split_target(frame._meta, target, data)
    labels = frame[target].map_partitions(
        _labels_present, target=target, data=data, meta=frame[target]._meta
    )
    return frame.drop(columns=[target]), labels


def _features(frame, names, n_features):
    """The teacher's columns of a Dask DataFrame, checked as in memory: the
    columns at once (on the schema), the values partition by partition."""
    from interpretkd import io

    meta = io.prepare_features(frame._meta, feature_names=names, n_features=n_features)
    return frame.map_partitions(
        io.prepare_features, feature_names=names, n_features=n_features, meta=meta
    )


def distill_on_dask(
    scheduler: str,
    distilled,
    data: str,
    target: str,
    *,
    unlabeled: str | None,
    student: str,
    holdout: float,
    random_state: int | None,
    outputs: dict,
) -> dict:
    """The body of ``interpretkd distill`` when ``--scheduler`` is given: fit the
    unfitted ``distilled`` (built as in memory) on the cluster.

    ``--data`` (and ``--unlabeled``) are read with ``dask.dataframe``; the held-out
    share is a random split of the partitions' rows (``DataFrame.random_split``),
    and the student is measured on it partition by partition. ``outputs``: the
    files to write and how to speak (``_finish``'s keywords: ``out``,
    ``render``, ``render_fmt``, ``report``, ``force``, ``quiet``,
    ``class_names``).
    """
    from interpretkd import io

    quiet = outputs["quiet"]
    teacher = distilled.teacher

    names = io.model_feature_names(teacher)
    n_features = io.model_n_features(teacher)
    with _client(scheduler, quiet):
        frame = _read(data, "--data")
        _split_target(frame._meta, target, data)  # the target column is there
        if holdout > 0:
            fit_part, eval_part = frame.random_split(
                [1.0 - holdout, holdout], random_state=random_state
            )
            where = f"the held-out {holdout:.0%} of --data"
        else:
            fit_part = eval_part = frame
            where = "the training rows (no held-out split)"
        X_fit, y_fit = _split(fit_part, target, data)
        X_eval, y_eval = _split(eval_part, target, data)
        X_fit = _features(X_fit, names, n_features)
        X_eval = _features(X_eval, names, n_features)
        pool = None
        if unlabeled is not None:
            pool = _read(unlabeled, "--unlabeled")
            if target in pool.columns:
                pool = pool.drop(columns=[target])
            pool = _features(pool, names, n_features)
            if names is None and list(pool.columns) != list(X_fit.columns):
                pool.columns = list(X_fit.columns)

        _say(
            quiet,
            f"Distilling into a {student} student on the cluster: "
            f"{X_fit.npartitions} partitions of --data"
            + (f" and {pool.npartitions} of --unlabeled" if pool is not None else ""),
        )
        distilled.fit(X_fit, y_fit, X_unlabeled=pool)
        return _finish(distilled, X_eval=X_eval, y_eval=y_eval, where=where, **outputs)
