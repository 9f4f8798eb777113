"""What the distiller uses: an augmenter from its ``augment`` parameter, and the
number of synthetic rows from ``n_synthetic``.
"""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

from interpretkd.augment._active import ActiveSampler
from interpretkd.augment._base import AUGMENT_CHOICES
from interpretkd.augment._munge import Munge
from interpretkd.augment._noise import NoiseSampler

#: What a distiller's ``augment`` parameter may be.
AUGMENT_CONSTRAINT = [
    None,
    StrOptions(set(AUGMENT_CHOICES)),
    HasMethods(["sample"]),
    HasMethods(["run"]),
]
#: What a distiller's ``n_synthetic`` parameter may be: a count or a multiple.
N_SYNTHETIC_CONSTRAINT = [
    None,
    Interval(Integral, 0, None, closed="left"),
    Interval(Real, 0, None, closed="left"),
]


def make_augmenter(augment, *, random_state=None):
    """Return the generator for a distiller's ``augment`` parameter.

    Parameters
    ----------
    augment : None, {"munge", "noise", "active"} or object
        ``None`` for no synthetic rows; a name for :class:`Munge`,
        :class:`NoiseSampler` or :class:`ActiveSampler` with default settings; an
        object with a ``sample(X, n_samples)`` method, or with
        ``run(X, n_samples, *, label, fit)`` like :class:`ActiveSampler`, is
        returned as is.
    random_state : int, RandomState instance or None, default=None
        Seed given to a generator made from a name.

    Returns
    -------
    augmenter : object or None
        Callers check for ``run`` first (active sampling needs the teacher), then
        use ``sample``.

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError``: ``augment`` is none of the above.
    """
    validate_parameter_constraints(
        {"augment": AUGMENT_CONSTRAINT}, {"augment": augment}, "make_augmenter"
    )
    makers = {"munge": Munge, "noise": NoiseSampler, "active": ActiveSampler}
    if isinstance(augment, str):
        return makers[augment](random_state=random_state)
    return augment


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
    InvalidParameterError
        A ``ValueError`` and ``TypeError``: ``n_synthetic`` is not a number >= 0
        (NaN and infinity included).
    """
    validate_parameter_constraints(
        {"n_synthetic": N_SYNTHETIC_CONSTRAINT},
        {"n_synthetic": n_synthetic},
        "resolve_n_synthetic",
    )
    if n_synthetic is None:
        return 0
    if isinstance(n_synthetic, Integral):
        return int(n_synthetic)
    return int(round(float(n_synthetic) * n_rows))
