"""Unlabeled and synthetic data for distillation: MUNGE, noise and active sampling.

A teacher can label any input, so a student need not learn from the training rows
alone. This module makes the extra rows: :class:`Munge` (Bucilua, Caruana &
Niculescu-Mizil, 2006), :class:`NoiseSampler` (marginal resampling with jitter) and
:class:`ActiveSampler`, which places new rows in the leaves of the current student
where it disagrees with the teacher. It also holds the small helpers the distiller
uses to read ``n_synthetic`` and chunked ``X_unlabeled``.

Every generator promises the same things about the rows it returns:

- the container matches the input (ndarray in, ndarray of the same dtype out;
  DataFrame in, DataFrame with the same columns and dtypes out);
- categorical columns (pandas ``category``, ``object``, ``string`` or ``bool`` dtype,
  or declared with ``categorical_features``) only take values seen in the data;
- integer columns, and float columns that hold whole numbers only, stay whole;
- numeric values stay within the observed range of their column unless
  ``clip=False``;
- missing values (NaN) are never invented where the data has none and never
  filled in: see each class for details;
- the output is a function of the data and ``random_state`` alone.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from interpretkd._validation import check_positive_int

__all__ = [
    "Munge",
    "NoiseSampler",
    "ActiveSampler",
    "make_augmenter",
    "resolve_n_synthetic",
    "iter_chunks",
]

AUGMENT_CHOICES = ("munge", "noise", "active")


# --------------------------------------------------------------------------------------
# Parameters: get_params / set_params without being a scikit-learn estimator
# --------------------------------------------------------------------------------------


class _Params:
    """``get_params``/``set_params``/``repr`` from the ``__init__`` signature.

    The generators are configured like scikit-learn estimators (so ``clone`` and
    ``GridSearchCV`` over a distiller's ``augment`` parameter work) but they are not
    estimators: they have no ``fit``. Deriving from ``BaseEstimator`` would make the
    package-wide ``check_estimator`` walk pick them up, hence this small mixin.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind != p.VAR_KEYWORD
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters of this object.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of nested objects that have ``get_params``,
            as ``<name>__<param>``.

        Returns
        -------
        params : dict
        """
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for key, sub in value.get_params().items():
                    out[f"{name}__{key}"] = sub
            out[name] = value
        return out

    def set_params(self, **params):
        """Set constructor parameters (``name`` or ``<name>__<param>``); return self."""
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are {sorted(valid)}."
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig.parameters[name].default
            same = value is default
            if not same:
                try:
                    same = bool(value == default)
                except Exception:  # arrays and the like: show them
                    same = False
            if not same:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


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


def _check_n_samples(n_samples) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral):
        raise TypeError(
            f"n_samples must be a non-negative integer (the number of synthetic rows "
            f"to return); got {n_samples!r} of type {type(n_samples).__name__}."
        )
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0; got {n_samples}.")
    return int(n_samples)


def _check_real(value, name: str, *, low: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number, got {value!r} of type {type(value).__name__}."
        )
    value = float(value)
    if not np.isfinite(value) or value < low or (low_open and value == low):
        relation = ">" if low_open else ">="
        raise ValueError(
            f"{name} must be a finite number {relation} {low}; got {value}."
        )
    return value


def _check_probability(value, name: str) -> float:
    value = _check_real(value, name, low=0.0)
    if value > 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1]; got {value}.")
    return value


def _empty_like(table: _Table):
    return table.decode(np.empty((0, table.n_features)))


# --------------------------------------------------------------------------------------
# MUNGE
# --------------------------------------------------------------------------------------


class Munge(_Params):
    """MUNGE: synthetic rows made by mixing each row with its nearest neighbour.

    The procedure of Bucilua, Caruana & Niculescu-Mizil, *Model Compression* (KDD
    2006). Numeric features are scaled to [0, 1] to find each row's nearest
    neighbour (Euclidean distance; a nominal feature adds 1 when the two values
    differ). Then for every feature, with probability ``p``, the row takes a value
    from its neighbour: a numeric value is drawn from a normal centred on the
    neighbour's value with standard deviation ``|a - b| / s``; a nominal value is
    copied. Passes over the data repeat until ``n_samples`` rows are made (the last
    pass uses a random subset of the rows).

    Parameters
    ----------
    p : float, default=0.5
        Probability that a feature is exchanged with the neighbour's. ``p=0``
        returns copies of the data.
    s : float, default=10.0
        Spread: the normal drawn from has standard deviation ``|a - b| / s``; larger
        values stay closer to the neighbour's value.
    categorical_features : array-like of int, str or bool, default=None
        Columns to treat as nominal besides those of pandas ``category``,
        ``object``, ``string`` or ``bool`` dtype: indices, names (DataFrame only) or
        a boolean mask. Nominal columns only take values seen in the data.
    clip : bool, default=True
        Keep numeric values within the range observed in the data.
    random_state : int, RandomState instance or None, default=None
        Seed for the draws. With an int, ``sample`` returns the same rows every call.

    Notes
    -----
    The paper alters both members of a pair in one pass; here each synthetic row is
    made from one row and its neighbour, which gives every row the distribution the
    paper describes and vectorises. Missing values: a feature missing in the row
    stays missing; a feature missing in the neighbour is left unchanged. Neighbour
    search fills missing values with the column median. Whole-number columns are
    rounded after the draw.

    Examples
    --------
    >>> import numpy as np
    >>> from interpretkd.augment import Munge
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> Munge(p=0.5, s=10.0, random_state=0).sample(X, 250).shape
    (250, 3)
    """

    def __init__(
        self, p=0.5, s=10.0, categorical_features=None, clip=True, random_state=None
    ):
        self.p = p
        self.s = s
        self.categorical_features = categorical_features
        self.clip = clip
        self.random_state = random_state

    def sample(self, X, n_samples: int):
        """Return ``n_samples`` new synthetic rows made from ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_rows, n_features)
            The data to imitate (training and unlabeled rows, no labels).
        n_samples : int
            Number of synthetic rows to return.

        Returns
        -------
        X_synthetic : ndarray or DataFrame of shape (n_samples, n_features)
            Only the new rows, in the container and dtypes of ``X``.
        """
        p = _check_probability(self.p, "p")
        s = _check_real(self.s, "s", low=0.0, low_open=True)
        n_samples = _check_n_samples(n_samples)
        table = _Table(X, self.categorical_features, who="Munge")
        if n_samples == 0:
            return _empty_like(table)
        rng = check_random_state(self.random_state)
        n = table.n_rows
        source = _pass_rows(np.arange(n), n_samples, rng)
        # Neighbours are needed only for the rows actually used.
        used = np.unique(source)
        neighbour = np.empty(n, dtype=np.intp)
        neighbour[used] = _nearest_other(table, used)
        return table.decode(self._mix(table, source, neighbour[source], p, s, rng))

    def _sample_in_groups(self, X, groups, counts, rng):
        """Rows made within each group of rows, neighbours searched in the group.

        ``groups`` is a list of row-index arrays (e.g. the rows in each leaf of a
        tree) and ``counts`` the number of rows to make from each; one table and one
        draw serve all groups, which is much faster than a call per group.
        """
        p = _check_probability(self.p, "p")
        s = _check_real(self.s, "s", low=0.0, low_open=True)
        table = _Table(X, self.categorical_features, who="Munge")
        space = _neighbour_space(table)
        sources, partners = [], []
        for rows, count in zip(groups, counts):
            if count == 0:
                continue
            source = _pass_rows(rows, int(count), rng)
            used = np.unique(source)
            near = dict(zip(used.tolist(), _nearest_within(space, rows, used)))
            sources.append(source)
            partners.append(np.array([near[i] for i in source.tolist()]))
        if not sources:
            return _empty_like(table)
        source, partner = np.concatenate(sources), np.concatenate(partners)
        return table.decode(self._mix(table, source, partner, p, s, rng))

    def _mix(self, table, source, partner, p, s, rng) -> np.ndarray:
        """The MUNGE exchange between each source row and its partner row."""
        Z = table.matrix[source].copy()
        if p > 0:
            other = table.matrix[partner]
            swap = rng.random_sample(Z.shape) < p
            swap &= ~np.isnan(Z) & ~np.isnan(other)
            num = np.zeros(table.n_features, dtype=bool)
            num[table.numeric] = True
            swap_num = swap & num
            sd = np.abs(Z - other) / s
            draws = rng.normal(size=Z.shape)
            Z = np.where(swap_num, other + draws * np.nan_to_num(sd), Z)
            swap_cat = swap & ~num
            Z[swap_cat] = other[swap_cat]
            Z = table.round_and_clip(Z, bool(self.clip))
        return Z


def _pass_rows(rows: np.ndarray, n_samples: int, rng) -> np.ndarray:
    """Whole passes over ``rows``, then a random subset: ``n_samples`` rows in all."""
    n_full, rest = divmod(n_samples, rows.shape[0])
    parts = [rows] * n_full
    if rest:
        parts.append(rng.choice(rows, size=rest, replace=False))
    return np.concatenate(parts)


def _nearest_within(space: np.ndarray, rows: np.ndarray, used: np.ndarray):
    """Nearest neighbour of each row in ``used`` among the other ``rows``."""
    if rows.shape[0] == 1:
        return rows.copy()
    if used.shape[0] * rows.shape[0] * space.shape[1] <= 1 << 20:
        pts = space[rows]
        d = ((space[used][:, None, :] - pts[None, :, :]) ** 2).sum(-1)
        d[used[:, None] == rows[None, :]] = np.inf
        return rows[d.argmin(1)]
    nn = NearestNeighbors(n_neighbors=2).fit(space[rows])
    _, idx = nn.kneighbors(space[used])
    hits = rows[idx]
    return np.where(hits[:, 0] == used, hits[:, 1], hits[:, 0])


def _nearest_other(table: _Table, rows: np.ndarray) -> np.ndarray:
    """Index of each given row's nearest neighbour among the other rows."""
    n = table.n_rows
    if n == 1:
        return np.zeros(rows.shape[0], dtype=np.intp)
    space = _neighbour_space(table)
    nn = NearestNeighbors(n_neighbors=2).fit(space)
    _, idx = nn.kneighbors(space[rows])
    # The first hit is the row itself unless an exact duplicate came first.
    return np.where(idx[:, 0] == rows, idx[:, 1], idx[:, 0])


