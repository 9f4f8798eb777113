"""Reading ``X_unlabeled`` chunk by chunk, whatever container it comes in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from interpretkd._tabular import take_rows
from interpretkd._validation import check_positive_int


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
            yield take_rows(
                chunk, np.arange(start, min(start + chunk_size, len(chunk)))
            )
