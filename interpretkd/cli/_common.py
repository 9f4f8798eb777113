"""What the commands share: choices, option types, errors and exit codes, output
checks, the student a name stands for, writing pictures and reports.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from pathlib import Path

import click

# The default: a TAO tree with sparse oblique splits (at most 3 features a split)
# is the most faithful student at every depth measured (docs/benchmarks/
# fidelity_size.md) and reads as short inequalities; docs/cli.md gives the figures.
STUDENTS = ("tao-oblique", "tao-axis", "soft-tree", "tree", "linear")
DEFAULT_STUDENT = "tao-oblique"
# The depth cap of a tree grown to a leaf budget when --max-depth is not given,
# and the students that take a budget (a soft tree always has 2**depth leaves).
LEAF_BUDGET_DEPTH = 12
LEAF_BUDGET_KINDS = ("tao-oblique", "tao-axis", "tree")
# Kinds of student with a depth, as fidelity_curve names them.
CURVE_KINDS = {
    "tao-oblique": "tao-oblique",
    "tao-axis": "tao-axis",
    "soft-tree": "soft-tree",
    "tree": "cart",
}
AUGMENTERS = ("none", "munge", "noise", "active")
TASKS = ("classification", "regression")
RENDER_FORMATS = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
}
DEMO_MARKER = ".interpretkd-demo"
DEFAULT_MAX_DEPTH = 4


class Failure(click.ClickException):
    """A command failed for a reason other than its usage: exit code 1."""

    exit_code = 1


class Stopped(click.ClickException):
    """The run was stopped by a signal: one line, and the shell's exit code for it
    (128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


class FiniteFloat(click.FloatRange):
    """A number in a range, refusing NaN and infinity, which click's ``FloatRange``
    lets through (NaN compares false with every bound, infinity passes a lower one).
    """

    def convert(self, value, param, ctx):
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number; give {self._wanted()}.")
        return super().convert(number, param, ctx)

    def _wanted(self) -> str:
        bounds = []
        if self.min is not None:
            bounds.append(f"{'>' if self.min_open else '>='} {self.min:g}")
        if self.max is not None:
            bounds.append(f"{'<' if self.max_open else '<='} {self.max:g}")
        return "a number " + " and ".join(bounds) if bounds else "a number"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = text.strip("'")
    return text or type(exc).__name__


def _common(fn):
    """Add --quiet and --debug, and turn failures into one-line messages."""

    @click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
    @click.option(
        "--debug", is_flag=True, help="Show the full traceback when something fails."
    )
    @functools.wraps(fn)
    def wrapper(*args, quiet: bool, debug: bool, **kwargs):
        try:
            with warnings.catch_warnings():
                if quiet:
                    warnings.simplefilter("ignore")
                return fn(*args, quiet=quiet, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if debug:
                raise
            raise Failure(_one_line(exc)) from None

    return wrapper


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        click.echo(message, err=True)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def _outputs_free(force: bool, inputs: dict | None = None, **paths) -> None:
    """Refuse, before any work, outputs that exist (without --force) or clash.

    ``inputs`` maps the name of each input (``"--data"``, ``"TEACHER"``) to its path:
    an output that is one of them is refused even with --force, so that no command
    replaces the file it reads.
    """
    from interpretkd import io

    inputs = {name: path for name, path in (inputs or {}).items() if path is not None}
    seen: dict = {}
    for option, path in paths.items():
        if path is None:
            continue
        flag = "--" + option.replace("_", "-")
        for name, source in inputs.items():
            if _same_file(path, source):
                raise click.UsageError(
                    f"{flag} is also the input {name} ({source}); choose another "
                    "output path."
                )
        key = os.path.abspath(path)
        if key in seen:
            raise click.BadParameter(
                f"{path} is also given to {seen[key]}; give each output its own path.",
                param_hint=flag,
            )
        seen[key] = flag
        if os.path.islink(path) and not os.path.exists(path) and not force:
            raise click.BadParameter(
                f"{path} is a link to {os.readlink(path)}, which does not exist; "
                "pass --force to replace the link, or choose another path.",
                param_hint=flag,
            )
        try:
            io.check_output_path(path, overwrite=force)
        except FileExistsError:
            raise click.BadParameter(
                f"{path} already exists; pass --force to replace it.", param_hint=flag
            ) from None
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise click.BadParameter(_one_line(exc), param_hint=flag) from None


def _render_format(path: str | None, option: str) -> str | None:
    if path is None:
        return None
    fmt = RENDER_FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            f"cannot tell the picture format of {path}; end it in "
            f"{', '.join(sorted(RENDER_FORMATS))}.",
            param_hint=option,
        )
    return fmt


def _split_target(frame, target: str, data: str):
    """The features and the labels of a table read from ``data``; every row must
    have a label."""
    if target not in frame.columns:
        import difflib

        names = [str(c) for c in frame.columns]
        shown = ", ".join(repr(c) for c in names[:12])
        more = f" and {len(names) - 12} more" if len(names) > 12 else ""
        close = [c for c in names if c.lower() == target.lower()]
        close = close or difflib.get_close_matches(target, names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        message = f"column {target!r} is not in {data}; its columns are {shown}{more}."
        raise click.BadParameter(message + hint, param_hint="--target")
    y = frame[target]
    missing = [i for i, empty in enumerate(y.isna().to_numpy()) if empty]
    if missing:
        # Rows counted from 1; in a CSV file the header is line 1.
        csv = Path(data).suffix.lower() not in (".parquet", ".pq")
        where = "line" if csv else "row"
        numbers = [i + 2 if csv else i + 1 for i in missing]
        shown = ", ".join(str(n) for n in numbers[:10])
        more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        raise ValueError(
            f"{data}: the label column {target!r} is empty in {len(missing)} row(s) "
            f"({where} {shown}{more}). Fill in those labels or delete the rows."
        )
    return frame.drop(columns=[target]), y


def _make_student(
    kind: str, task: str, max_depth: int, random_state, quiet: bool, max_leaves=None
):
    if kind in ("tao-oblique", "tao-axis"):
        from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor

        cls = TAOTreeClassifier if task == "classification" else TAOTreeRegressor
        params = dict(
            max_depth=max_depth, max_leaf_nodes=max_leaves, random_state=random_state
        )
        if kind == "tao-oblique":
            params.update(split="oblique", max_features_per_split=3)
        else:
            params.update(split="axis")
        if "verbose" in cls().get_params():  # TAO's rounds, where it reports them
            params["verbose"] = int(not quiet)
        return cls(**params)
    if kind == "soft-tree":
        from interpretkd.soft_tree import (
            SoftDecisionTreeClassifier,
            SoftDecisionTreeRegressor,
        )

        cls = (
            SoftDecisionTreeClassifier
            if task == "classification"
            else SoftDecisionTreeRegressor
        )
        return cls(
            max_depth=max_depth, random_state=random_state, verbose=int(not quiet)
        )
    if kind == "tree":
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = (
            DecisionTreeClassifier
            if task == "classification"
            else DecisionTreeRegressor
        )
        return cls(
            max_depth=max_depth, max_leaf_nodes=max_leaves, random_state=random_state
        )
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # On standardised inputs the weights compare across features, and the solver
    # converges whatever the scale of the columns.
    if task == "classification":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return make_pipeline(StandardScaler(), LinearRegression())


def _make_distiller(
    task: str,
    teacher,
    student: str,
    max_depth: int,
    *,
    temperature: float,
    alpha: float,
    random_state,
    quiet: bool,
    max_leaves: int | None = None,
    **options,
):
    """The distiller ``distill`` fits, in memory or on a Dask cluster."""
    from interpretkd.distill import DistilledClassifier, DistilledRegressor

    common = dict(
        teacher=teacher,
        student=_make_student(
            student, task, max_depth, random_state, quiet, max_leaves=max_leaves
        ),
        alpha=alpha,
        random_state=random_state,
        verbose=int(not quiet),
        **options,
    )
    if task == "classification":
        return DistilledClassifier(temperature=temperature, **common)
    return DistilledRegressor(**common)


def parse_class_names(text: str | None) -> list[str] | None:
    """``--class-names a,b,c`` as a list of distinct, non-empty names."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise click.BadParameter(
            f"{text!r} has an empty name; give the names separated by commas, "
            "e.g. --class-names malignant,benign.",
            param_hint="--class-names",
        )
    if len(set(names)) != len(names):
        raise click.BadParameter(
            f"{text!r} repeats a name; give each class its own name.",
            param_hint="--class-names",
        )
    return names


def kept_class_names(model) -> list[str] | None:
    """The class names a student file keeps (``class_names_``, written by
    ``distill --class-names``); None for a file written without them."""
    names = getattr(model, "class_names_", None)
    classes = getattr(model, "classes_", None)
    if names is None or classes is None:
        return None
    if isinstance(names, str) or len(names) != len(classes):
        raise click.BadParameter(
            f"the student file keeps {len(names)} class names for its "
            f"{len(classes)} classes; pass --class-names to name them.",
            param_hint="STUDENT",
        )
    return [str(name) for name in names]


def check_class_count(names: list[str] | None, task: str, classes) -> None:
    """Refuse ``--class-names`` for a regressor, or with the wrong count."""
    if names is None:
        return
    if task != "classification":
        raise click.BadParameter(
            "the teacher is a regressor: there are no classes to name. Leave "
            "--class-names out.",
            param_hint="--class-names",
        )
    if classes is not None and len(names) != len(classes):
        shown = ", ".join(str(c) for c in classes)
        raise click.BadParameter(
            f"{len(names)} names for {len(classes)} classes ({shown}); give one "
            "name per class, in the order of the labels.",
            param_hint="--class-names",
        )


def parse_sizes(text: str | None, size_by: str = "depth") -> list[int] | None:
    """``--sizes 2..8`` (a range, both ends included) or ``--sizes 2,4,6``: depths
    from 1 to 16, or with ``--size-by leaves`` leaf budgets from 2 to 4096."""
    if text is None:
        return None
    try:
        if ".." in text:
            low, high = (int(v) for v in text.split(".."))
            sizes = list(range(low, high + 1))
        else:
            sizes = [int(v) for v in text.split(",")]
    except ValueError:
        sizes = []
    if size_by == "leaves":
        if not sizes or min(sizes) < 2 or max(sizes) > 2**LEAF_BUDGET_DEPTH:
            raise click.BadParameter(
                f"{text!r} is not a list of leaf budgets; give a list such as "
                "8,16,32,64 (budgets from 2 to 4096 leaves), or a range such as "
                "4..12 (every budget in it).",
                param_hint="--sizes",
            )
        return sorted(set(sizes))
    if not sizes or min(sizes) < 1 or max(sizes) > 16:
        raise click.BadParameter(
            f"{text!r} is not a list of depths; give a range such as 2..8 or a "
            "list such as 2,4,6 (depths from 1 to 16), or leaf budgets with "
            "--size-by leaves.",
            param_hint="--sizes",
        )
    return sorted(set(sizes))


def _write_picture(distilled, path: str, fmt: str, force: bool, class_names=None):
    from interpretkd import io
    from interpretkd.export import export_graphviz

    graph = export_graphviz(distilled, class_names=class_names)
    if fmt == "dot":
        io.write_bytes(path, graph.source, overwrite=force)
        return
    import graphviz

    try:
        data = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            "drawing the tree needs Graphviz's `dot` program: install it (Debian/"
            "Ubuntu: apt-get install graphviz; macOS: brew install graphviz), or "
            "write the DOT text with a .dot path."
        ) from None
    io.write_bytes(path, data, overwrite=force)


def _write_report(report, path: str, force: bool) -> None:
    # to_html writes atomically and refuses an existing file unless overwrite=True:
    # --force, checked before any work, is what allows it here.
    report.to_html(path, overwrite=force)


def _print_curve(curve, distilled) -> None:
    frame = curve.to_frame()
    table = frame.pivot(index="student", columns="size", values="fidelity")
    by_leaves = curve.size_by == "leaves"
    table.columns.name = "leaves" if by_leaves else "depth"
    folds = (
        f"{curve.n_folds}-fold cross-validation"
        if curve.n_folds > 1
        else "one held-out split"
    )
    what = "leaf budget" if by_leaves else "depth"
    click.echo(f"held-out fidelity by {what} ({folds} on the training rows):")
    click.echo(table.to_string(float_format=lambda v: f"{v:.4f}"))
    here = curve.locate(distilled.student_)
    if here is not None:
        name, size = here
        click.echo(
            f"this model: {name} {curve.describe_size(size)}: "
            f"{table.loc[name, size]:.4f}"
        )
    rec = curve.recommended
    click.echo(
        f"recommended: {rec['student']} {curve.describe_size(rec['size'])} "
        f"(fidelity {rec['fidelity']:.4f}; {rec['rule']})"
    )


def _finish(
    distilled,
    *,
    out: str,
    X_eval,
    y_eval,
    where: str,
    render: str | None,
    render_fmt: str | None,
    report: str | None,
    force: bool,
    quiet: bool,
    class_names: list[str] | None = None,
    X_train=None,
    y_train=None,
    sizes: list[int] | None = None,
    curve=None,
    teacher_trained_on_X: bool | None = None,
) -> dict:
    """Measure the fitted distiller on the held-out rows, print the figures (and
    the fidelity curve: ``curve``, or one by depth computed for ``sizes``), and
    write the student, picture and report.
    """
    from interpretkd import io
    from interpretkd.report import distillation_report

    classes = getattr(distilled, "classes_", None)
    task = "classification" if classes is not None else "regression"
    check_class_count(class_names, task, classes)
    names = None if class_names is None else dict(zip(classes, class_names))
    if curve is None and sizes is not None:
        _say(quiet, f"Distilling students of depths {sizes[0]}..{sizes[-1]} (3 folds)")
        curve = {"sizes": sizes, "cv": 3}
    result = distillation_report(
        distilled,
        X_eval,
        y_eval,
        teacher_trained_on_X=teacher_trained_on_X,
        X_train=X_train,
        y_train=y_train,
        curve=curve,
        class_names=names,
    )
    metrics = result.to_dict()
    if not quiet:
        _print_metrics(metrics, where)
        if result.curve is not None:
            _print_curve(result.curve, distilled)
    light = io.without_teacher(distilled)
    if class_names is not None:
        # Kept in the file: later renders and reports, and export_text /
        # export_graphviz on the loaded model, name the classes so too.
        light.class_names_ = [str(name) for name in class_names]
    io.save(light, out, overwrite=force)
    _say(quiet, f"Student written to {out}")
    if render is not None:
        _write_picture(distilled, render, render_fmt, force, class_names=names)
        _say(quiet, f"Picture written to {render}")
    if report is not None:
        _write_report(result, report, force)
        _say(quiet, f"Report written to {report}")
    return metrics


def _print_metrics(metrics: dict, where: str) -> None:
    is_clf = metrics.get("task") == "classification"
    score = "accuracy" if is_clf else "R²"
    kind = "" if is_clf else " (R² of the student against the teacher)"
    click.echo(f"fidelity{kind} on {where}: {metrics['fidelity']:.4f}")
    if "teacher_score" in metrics:
        trained = metrics.get("teacher_trained_on_X")
        if trained:
            note = " (the teacher was trained on these rows)"
        elif trained is None:  # a teacher from a file: its training rows are unknown
            note = " (optimistic if the teacher was trained on these rows)"
        else:
            note = ""
        click.echo(f"teacher {score}: {metrics['teacher_score']:.4f}{note}")
        click.echo(f"student {score}: {metrics['student_score']:.4f}")