def _neighbour_space(table: _Table) -> np.ndarray:
    """Numeric columns scaled to [0, 1]; nominal ones one-hot scaled by 1/sqrt(2)."""
    parts = []
    if table.numeric.size:
        block = table.matrix[:, table.numeric]
        span = table.high - table.low
        span[span == 0] = 1.0
        block = (block - table.low) / span
        if np.isnan(block).any():
            median = np.nanmedian(np.where(np.isnan(block).all(0), 0.0, block), axis=0)
            block = np.where(np.isnan(block), median, block)
        parts.append(block)
    for j in table.categorical:
        codes = table.matrix[:, j]
        k = len(table.uniques[j])
        onehot = np.zeros((table.n_rows, k + 1))
        onehot[
            np.arange(table.n_rows), np.where(np.isnan(codes), k, codes).astype(int)
        ] = 1 / np.sqrt(2)
        parts.append(onehot)
    return np.hstack(parts)


# --------------------------------------------------------------------------------------
# Noise: marginal resampling with jitter
# --------------------------------------------------------------------------------------


class NoiseSampler(_Params):
    """Synthetic rows drawn from each feature's marginal, with small Gaussian jitter.

    Each synthetic row starts as a copy of a random data row; each of its features is
    then, with probability ``p``, replaced by the value of that feature in another
    random row (a draw from the feature's empirical marginal). Numeric features then
    get Gaussian noise of standard deviation ``noise_scale`` times the column's
    standard deviation. With ``p=1`` (the default) the features are independent
    draws from their marginals, the cheap SPUNGE-style sampler that needs no
    neighbour search and so suits wide data; smaller ``p`` keeps more of each row's
    joint structure.

    Parameters
    ----------
    p : float, default=1.0
        Probability that a feature is resampled from its marginal.
    noise_scale : float, default=0.1
        Jitter on numeric features, as a fraction of the column's standard deviation.
        0 gives no jitter.
    categorical_features : array-like of int, str or bool, default=None
        Columns to treat as nominal besides those of pandas ``category``,
        ``object``, ``string`` or ``bool`` dtype: indices, names (DataFrame only) or
        a boolean mask. Nominal columns get no jitter and only take seen values.
    clip : bool, default=True
        Keep numeric values within the range observed in the data.
    random_state : int, RandomState instance or None, default=None
        Seed for the draws. With an int, ``sample`` returns the same rows every call.

    Notes
    -----
    Missing values are resampled like any other value, so each column keeps about
    its observed rate of NaN; jitter leaves NaN as it is.

    Examples
    --------
    >>> import numpy as np
    >>> from interpretkd.augment import NoiseSampler
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> NoiseSampler(random_state=0).sample(X, 10).shape
    (10, 3)
    """

    def __init__(
        self,
        p=1.0,
        noise_scale=0.1,
        categorical_features=None,
        clip=True,
        random_state=None,
    ):
        self.p = p
        self.noise_scale = noise_scale
        self.categorical_features = categorical_features
        self.clip = clip
        self.random_state = random_state

    def sample(self, X, n_samples: int):
        """Return ``n_samples`` new synthetic rows drawn around ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_rows, n_features)
            The data to imitate.
        n_samples : int
            Number of synthetic rows to return.

        Returns
        -------
        X_synthetic : ndarray or DataFrame of shape (n_samples, n_features)
            Only the new rows, in the container and dtypes of ``X``.
        """
        p = _check_probability(self.p, "p")
        scale = _check_real(self.noise_scale, "noise_scale", low=0.0)
        n_samples = _check_n_samples(n_samples)
        table = _Table(X, self.categorical_features, who="NoiseSampler")
        if n_samples == 0:
            return _empty_like(table)
        rng = check_random_state(self.random_state)
        n, d = table.n_rows, table.n_features
        base = rng.randint(n, size=n_samples)
        donor = rng.randint(n, size=(n_samples, d))
        resample = rng.random_sample((n_samples, d)) < p
        cols = np.broadcast_to(np.arange(d), (n_samples, d))
        Z = np.where(
            resample, table.matrix[donor, cols], table.matrix[base][:, :]
        ).astype(np.float64)
        if scale > 0 and table.numeric.size:
            std = np.nan_to_num(np.nanstd(table.matrix[:, table.numeric], axis=0))
            jitter = rng.normal(size=(n_samples, table.numeric.size)) * (scale * std)
            Z[:, table.numeric] += jitter
        Z = table.round_and_clip(Z, bool(self.clip))
        return table.decode(Z)


