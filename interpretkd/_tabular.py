"""The column model: how a table's columns are read, encoded and given back.

One definition, used by the distillers (their input conversion) and the synthetic-data
generators alike:

- :func:`column_kind` says what a column is: ``"category"`` (pandas ``category``,
  ``object`` or ``string`` dtype; in an object array, anything but numbers),
  ``"bool"`` or ``"number"``;
- :func:`category_values` is the code table of a category column: the declared
  categories of a pandas categorical, else the values seen, sorted (in order of first
  appearance when they do not sort);
- :func:`encode_column` turns a column into float codes (NaN where missing); a value
  outside the code table is an error that names the column. A bool column's code
  table is ``[False, True]``, so its codes are its values as numbers.

:func:`frame_categories` and :func:`encode_frame` apply this to a DataFrame (the
distillers: category columns become codes, bool columns numbers); :class:`Table`
encodes any array or DataFrame as a float matrix and gives the user's container back
(the generators). :func:`check_frame_columns` refuses, where a DataFrame enters, the
columns none of this can read: repeated names, dates and times.
:func:`resolve_categorical` reads a ``categorical_features`` parameter (the
generators' and the TAO trees').
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = [
    "Table",
    "category_values",
    "check_frame_columns",
    "column_kind",
    "concat_rows",
    "encode_column",
    "encode_frame",
    "frame_categories",
    "resolve_categorical",
    "take_rows",
]

_BOOL_VALUES = np.array([False, True], dtype=object)


# --------------------------------------------------------------------------------------
# One column
# --------------------------------------------------------------------------------------
def column_kind(column) -> str:
    """What a column holds: ``"category"``, ``"bool"`` or ``"number"``.

    Parameters
    ----------
    column : pandas Series or 1-D ndarray

    Returns
    -------
    kind : {"category", "bool", "number"}
        ``"category"`` for pandas ``category``, ``object`` and ``string`` dtypes
        (an object column of an array that holds numbers only is ``"number"``),
        ``"bool"`` for bool dtypes, ``"number"`` for the rest.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_object_dtype(dtype) and not isinstance(column, pd.Series):
        return "number" if _all_numbers(column) else "category"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "category"
    return "number"


