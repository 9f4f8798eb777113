"""The distillation that ``interpretkd distill`` and ``interpretkd demo`` run."""

from __future__ import annotations

import click

from interpretkd.cli._common import (
    CURVE_KINDS,
    DEFAULT_MAX_DEPTH,
    DEFAULT_STUDENT,
    LEAF_BUDGET_KINDS,
    _finish,
    _make_distiller,
    _outputs_free,
    _render_format,
    _say,
    _split_target,
    check_class_count,
)
from interpretkd.cli._dask import check_pattern, distill_on_dask


def run_distill(
    teacher_path: str,
    data: str,
    target: str,
    out: str,
    *,
    unlabeled: str | None = None,
    student: str = DEFAULT_STUDENT,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_leaves: int | None = None,
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
    scheduler: str | None = None,
    class_names: list[str] | None = None,
    sizes: list[int] | None = None,
    size_by: str = "depth",
    teacher_trained_on_data: bool | None = None,
) -> dict:
    """Distill a saved teacher into a student file: the body of ``distill``, ``demo``.

    Returns the held-out figures as a dict. Options are checked by the command's
    parser (``--holdout`` in [0, 1), finite numbers); outputs are checked here,
    before any work. ``teacher_trained_on_data``: whether the teacher was trained
    on the rows of ``data`` (the report labels its scores so); None: not said.
    ``size_by="leaves"``: ``sizes`` are leaf budgets; without ``max_leaves`` the
    student gets the budget the curve recommends for its kind.
    """
    from sklearn.model_selection import train_test_split

    from interpretkd import io

    render_fmt = _render_format(render, "--render")
    # What _finish writes and says, in memory or on a cluster.
    outputs = dict(
        out=out,
        render=render,
        render_fmt=render_fmt,
        report=report,
        force=force,
        quiet=quiet,
        class_names=class_names,
    )
    check_pattern(data, "--data", scheduler)
    check_pattern(unlabeled, "--unlabeled", scheduler)
    _outputs_free(
        force,
        inputs={"TEACHER": teacher_path, "--data": data, "--unlabeled": unlabeled},
        out=out,
        render=render,
        report=report,
    )

    _say(quiet, f"Loading teacher {teacher_path}")
    teacher = io.load_teacher(
        teacher_path, trust_pickle=trust_pickle, task=task, trusted=list(trust)
    )
    task = io.teacher_task(teacher)
    check_class_count(class_names, task, getattr(teacher, "classes_", None))
    if size_by == "leaves" and sizes is None:
        raise click.BadParameter(
            "--size-by says what --sizes count; give the leaf budgets to compare "
            "too, e.g. --sizes 8,16,32,64 --size-by leaves.",
            param_hint="--size-by",
        )
    if sizes is not None and student not in CURVE_KINDS:
        raise click.BadParameter(
            f"a {student} student has no depth to choose; --sizes compares tree "
            f"students ({', '.join(CURVE_KINDS)}).",
            param_hint="--sizes",
        )
    if size_by == "leaves" and student not in LEAF_BUDGET_KINDS:
        raise click.BadParameter(
            f"a {student} student has no leaf budget (a soft tree always has "
            f"2**depth leaves); --size-by leaves compares "
            f"{', '.join(LEAF_BUDGET_KINDS)} students. Choose one of them with "
            "--student, or compare depths (--size-by depth).",
            param_hint="--size-by",
        )
    if max_leaves is not None and student not in LEAF_BUDGET_KINDS:
        raise click.BadParameter(
            f"a {student} student has no leaf budget; --max-leaves applies to "
            f"{', '.join(LEAF_BUDGET_KINDS)} students.",
            param_hint="--max-leaves",
        )
    if max_leaves is not None and sizes is not None and size_by != "leaves":
        raise click.BadParameter(
            "--sizes compares students by depth; add --size-by leaves to compare "
            "leaf budgets (this model is then marked on the curve), or leave "
            "--max-leaves out.",
            param_hint="--sizes",
        )
    if task == "regression" and temperature != 1.0:
        raise click.BadParameter(
            "the temperature softens class probabilities; the teacher is a "
            "regressor. Leave --temperature out.",
            param_hint="--temperature",
        )
    distilled = _make_distiller(
        task,
        teacher,
        student,
        max_depth,
        temperature=temperature,
        alpha=alpha,
        random_state=random_state,
        quiet=quiet,
        max_leaves=max_leaves,
        augment=None if augment == "none" else augment,
        n_synthetic=n_synthetic,
    )
    if scheduler is not None:  # read, label and measure on a Dask cluster
        if augment != "none":
            raise click.BadParameter(
                "synthetic rows are drawn from --data in memory; with --scheduler "
                "leave --augment out (pass the larger pool as --unlabeled).",
                param_hint="--augment",
            )
        if sizes is not None:
            raise click.BadParameter(
                "the fidelity curve distills many students in memory; with "
                "--scheduler leave --sizes out (run it on a sample of --data).",
                param_hint="--sizes",
            )
        return distill_on_dask(
            scheduler,
            distilled,
            data,
            target,
            unlabeled=unlabeled,
            student=student,
            holdout=holdout,
            random_state=random_state,
            outputs=outputs,
        )
    names = io.model_feature_names(teacher)
    n_features = io.model_n_features(teacher)

    frame = io.read_table(data)
    features, y = _split_target(frame, target, data)
    X = io.prepare_features(
        features, feature_names=names, n_features=n_features, model=teacher
    )
    pool = None
    if unlabeled is not None:
        pool_frame = io.read_table(unlabeled)
        if target in pool_frame.columns:
            pool_frame = pool_frame.drop(columns=[target])
        pool = io.prepare_features(
            pool_frame, feature_names=names, n_features=n_features, model=teacher
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

    curve = None
    if size_by == "leaves":
        curve = _leaf_curve(teacher, distilled, X_fit, y_fit, sizes, quiet)
        if max_leaves is None:  # the budget the curve recommends for this kind
            rec = curve.recommend(student=CURVE_KINDS[student])
            distilled.student.set_params(max_leaf_nodes=rec["size"])
            _say(
                quiet,
                f"Chosen: the {student} student with at most {rec['size']} leaves "
                f"({rec['rule']} of its kind; --max-leaves N sets it yourself)",
            )
    budget = distilled.student.get_params(deep=False).get("max_leaf_nodes")
    _say(
        quiet,
        f"Distilling into a {student} student"
        + (f" with at most {budget} leaves" if budget is not None else "")
        + f" on {len(X_fit)} rows"
        + (f" and {len(pool)} unlabeled rows" if pool is not None else ""),
    )
    distilled.fit(X_fit, y_fit, X_unlabeled=pool)
    held_out = X_eval is not X_fit
    return _finish(
        distilled,
        X_eval=X_eval,
        y_eval=y_eval,
        where=where,
        **outputs,
        X_train=X_fit if held_out else None,
        y_train=y_fit if held_out else None,
        sizes=sizes,
        curve=curve,
        teacher_trained_on_X=teacher_trained_on_data,
    )


def _leaf_curve(teacher, distilled, X, y, sizes: list[int], quiet: bool):
    """Held-out fidelity of the tree kinds at each leaf budget, on 3 folds of the
    training rows, distilled as ``distilled`` distills (its other options)."""
    from interpretkd.selection import fidelity_curve

    _say(
        quiet,
        f"Distilling students with at most {sizes[0]}..{sizes[-1]} leaves (3 folds)",
    )
    params = {
        key: value
        for key, value in distilled.get_params(deep=False).items()
        if key not in ("teacher", "student", "random_state", "verbose")
    }
    return fidelity_curve(
        teacher,
        X,
        y,
        students=("tao-oblique", "tao-axis", "cart"),
        sizes=sizes,
        size_by="leaves",
        cv=3,
        distiller_params=params,
        random_state=distilled.random_state,
    )