# --------------------------------------------------------------------------------------
# Active sampling, per leaf of the current student
# --------------------------------------------------------------------------------------


class ActiveSampler(_Params):
    """Synthetic rows chosen, round by round, for how much they help the student.

    The teacher can label any input, so it can also judge a student on as many rows
    as needed. Each round proposes ``n_proposals`` batches of new rows, refits the
    student with each, and keeps the batch whose student agrees best with the
    teacher on a validation set of teacher-labeled ``base`` rows drawn apart from the
    rest. Proposals alternate between two kinds:

    - rows drawn with ``base`` from all the data, which keep its distribution;
    - rows drawn per leaf of the current student (when it has ``apply``, as trees
      do) from the leaf's own rows, each leaf getting a share of the batch in
      proportion to the rows there the student decides unlike the teacher, plus a
      floor (``min_leaf_share``) in proportion to its size so that no leaf, deep
      ones included, is short of data. ``candidate_ratio`` times more candidates
      than needed are drawn, labeled, and those the student gets wrong are kept
      first, then those the teacher is least sure of.

    Where new rows go changes the splits a greedy tree picks, for better or worse,
    by more than the noise between draws; judging each batch on the teacher's
    decisions keeps the better ones. This follows TREPAN (Craven & Shavlik, 1996)
    and Bastani et al. (2017), which draw new rows where a tree needs them, and adds
    the check that they help.

    It needs the teacher and a way to fit the student, so it is driven by
    :meth:`run`, which the distillers call with ``augment="active"``; :meth:`sample`
    only explains this.

    Parameters
    ----------
    base : {"munge", "noise"} or object with a ``sample(X, n_samples)`` method, \
default="munge"
        Generator of candidates and of the validation rows.
    n_rounds : int, default=2
        Number of propose-fit-keep rounds; each adds ``n_samples / n_rounds`` rows.
    n_proposals : int, default=6
        Batches proposed per round; each costs one student fit and teacher labels.
    candidate_ratio : float, default=2.0
        Candidates drawn per row kept in a per-leaf batch.
    min_leaf_share : float, default=0.5
        Part of a per-leaf batch spread over the leaves in proportion to their rows;
        the rest follows the student's errors.
    n_validation : int, default=None
        Teacher-labeled rows to judge batches on; None means twice the number of
        rows, at least 2,000 and at most 50,000.
    hard_targets : bool, default=True
        Give synthetic rows the teacher's argmax as a one-hot target instead of its
        probabilities (classification only). Fidelity is argmax agreement, and hard
        targets optimise it directly for tree students.
    random_state : int, RandomState instance or None, default=None
        Seed for all draws.

    Notes
    -----
    The distiller fits its final student on the real rows followed by the returned
    rows, which is the data of the best student seen in the last round when
    ``fit`` is the same procedure with a fixed seed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd.augment import ActiveSampler
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> teacher = RandomForestClassifier(50, random_state=0).fit(X, y)
    >>> def fit(X, T):
    ...     return DecisionTreeClassifier(max_depth=3, random_state=0).fit(
    ...         X, T.argmax(1))
    >>> X_new, T_new = ActiveSampler(random_state=0).run(
    ...     X, 200, label=teacher.predict_proba, fit=fit)
    >>> X_new.shape, T_new.shape
    ((200, 4), (200, 2))
    """

    def __init__(
        self,
        base="munge",
        n_rounds=2,
        n_proposals=6,
        candidate_ratio=2.0,
        min_leaf_share=0.5,
        n_validation=None,
        hard_targets=True,
        random_state=None,
    ):
        self.base = base
        self.n_rounds = n_rounds
        self.n_proposals = n_proposals
        self.candidate_ratio = candidate_ratio
        self.min_leaf_share = min_leaf_share
        self.n_validation = n_validation
        self.hard_targets = hard_targets
        self.random_state = random_state

    def sample(self, X, n_samples):
        """Not available: active sampling needs the teacher and the student.

        Raises
        ------
        TypeError
            Always; use :meth:`run`, or pass ``augment="active"`` to a distiller.
        """
        raise TypeError(
            "ActiveSampler chooses rows by how much they help the student agree with "
            "the teacher, so it needs both: call ActiveSampler.run(X, n_samples, "
            "label=..., fit=...) or pass augment='active' to DistilledClassifier / "
            "DistilledRegressor. For rows from the data alone use Munge or "
            "NoiseSampler."
        )

    def run(
        self,
        X,
        n_samples: int,
        *,
        label: Callable[[Any], np.ndarray],
        fit: Callable[[Any, np.ndarray], Any],
    ):
        """Draw ``n_samples`` synthetic rows and their teacher targets.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_rows, n_features)
            The real rows (training and unlabeled).
        n_samples : int
            Number of synthetic rows to return, spread over the rounds.
        label : callable
            ``label(X)`` returns the teacher's targets for rows ``X``: an array of
            shape (n, n_classes) of probabilities for classification, of shape (n,)
            for regression.
        fit : callable
            ``fit(X, targets)`` returns a freshly fitted student. For
            classification its ``predict`` must return column indices of the
            targets (0 … n_classes - 1), as a student fit on ``targets.argmax(1)``
            or on sample-weight-expanded class indices does. If it has ``apply``
            (a tree), rows are also proposed per leaf.

        Returns
        -------
        X_synthetic : ndarray or DataFrame of shape (n_samples, n_features)
            The new rows, in the container and dtypes of ``X``.
        targets_synthetic : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The teacher's targets for them (one-hot argmax when ``hard_targets``).
        """
        if not callable(label) or not callable(fit):
            raise TypeError(
                "ActiveSampler.run needs callables label(X) -> teacher targets and "
                "fit(X, targets) -> fitted student."
            )
        n_samples = _check_n_samples(n_samples)
        n_rounds = check_positive_int(self.n_rounds, "n_rounds")
        n_proposals = check_positive_int(self.n_proposals, "n_proposals")
        ratio = _check_real(self.candidate_ratio, "candidate_ratio", low=1.0)
        floor = _check_probability(self.min_leaf_share, "min_leaf_share")
        rng = check_random_state(self.random_state)
        base = _make_base(self.base)
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X)
        targets = np.asarray(label(X))
        classify = targets.ndim == 2
        if classify:
            targets = self._post(targets)
        if n_samples == 0:
            return _slice(X, np.arange(0)), targets[:0]
        n_val = self.n_validation
        if n_val is None:
            n_val = int(np.clip(2 * len(X), 2000, 50000))
        n_val = check_positive_int(n_val, "n_validation")
        X_val = _sample_with(base, X, n_val, rng)
        T_val = np.asarray(label(X_val))
        val_class = T_val.argmax(1) if classify else None

        def score(student) -> float:
            if classify:
                return float(np.mean(_predicted_index(student, X_val) == val_class))
            pred = np.asarray(student.predict(X_val), dtype=np.float64)
            return -float(np.mean((pred - T_val) ** 2))

        per_round = np.diff(np.linspace(0, n_samples, n_rounds + 1).round())
        X_all, T_all = X, targets
        new_X, new_T = [], []
        student = fit(X_all, T_all)
        for budget in per_round.astype(int):
            if budget == 0:
                continue
            best = None
            for k in range(n_proposals):
                per_leaf = k % 2 == 1 and hasattr(student, "apply")
                if per_leaf:
                    cand = self._leaf_candidates(
                        base, student, X, targets, budget, ratio, floor, rng, classify
                    )
                else:
                    cand = _sample_with(base, X, budget, rng)
                T_cand = np.asarray(label(cand))
                if classify:
                    T_cand = self._post(T_cand)
                if per_leaf and len(cand) > budget:
                    keep = self._select(student, cand, T_cand, budget, rng, classify)
                    cand, T_cand = _slice(cand, keep), T_cand[keep]
                trial = fit(_concat([X_all, cand]), np.concatenate([T_all, T_cand]))
                value = score(trial)
                if best is None or value > best[0]:
                    best = (value, cand, T_cand, trial)
            _, cand, T_cand, student = best
            new_X.append(cand)
            new_T.append(T_cand)
            X_all = _concat([X_all, cand])
            T_all = np.concatenate([T_all, T_cand])
        return _concat(new_X), np.concatenate(new_T)

    def _post(self, T: np.ndarray) -> np.ndarray:
        T = np.asarray(T, dtype=np.float64)
        if self.hard_targets:
            hard = np.zeros_like(T)
            hard[np.arange(T.shape[0]), T.argmax(1)] = 1.0
            return hard
        return T

    def _errors(self, student, X, T, classify: bool) -> np.ndarray:
        """Per row: 1 where the student decides unlike the teacher (classification),
        else the absolute error scaled to [0, 1]."""
        if classify:
            return (_predicted_index(student, X) != T.argmax(1)).astype(np.float64)
        pred = np.asarray(student.predict(X))
        err = np.abs(pred.astype(np.float64) - T)
        top = err.max()
        return err / top if top > 0 else err

    def _leaf_candidates(self, base, student, X, T, budget, ratio, floor, rng, clf):
        n_cand = int(np.ceil(budget * ratio))
        errors = self._errors(student, X, T, clf)
        leaves = np.asarray(student.apply(X))
        ids, leaf_of = np.unique(leaves, return_inverse=True)
        size = np.bincount(leaf_of, minlength=ids.size).astype(np.float64)
        wrong = np.bincount(leaf_of, weights=errors, minlength=ids.size)
        share = floor * size / size.sum()
        if wrong.sum() > 0:
            share += (1 - floor) * wrong / wrong.sum()
        else:
            share += (1 - floor) * size / size.sum()
        counts = _apportion(share, n_cand, rng)
        order = np.argsort(leaf_of, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(size.astype(int))])
        groups = [order[bounds[k] : bounds[k + 1]] for k in range(ids.size)]
        if type(base) is Munge:
            return base._sample_in_groups(X, groups, counts, rng)
        parts = [
            _sample_with(base, _slice(X, groups[k]), int(counts[k]), rng)
            for k in np.flatnonzero(counts)
        ]
        return _concat(parts)

    def _select(self, student, cand, T_cand, budget, rng, classify):
        errors = self._errors(student, cand, T_cand, classify)
        if classify:
            srt = np.sort(T_cand, axis=1)
            doubt = 1.0 - (srt[:, -1] - srt[:, -2])
        else:
            doubt = np.zeros(errors.shape[0])
        # Errors first, then the teacher's doubt; random order breaks ties.
        score = 2.0 * errors + doubt + 1e-6 * rng.random_sample(errors.shape[0])
        return np.sort(np.argsort(-score, kind="stable")[:budget])


