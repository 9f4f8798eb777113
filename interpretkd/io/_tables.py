"""Tables: CSV and Parquet in and out, and the features a teacher expects."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from interpretkd._tabular import check_frame_columns
from interpretkd.io._atomic import atomic_output
from interpretkd.io._common import _require_file

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def _parquet_engine_error(exc: Exception) -> ImportError:
    return ImportError(
        "Reading and writing Parquet files needs pyarrow, which is not installed: "
        "pip install pyarrow (or use CSV)."
    )


def _csv_header(path: Path, sep: str) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        return next(csv.reader(fh, delimiter=sep), [])


def _check_csv(path: Path, sep: str, frame) -> None:
    """What pandas reads without a word: repeated column names (it renames them
    ``a.1``) and a last line cut short (it fills the missing cells with NaN)."""
    header = _csv_header(path, sep)
    seen, repeated = set(), []
    for name in header:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise ValueError(
            f"{path} has more than one column named {_listing(repeated)}; columns "
            "are matched by name, so each needs its own. Rename the copies."
        )
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - 65536))
        tail = fh.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    last = tail.splitlines()[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last], delimiter=sep), [])
    if 0 < len(fields) < len(header) and frame.iloc[-1, len(fields) :].isna().all():
        with open(path, "rb") as fh:
            line = 1 + sum(
                block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")
            )
        raise ValueError(
            f"The last line of {path} has {len(fields)} of its {len(header)} fields "
            f"and no line break: the file looks cut short (line {line}). Complete "
            "or delete that line."
        )


def read_table(path: str | os.PathLike):
    """Read a CSV (``.csv``, ``.tsv``, ``.txt``) or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the suffix is of no supported kind, the file is empty or unreadable,
        two columns share a name, or the last line of a CSV file is cut short.
    ImportError
        If a Parquet file is given and pyarrow is not installed.
    """
    import pandas as pd

    path = _require_file(path, "Data")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        sep = "\t" if suffix == ".tsv" else ","
        try:
            frame = pd.read_csv(path, sep=sep)
        except pd.errors.EmptyDataError as exc:
            raise ValueError(
                f"{path} is empty; expected a table with a header."
            ) from exc
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} could not be read as CSV: {exc}") from exc
        if frame.shape[0] > 0:
            _check_csv(path, sep, frame)
    elif suffix in _PARQUET_SUFFIXES:
        try:
            frame = pd.read_parquet(path)
        except ImportError as exc:
            raise _parquet_engine_error(exc) from exc
        except Exception as exc:
            raise ValueError(f"{path} could not be read as Parquet: {exc}") from exc
    else:
        raise ValueError(
            f"Cannot read {path}: unknown table format {suffix or '(no suffix)'!r}. "
            "Give a .csv, .tsv or .parquet file."
        )
    if frame.shape[0] == 0:
        raise ValueError(f"{path} has no rows.")
    frame.columns = [str(c) for c in frame.columns]
    check_frame_columns(frame, name=str(path))
    return frame


def write_table(frame, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a DataFrame to CSV or Parquet (by the suffix of ``path``), atomically.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or path-like
        Ends in ``.csv``, ``.tsv`` or ``.parquet``.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _CSV_SUFFIXES + _PARQUET_SUFFIXES:
        raise ValueError(
            f"Cannot write {path}: unknown table format {suffix or '(no suffix)'!r}. "
            "Give a .csv, .tsv or .parquet path."
        )
    with atomic_output(path, overwrite=overwrite) as tmp:
        if suffix in _PARQUET_SUFFIXES:
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError as exc:
                raise _parquet_engine_error(exc) from exc
        else:
            frame.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",")
    return path


def _listing(names: Sequence[str], limit: int = 10) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _refusal(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def prepare_features(
    frame,
    *,
    feature_names: Sequence[str] | None = None,
    n_features: int | None = None,
    allow_extra: bool = False,
    model_name: str = "the teacher",
    model=None,
):
    """Select and check the columns a model takes from a DataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data, without the target column.
    feature_names : sequence of str, default=None
        The columns the model was trained on, in its order. When given, every one
        must be present and the result has them in that order.
    n_features : int, default=None
        The number of columns the model takes, checked when it has no names.
    allow_extra : bool, default=False
        Whether columns the model does not know are dropped (True) or refused.
    model_name : str, default="the teacher"
        How the model is named in error messages.
    model : fitted model, default=None
        The model itself. When the data has columns that are not numbers (text,
        categories), it is asked to predict the first rows: a model that takes them
        (a Pipeline that encodes them, a distilled student that learned their
        categories) gets them as they are. Without a model they are refused.

    Returns
    -------
    frame : pandas.DataFrame
        The model's columns in the model's order: numeric ones as numbers (booleans
        as 0/1), others as they are where the model takes them.

    Raises
    ------
    ValueError
        If columns are missing or unknown, the width is wrong, two columns share a
        name, a column is not numeric and the model does not take it, or a value
        is infinite; the message names the columns.
    TypeError
        If a column holds dates or times.
    """
    import pandas as pd

    check_frame_columns(frame, name="The data")
    if feature_names is not None:
        feature_names = [str(n) for n in feature_names]
        missing = [n for n in feature_names if n not in frame.columns]
        extra = [c for c in frame.columns if c not in set(feature_names)]
        if missing:
            raise ValueError(
                f"The data lacks {len(missing)} column(s) that {model_name} was "
                f"trained on: {_listing(missing)}. It expects the columns "
                f"{_listing(feature_names)}."
            )
        if extra and not allow_extra:
            raise ValueError(
                f"The data has {len(extra)} column(s) that {model_name} does not "
                f"know: {_listing(extra)}. Drop them (it expects "
                f"{_listing(feature_names)})."
            )
        frame = frame[feature_names]
    elif n_features is not None and frame.shape[1] != n_features:
        raise ValueError(
            f"The data has {frame.shape[1]} feature column(s) but {model_name} takes "
            f"{n_features} (it has no column names to match by): columns "
            f"{_listing(frame.columns)}."
        )
    numeric = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        or pd.api.types.is_bool_dtype(frame[c])
    ]
    other = [c for c in frame.columns if c not in set(numeric)]
    if other:
        kinds = ", ".join(f"{c}: {frame[c].dtype}" for c in other[:10])
        if model is None:
            raise ValueError(
                f"Column(s) {_listing(other)} are not numeric ({kinds}). Encode them "
                "as numbers first (e.g. one-hot or ordinal codes) or drop them."
            )
        try:
            model.predict(frame.head(5))
        except Exception as exc:
            raise ValueError(
                f"Column(s) {_listing(other)} are not numeric ({kinds}), and "
                f"{model_name} does not take them as they are ({_refusal(exc)}). "
                "Encode them as numbers first (e.g. one-hot or ordinal codes) or "
                "drop them."
            ) from exc
    bools = [c for c in numeric if pd.api.types.is_bool_dtype(frame[c])]
    if bools:
        frame = frame.astype({c: np.float64 for c in bools})
    values = frame[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        cols = [c for i, c in enumerate(numeric) if np.isinf(values[:, i]).any()]
        raise ValueError(
            f"Column(s) {_listing(cols)} contain infinite values; replace them (for "
            "instance with NaN, where the models accept missing values)."
        )
    return frame
