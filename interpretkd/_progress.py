"""Progress reporting: one policy for every loop of interpretkd that shows progress.

In a terminal or a notebook, a tqdm bar. Anywhere else (a CI log, output redirected
to a file) tqdm redraws its bar with carriage returns, which such logs keep as one
fragment per refresh; there :func:`progress_bar` writes a few plain lines instead:
one when another tenth of the loop is done and at least ``min_interval`` seconds have
passed since the last line, and one at the end. tqdm has no such mode (its
``disable=None`` prints nothing at all off a terminal), hence the small class below.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable

__all__ = ["progress_bar"]


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_bar(
    iterable: Iterable,
    *,
    desc: str,
    unit: str = "it",
    total: int | None = None,
    leave: bool = True,
    file=None,
    min_interval: float = 2.0,
):
    """Wrap ``iterable`` so that iterating it reports progress.

    Parameters
    ----------
    iterable : iterable
    desc : str
        What is progressing, e.g. the estimator's name.
    unit : str, default="it"
        What one item is ("epoch", "batch").
    total : int, default=None
        Number of items; defaults to ``len(iterable)`` where it has one.
    leave : bool, default=True
        Keep the finished bar (terminal) or write a closing line (logs).
    file : file-like, default=None
        Where to write; ``sys.stderr`` by default.
    min_interval : float, default=2.0
        Off a terminal, the fewest seconds between two progress lines.

    Returns
    -------
    bar : tqdm or _LineProgress
        Iterable, with ``set_postfix(dict)`` and ``close()`` as on a tqdm bar.
    """
    stream = sys.stderr if file is None else file
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if _in_notebook() and file is None:
        from tqdm.auto import tqdm

        return tqdm(iterable, desc=desc, unit=unit, total=total, leave=leave)
    if _is_terminal(stream):
        from tqdm import tqdm

        return tqdm(
            iterable, desc=desc, unit=unit, total=total, leave=leave, file=stream
        )
    return _LineProgress(iterable, desc, unit, total, leave, stream, min_interval)


class _LineProgress:
    """Progress as a few whole lines, for logs that are not terminals."""

    def __init__(self, iterable, desc, unit, total, leave, stream, min_interval):
        self.iterable = iterable
        self.desc = desc
        self.unit = unit
        self.total = total
        self.leave = leave
        self.stream = stream
        self.min_interval = float(min_interval)
        self.n = 0
        self.postfix: dict = {}
        self._start = time.perf_counter()
        self._last_line = self._start
        self._last_tenth = 0
        self._closed = False
        self._lines = 0

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                self.update(1)
        finally:
            self.close()

    def __len__(self) -> int:
        return 0 if self.total is None else int(self.total)

    def set_postfix(self, postfix: dict | None = None, **kwargs) -> None:
        self.postfix = {**(postfix or {}), **kwargs}

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self._last_line < self.min_interval:
            return
        if self.total:
            tenth = int(10 * self.n / self.total)
            if tenth <= self._last_tenth:
                return
            self._last_tenth = tenth
        self._write(now)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.leave or self._lines:
            self._write(time.perf_counter(), final=True)

    def _write(self, now: float, final: bool = False) -> None:
        count = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        text = f"{self.desc}: {count} {self.unit}"
        if self.total:
            text += f" ({100 * self.n / self.total:.0f}%)"
        text += f", {now - self._start:.1f} s"
        if self.postfix:
            text += ", " + ", ".join(f"{k}={v}" for k, v in self.postfix.items())
        if final:
            text += ", done" if not self.total or self.n >= self.total else ", stopped"
        print(text, file=self.stream, flush=True)
        self._last_line = now
        self._lines += 1
