"""MUNGE (Bucilua, Caruana & Niculescu-Mizil, 2006): rows swapped with neighbours."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval

from interpretkd._tabular import Table
from interpretkd.augment._base import (
    PROBABILITY,
    _TableSampler,
)

# --------------------------------------------------------------------------------------
# MUNGE
# --------------------------------------------------------------------------------------


class Munge(_TableSampler):
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

    _parameter_constraints: dict = {
        **_TableSampler._parameter_constraints,
        "p": PROBABILITY,
        "s": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self, p=0.5, s=10.0, categorical_features=None, clip=True, random_state=None
    ):
        self.p = p
        self.s = s
        self.categorical_features = categorical_features
        self.clip = clip
        self.random_state = random_state

    def _draw(self, table, n_samples, rng):
        n = table.n_rows
        source = _pass_rows(np.arange(n), n_samples, rng)
        # Neighbours are needed only for the rows actually used.
        used = np.unique(source)
        neighbour = np.empty(n, dtype=np.intp)
        neighbour[used] = _nearest_other(table, used)
        return self._mix(table, source, neighbour[source], rng)

    def _sample_in_groups(self, X, groups, counts, rng):
        """Rows made within each group of rows, neighbours searched in the group.

        ``groups`` is a list of row-index arrays (e.g. the rows in each leaf of a
        tree) and ``counts`` the number of rows to make from each; one table and one
        draw serve all groups, which is much faster than a call per group.
        """
        self._validate_params()
        table = Table(X, self.categorical_features, who="Munge")
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
            return table.empty()
        source, partner = np.concatenate(sources), np.concatenate(partners)
        return table.decode(self._mix(table, source, partner, rng))

    def _mix(self, table, source, partner, rng) -> np.ndarray:
        """The MUNGE exchange between each source row and its partner row."""
        p, s = float(self.p), float(self.s)
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


def _nearest_other(table: Table, rows: np.ndarray) -> np.ndarray:
    """Index of each given row's nearest neighbour among the other rows."""
    n = table.n_rows
    if n == 1:
        return np.zeros(rows.shape[0], dtype=np.intp)
    space = _neighbour_space(table)
    nn = NearestNeighbors(n_neighbors=2).fit(space)
    _, idx = nn.kneighbors(space[rows])
    # The first hit is the row itself unless an exact duplicate came first.
    return np.where(idx[:, 0] == rows, idx[:, 1], idx[:, 0])


def _neighbour_space(table: Table) -> np.ndarray:
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
