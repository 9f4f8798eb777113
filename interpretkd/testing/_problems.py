"""Small synthetic tasks with a fitted teacher, for tests that run in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

__all__ = ["TeacherProblem", "make_teacher_problem"]

CATEGORIES = ("low", "mid", "high", "top")


@dataclass(frozen=True)
class TeacherProblem:
    """A synthetic task and a teacher fitted on its training rows.

    Attributes
    ----------
    task : {"classification", "regression"}
        What the teacher predicts.
    X_train, X_test : ndarray or DataFrame
        Training rows (the teacher was fitted on them) and held-out rows. A DataFrame
        when the problem has categorical columns or ``as_frame=True``.
    y_train, y_test : ndarray
        The true targets of those rows (class labels ``0 .. n_classes - 1``, or
        values).
    teacher : HistGradientBoostingClassifier or HistGradientBoostingRegressor
        Fitted on ``(X_train, y_train)``; it takes NaN and categorical columns as
        they are. Shared between tests that reuse one problem: do not refit it.
    feature_names : list of str
        Column names: ``x0, x1, ...`` for numeric columns, ``c0, c1, ...`` for
        categorical ones (pandas ``category`` dtype).
    categorical_features : list of str
        The names of the categorical columns.
    classes : ndarray or None
        The teacher's ``classes_`` (None for regression).
    random_state : int
        The seed the problem was made with.

    Examples
    --------
    >>> from interpretkd.testing import make_teacher_problem
    >>> problem = make_teacher_problem("regression")
    >>> problem
    TeacherProblem(task='regression', feature_names=['x0', 'x1', 'x2', 'x3', 'x4',
                   'x5'], categorical_features=[], random_state=0)
    >>> problem.X_train.shape, problem.X_test.shape
    ((450, 6), (150, 6))
    """

    task: str
    X_train: np.ndarray | pd.DataFrame = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_test: np.ndarray | pd.DataFrame = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    teacher: object = field(repr=False)
    feature_names: list = field(default_factory=list)
    categorical_features: list = field(default_factory=list)
    classes: np.ndarray | None = field(default=None, repr=False)
    random_state: int = 0

    @property
    def n_features(self) -> int:
        """Number of columns of ``X_train``."""
        return len(self.feature_names)


def make_teacher_problem(
    task: str = "classification",
    *,
    n_samples: int = 600,
    n_features: int = 6,
    n_classes: int = 3,
    n_categorical: int = 0,
    missing_rate: float = 0.0,
    as_frame: bool | None = None,
    test_size: float = 0.25,
    random_state: int = 0,
) -> TeacherProblem:
    """Make a small seeded task and fit a gradient-boosting teacher on it.

    For tests of distilled models that must run in seconds: the rows come from
    :func:`sklearn.datasets.make_classification` or
    :func:`~sklearn.datasets.make_regression`, some numeric columns can be turned
    into categorical ones (binned into ``"low" < "mid" < "high" < "top"``, so they
    still carry signal) and some values into NaN; the teacher is a
    ``HistGradientBoosting`` model (50 iterations, fitted on one thread), which
    takes both as they are.
    The same arguments always give the same problem.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        What the teacher predicts.
    n_samples : int, default=600
        Rows in all; ``test_size`` of them are held out.
    n_features : int, default=6
        Columns in all, categorical ones included (at least 2).
    n_classes : int, default=3
        Classes of a classification task (at least 2); ignored for regression.
    n_categorical : int, default=0
        How many of the columns are categorical (pandas ``category`` dtype; ``X``
        is then a DataFrame). At most ``n_features - 1``.
    missing_rate : float, default=0.0
        Share of the numeric values, in training and held-out rows alike, replaced by
        NaN at random (categorical columns stay complete). In ``[0, 0.5]``.
    as_frame : bool or None, default=None
        Return ``X`` as a DataFrame; None means a DataFrame exactly when there are
        categorical columns.
    test_size : float, default=0.25
        Share of the rows held out (stratified by class for classification).
    random_state : int, default=0
        Seeds the data, the split and the teacher.

    Returns
    -------
    problem : TeacherProblem
        The rows, their targets and the fitted teacher.

    Examples
    --------
    >>> from interpretkd.testing import make_teacher_problem
    >>> problem = make_teacher_problem(n_categorical=2, missing_rate=0.05)
    >>> problem.X_train.shape, problem.categorical_features
    ((450, 6), ['c0', 'c1'])
    >>> problem.teacher.predict(problem.X_test).shape
    (150,)
    >>> regression = make_teacher_problem("regression", random_state=1)
    >>> regression.teacher.score(regression.X_test, regression.y_test) > 0.5
    True
    """
    if task not in ("classification", "regression"):
        raise ValueError(
            f"task must be 'classification' or 'regression', got {task!r}."
        )
    _check_int("n_samples", n_samples, 20)
    _check_int("n_features", n_features, 2)
    _check_int("n_classes", n_classes, 2)
    _check_int("n_categorical", n_categorical, 0)
    _check_int("random_state", random_state, 0)
    if n_categorical >= n_features:
        raise ValueError(
            f"n_categorical={n_categorical} must be less than n_features="
            f"{n_features}: at least one column stays numeric."
        )
    for name, value, high in (
        ("missing_rate", missing_rate, 0.5),
        ("test_size", test_size, 0.9),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, Real)
            or not 0 <= value <= high
        ):
            raise ValueError(f"{name} must be a number in [0, {high}], got {value!r}.")
    if test_size * n_samples < 1:
        raise ValueError(f"test_size={test_size} holds out no rows of {n_samples}.")

    if as_frame is None:
        as_frame = n_categorical > 0
    if not as_frame and n_categorical:
        raise ValueError(
            "as_frame=False cannot hold categorical columns; use as_frame=True or "
            "None, or n_categorical=0."
        )

    rng = np.random.default_rng(random_state)
    if task == "classification":
        X, y = make_classification(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=n_features if n_features < 4 else max(2, n_features * 2 // 3),
            n_redundant=0,
            n_classes=n_classes,
            n_clusters_per_class=1,
            class_sep=1.5,
            random_state=random_state,
        )
    else:
        X, y = make_regression(
            n_samples=n_samples,
            n_features=n_features,
            n_informative=max(1, n_features * 2 // 3),
            noise=5.0,
            random_state=random_state,
        )
    n_numeric = n_features - n_categorical
    numeric = [f"x{i}" for i in range(n_numeric)]
    categorical = [f"c{i}" for i in range(n_categorical)]
    values = X[:, :n_numeric].copy()
    if missing_rate > 0:
        values[rng.random(values.shape) < missing_rate] = np.nan
    frame = pd.DataFrame(values, columns=numeric)
    for j, name in enumerate(categorical):
        column = X[:, n_numeric + j]
        edges = np.quantile(column, [0.25, 0.5, 0.75])
        codes = np.searchsorted(edges, column)
        frame[name] = pd.Categorical.from_codes(codes, categories=list(CATEGORIES))
    X_all = frame if as_frame else frame.to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(
        X_all,
        y,
        test_size=test_size,
        random_state=random_state,
        stratify=y if task == "classification" else None,
    )
    if as_frame:
        X_train = X_train.reset_index(drop=True)
        X_test = X_test.reset_index(drop=True)
    model = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    teacher = model(max_iter=50, max_leaf_nodes=15, random_state=random_state)
    # One OpenMP thread: on a few hundred rows a thread pool only costs time, and
    # many times over when test workers already share the cores.
    with threadpool_limits(limits=1, user_api="openmp"):
        teacher.fit(X_train, y_train)
    return TeacherProblem(
        task=task,
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        teacher=teacher,
        feature_names=numeric + categorical,
        categorical_features=categorical,
        classes=getattr(teacher, "classes_", None),
        random_state=random_state,
    )


def _check_int(name: str, value, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer of at least {low}, got {value!r}.")
