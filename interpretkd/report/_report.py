"""Distillation reports: fidelity, accuracy and size of a distilled model, on rows
that are said to be held out or not."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

from interpretkd._dask import any_dask
from interpretkd.metrics import fidelity_score, student_complexity
from interpretkd.report._html import _render_html


class DistillationReport:
    """The figures of one distilled model on one dataset.

    Attributes
    ----------
    metrics : dict
        ``fidelity``, ``teacher_score`` and ``student_score`` (accuracy or R², when
        ``y`` was given) and ``n_samples`` on the rows ``X``; the same prefixed
        ``train_`` on ``X_train`` when it was given; ``teacher_trained_on_X`` and
        ``student_trained_on_X`` (True, False or None: not said); and the student's
        size (see :func:`~interpretkd.metrics.student_complexity`).
    distilled : estimator
        The fitted distiller the figures describe.
    curve : FidelityCurve or None
        Held-out fidelity against size (see :func:`~interpretkd.fidelity_curve`).
    leaves : DataFrame or None
        :func:`~interpretkd.leaf_fidelity` on ``X`` (tree students).
    classes : DataFrame or None
        :func:`~interpretkd.selection.class_fidelity` on ``X`` (classification).
    confusion : DataFrame or None
        :func:`~interpretkd.selection.decision_confusion` on ``X``
        (classification).
    class_names : dict or None
        The name shown for each class label, where names were given.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import DistilledClassifier, distillation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=50, random_state=0)
    >>> forest = forest.fit(X[:400], y[:400])
    >>> model = DistilledClassifier(forest, DecisionTreeClassifier(max_depth=3))
    >>> report = distillation_report(model.fit(X[:400], y[:400]), X[400:], y[400:])
    >>> report.metrics["fidelity"] == model.fidelity(X[400:])
    True
    >>> import tempfile
    >>> from pathlib import Path
    >>> page = report.to_html(Path(tempfile.mkdtemp()) / "report.html", shap=False)
    """

    def __init__(
        self,
        distilled,
        metrics: dict,
        X=None,
        y=None,
        *,
        curve=None,
        leaves=None,
        classes=None,
        confusion=None,
        class_names=None,
    ):
        self.distilled = distilled
        self.metrics = metrics
        self.curve = curve
        self.leaves = leaves
        self.classes = classes
        self.confusion = confusion
        self.class_names = class_names
        self._X = X
        self._y = y

    def to_dict(self) -> dict:
        """The figures as a plain dict."""
        return dict(self.metrics)

    def to_frame(self) -> pd.DataFrame:
        """The figures as a one-column DataFrame indexed by metric name."""
        return pd.DataFrame({"value": pd.Series(self.metrics, dtype=object)})

    def to_html(
        self,
        path=None,
        *,
        max_depth: int | None = 6,
        shap: bool = True,
        n_background: int = 50,
        max_samples: int = 100,
        title: str | None = None,
        overwrite: bool = False,
        verbose: int | None = None,
    ) -> str:
        """Write the report as one self-contained, printable HTML file.

        The page holds the figures, each labelled with the rows it was measured on
        (held-out or training rows); the fidelity-versus-size curve with this
        model marked (when the report has a curve); the student drawn by
        :func:`~interpretkd.export.export_graphviz` at full size in a scrollable
        view with zoom buttons, and its text rules; fidelity and coverage per leaf;
        the teacher-versus-student table of decisions and fidelity per class
        (classification) or the gaps (regression); and the SHAP comparison of
        :func:`~interpretkd.explain.compare_shap` (inline PNG) when ``shap`` is
        installed. Printed, the tree shrinks to the page width.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write the file; None only returns the text.
        max_depth : int or None, default=6
            Depth to which the student is drawn; deeper subtrees are shown as stubs.
        shap : bool, default=True
            Include the SHAP comparison (it costs model evaluations; see
            :func:`~interpretkd.explain.compare_shap`).
        n_background, max_samples : int, default=50, 100
            Passed to :func:`~interpretkd.explain.compare_shap`.
        title : str, default=None
            Page title; by default names the teacher and the student.
        overwrite : bool, default=False
            Whether an existing file at ``path`` may be replaced. The file is
            written atomically (see :func:`interpretkd.io.write_bytes`).
        verbose : int, default=None
            When > 0, say on stderr what the slow steps (SHAP) are doing; None
            follows the distiller's ``verbose``.

        Returns
        -------
        html : str

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is False (checked before rendering).
        """
        if path is not None:
            from interpretkd import io as kd_io

            kd_io.check_output_path(path, overwrite=overwrite)
        if verbose is None:
            verbose = getattr(self.distilled, "verbose", 0)
        text = _render_html(
            self,
            max_depth=max_depth,
            shap=shap,
            n_background=n_background,
            max_samples=max_samples,
            title=title,
            verbose=verbose,
        )
        if path is not None:
            kd_io.write_bytes(path, text, overwrite=overwrite)
        return text

    def __getitem__(self, key):
        return self.metrics[key]

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={_fmt(v)}" for k, v in self.metrics.items())
        return f"DistillationReport({body})"


def _fmt(v):
    return f"{v:.4f}" if isinstance(v, float) else repr(v)


def _check_flag(value, name: str):
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    raise TypeError(
        f"{name} must be True, False or None (not said); got {value!r}. It says "
        "whether that model was trained on the rows X, so that the report can "
        "label its figures as held-out or training figures."
    )


def _scores(distilled, X, y, is_clf: bool) -> dict:
    if any_dask(X, y):  # over every row, partition by partition on the workers
        from interpretkd._dask_scores import scores_on_partitions

        return scores_on_partitions(distilled, X, y)
    out = {"n_samples": int(len(X)), "fidelity": fidelity_score(None, distilled, X)}
    if y is not None:
        score = accuracy_score if is_clf else r2_score
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
        out["teacher_score"] = float(score(y, distilled.teacher_predict(X)))
        out["student_score"] = float(score(y, distilled.predict(X)))
    return out


def distillation_report(
    distilled,
    X,
    y=None,
    *,
    teacher_trained_on_X: bool | None = None,
    student_trained_on_X: bool | None = False,
    X_train=None,
    y_train=None,
    curve=None,
    class_names=None,
) -> DistillationReport:
    """Measure a fitted distiller on ``X`` (held-out data, ideally).

    Parameters
    ----------
    distilled : DistilledClassifier or DistilledRegressor
        A fitted distiller.
    X : array-like of shape (n_samples, n_features)
        The rows every figure, table and picture of the report is measured on. With
        Dask collections (``X``, and ``y`` partitioned alike), the figures are
        computed over every row on the workers, and the tables and pictures on a
        uniform sample of at most 10,000 rows, as the page says.
    y : array-like of shape (n_samples,), default=None
        True labels or values; when given, the teacher's and the student's accuracy
        (classification) or R² (regression) are reported too.
    teacher_trained_on_X : bool or None, default=None
        Whether the teacher was trained on the rows ``X``. A teacher scores
        optimistically on its own training rows (often 1.0): the report says so
        next to its score. None: not said, and the report says that too.
    student_trained_on_X : bool or None, default=False
        Whether the student was distilled on the rows ``X``; False (the default)
        labels the figures "held-out rows".
    X_train, y_train : array-like, default=None
        The rows the student was distilled on: the same figures on them appear in
        a "training rows" column, so over-fitting shows.
    curve : FidelityCurve, bool, dict or None, default=None
        A :func:`~interpretkd.fidelity_curve` result to draw with this model
        marked. True computes one on ``X_train`` and ``y_train`` (5-fold
        cross-validation over depths 2-8 of TAO oblique, TAO axis, CART and this
        model's own kind of student, with this distiller's parameters); a dict
        does the same with these keyword arguments of ``fidelity_curve`` (e.g.
        ``{"sizes": range(2, 6), "cv": 3}``).
    class_names : list of str or dict, default=None
        Names to show for the classes, for numeric labels: one per class in the
        order of ``distilled.classes_``, or a dict from label to name. None shows
        the labels themselves.

    Returns
    -------
    report : DistillationReport

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import DistilledClassifier, distillation_report
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0)
    >>> forest = forest.fit(X_train, y_train)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    >>> model = DistilledClassifier(forest, tree).fit(X_train, y_train)
    >>> report = distillation_report(
    ...     model, X_test, y_test, teacher_trained_on_X=False,
    ...     X_train=X_train, y_train=y_train,
    ... )
    >>> report["train_teacher_score"]  # the forest on its own training rows
    1.0
    >>> report["teacher_score"] < 1.0
    True
    """
    if not hasattr(distilled, "student_"):
        raise TypeError(
            f"distillation_report needs a fitted DistilledClassifier or "
            f"DistilledRegressor, got {type(distilled).__name__}. Call fit first."
        )
    teacher_flag = _check_flag(teacher_trained_on_X, "teacher_trained_on_X")
    student_flag = _check_flag(student_trained_on_X, "student_trained_on_X")
    if X_train is None and y_train is not None:
        raise ValueError(
            "y_train was given without X_train; pass the rows the student was "
            "distilled on as X_train, with their labels as y_train."
        )
    is_clf = hasattr(distilled, "classes_")
    metrics: dict = {"task": "classification" if is_clf else "regression"}
    metrics.update(_scores(distilled, X, y, is_clf))
    metrics["teacher_trained_on_X"] = teacher_flag
    metrics["student_trained_on_X"] = student_flag
    if X_train is not None:
        train = _scores(distilled, X_train, y_train, is_clf)
        metrics.update({f"train_{k}": v for k, v in train.items()})
        metrics["n_train_samples"] = metrics.pop("train_n_samples")
    for key, value in student_complexity(distilled).items():
        metrics[f"student_{key}"] = value
    if any_dask(X, y):  # the tables and pictures: a uniform sample, in memory
        from interpretkd._dask_scores import REPORT_ROWS, sample_on_partitions

        X, y = sample_on_partitions(X, y, n=REPORT_ROWS)
    if curve is False:
        curve = None
    elif curve is True or isinstance(curve, dict):
        options = {} if curve is True else dict(curve)
        curve = _own_curve(distilled, X_train, y_train, options)
    elif curve is not None and not hasattr(curve, "recommend"):
        raise TypeError(
            "curve must be a FidelityCurve (from interpretkd.fidelity_curve), True "
            "or a dict of fidelity_curve's options to compute one on X_train, or "
            f"None; got {type(curve).__name__}."
        )
    from interpretkd.selection import (
        class_fidelity,
        decision_confusion,
        leaf_fidelity,
    )

    names = check_class_names(class_names, distilled)
    try:
        leaves = leaf_fidelity(distilled, X)
    except TypeError:  # a student without leaves (linear)
        leaves = None
    classes = class_fidelity(distilled, X) if is_clf else None
    confusion = decision_confusion(distilled, X) if is_clf else None
    if names:
        confusion = confusion.rename(index=names, columns=names)
        classes = classes.rename(index=names)
        if leaves is not None:
            for column in ("student", "teacher_instead"):
                leaves[column] = leaves[column].map(lambda c: names.get(c, c))
    return DistillationReport(
        distilled,
        metrics,
        X=X,
        y=y,
        curve=curve,
        leaves=leaves,
        classes=classes,
        confusion=confusion,
        class_names=names,
    )


def check_class_names(class_names, distilled) -> dict | None:
    """``class_names`` (a list, one per class, or a {label: name} dict) as a dict
    from each class label of ``distilled`` to its name; None when not given."""
    if class_names is None:
        return None
    classes = getattr(distilled, "classes_", None)
    if classes is None:
        raise ValueError(
            "class_names was given but the model is a regressor; leave it out."
        )
    classes = list(classes)
    if isinstance(class_names, dict):
        unknown = [k for k in class_names if k not in classes]
        if unknown:
            raise ValueError(
                f"class_names names the labels {unknown}, which are not classes of "
                f"the model; its classes are {classes}."
            )
        return {c: str(class_names.get(c, c)) for c in classes}
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise TypeError(
            "class_names must be a list of names, one per class, or a dict from "
            f"label to name; got {type(class_names).__name__}."
        )
    names = [str(n) for n in class_names]
    if len(names) != len(classes):
        raise ValueError(
            f"class_names has {len(names)} names but the model has {len(classes)} "
            f"classes ({', '.join(map(str, classes))}); give one name per class, "
            "in that order."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"class_names repeats a name: {names}; give distinct names.")
    return dict(zip(classes, names))


def _own_curve(distilled, X_train, y_train, options: dict):
    """The curve of the default kinds plus this model's kind, on its training rows."""
    from sklearn.base import clone

    from interpretkd.selection import fidelity_curve, student_kind

    if X_train is None:
        raise ValueError(
            "curve=True computes the fidelity curve on the student's training rows: "
            "pass X_train (and y_train), or pass a FidelityCurve computed yourself."
        )
    names = options.pop("students", ("tao-oblique", "tao-axis", "cart"))
    students: dict = {name: name for name in names}
    own = clone(distilled.student_)
    if "max_depth" in own.get_params(deep=False):
        name = student_kind(own)
        students.setdefault(name or type(own).__name__, name or own)
    params = {
        key: value
        for key, value in distilled.get_params(deep=False).items()
        if key not in ("teacher", "student", "random_state", "verbose")
    }
    options.setdefault("distiller_params", params)
    options.setdefault("random_state", distilled.random_state)
    return fidelity_curve(
        distilled.teacher_, X_train, y_train, students=students, **options
    )
