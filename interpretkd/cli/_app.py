"""The click command group and its sub-commands: argument parsing only."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from interpretkd._version import __version__
from interpretkd.cli._common import (
    AUGMENTERS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_STUDENT,
    DEMO_MARKER,
    LEAF_BUDGET_DEPTH,
    STUDENTS,
    TASKS,
    FiniteFloat,
    Stopped,
    _common,
    _outputs_free,
    _print_metrics,
    _render_format,
    _say,
    _split_target,
    _write_picture,
    _write_report,
    check_class_count,
    kept_class_names,
    parse_class_names,
    parse_sizes,
)
from interpretkd.cli._dask import TABLE
from interpretkd.cli._distill import run_distill

# --------------------------------------------------------------------------------------
# The program: signals end it cleanly
# --------------------------------------------------------------------------------------


class _Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so that every ``finally`` block runs
    (temporary output files are removed) as on Ctrl-C. Not an ``Exception``: code
    that handles errors does not swallow it."""


def _raise_terminated(signum, frame):
    raise _Terminated()


class _Program(click.Group):
    """The ``interpretkd`` group: Ctrl-C and SIGTERM stop a run with one line and
    exit codes 130 and 143, after the outputs in progress are cleaned up."""

    def main(self, *args, **kwargs):
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = (
            signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
        )
        try:
            return super().main(*args, **kwargs)
        finally:
            if in_main_thread:
                # None: the previous handler was not set from Python (the default).
                restored = signal.SIG_DFL if previous is None else previous
                signal.signal(signal.SIGTERM, restored)

    def invoke(self, ctx):
        # The commands import the library (torch, scikit-learn) when they run, so
        # an interruption during start-up lands here too.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Stopped("Interrupted.", 130) from None
        except _Terminated:
            raise Stopped("Terminated.", 143) from None


# --------------------------------------------------------------------------------------
# Options several commands share
# --------------------------------------------------------------------------------------

_existing_file = click.Path(exists=True, dir_okay=False)


def _options(*options):
    """One decorator for several options, listed in ``--help`` in the order given."""

    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _student_options(max_depth: int):
    return _options(
        click.option(
            "--student",
            type=click.Choice(STUDENTS),
            default=DEFAULT_STUDENT,
            show_default=True,
            help="The kind of interpretable model to train: a TAO tree with sparse "
            "oblique splits (at most 3 features a split; the most faithful at every "
            "depth measured), a TAO tree with one feature a split, a soft decision "
            "tree, scikit-learn's tree, or a linear model.",
        ),
        click.option(
            "--max-depth",
            type=click.IntRange(1, 16),
            default=max_depth,
            show_default=True,
            help="Depth of a tree student.",
        ),
        click.option(
            "--max-leaves",
            type=click.IntRange(2, 4096),
            help="A leaf budget for a tree student instead of a depth: at most this "
            "many leaves, spent where they buy the most (the tree may grow deeper "
            f"on one side; --max-depth caps it, {LEAF_BUDGET_DEPTH} unless given). "
            "For the same number of leaves it is more faithful than a full tree.",
        ),
    )


