"""The ``interpretkd`` console script: distill, render, report, predict and demo.

This package parses the command line and calls the library: :mod:`interpretkd.io`
reads teachers, students and tables and writes outputs atomically,
:mod:`interpretkd.distill` distills, :mod:`interpretkd.metrics`,
:mod:`interpretkd.report` and :mod:`interpretkd.export` measure and draw. Exit codes:
0 on success, 2 on bad usage (unknown option, missing input file, an output that
exists without ``--force`` or that is one of the inputs, a target column the data
lacks), 1 on any other failure, with a one-line message and no traceback unless
``--debug``.

Modules: ``_app`` (the commands), ``_distill`` (the distillation they run) and
``_common`` (what they share).
"""

from interpretkd.cli._app import main

__all__ = ["main"]
