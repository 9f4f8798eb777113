"""The distillers: DistilledClassifier and DistilledRegressor."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets

from interpretkd._dask import any_dask
from interpretkd._validation import final_estimator, one_hot
from interpretkd.distill._base import _BaseDistiller
from interpretkd.distill._protocol import _sample_weight_kwargs, fit_on_soft_targets
from interpretkd.targets import (
    TEMPERATURE,
    hard_targets,
    mix_labels,
    regression_targets,
    soft_targets,
)
from interpretkd.teachers import Teacher, is_torch_module


# --------------------------------------------------------------------------------------
# DistilledClassifier
# --------------------------------------------------------------------------------------
class DistilledClassifier(ClassifierMixin, _BaseDistiller):
    """Train an interpretable classifier on a teacher's soft targets.

    Parameters
    ----------
    teacher : object, default=None
        The model to imitate. A fitted scikit-learn / XGBoost / LightGBM classifier or
        Pipeline, a raw ``xgboost.Booster``, a ``torch.nn.Module`` returning logits, a
        :class:`~interpretkd.teachers.Teacher` adapter (e.g. wrapping a callable), or a
        list of these (their soft targets are averaged). A fitted teacher is used as it
        is and never refit; an unfitted scikit-learn estimator is cloned and fit on
        ``(X, y)``. None fits a ``HistGradientBoostingClassifier``. A model that
        carries no class labels (a raw booster, a torch module, a callable) answers
        the labels 0..K-1 of its columns; name them with
        ``as_teacher(model, classes=[...])`` when ``y`` holds other labels.
    student : classifier, default=None
        The interpretable model to train, cloned in ``fit``. It learns the soft
        targets by the soft-label protocol (see :mod:`interpretkd.distill`). None
        uses a ``DecisionTreeClassifier(max_depth=5)``. A regressor is refused.
    temperature : float, default=1.0
        Softens the teacher's probabilities: ``softmax(logits / temperature)``.
    alpha : float, default=0.0
        Weight of the one-hot labels mixed into the labeled rows' targets
        (0: teacher only, 1: labels only).
    targets : {"soft", "hard"}, default="soft"
        "soft" trains the student on the teacher's probabilities; "hard" on its most
        probable class (one-hot), which optimises agreement directly and is often
        best for deep greedy trees. Either applies to every row the teacher labels:
        training, unlabeled and synthetic.
    augment : {None, "munge", "noise", "active"} or object, default=None
        Synthetic rows labeled by the teacher and added to the training set; an
        object with a ``sample(X, n_samples)`` method (or ``run`` like
        :class:`~interpretkd.augment.ActiveSampler`) is used as it is. The
        generators imitate the labeled and unlabeled rows. See
        :mod:`interpretkd.augment`.
    n_synthetic : float or int, default=1.0
        How many synthetic rows: a multiple of the labeled rows (float) or a count
        (int). Used only when ``augment`` is set.
    expansion_threshold : float in [0, 0.5), default=1e-3
        For students trained through ``sample_weight``: class probabilities below this
        are dropped when a row is expanded into one weighted row per class (a row's
        most probable class is always kept). Use ``targets="hard"`` for hard targets.
    teacher_batch_size : int, default=65536
        Rows per query of the teacher.
    max_student_rows : int, default=1_000_000
        For Dask collections passed to ``fit``, when the student has no
        ``partial_fit``: the most of their rows the student is trained on; above
        that it gets a uniform sample of this size, drawn on the cluster (see the
        user guide, "Scaling out"). One million rows of 20 features are 160 MB on
        the client, beyond the point where a depth-6 tree's fidelity stops
        growing. A student with ``partial_fit`` (a soft tree) sees every row.
    random_state : int, RandomState instance or None, default=None
        Seeds the default teacher and student, an unfitted teacher fit here, the
        augmenters, and every ``random_state`` of the student (nested ones
        included) that is None; a seed set on the student is kept. The same
        ``random_state`` gives the same model.
    verbose : int, default=0
        When > 0, print each step (teacher fit, labeling, synthetic rows, student
        fit) with the time elapsed to stderr, show a progress bar while the
        teacher labels more than ``teacher_batch_size`` rows, and turn on the
        progress of an interpretkd student whose own ``verbose`` is 0 (the soft
        tree's epochs). Off a terminal, progress is a few plain lines.

    Attributes
    ----------
    teacher_ : object
        The fitted teacher (the one given, or a fitted clone of an unfitted one).
    student_ : estimator
        The fitted student. It predicts labels from ``classes_`` and, when X had
        column names, has ``feature_names_in_``, so it can be exported or converted
        on its own; it takes rows as :meth:`transform_for_student` gives them.
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the teacher's columns.
    categories_ : dict
        For a DataFrame X: the categories of each category column, whose codes
        (0, 1, ...) the student reads.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.
    n_distill_samples_ : int
        Rows the student was trained on (labeled, unlabeled and synthetic).
    student_node_rows_ : ndarray of shape (n_nodes,) or None
        For a tree student (one with ``decision_path``): how many of those rows
        reach each node, by node id, counting each row once even where the student
        was fit on one weighted copy per class (soft-label expansion). Export shows
        these as the node's ``samples``. None for other students and for a
        student that learned from streamed Dask partitions.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from xgboost import XGBClassifier
    >>> from interpretkd import DistilledClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = XGBClassifier(n_estimators=50).fit(X, y)
    >>> model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    >>> model.fit(X, y).predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints: dict = {
        **_BaseDistiller._parameter_constraints,
        "temperature": TEMPERATURE,
        "targets": [StrOptions({"soft", "hard"})],
        "expansion_threshold": [Interval(Real, 0, 0.5, closed="left")],
    }
    _default_teacher = HistGradientBoostingClassifier
    _default_student = DecisionTreeClassifier

    def __init__(
        self,
        teacher=None,
        student=None,
        *,
        temperature=1.0,
        alpha=0.0,
        targets="soft",
        augment=None,
        n_synthetic=1.0,
        expansion_threshold=1e-3,
        teacher_batch_size=65536,
        max_student_rows=1_000_000,
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.targets = targets
        self.augment = augment
        self.n_synthetic = n_synthetic
        self.expansion_threshold = expansion_threshold
        self.teacher_batch_size = teacher_batch_size
        self.max_student_rows = max_student_rows
        self.random_state = random_state
        self.verbose = verbose

    # --- what fit asks of the data, the teacher and the student -------------------
    def _check_y(self, y):
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(
                f"y contains only one class ({np.unique(y)[0]!r}); distillation "
                "needs at least two classes in the training labels."
            )
        return y

    def _start_teacher(self, model, y, X_teacher, fit_classes) -> Teacher:
        """The teacher's adapter, its columns named by the labels of ``y``; sets
        ``classes_``."""
        teacher = self._as_teacher(model, classes=fit_classes)
        if teacher.classes_ is None:  # no labels: its columns are 0..K-1
            first = X_teacher.iloc[:1] if hasattr(X_teacher, "iloc") else X_teacher[:1]
            teacher = teacher.with_classes(
                np.arange(teacher.predict_proba(first).shape[1])
            )
        labels = np.asarray(teacher.classes_)
        y_labels = pd.unique(np.asarray(y, dtype=object))
        unknown = pd.Index(labels).get_indexer(y_labels) < 0
        if unknown.any() and _label_codes(y_labels, labels):
            # y encoded as 0..K-1 in the order of the sorted labels, as scikit-learn
            # meta-estimators (VotingClassifier, StackingClassifier) hand it over.
            teacher = teacher.with_classes(_ranks(labels))
        elif unknown.any():
            raise ValueError(
                f"y contains labels {y_labels[unknown][:5].tolist()} that the teacher "
                f"{teacher.name} does not predict: its columns are the classes "
                f"{labels.tolist()[:10]}. A model that carries no labels (a raw "
                "booster, a torch module, a callable) answers the indices 0..K-1 of "
                "its columns: say which label each column is with "
                "as_teacher(model, classes=[...]) (in column order), or encode y the "
                "way the teacher was trained."
            )
        self.classes_ = np.asarray(teacher.classes_)
        return teacher

    def _adapt(self, model) -> Teacher:
        """The fitted teacher's adapter, its columns named by ``classes_``."""
        teacher = self._as_teacher(model)
        own = teacher.classes_
        # A teacher that carries no labels, or 0..K-1, was named by the distiller.
        positional = own is None or (
            own.dtype.kind in "iu" and _same(own, np.arange(len(self.classes_)))
        )
        if not (
            positional
            or _same(own, self.classes_)
            or (_label_codes(self.classes_, own) and _same(_ranks(own), self.classes_))
        ):
            raise ValueError(
                f"The teacher's classes {np.asarray(own).tolist()} differ from the "
                f"student's {self.classes_.tolist()}; pass the teacher it was "
                "distilled from."
            )
        return teacher.with_classes(self.classes_)

    def _label(self, teacher, X_teacher) -> np.ndarray:
        T = soft_targets(teacher, X_teacher, temperature=self.temperature)
        return hard_targets(T) if self.targets == "hard" else T

    def _mix_labels(self, targets, y) -> np.ndarray:
        if self.alpha == 0:
            return targets
        y_index = pd.Index(self.classes_).get_indexer(np.asarray(y, dtype=object))
        return mix_labels(targets, y_index, self.alpha)

    def _fit_student(self, X_student, targets, sample_weight, seed):
        return fit_on_soft_targets(
            self._make_student(seed),
            self._named(X_student),
            targets,
            sample_weight,
            classes=self.classes_,
            expansion_threshold=self.expansion_threshold,
        )

    # --- prediction ---------------------------------------------------------------
    def predict_proba(self, X):
        """Student class probabilities, columns in the order of ``classes_``.

        A class the student never saw (e.g. one the teacher never predicts on the
        training rows) has probability 0.
        """
        X_student = self.transform_for_student(X)
        student, classes = self.student_, pd.Index(self.classes_)
        if not hasattr(student, "predict_proba"):
            decided = classes.get_indexer(student.predict(X_student))
            return one_hot(decided, len(classes))
        out = np.zeros((len(X_student), len(classes)))
        cols = classes.get_indexer(final_estimator(student).classes_)
        out[:, cols] = student.predict_proba(X_student)
        return out

    def predict(self, X):
        """Student predictions, as labels from ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_.take(proba.argmax(axis=1))

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy of the student's predictions on ``X`` against ``y``.

        Dask collections are scored partition by partition on the workers.
        """
        if any_dask(X, y, sample_weight):
            from interpretkd.distill._dask import score_on_dask

            return score_on_dask(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)


def _same(a, b) -> bool:
    return len(a) == len(b) and bool(np.all(np.asarray(a) == np.asarray(b)))


def _ranks(labels) -> np.ndarray:
    """Position of each label in the sorted labels (what LabelEncoder codes are)."""
    return np.argsort(np.argsort(np.asarray(labels), kind="stable"), kind="stable")


def _label_codes(y_labels, labels) -> bool:
    """Whether ``y_labels`` can only be codes 0..K-1 of ``labels``: the labels are
    strings (never equal to integers) and y holds integers below K."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "OUS" or any(
        isinstance(v, (int, float, np.number)) for v in labels.tolist()
    ):
        return False
    try:
        codes = np.asarray(y_labels, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return bool(
        np.all(codes == np.round(codes))
        and codes.min() >= 0
        and codes.max() < len(labels)
    )


# --------------------------------------------------------------------------------------
# DistilledRegressor
# --------------------------------------------------------------------------------------
class DistilledRegressor(RegressorMixin, _BaseDistiller):
    """Train an interpretable regressor on a teacher's predictions.

    Parameters
    ----------
    teacher : object, default=None
        A fitted regressor (scikit-learn, XGBoost, LightGBM, raw ``Booster``), a
        ``torch.nn.Module`` or :class:`~interpretkd.teachers.Teacher`, or a list of
        these (predictions averaged). An unfitted scikit-learn estimator is cloned and
        fit on ``(X, y)``; None fits a ``HistGradientBoostingRegressor``.
    student : regressor, default=None
        Cloned and fit on the teacher's predictions. None uses a
        ``DecisionTreeRegressor(max_depth=5)``. A classifier is refused.
    alpha : float, default=0.0
        Weight of ``y`` in the labeled rows' targets:
        ``(1 - alpha) * teacher + alpha * y``.
    augment, n_synthetic, teacher_batch_size, max_student_rows, random_state, verbose
        As in :class:`DistilledClassifier`.

    Attributes
    ----------
    teacher_, student_, categories_, n_features_in_, feature_names_in_, \
n_distill_samples_, student_node_rows_
        As in :class:`DistilledClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.ensemble import RandomForestRegressor
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from interpretkd import DistilledRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> forest = RandomForestRegressor(n_estimators=50, random_state=0)
    >>> forest = forest.fit(X[:300], y[:300])
    >>> model = DistilledRegressor(forest, DecisionTreeRegressor(max_depth=4))
    >>> model.fit(X[:300], y[:300]).predict(X[300:303]).shape
    (3,)
    >>> model.fidelity(X[300:]) > 0.7  # R² of the tree against the forest, held out
    True
    """

    _default_teacher = HistGradientBoostingRegressor
    _default_student = DecisionTreeRegressor
    _y_numeric = True

    def __init__(
        self,
        teacher=None,
        student=None,
        *,
        alpha=0.0,
        augment=None,
        n_synthetic=1.0,
        teacher_batch_size=65536,
        max_student_rows=1_000_000,
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
        self.augment = augment
        self.n_synthetic = n_synthetic
        self.teacher_batch_size = teacher_batch_size
        self.max_student_rows = max_student_rows
        self.random_state = random_state
        self.verbose = verbose

    # --- what fit asks of the data, the teacher and the student -------------------
    def _check_y(self, y):
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"y must be numeric for regression, got dtype {y.dtype}. Use "
                "DistilledClassifier for class labels."
            )
        return y

    def _start_teacher(self, model, y, X_teacher, fit_classes) -> Teacher:
        return self._adapt(model)

    def _adapt(self, model) -> Teacher:
        plain = is_torch_module(model) or (
            callable(model) and not hasattr(model, "predict")
        )
        return self._as_teacher(model, output="values" if plain else None)

    def _label(self, teacher, X_teacher) -> np.ndarray:
        return teacher.predict_values(X_teacher)

    def _mix_labels(self, targets, y) -> np.ndarray:
        return regression_targets(targets, y, self.alpha)

    def _fit_student(self, X_student, targets, sample_weight, seed):
        student = self._make_student(seed)
        weights = _sample_weight_kwargs(student, sample_weight)
        return student.fit(self._named(X_student), targets, **weights)

    # --- prediction ---------------------------------------------------------------
    def predict(self, X):
        """Student predictions."""
        X_student = self.transform_for_student(X)
        return self.student_.predict(X_student)

    def score(self, X, y, sample_weight=None) -> float:
        """R² of the student's predictions on ``X`` against ``y``.

        Dask collections are scored partition by partition on the workers.
        """
        if any_dask(X, y, sample_weight):
            from interpretkd.distill._dask import score_on_dask

            return score_on_dask(self, X, y, sample_weight)
        return super().score(X, y, sample_weight=sample_weight)