def category_values(column) -> np.ndarray:
    """The code table of a category column (object array).

    A pandas categorical gives its declared categories, in their order (a category
    that never occurs keeps its code); any other column gives the values it holds,
    sorted, or in order of first appearance when they do not sort (mixed types).
    Missing values are not categories.
    """
    dtype = getattr(column, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(dtype.categories, dtype=object)
    values = _as_objects(column)
    seen = pd.unique(values[~np.asarray(pd.isna(values), dtype=bool)])
    try:
        return np.asarray(sorted(seen), dtype=object)
    except TypeError:  # values of mixed types: keep the order they first appear in
        return np.asarray(seen, dtype=object)


def encode_column(column, values, *, name="column") -> np.ndarray:
    """Float codes of ``column`` in the code table ``values``; NaN where missing.

    Raises
    ------
    ValueError
        If the column holds a value that is not in ``values``; the message names the
        column ``name`` and the first such values.
    """
    raw = _as_objects(column)
    missing = np.asarray(pd.isna(raw), dtype=bool)
    codes = pd.Index(values, dtype=object).get_indexer(raw).astype(np.float64)
    unseen = (codes < 0) & ~missing
    if unseen.any():
        new = pd.unique(raw[unseen])[:5].tolist()
        known = list(values)[:10]
        raise ValueError(
            f"Column {name!r} has categories not seen in fit: {new}. The model only "
            f"knows {known}; map new values to one of those (or to NaN, where the "
            "model accepts missing values)."
        )
    codes[missing] = np.nan
    return codes


def _as_objects(column) -> np.ndarray:
    values = column.to_numpy() if isinstance(column, pd.Series) else np.asarray(column)
    return values if values.dtype.kind == "O" else values.astype(object)


def _all_numbers(column) -> bool:
    for value in column:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
    return True


# --------------------------------------------------------------------------------------
# A DataFrame for a model: category columns as codes, bool columns as numbers
# --------------------------------------------------------------------------------------
def frame_categories(X: pd.DataFrame) -> dict:
    """The code table of each category column of ``X``: ``{column: [values]}``."""
    return {
        col: category_values(X[col]).tolist()
        for col in X.columns
        if column_kind(X[col]) == "category"
    }


def encode_frame(X: pd.DataFrame, categories: dict) -> pd.DataFrame:
    """``X`` with the columns of ``categories`` as float codes and bool columns as
    0.0 / 1.0 (NaN where missing); other columns as they are. ``X`` is not modified.
    """
    encoded = {
        col: encode_column(X[col], cats, name=col)
        for col, cats in categories.items()
        if col in X.columns
    }
    for col in X.columns:
        if col not in encoded and column_kind(X[col]) == "bool":
            encoded[col] = encode_column(X[col], _BOOL_VALUES, name=col)
    if not encoded:
        return X
    X = X.copy()
    for col, codes in encoded.items():
        X[col] = codes
    return X


# --------------------------------------------------------------------------------------
# Any table as a float working matrix, and back to the user's container
# --------------------------------------------------------------------------------------
class Table:
    """The data seen by a generator, encoded as a float64 matrix.

    Numeric columns keep their values (NaN where missing); category and bool columns
    hold codes in ``uniques[j]`` (NaN where missing). :meth:`decode` turns such a
    matrix back into the container the user gave, with the same dtypes.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_rows, n_features)
    categorical_features : indices, names or boolean mask, default=None
        Further columns to treat as categories (numbers that are codes).
    who : str
        Named in error messages.
    """

    def __init__(self, X, categorical_features=None, *, who: str):
        self.is_frame = isinstance(X, pd.DataFrame)
        if self.is_frame:
            self.columns = X.columns
            self.dtypes = list(X.dtypes)
            columns = [X.iloc[:, j] for j in range(X.shape[1])]
        else:
            X = _check_array(X, who)
            self.array_dtype = X.dtype
            columns = [X[:, j] for j in range(X.shape[1])]
        n_rows, n_features = X.shape
        if n_features == 0:
            raise ValueError(f"{who} needs at least one feature; got 0 columns.")
        if n_rows == 0:
            raise ValueError(
                f"{who} needs at least one row of data to sample from; got 0 rows."
            )
        self.n_rows, self.n_features = n_rows, n_features
        declared = resolve_categorical(
            categorical_features, n_features, self.columns if self.is_frame else None
        )
        self.kinds: list[str] = []
        self.uniques: list[np.ndarray | None] = []
        matrix = np.empty((n_rows, n_features), dtype=np.float64)
        for j, col in enumerate(columns):
            kind = column_kind(col)
            name = self.columns[j] if self.is_frame else j
            if j in declared or kind != "number":
                values = _BOOL_VALUES if kind == "bool" else category_values(col)
                matrix[:, j] = encode_column(col, values, name=name)
                self.kinds.append("cat")
                self.uniques.append(values)
                continue
            matrix[:, j] = _numbers(col, name, who)
            finite = matrix[~np.isnan(matrix[:, j]), j]
            whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
            self.kinds.append("int" if whole else "float")
            self.uniques.append(None)
        self.matrix = matrix
        self.numeric = np.array(
            [j for j, k in enumerate(self.kinds) if k != "cat"], dtype=np.intp
        )
        self.categorical = np.array(
            [j for j, k in enumerate(self.kinds) if k == "cat"], dtype=np.intp
        )
        with np.errstate(all="ignore"):
            sub = matrix[:, self.numeric]
            all_nan = np.isnan(sub).all(axis=0)
            lo = np.where(all_nan, 0.0, np.nanmin(np.where(all_nan, 0.0, sub), axis=0))
            hi = np.where(all_nan, 0.0, np.nanmax(np.where(all_nan, 0.0, sub), axis=0))
        self.low, self.high = lo, hi

    def empty(self):
        """No rows, in the user's container and dtypes."""
        return self.decode(np.empty((0, self.n_features)))

    def round_and_clip(self, Z: np.ndarray, clip: bool) -> np.ndarray:
        """Clip numeric columns to the observed range and round whole-number ones."""
        num = self.numeric
        if num.size:
            block = Z[:, num]
            if clip:
                block = np.clip(block, self.low, self.high)
            whole = np.array([self.kinds[j] == "int" for j in num])
            block[:, whole] = np.round(block[:, whole])
            Z[:, num] = block
        return Z

    def decode(self, Z: np.ndarray):
        """Turn a working matrix back into the user's container and dtypes."""
        if self.is_frame:
            data = {
                j: self._decode_column(Z[:, j], j, dtype)
                for j, dtype in enumerate(self.dtypes)
            }
            out = pd.DataFrame(data)
            out.columns = self.columns
            return out
        dtype = self.array_dtype
        if dtype.kind in "OUSb":
            out = np.empty(Z.shape, dtype=dtype)
            for j in range(Z.shape[1]):
                if self.kinds[j] == "cat":
                    out[:, j] = _take_codes(self.uniques[j], Z[:, j])
                else:
                    out[:, j] = Z[:, j]
            return out
        if self.categorical.size:
            Z = Z.copy()
            for j in self.categorical:
                col = Z[:, j]
                ok = ~np.isnan(col)
                Z[ok, j] = self.uniques[j][col[ok].astype(np.intp)].astype(float)
        return Z.astype(dtype)

    def _decode_column(self, z: np.ndarray, j: int, dtype):
        if self.kinds[j] == "cat":
            values = _take_codes(self.uniques[j], z)
            if isinstance(dtype, pd.CategoricalDtype):
                return pd.Categorical(values, dtype=dtype)
            if pd.api.types.is_bool_dtype(dtype) and not pd.isna(values).any():
                return pd.array(values.astype(bool), dtype=dtype)
            if pd.api.types.is_numeric_dtype(dtype):
                return pd.array(values.astype(np.float64)).astype(dtype)
            return pd.Series(values, dtype=object).astype(dtype).array
        return pd.Series(z).astype(dtype).array


def _check_array(X, who: str) -> np.ndarray:
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"{who} needs dense data; got a sparse matrix. Convert it with "
            "X.toarray() (or use a dense subset of the features)."
        )
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"{who} expects a 2-D array of shape (n_rows, n_features); got an array "
            f"of shape {X.shape}. Reshape a single feature with X.reshape(-1, 1) or "
            "a single row with X.reshape(1, -1)."
        )
    if X.dtype.kind not in "biufOUS":
        raise TypeError(
            f"{who} cannot sample data of dtype {X.dtype}; use numbers, strings or a "
            "pandas DataFrame."
        )
    return X