def _predicted_index(student, X) -> np.ndarray:
    """The student's predicted class, as a column index of the teacher's targets."""
    pred = np.asarray(student.predict(X))
    if pred.dtype.kind not in "iub" and not (
        pred.dtype.kind == "f" and np.all(pred == np.round(pred))
    ):
        raise TypeError(
            "ActiveSampler: for classification the fitted student's predict must "
            "return column indices of the targets (0 … n_classes - 1); it returned "
            f"values of dtype {pred.dtype}. Fit the student on targets.argmax(1) (or "
            "on class indices) in the fit callback."
        )
    return pred.astype(np.intp)


def _make_base(base):
    if isinstance(base, str):
        if base == "munge":
            return Munge()
        if base == "noise":
            return NoiseSampler()
        raise ValueError(
            f"ActiveSampler base must be 'munge', 'noise' or an object with a "
            f"sample(X, n_samples) method; got {base!r}."
        )
    if isinstance(base, ActiveSampler) or not callable(getattr(base, "sample", None)):
        raise TypeError(
            "ActiveSampler base must be 'munge', 'noise' or an object with a "
            f"sample(X, n_samples) method; got {base!r}."
        )
    return base


def _sample_with(base, X, n: int, rng):
    """Draw ``n`` rows with ``base``, seeded from ``rng`` when it takes a seed."""
    if hasattr(base, "set_params") and "random_state" in base.get_params(deep=False):
        base = type(base)(**base.get_params(deep=False))
        base.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
    return base.sample(X, n)