def _leaf_budget_depth(options: dict) -> None:
    """With --max-leaves or --size-by leaves and no --max-depth given, the depth is
    only a cap."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    budget = options.get("max_leaves") is not None
    if (budget or options.get("size_by") == "leaves") and ctx.get_parameter_source(
        "max_depth"
    ) is ParameterSource.DEFAULT:
        options["max_depth"] = LEAF_BUDGET_DEPTH


_teacher_options = _options(
    click.option(
        "--task",
        type=click.Choice(TASKS),
        help="The teacher's task, when its file does not say (e.g. ranking scores, "
        "an ONNX graph's unnamed output); it overrides a guess from the file.",
    ),
    click.option(
        "--trust-pickle",
        is_flag=True,
        help="Allow a pickle/joblib teacher or a whole torch module (loading them "
        "runs code).",
    ),
    click.option(
        "--trust",
        multiple=True,
        metavar="TYPE",
        help="Trust this type in a .skops file (repeatable).",
    ),
)

_class_names_option = click.option(
    "--class-names",
    metavar="NAME,NAME,...",
    help="Names of the classes, in the order of their labels (e.g. for labels 0 "
    "and 1: malignant,benign), shown in the picture and the report instead of the "
    "labels. One name per class. distill keeps them in the student file, and "
    "render and report use those unless given others.",
)

_distiller_options = _options(
    click.option(
        "--temperature",
        type=FiniteFloat(0, min_open=True),
        default=1.0,
        show_default=True,
        help="Softens the teacher's probabilities (classification).",
    ),
    click.option(
        "--alpha",
        type=FiniteFloat(0, 1),
        default=0.0,
        show_default=True,
        help="Weight of the true labels mixed into the teacher's targets.",
    ),
    click.option(
        "--augment",
        type=click.Choice(AUGMENTERS),
        default="none",
        show_default=True,
        help="Synthetic rows labeled by the teacher.",
    ),
    click.option(
        "--n-synthetic",
        type=FiniteFloat(0),
        default=1.0,
        show_default=True,
        help="Synthetic rows, as a multiple of the training rows.",
    ),
)

# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------


@click.group(cls=_Program, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="interpretkd")
def main() -> None:
    """Distill an accurate, opaque model into a model a person can read.

    Typical use: save an XGBoost model (booster.save_model("teacher.json")), then

    \b
        interpretkd distill teacher.json --data train.csv --target label \\
            --out student.skops --render tree.svg

    Run 'interpretkd COMMAND --help' for the options of each command, or
    'interpretkd demo' to see it all on bundled data.
    """


@main.command()
@click.argument("teacher", type=_existing_file)
@click.option(
    "--data",
    required=True,
    type=TABLE,
    help="Training table (.csv, .tsv or .parquet) with the target column; with "
    "--scheduler, also a pattern such as 'events/*.parquet'.",
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
    type=TABLE,
    help="More rows without labels, labeled by the teacher (same columns); with "
    "--scheduler, also a pattern.",
)
@_student_options(DEFAULT_MAX_DEPTH)
@_distiller_options
@click.option(
    "--holdout",
    type=FiniteFloat(0, 1, max_open=True),
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
@_class_names_option
@click.option(
    "--sizes",
    metavar="LOW..HIGH|N,N,...",
    help="Also measure held-out fidelity against depth (e.g. 2..8), or against "
    "the number of leaves with --size-by leaves (e.g. 8,16,32,64): students of "
    "each kind and size distilled on 3 folds of the training rows. Prints the "
    "table; the report draws the curve with this model marked.",
)
@click.option(
    "--size-by",
    type=click.Choice(("depth", "leaves")),
    default="depth",
    show_default=True,
    help="What --sizes count: depths, or leaf budgets (at most N leaves, depth "
    f"capped at {LEAF_BUDGET_DEPTH}; tao-oblique, tao-axis and tree students). "
    "With leaves and no --max-leaves, the student gets the smallest budget "
    "within 0.01 of the best held-out fidelity of its kind.",
)
@click.option("--random-state", type=int, default=0, show_default=True)
@_teacher_options
@click.option(
    "--scheduler",
    metavar="ADDRESS|local",
    help="Read --data and --unlabeled with Dask and label them on this Dask "
    "scheduler (tcp://host:8786), or on a cluster started here for the command "
    "('local'). Needs pip install 'interpretkd[dask]'.",
)
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@_common
def distill(teacher, data, target, out, quiet, **options):
    """Distill the saved model TEACHER into an interpretable student.

    TEACHER is an XGBoost model (.json or .ubj, from save_model), a LightGBM text
    model, a scikit-learn model saved with skops (.skops), an ONNX model (.onnx, with
    onnxruntime installed), or, with --trust-pickle, a pickle/joblib file or a whole
    torch module (torch.save). Prints the student's fidelity to the teacher on a
    held-out part of --data.
    """
    options["class_names"] = parse_class_names(options.pop("class_names"))
    options["sizes"] = parse_sizes(options.pop("sizes"), options["size_by"])
    _leaf_budget_depth(options)
    run_distill(teacher, data, target, out, quiet=quiet, **options)


@main.command()
@click.argument("student", type=_existing_file)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The picture: .svg, .png, .pdf, or .dot for the Graphviz text.",
)
@_class_names_option
@click.option("--trust", multiple=True, metavar="TYPE", help="Trust this type.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_common
def render(student, out, class_names, trust, force, quiet):
    """Draw the STUDENT written by 'interpretkd distill'."""
    from interpretkd import io

    names = parse_class_names(class_names)
    fmt = _render_format(out, "--out")
    _outputs_free(force, inputs={"STUDENT": student}, out=out)
    model = io.load(student, trusted=list(trust))
    classes = getattr(model, "classes_", None)
    task = "classification" if classes is not None else "regression"
    check_class_count(names, task, classes)
    if names is not None:
        names = dict(zip(classes, names))
    _write_picture(model, out, fmt, force, class_names=names)
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
@_class_names_option
@_teacher_options
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@_common
def report(
    student,
    data,
    target,
    teacher_path,
    out,
    class_names,
    task,
    trust_pickle,
    trust,
    force,
    quiet,
):
    """Measure STUDENT against its teacher on --data and write an HTML report."""
    from interpretkd import io
    from interpretkd.report import distillation_report

    names = parse_class_names(class_names)
    _outputs_free(
        force,
        inputs={"STUDENT": student, "--data": data, "--teacher": teacher_path},
        out=out,
    )
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
        model=model,
    )
    distilled = io.with_teacher(model, teacher)
    classes = getattr(distilled, "classes_", None)
    task = "classification" if classes is not None else "regression"
    check_class_count(names, task, classes)
    if names is None:  # the names distill --class-names kept in the file
        names = kept_class_names(distilled)
    result = distillation_report(
        distilled,
        X,
        y,
        class_names=None if names is None else dict(zip(classes, names)),
    )
    metrics = result.to_dict()
    _write_report(result, out, force)
    if not quiet:  # the figures distill prints, on these rows
        _print_metrics(metrics, f"{len(X)} rows")
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
        model=model,
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
@_student_options(3)
@_common
def demo(out, student, max_depth, max_leaves, quiet):
    """Distill an XGBoost model of the breast-cancer data into a small tree.

    Trains an XGBoost teacher on scikit-learn's bundled Wisconsin breast-cancer data,
    saves it and the data in --out, and runs 'interpretkd distill' on them: the
    student, its picture and a report land next to them.
    """
    options = {"max_depth": max_depth, "max_leaves": max_leaves}
    _leaf_budget_depth(options)
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

    run_distill(
        paths["teacher.json"],
        paths["train.csv"],
        "target",
        paths["student.skops"],
        student=student,
        **options,
        render=paths["tree.svg"],
        report=paths["report.html"],
        random_state=0,
        force=True,
        quiet=quiet,
        # scikit-learn's labels: 0 is malignant, 1 benign.
        class_names=["malignant", "benign"],
        # The teacher learned from every row of train.csv, held-out ones too.
        teacher_trained_on_data=True,
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
            click.echo(f"  {name:16s} {path}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
