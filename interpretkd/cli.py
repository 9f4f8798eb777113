"""The ``interpretkd`` console script: distill, render, report, predict and demo.

This module parses the command line and calls the library: :mod:`interpretkd.io`
reads teachers, students and tables and writes outputs atomically,
:mod:`interpretkd.distill` distills, :mod:`interpretkd.metrics`,
:mod:`interpretkd.report` and :mod:`interpretkd.export` measure and draw. Exit codes:
0 on success, 2 on bad usage (unknown option, missing input file, an output that
exists without ``--force`` or that is one of the inputs, a target column the data
lacks), 1 on any other failure, with a one-line message and no traceback unless
``--debug``.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from pathlib import Path

import click

from interpretkd._version import __version__

__all__ = ["main"]

STUDENTS = ("soft-tree", "tree", "linear")
AUGMENTERS = ("none", "munge", "noise", "active")
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
        except KeyboardInterrupt:
            raise click.Abort() from None
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
    if target not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:12])
        more = " ..." if frame.shape[1] > 12 else ""
        raise click.BadParameter(
            f"column {target!r} is not in {data}; its columns are {shown}{more}.",
            param_hint="--target",
        )
    return frame.drop(columns=[target]), frame[target]


def _make_student(kind: str, task: str, max_depth: int, random_state, quiet: bool):
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
        return cls(max_depth=max_depth, random_state=random_state)
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # On standardised inputs the weights compare across features, and the solver
    # converges whatever the scale of the columns.
    if task == "classification":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return make_pipeline(StandardScaler(), LinearRegression())


def _write_picture(distilled, path: str, fmt: str, force: bool) -> None:
    from interpretkd import io
    from interpretkd.export import export_graphviz

    graph = export_graphviz(distilled)
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


def _check_html_reports() -> None:
    from interpretkd.report import DistillationReport

    if not hasattr(DistillationReport, "to_html"):
        raise RuntimeError(
            "this version of interpretkd.report cannot write HTML reports; leave out "
            "the report output."
        )


def _write_report(report, path: str, force: bool) -> None:
    _check_html_reports()
    # to_html writes atomically and refuses an existing file unless overwrite=True:
    # --force, checked before any work, is what allows it here.
    report.to_html(path, overwrite=force)


def _print_scores(quiet: bool, distilled, X_eval, y_eval, where: str) -> dict:
    from interpretkd.report import distillation_report

    metrics = distillation_report(distilled, X_eval, y_eval).to_dict()
    if quiet:
        return metrics
    is_clf = metrics.get("task") == "classification"
    score = "accuracy" if is_clf else "R²"
    kind = "" if is_clf else " (R² of the student against the teacher)"
    click.echo(f"fidelity{kind} on {where}: {metrics['fidelity']:.4f}")
    if "teacher_score" in metrics:
        click.echo(f"teacher {score}: {metrics['teacher_score']:.4f}")
        click.echo(f"student {score}: {metrics['student_score']:.4f}")
    return metrics


def run_distill(
    teacher_path: str,
    data: str,
    target: str,
    out: str,
    *,
    unlabeled: str | None = None,
    student: str = "soft-tree",
    max_depth: int = DEFAULT_MAX_DEPTH,
    temperature: float = 1.0,
    alpha: float = 0.0,
    augment: str = "none",
    n_synthetic: float = 1.0,
    holdout: float = 0.2,
    render: str | None = None,
    report: str | None = None,
    random_state: int | None = 0,
    task: str | None = None,
    trust_pickle: bool = False,
    trust: tuple = (),
    force: bool = False,
    quiet: bool = False,
) -> dict:
    """Distill a saved teacher into a student file: the body of ``distill``, ``demo``.

    Returns the held-out figures as a dict.
    """
    from sklearn.model_selection import train_test_split

    from interpretkd import io
    from interpretkd.distill import DistilledClassifier, DistilledRegressor

    render_fmt = _render_format(render, "--render")
    _outputs_free(
        force,
        inputs={"TEACHER": teacher_path, "--data": data, "--unlabeled": unlabeled},
        out=out,
        render=render,
        report=report,
    )
    if report is not None:
        _check_html_reports()
    if not 0.0 <= holdout < 1.0:
        raise click.BadParameter(
            f"{holdout} is not a fraction in [0, 1).", param_hint="--holdout"
        )

    _say(quiet, f"Loading teacher {teacher_path}")
    teacher = io.load_teacher(
        teacher_path, trust_pickle=trust_pickle, task=task, trusted=list(trust)
    )
    task = io.teacher_task(teacher)
    if task == "regression" and temperature != 1.0:
        raise click.BadParameter(
            "the temperature softens class probabilities; the teacher is a "
            "regressor. Leave --temperature out.",
            param_hint="--temperature",
        )
    names = io.model_feature_names(teacher)
    n_features = io.model_n_features(teacher)

    frame = io.read_table(data)
    features, y = _split_target(frame, target, data)
    X = io.prepare_features(features, feature_names=names, n_features=n_features)
    pool = None
    if unlabeled is not None:
        pool_frame = io.read_table(unlabeled)
        if target in pool_frame.columns:
            pool_frame = pool_frame.drop(columns=[target])
        pool = io.prepare_features(
            pool_frame, feature_names=names, n_features=n_features
        )
        if names is None and list(pool.columns) != list(X.columns):
            pool.columns = X.columns

    if holdout > 0 and len(X) >= 10:
        stratify = None
        if task == "classification" and y.value_counts().min() >= 2:
            stratify = y
        X_fit, X_eval, y_fit, y_eval = train_test_split(
            X, y, test_size=holdout, random_state=random_state, stratify=stratify
        )
        where = f"{len(X_eval)} held-out rows"
    else:
        X_fit, X_eval, y_fit, y_eval = X, X, y, y
        where = f"the {len(X)} training rows (no held-out split)"

    model = _make_student(student, task, max_depth, random_state, quiet)
    common = dict(
        teacher=teacher,
        student=model,
        alpha=alpha,
        augment=None if augment == "none" else augment,
        n_synthetic=n_synthetic,
        random_state=random_state,
        verbose=int(not quiet),
    )
    if task == "classification":
        distilled = DistilledClassifier(temperature=temperature, **common)
    else:
        distilled = DistilledRegressor(**common)
    _say(
        quiet,
        f"Distilling into a {student} student on {len(X_fit)} rows"
        + (f" and {len(pool)} unlabeled rows" if pool is not None else ""),
    )
    distilled.fit(X_fit, y_fit, X_unlabeled=pool)
    metrics = _print_scores(quiet, distilled, X_eval, y_eval, where)

    io.save(io.without_teacher(distilled), out, overwrite=force)
    _say(quiet, f"Student written to {out}")
    if render is not None:
        _write_picture(distilled, render, render_fmt, force)
        _say(quiet, f"Picture written to {render}")
    if report is not None:
        from interpretkd.report import distillation_report

        _write_report(distillation_report(distilled, X_eval, y_eval), report, force)
        _say(quiet, f"Report written to {report}")
    return metrics


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------

_existing_file = click.Path(exists=True, dir_okay=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="interpretkd")
def main() -> None:
    """Distill an accurate, opaque model into a model a person can read.

    Typical use: save an XGBoost model with ``booster.save_model("teacher.json")``,
    then ``interpretkd distill teacher.json --data train.csv --target label --out
    student.skops --render tree.svg``. Run ``interpretkd COMMAND --help`` for the
    options of each command, or ``interpretkd demo`` to see it all on bundled data.
    """


@main.command()
@click.argument("teacher", type=_existing_file)
@click.option(
    "--data",
    required=True,
    type=_existing_file,
    help="Training table (.csv, .tsv or .parquet) with the target column.",
)
@click.option("--target", required=True, help="Name of the label column in --data.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the student (.skops).",
)
@click.option(
    "--unlabeled",
    type=_existing_file,
    help="More rows without labels, labeled by the teacher (same columns).",
)
@click.option(
    "--student",
    type=click.Choice(STUDENTS),
    default="soft-tree",
    show_default=True,
    help="The kind of interpretable model to train.",
)
@click.option(
    "--max-depth",
    type=click.IntRange(1, 16),
    default=DEFAULT_MAX_DEPTH,
    show_default=True,
    help="Depth of a tree student.",
)
@click.option(
    "--temperature",
    type=click.FloatRange(0, min_open=True),
    default=1.0,
    show_default=True,
    help="Softens the teacher's probabilities (classification).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Weight of the true labels mixed into the teacher's targets.",
)
@click.option(
    "--augment",
    type=click.Choice(AUGMENTERS),
    default="none",
    show_default=True,
    help="Synthetic rows labeled by the teacher.",
)
@click.option(
    "--n-synthetic",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Synthetic rows, as a multiple of the training rows.",
)
@click.option(
    "--holdout",
    type=float,
    default=0.2,
    show_default=True,
    help="Share of --data kept aside to measure fidelity (0: measure on training).",
)
@click.option(
    "--render",
    type=click.Path(dir_okay=False),
    help="Also draw the student (.svg, .png, .pdf or .dot).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    help="Also write an HTML report on the held-out rows.",
)
@click.option("--random-state", type=int, default=0, show_default=True)
@click.option(
    "--task",
    type=click.Choice(("classification", "regression")),
    help="The teacher's task, when its file does not say (e.g. ranking scores).",
)
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="Allow a pickle/joblib teacher (loading a pickle runs code).",
)
@click.option(
    "--trust",
    multiple=True,
    metavar="TYPE",
    help="Trust this type in a .skops teacher (repeatable).",
)
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@_common
def distill(teacher, data, target, out, quiet, **options):
    """Distill the saved model TEACHER into an interpretable student.

    TEACHER is an XGBoost model (.json or .ubj, from save_model), a LightGBM text
    model, a scikit-learn model saved with skops (.skops), an ONNX model (.onnx, with
    onnxruntime installed), or, with --trust-pickle, a pickle/joblib file. Prints the
    student's fidelity to the teacher on a held-out part of --data.
    """
    run_distill(teacher, data, target, out, quiet=quiet, **options)


@main.command()
@click.argument("student", type=_existing_file)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The picture: .svg, .png, .pdf, or .dot for the Graphviz text.",
)
@click.option("--trust", multiple=True, metavar="TYPE", help="Trust this type.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_common
def render(student, out, trust, force, quiet):
    """Draw the STUDENT written by ``interpretkd distill``."""
    from interpretkd import io

    fmt = _render_format(out, "--out")
    _outputs_free(force, inputs={"STUDENT": student}, out=out)
    model = io.load(student, trusted=list(trust))
    _write_picture(model, out, fmt, force)
    _say(quiet, f"Picture written to {out}")


@main.command()
@click.argument("student", type=_existing_file)
@click.option(
    "--data", required=True, type=_existing_file, help="Test table with the target."
)
@click.option("--target", required=True, help="Name of the label column in --data.")
@click.option(
    "--teacher",
    "teacher_path",
    type=_existing_file,
    help="The teacher model, to measure fidelity (needed: a student file holds no "
    "teacher).",
)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="The HTML report."
)
@click.option("--task", type=click.Choice(("classification", "regression")))
@click.option("--trust-pickle", is_flag=True, help="Allow a pickle/joblib teacher.")
@click.option("--trust", multiple=True, metavar="TYPE", help="Trust this type.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_common
def report(
    student, data, target, teacher_path, out, task, trust_pickle, trust, force, quiet
):
    """Measure STUDENT against its teacher on --data and write an HTML report."""
    from interpretkd import io
    from interpretkd.report import distillation_report

    _outputs_free(
        force,
        inputs={"STUDENT": student, "--data": data, "--teacher": teacher_path},
        out=out,
    )
    _check_html_reports()
    model = io.load(student, trusted=list(trust))
    if teacher_path is None:
        raise click.BadParameter(
            f"{student} holds the student only; pass its teacher with --teacher to "
            "measure fidelity.",
            param_hint="--teacher",
        )
    teacher = io.load_teacher(
        teacher_path, trust_pickle=trust_pickle, task=task, trusted=list(trust)
    )
    frame = io.read_table(data)
    features, y = _split_target(frame, target, data)
    X = io.prepare_features(
        features,
        feature_names=io.model_feature_names(model),
        n_features=io.model_n_features(model),
        allow_extra=True,
        model_name="the student",
    )
    distilled = io.with_teacher(model, teacher)
    result = distillation_report(distilled, X, y)
    metrics = result.to_dict()
    _write_report(result, out, force)
    _say(quiet, f"fidelity on {len(X)} rows: {metrics['fidelity']:.4f}")
    _say(quiet, f"Report written to {out}")


@main.command()
@click.argument("student", type=_existing_file)
@click.option(
    "--data",
    required=True,
    type=_existing_file,
    help="Rows to predict (.csv/.parquet).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Predictions table (.csv, .tsv or .parquet).",
)
@click.option(
    "--proba", is_flag=True, help="Add one probability column per class (classifiers)."
)
@click.option("--trust", multiple=True, metavar="TYPE", help="Trust this type.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_common
def predict(student, data, out, proba, trust, force, quiet):
    """Predict the rows of --data with STUDENT; columns it does not use are ignored."""
    import pandas as pd

    from interpretkd import io

    _outputs_free(force, inputs={"STUDENT": student, "--data": data}, out=out)
    model = io.load(student, trusted=list(trust))
    frame = io.read_table(data)
    X = io.prepare_features(
        frame,
        feature_names=io.model_feature_names(model),
        n_features=io.model_n_features(model),
        allow_extra=True,
        model_name="the student",
    )
    result = pd.DataFrame({"prediction": model.predict(X)})
    if proba:
        if not hasattr(model, "predict_proba"):
            raise click.BadParameter(
                "the student is a regressor and has no probabilities.",
                param_hint="--proba",
            )
        P = model.predict_proba(X)
        for j, label in enumerate(model.classes_):
            result[f"proba_{label}"] = P[:, j]
    io.write_table(result, out, overwrite=force)
    _say(quiet, f"{len(result)} predictions written to {out}")


@main.command()
@click.option(
    "--out",
    default="interpretkd-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the demo's files (created; the demo replaces its own files).",
)
@click.option(
    "--student",
    type=click.Choice(STUDENTS),
    default="soft-tree",
    show_default=True,
)
@click.option("--max-depth", type=click.IntRange(1, 16), default=3, show_default=True)
@_common
def demo(out, student, max_depth, quiet):
    """Distill an XGBoost model of the breast-cancer data into a small tree.

    Trains an XGBoost teacher on scikit-learn's bundled Wisconsin breast-cancer data,
    saves it and the data in --out, and runs ``interpretkd distill`` on them: the
    student, its picture and a report land next to them.
    """
    import xgboost
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    from interpretkd import io

    directory = Path(out)
    if directory.exists() and any(directory.iterdir()):
        if not (directory / DEMO_MARKER).exists():
            raise click.BadParameter(
                f"{directory} exists and was not made by `interpretkd demo`; choose "
                "another directory or empty it.",
                param_hint="--out",
            )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / DEMO_MARKER).write_text("Made by `interpretkd demo`.\n")

    frame = load_breast_cancer(as_frame=True).frame
    train, test = train_test_split(
        frame, test_size=0.25, random_state=0, stratify=frame["target"]
    )
    paths = {
        name: str(directory / name)
        for name in (
            "train.csv",
            "test.csv",
            "teacher.json",
            "student.skops",
            "tree.svg",
            "report.html",
            "predictions.csv",
        )
    }
    io.write_table(train, paths["train.csv"], overwrite=True)
    io.write_table(test, paths["test.csv"], overwrite=True)
    _say(quiet, f"Training an XGBoost teacher on {len(train)} rows")
    teacher = xgboost.XGBClassifier(
        n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0
    )
    teacher.fit(train.drop(columns=["target"]), train["target"])
    with io.atomic_output(paths["teacher.json"], overwrite=True) as tmp:
        teacher.save_model(str(tmp))  # the temporary name keeps the .json suffix

    try:
        _check_html_reports()
    except RuntimeError:  # the report module of this build writes no HTML yet
        paths["report.html"] = None
    run_distill(
        paths["teacher.json"],
        paths["train.csv"],
        "target",
        paths["student.skops"],
        student=student,
        max_depth=max_depth,
        render=paths["tree.svg"],
        report=paths["report.html"],
        random_state=0,
        force=True,
        quiet=quiet,
    )
    model = io.load(paths["student.skops"])
    X_test = test.drop(columns=["target"])
    fidelity = float((model.predict(X_test) == teacher.predict(X_test)).mean())
    import pandas as pd

    io.write_table(
        pd.DataFrame({"prediction": model.predict(X_test)}),
        paths["predictions.csv"],
        overwrite=True,
    )
    if not quiet:
        click.echo(f"fidelity on the {len(test)} rows of test.csv: {fidelity:.4f}")
        click.echo(f"Demo files in {directory}:")
        for name, path in paths.items():
            if path is not None:
                click.echo(f"  {name:16s} {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