def _apportion(share: np.ndarray, total: int, rng) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``share``."""
    exact = share / share.sum() * total
    counts = np.floor(exact).astype(int)
    left = total - counts.sum()
    if left > 0:
        frac = exact - counts
        extra = rng.choice(share.size, size=left, replace=False, p=frac / frac.sum())
        counts[extra] += 1
    return counts


def _slice(X, rows):
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows].reset_index(drop=True)
    return X[rows]


def _concat(parts):
    if isinstance(parts[0], pd.DataFrame):
        return pd.concat(parts, ignore_index=True)
    return np.concatenate(parts, axis=0)


# --------------------------------------------------------------------------------------
# Helpers for the distiller
# --------------------------------------------------------------------------------------


def make_augmenter(augment, *, random_state=None):
    """Return the generator for a distiller's ``augment`` parameter.

    Parameters
    ----------
    augment : None, {"munge", "noise", "active"} or object
        ``None`` for no synthetic rows; a name for :class:`Munge`,
        :class:`NoiseSampler` or :class:`ActiveSampler` with default settings; an
        object with a ``sample(X, n_samples)`` method (or an :class:`ActiveSampler`,
        or any object with ``run(X, n_samples, *, label, fit)``) is returned as is.
    random_state : int, RandomState instance or None, default=None
        Seed given to a generator made from a name.

    Returns
    -------
    augmenter : object or None
        Callers check for ``run`` first (active sampling needs the teacher), then
        use ``sample``.

    Raises
    ------
    ValueError
        If ``augment`` is an unknown name.
    TypeError
        If ``augment`` is neither None, a name nor an object with ``sample`` or
        ``run``.
    """
    if augment is None:
        return None
    if isinstance(augment, str):
        if augment == "munge":
            return Munge(random_state=random_state)
        if augment == "noise":
            return NoiseSampler(random_state=random_state)
        if augment == "active":
            return ActiveSampler(random_state=random_state)
        raise ValueError(
            f"Unknown augment {augment!r}; choose one of None, "
            f"{', '.join(repr(c) for c in AUGMENT_CHOICES)}, or pass an object with a "
            "sample(X, n_samples) method."
        )
    if callable(getattr(augment, "run", None)) or callable(
        getattr(augment, "sample", None)
    ):
        return augment
    raise TypeError(
        "augment must be None, one of "
        f"{', '.join(repr(c) for c in AUGMENT_CHOICES)}, or an object with a "
        f"sample(X, n_samples) method; got {augment!r} of type "
        f"{type(augment).__name__}."
    )


def resolve_n_synthetic(n_synthetic, n_rows: int) -> int:
    """Number of synthetic rows asked for by ``n_synthetic``.

    Parameters
    ----------
    n_synthetic : float, int or None
        A float is a multiple of the labeled rows (``1.5`` → 1.5 × ``n_rows``,
        rounded); an int is a count; None means 0.
    n_rows : int
        Number of labeled rows.

    Returns
    -------
    n : int

    Raises
    ------
    TypeError
        If ``n_synthetic`` is not a number.
    ValueError
        If it is negative, NaN or infinite.
    """
    if n_synthetic is None:
        return 0
    if isinstance(n_synthetic, bool) or not isinstance(n_synthetic, numbers.Real):
        raise TypeError(
            "n_synthetic must be a float (a multiple of the number of labeled rows, "
            "e.g. 2.0) or an int (a count of rows); got "
            f"{n_synthetic!r} of type {type(n_synthetic).__name__}."
        )
    if isinstance(n_synthetic, numbers.Integral):
        if n_synthetic < 0:
            raise ValueError(f"n_synthetic must be >= 0 rows; got {n_synthetic}.")
        return int(n_synthetic)
    value = float(n_synthetic)
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            "n_synthetic as a float is a multiple of the labeled rows and must be a "
            f"finite number >= 0; got {n_synthetic!r}."
        )
    return int(round(value * n_rows))


def iter_chunks(X_unlabeled, chunk_size: int | None = None) -> Iterator:
    """Yield ``X_unlabeled`` as 2-D chunks, to label them in bounded memory.

    Parameters
    ----------
    X_unlabeled : ndarray, DataFrame, or iterable of them
        An array or DataFrame is cut into chunks of ``chunk_size`` rows, and so is a
        list or tuple of rows (``X.tolist()``: its first item is 1-D); another
        iterable (a list of 2-D arrays, a generator reading a file,
        ``pandas.read_csv(..., chunksize=...)``) is passed through chunk by chunk.
    chunk_size : int, default=None
        Largest number of rows per chunk: an array, a DataFrame or a chunk of an
        iterable with more rows is cut. None yields them as they come.

    Yields
    ------
    chunk : ndarray or DataFrame of shape (n_rows, n_features)

    Raises
    ------
    TypeError
        If ``X_unlabeled`` is not an array, a DataFrame or an iterable of them.
    ValueError
        If a chunk is not 2-D or its width differs from the first chunk's.
    """
    if chunk_size is not None:
        chunk_size = check_positive_int(chunk_size, "chunk_size")
    if isinstance(X_unlabeled, pd.DataFrame) or hasattr(X_unlabeled, "shape"):
        chunks: Iterable = [X_unlabeled]
    elif (
        isinstance(X_unlabeled, list | tuple)
        and len(X_unlabeled)
        and np.ndim(X_unlabeled[0]) == 1
    ):
        # A list of rows (``X.tolist()``) is one 2-D array, not a list of chunks.
        chunks = [X_unlabeled]
    elif isinstance(X_unlabeled, str | bytes) or not isinstance(X_unlabeled, Iterable):
        raise TypeError(
            "X_unlabeled must be an array, a DataFrame or an iterable of them "
            f"(chunks); got {type(X_unlabeled).__name__}."
        )
    else:
        chunks = X_unlabeled
    width = None
    for i, chunk in enumerate(chunks):
        if not isinstance(chunk, pd.DataFrame):
            if hasattr(chunk, "toarray"):
                raise TypeError(
                    f"Chunk {i} of X_unlabeled is sparse; convert it with .toarray()."
                )
            chunk = np.asarray(chunk)
        if chunk.ndim != 2:
            raise ValueError(
                f"Chunk {i} of X_unlabeled must be 2-D (n_rows, n_features); got "
                f"shape {chunk.shape}."
            )
        if width is None:
            width = chunk.shape[1]
        elif chunk.shape[1] != width:
            raise ValueError(
                f"Chunk {i} of X_unlabeled has {chunk.shape[1]} features but the "
                f"first chunk had {width}; every chunk must have the same columns."
            )
        if chunk_size is None or chunk.shape[0] <= chunk_size:
            if chunk.shape[0]:
                yield chunk
            continue
        for start in range(0, chunk.shape[0], chunk_size):
            yield _slice(chunk, np.arange(start, min(start + chunk_size, len(chunk))))
