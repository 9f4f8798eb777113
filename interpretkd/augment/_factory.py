"""What the distiller uses: an augmenter from its ``augment`` parameter, and the
number of synthetic rows from ``n_synthetic``.
"""

from __future__ import annotations

import numbers

import numpy as np

from interpretkd.augment._active import ActiveSampler
from interpretkd.augment._base import AUGMENT_CHOICES
from interpretkd.augment._munge import Munge
from interpretkd.augment._noise import NoiseSampler

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
