"""Noise: marginal resampling with jitter."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from interpretkd.augment._base import (
    PROBABILITY,
    _TableSampler,
)

# --------------------------------------------------------------------------------------
# Noise: marginal resampling with jitter
# --------------------------------------------------------------------------------------


class NoiseSampler(_TableSampler):
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

    _parameter_constraints: dict = {
        **_TableSampler._parameter_constraints,
        "p": PROBABILITY,
        "noise_scale": [Interval(Real, 0, None, closed="left")],
    }

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

    def _draw(self, table, n_samples, rng):
        p, scale = float(self.p), float(self.noise_scale)
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
        return table.round_and_clip(Z, bool(self.clip))
