"""Unlabeled and synthetic data for distillation: MUNGE, noise and active sampling.

A teacher can label any input, so a student need not learn from the training rows
alone. This package makes the extra rows: :class:`Munge` (Bucilua, Caruana &
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

from interpretkd.augment._active import ActiveSampler
from interpretkd.augment._chunks import iter_chunks
from interpretkd.augment._factory import (
    AUGMENT_CONSTRAINT,
    N_SYNTHETIC_CONSTRAINT,
    make_augmenter,
    resolve_n_synthetic,
)
from interpretkd.augment._munge import Munge
from interpretkd.augment._noise import NoiseSampler

__all__ = [
    "Munge",
    "NoiseSampler",
    "ActiveSampler",
    "make_augmenter",
    "resolve_n_synthetic",
    "iter_chunks",
    "AUGMENT_CONSTRAINT",
    "N_SYNTHETIC_CONSTRAINT",
]
