"""Writing outputs atomically: a temporary file beside the destination, then a
rename; an existing file is replaced only when the caller asks.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

# --------------------------------------------------------------------------------------
# Writing outputs atomically
# --------------------------------------------------------------------------------------


def check_output_path(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written, before any work is done to fill it.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path

    Raises
    ------
    FileExistsError
        If ``path`` exists, or is a link to a file that does not, and ``overwrite``
        is False.
    FileNotFoundError
        If the directory that should hold ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"{path} is a directory; give the path of a file to write instead."
        )
    if path.is_symlink() and not path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} is a link to {os.readlink(path)}, which does not exist; pass "
            "overwrite=True (on the command line: --force) to replace the link with "
            "the file, or choose another path."
        )
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True (on the command line: "
            "--force) to replace it, or choose another path."
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(
            f"Cannot write {path}: the directory {parent} does not exist. Create it "
            "first or choose another path."
        )
    return path


def _reserve_temp(path: Path) -> Path:
    """Create an empty, uniquely named temporary file next to ``path``."""
    parent = path.parent if str(path.parent) else Path(".")
    for _ in range(100):
        tmp = parent / f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"Could not create a temporary file in {parent}.")


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move a finished temporary file to ``path`` in one step."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        # A hard link fails if ``path`` exists, so no file that appeared since the
        # first check is replaced behind the caller's back.
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(
            f"{path} already exists; pass overwrite=True (on the command line: "
            "--force) to replace it, or choose another path."
        ) from None
    except OSError:
        # File systems without hard links: check, then rename.
        if path.exists():
            raise FileExistsError(
                f"{path} already exists; pass overwrite=True (on the command line: "
                "--force) to replace it, or choose another path."
            ) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike, *, overwrite: bool = False
) -> Iterator[Path]:
    """Give a temporary path to write to; move it to ``path`` when the block succeeds.

    The temporary file lies in the directory of ``path`` (so the final rename is
    atomic) and keeps its suffix (so writers that look at the suffix still work). If
    the block raises, the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or path-like
        The file to produce.
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Yields
    ------
    tmp : Path
        Where to write the content.

    Examples
    --------
    >>> with atomic_output("table.csv", overwrite=True) as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp, index=False)
    """
    path = check_output_path(path, overwrite=overwrite)
    tmp = _reserve_temp(path)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"Nothing was written for {path}.")
        _commit(tmp, path, overwrite)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes(
    path: str | os.PathLike, data: bytes | str, *, overwrite: bool = False
) -> Path:
    """Write ``data`` to ``path`` atomically (text is encoded as UTF-8).

    Parameters
    ----------
    path : str or path-like
    data : bytes or str
    overwrite : bool, default=False
        Whether an existing file may be replaced.

    Returns
    -------
    path : Path
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_output(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)
