"""The column model: how a table's columns are read, encoded and given back.

A float working matrix plus what is needed to return the user's container
(ndarray or DataFrame, same dtypes), with categorical columns as codes.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------
# Columns: a float working matrix plus what is needed to give the user's container back
# --------------------------------------------------------------------------------------


def _is_categorical_dtype(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


class _Table:
    """The data seen by a generator, encoded as a float64 matrix.

    Numeric columns keep their values (NaN where missing); categorical columns hold
    the index of their value in ``uniques[j]`` (NaN where missing). ``decode`` turns
    such a matrix back into the container the user gave, with the same dtypes.
    """

    def __init__(self, X, categorical_features, *, who: str):
        self.is_frame = isinstance(X, pd.DataFrame)
        if self.is_frame:
            self.columns = X.columns
            self.dtypes = list(X.dtypes)
            columns = [X.iloc[:, j] for j in range(X.shape[1])]
        else:
            if hasattr(X, "toarray") or hasattr(X, "tocsr"):
                raise TypeError(
                    f"{who} needs dense data; got a sparse matrix. Convert it with "
                    "X.toarray() (or use a dense subset of the features)."
                )
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(
                    f"{who} expects a 2-D array of shape (n_rows, n_features); got "
                    f"an array of shape {X.shape}. Reshape a single feature with "
                    "X.reshape(-1, 1) or a single row with X.reshape(1, -1)."
                )
            if X.dtype.kind not in "biufOUS":
                raise TypeError(
                    f"{who} cannot sample data of dtype {X.dtype}; use numbers, "
                    "strings or a pandas DataFrame."
                )
            self.array_dtype = X.dtype
            columns = [X[:, j] for j in range(X.shape[1])]
        n_rows, n_features = len(columns[0]) if columns else X.shape[0], len(columns)
        if n_features == 0:
            raise ValueError(f"{who} needs at least one feature; got 0 columns.")
        if n_rows == 0:
            raise ValueError(
                f"{who} needs at least one row of data to sample from; got 0 rows."
            )
        self.n_rows, self.n_features = n_rows, n_features
        declared = _resolve_categorical(
            categorical_features, n_features, self.columns if self.is_frame else None
        )
        self.kinds: list[str] = []
        self.uniques: list[np.ndarray | None] = []
        matrix = np.empty((n_rows, n_features), dtype=np.float64)
        for j, col in enumerate(columns):
            dtype = col.dtype
            numeric = not _is_categorical_dtype(dtype)
            if not self.is_frame and dtype.kind == "O":
                numeric = _all_numbers(col)
            if j in declared or not numeric:
                codes, uniques = _encode_categories(col)
                matrix[:, j] = codes
                self.kinds.append("cat")
                self.uniques.append(uniques)
                continue
            if self.is_frame:
                values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                values = np.asarray(col, dtype=np.float64)
            if np.isinf(values).any():
                name = self.columns[j] if self.is_frame else j
                raise ValueError(
                    f"{who}: column {name!r} contains infinite values; replace them "
                    "(e.g. with NaN or a large finite number) before sampling."
                )
            finite = values[~np.isnan(values)]
            whole = finite.size == 0 or bool(np.all(finite == np.round(finite)))
            self.kinds.append("int" if whole else "float")
            self.uniques.append(None)
            matrix[:, j] = values
        self.matrix = matrix
        numeric_cols = [j for j, k in enumerate(self.kinds) if k != "cat"]
        self.numeric = np.array(numeric_cols, dtype=np.intp)
        self.categorical = np.array(
            [j for j, k in enumerate(self.kinds) if k == "cat"], dtype=np.intp
        )
        with np.errstate(all="ignore"):
            sub = matrix[:, self.numeric]
            all_nan = np.isnan(sub).all(axis=0)
            lo = np.where(all_nan, 0.0, np.nanmin(np.where(all_nan, 0.0, sub), axis=0))
            hi = np.where(all_nan, 0.0, np.nanmax(np.where(all_nan, 0.0, sub), axis=0))
        self.low, self.high = lo, hi

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
            data = {}
            for j, dtype in enumerate(self.dtypes):
                data[j] = self._decode_column(Z[:, j], j, dtype)
            out = pd.DataFrame(data)
            out.columns = self.columns
            return out
        dtype = self.array_dtype
        if dtype.kind in "OUS":
            out = np.empty(Z.shape, dtype=dtype)
            for j in range(Z.shape[1]):
                if self.kinds[j] == "cat":
                    out[:, j] = _take_codes(self.uniques[j], Z[:, j])
                else:
                    out[:, j] = Z[:, j]
            return out
        if dtype.kind == "b":
            out = np.empty(Z.shape, dtype=bool)
            for j in range(Z.shape[1]):
                out[:, j] = self.uniques[j][Z[:, j].astype(np.intp)].astype(bool)
            return out
        if self.categorical.size and dtype.kind in "iuf":
            out = Z.copy()
            for j in self.categorical:
                col = Z[:, j]
                ok = ~np.isnan(col)
                out[ok, j] = self.uniques[j][col[ok].astype(np.intp)].astype(float)
            Z = out
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


def _all_numbers(col: np.ndarray) -> bool:
    for value in col:
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
    return True


def _encode_categories(col) -> tuple[np.ndarray, np.ndarray]:
    """Codes (float, NaN where missing) and the seen values of one column."""
    values = np.asarray(col.to_numpy() if isinstance(col, pd.Series) else col)
    if values.dtype.kind != "O":
        values = values.astype(object)
    missing = np.asarray(pd.isna(values), dtype=bool)
    seen = values[~missing]
    try:
        uniques, inverse = np.unique(seen, return_inverse=True)
    except TypeError:  # mixed types that do not sort: keep first-seen order
        uniques = np.array(list(dict.fromkeys(seen.tolist())), dtype=object)
        lookup = {v: i for i, v in enumerate(uniques.tolist())}
        inverse = np.array([lookup[v] for v in seen.tolist()], dtype=np.intp)
    codes = np.full(values.shape[0], np.nan)
    codes[~missing] = inverse
    return codes, uniques


def _take_codes(uniques: np.ndarray, codes: np.ndarray) -> np.ndarray:
    out = np.empty(codes.shape[0], dtype=object)
    ok = ~np.isnan(codes)
    out[ok] = uniques[codes[ok].astype(np.intp)]
    out[~ok] = np.nan
    return out


def _resolve_categorical(categorical_features, n_features: int, columns) -> set[int]:
    """Indices of the declared categorical columns."""
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


def _empty_like(table: _Table):
    return table.decode(np.empty((0, table.n_features)))


def _slice(X, rows):
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]


def _concat(parts):
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts, axis=0)
