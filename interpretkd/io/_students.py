"""Students: save and load with skops; interpretkd's own types are trusted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from interpretkd.io._atomic import check_output_path, write_bytes
from interpretkd.io._common import (
    TEACHER_FORMATS,
    ModelFormatError,
    _load_skops,
    _require_file,
    _sniff,
    _sniff_kind,
)
from interpretkd.io._distillers import without_teacher_hint

# --------------------------------------------------------------------------------------
# Students: save and load with skops
# --------------------------------------------------------------------------------------


def _find_torch_type(obj: Any, _seen: set | None = None, _depth: int = 0) -> str | None:
    """The qualified name of a torch object inside ``obj``, or None if none is found.

    Walks attributes, containers and mapping values a few levels deep: enough to
    find a tensor kept on an estimator or on one of its sub-estimators.
    """
    module = type(obj).__module__ or ""
    if module == "torch" or module.startswith("torch."):
        return f"{module}.{type(obj).__qualname__}"
    seen = set() if _seen is None else _seen
    if _depth > 6 or id(obj) in seen or isinstance(obj, str | bytes | np.ndarray):
        return None
    seen.add(id(obj))
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple | set | frozenset):
        children = list(obj)
    else:
        children = list(getattr(obj, "__dict__", {}).values())
    for child in children:
        found = _find_torch_type(child, seen, _depth + 1)
        if found:
            return found
    return None


def save(estimator: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a fitted estimator to ``path`` with skops, atomically.

    Parameters
    ----------
    estimator : estimator
        Usually a fitted interpretkd student or distiller; any object skops can
        write.
    path : str or path-like
        Destination, by convention ending in ``.skops``.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    TypeError
        If skops cannot write the estimator (the message gives skops's reason), or
        if it holds torch objects: a saved model must load on a machine without the
        device (or the torch build) it was trained on.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> import tempfile
    >>> from pathlib import Path
    >>> from interpretkd import load, save
    >>> path = save(tree, Path(tempfile.mkdtemp()) / "tree.skops")
    >>> bool((load(path).predict(X) == tree.predict(X)).all())
    True
    """
    import skops.io as sio

    path = check_output_path(path, overwrite=overwrite)
    try:
        data = sio.dumps(estimator)
    except Exception as exc:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        torch_type = _find_torch_type(estimator)
        hint = (
            f" It holds a torch object ({torch_type}); a saved model keeps its "
            "fitted parameters as NumPy arrays and plain Python values."
            if torch_type
            else " A saved model must hold objects skops can write: NumPy arrays, "
            "plain Python values and estimators, not open resources."
        )
        raise TypeError(
            f"Cannot save {type(estimator).__name__} with skops: {reason}.{hint}"
            f"{without_teacher_hint(estimator)}"
        ) from exc
    torch_types = [
        t for t in sio.get_untrusted_types(data=data) if t.startswith("torch")
    ]
    if torch_types and without_teacher_hint(estimator):
        raise TypeError(
            f"Cannot save {type(estimator).__name__}: it holds torch objects "
            f"({', '.join(sorted(set(torch_types)))}).{without_teacher_hint(estimator)}"
        )
    if torch_types:
        raise TypeError(
            f"Cannot save {type(estimator).__name__}: it holds torch objects "
            f"({', '.join(sorted(set(torch_types)))}). A saved model keeps its fitted "
            "parameters as NumPy arrays so that it loads without torch device state; "
            "fit the estimator again with a version of interpretkd that does so."
        )
    return write_bytes(path, data, overwrite=overwrite)


def load(path: str | os.PathLike, *, trusted: Sequence[str] | None = None) -> Any:
    """Load a student (or any estimator) written by :func:`save`.

    interpretkd's own types, and the internals of scikit-learn's trees, are
    trusted; any other type that skops does not trust by itself must be named in
    ``trusted``.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file.
    trusted : sequence of str, default=None
        Further type names (as ``"module.Class"``) to trust.

    Returns
    -------
    estimator : object

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFormatError
        If ``path`` is not a skops file (a teacher model, a pickle, a corrupt file).
    UntrustedFileError
        If the file holds types that are not trusted.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> import tempfile
    >>> from pathlib import Path
    >>> from interpretkd import load, save
    >>> path = save(tree, Path(tempfile.mkdtemp()) / "tree.skops")
    >>> load(path)
    DecisionTreeClassifier(max_depth=2, random_state=0)
    """
    path = _require_file(path, "Model")
    kind = _sniff_kind(path, _sniff(path))
    if kind != "skops":
        hint = (
            f" It looks like {TEACHER_FORMATS[kind]}; read teachers with "
            "interpretkd.io.load_teacher."
            if kind
            else ""
        )
        raise ModelFormatError(
            f"{path} is not a skops file: expected a student written by "
            f"interpretkd.save (or `interpretkd distill --out`).{hint}"
        )
    return _load_skops(path, trusted, "model")