def _numbers(col, name, who: str) -> np.ndarray:
    if isinstance(col, pd.Series):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(col, dtype=np.float64)
    if np.isinf(values).any():
        raise ValueError(
            f"{who}: column {name!r} contains infinite values; replace them (e.g. "
            "with NaN or a large finite number) before sampling."
        )
    return values


def _take_codes(uniques: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out = np.empty(codes.shape[0], dtype=object)
    ok = ~np.isnan(codes)
    out[ok] = uniques[codes[ok].astype(np.intp)]
    out[~ok] = np.nan
    return out


def resolve_categorical(categorical_features, n_features: int, columns) -> set[int]:
    """Indices of the columns a ``categorical_features`` parameter declares.

    It follows scikit-learn's ``HistGradientBoostingClassifier``: None, column
    indices, a boolean mask with one entry per column, or column names (``columns``
    is then the DataFrame's column names; None for an array, where names are an
    error). Bad input is a ValueError saying what was wrong.
    """
    if categorical_features is None:
        return set()
    if isinstance(categorical_features, str | numbers.Integral):
        categorical_features = [categorical_features]
    features = np.asarray(list(categorical_features))
    if features.size == 0:
        return set()
    if features.dtype.kind == "b":
        if features.shape != (n_features,):
            raise ValueError(
                "categorical_features given as a boolean mask must have one entry "
                f"per feature ({n_features}); got {features.shape[0]} entries."
            )
        return set(np.flatnonzero(features).tolist())
    if features.dtype.kind in "iu":
        bad = [int(i) for i in features if not -n_features <= i < n_features]
        if bad:
            raise ValueError(
                f"categorical_features has indices {bad} out of range for data with "
                f"{n_features} features."
            )
        return {int(i) % n_features for i in features}
    if features.dtype.kind in "UO":
        if columns is None:
            raise ValueError(
                "categorical_features given by name needs a pandas DataFrame with "
                "those columns; with a NumPy array give column indices or a boolean "
                "mask instead."
            )
        names = list(columns)
        missing = [f for f in features.tolist() if f not in names]
        if missing:
            raise ValueError(
                f"categorical_features names {missing} are not columns of X; the "
                f"columns are {names}."
            )
        return {names.index(f) for f in features.tolist()}
    raise TypeError(
        "categorical_features must be None, column indices, column names or a boolean "
        f"mask; got {categorical_features!r}."
    )


# --------------------------------------------------------------------------------------
# Rows of an array or a DataFrame
# --------------------------------------------------------------------------------------
def take_rows(X, rows):
    """Rows ``rows`` of an array or DataFrame (a DataFrame gets a fresh index)."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]


def concat_rows(parts):
    """Arrays or DataFrames stacked by rows (DataFrames get a fresh index)."""
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts, axis=0)


# --------------------------------------------------------------------------------------
# Columns no model here reads: checked where a DataFrame enters
# --------------------------------------------------------------------------------------


def _is_temporal_dtype(dtype) -> bool:
    return (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype)
    )


def check_frame_columns(X, *, name: str = "X") -> None:
    """Refuse a DataFrame whose columns cannot be told apart or read as features.

    Column names must be unique (a model matches columns by name), and dates, times,
    durations, periods and intervals have no order or scale a model can split on
    until they are turned into numbers. Anything that is not a DataFrame passes.

    Parameters
    ----------
    X : object
        The data as the user gave it.
    name : str, default="X"
        How the data is named in the message (``"X_unlabeled"``, a file name).

    Raises
    ------
    ValueError
        If two columns share a name.
    TypeError
        If a column holds dates, times, durations, periods or intervals.
    """
    if not isinstance(X, pd.DataFrame):
        return
    columns = pd.Index(X.columns)
    if columns.has_duplicates:
        repeated = columns[columns.duplicated()].unique().tolist()
        shown = ", ".join(repr(c) for c in repeated[:10])
        raise ValueError(
            f"{name} has more than one column named {shown}; columns are matched by "
            "name, so each needs its own. Rename the copies or drop them (e.g. "
            "X.loc[:, ~X.columns.duplicated()])."
        )
    temporal = [(c, X[c].dtype) for c in X.columns if _is_temporal_dtype(X[c].dtype)]
    if temporal:
        shown = ", ".join(f"{c!r} ({dtype})" for c, dtype in temporal[:10])
        raise TypeError(
            f"{name} has date or time column(s) {shown}; the models read numbers and "
            "categories, not timestamps. Turn them into numbers first, e.g. days "
            "since a reference date ((X[c] - X[c].min()).dt.days), or year, month "
            "and weekday columns."
        )
