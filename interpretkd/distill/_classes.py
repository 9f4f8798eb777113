"""The distillers: DistilledClassifier and DistilledRegressor."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import (
    ClassifierMixin,
    RegressorMixin,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
)

from interpretkd._validation import check_alpha, check_temperature
from interpretkd.distill._base import _BaseDistiller
from interpretkd.distill._protocol import _sample_weight_kwargs, fit_on_soft_targets
from interpretkd.targets import hard_targets, mix_labels, regression_targets
from interpretkd.teachers import Teacher, as_teacher, is_torch_module


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
        ``(X, y)``. None fits a ``HistGradientBoostingClassifier``.
    student : estimator, default=None
        The interpretable model to train, cloned in ``fit``. It learns the soft
        targets by the soft-label protocol (see the module docstring). None uses a
        ``DecisionTreeClassifier(max_depth=5)``.
    temperature : float, default=1.0
        Softens the teacher's probabilities: ``softmax(logits / temperature)``.
    alpha : float, default=0.0
        Weight of the one-hot labels mixed into the labeled rows' targets
        (0: teacher only, 1: labels only).
    targets : {"soft", "hard"}, default="soft"
        "soft" trains the student on the teacher's probabilities; "hard" on its most
        probable class (one-hot), which optimises agreement directly and is often
        best for deep greedy trees.
    augment : {None, "munge", "noise", "active"} or object, default=None
        Synthetic rows labeled by the teacher and added to the training set; an
        object with a ``sample(X, n_samples)`` method is used as it is. See
        :mod:`interpretkd.augment`.
    n_synthetic : float or int, default=1.0
        How many synthetic rows: a multiple of the labeled rows (float) or a count
        (int). Used only when ``augment`` is set.
    expansion_threshold : float, default=1e-3
        For students trained through ``sample_weight``: class probabilities below this
        are dropped when a row is expanded into one weighted row per class.
    teacher_batch_size : int, default=65536
        Rows per query of the teacher, and per chunk of ``X_unlabeled``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default teacher and student, the augmenters and the student.
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
        The fitted student. It predicts class indices into ``classes_``.
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the teacher's order.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has feature names that are all strings.
    n_distill_samples_ : int
        Rows the student was trained on (labeled, unlabeled and synthetic).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from xgboost import XGBClassifier
    >>> from interpretkd import DistilledClassifier, fidelity_score
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> teacher = XGBClassifier(n_estimators=50).fit(X, y)
    >>> model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    >>> model.fit(X, y).predict(X[:3])
    array([0, 0, 0])
    """

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
        self.random_state = random_state
        self.verbose = verbose

    def _check_y(self, y):
        check_classification_targets(y)
        if np.unique(y).size < 2:
            raise ValueError(
                f"y contains only one class ({np.unique(y)[0]!r}); distillation "
                "needs at least two classes in the training labels."
            )
        return y

    def _adapt_teacher(self, model, y, classes=None) -> Teacher:
        carries_classes = isinstance(model, (list, tuple)) or hasattr(model, "classes_")
        if classes is None and not carries_classes:
            classes = np.unique(y)
        teacher = as_teacher(model, classes=classes, batch_size=self.teacher_batch_size)
        if not teacher.is_classifier:
            raise TypeError(
                f"The teacher {type(model).__name__} is a regressor; "
                "DistilledClassifier needs a classifier teacher. Use "
                "DistilledRegressor to distill a regression model."
            )
        if teacher.classes_ is None:
            teacher.classes_ = np.unique(y)
        self.classes_ = np.asarray(teacher.classes_)
        return teacher

    def _label_index(self, y) -> np.ndarray:
        """Column of each label of ``y`` in ``classes_``."""
        classes = self.classes_
        idx = pd.Index(classes).get_indexer(np.asarray(y, dtype=object))
        unknown = idx < 0
        if np.any(unknown):
            labels = pd.unique(np.asarray(y, dtype=object)[unknown])[:5].tolist()
            raise ValueError(
                f"y contains labels {labels} that the teacher does not predict (its "
                f"classes are {classes.tolist()}). Use the labels the teacher was "
                "trained on (a teacher saved by XGBoost predicts 0..K-1: encode y "
                "the same way)."
            )
        return idx

    def _teacher_targets(self, teacher, X_teacher) -> np.ndarray:
        T = teacher.soft_targets(X_teacher, self._temperature)
        return hard_targets(T) if self.targets == "hard" else T

    def fit(self, X, y, X_unlabeled=None, sample_weight=None):
        """Fit the teacher if needed, label the data with it and train the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Labeled training rows.
        y : array-like of shape (n_samples,)
            Class labels.
        X_unlabeled : array-like, DataFrame or iterable of chunks, default=None
            Rows without labels; the teacher labels them (chunk by chunk) and the
            student learns them too. Same columns as X.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the labeled rows, for the teacher (when it is fit here) and
            the student. Unlabeled and synthetic rows have weight 1.

        Returns
        -------
        self : DistilledClassifier
        """
        self._temperature = check_temperature(self.temperature)
        alpha = check_alpha(self.alpha)
        if self.targets not in ("soft", "hard"):
            raise ValueError(f"targets must be 'soft' or 'hard', got {self.targets!r}.")

        def labeled(teacher, X_teacher, Xs, y):
            T = self._teacher_targets(teacher, X_teacher)
            return mix_labels(T, self._label_index(y), alpha)

        return self._fit_all(
            X,
            y,
            X_unlabeled,
            sample_weight,
            label_fn=self._teacher_targets,
            labeled_fn=labeled,
        )

    def _fit_student(self, student, Xs, targets, sample_weight):
        fit_on_soft_targets(
            student,
            Xs,
            targets,
            sample_weight,
            expansion_threshold=self.expansion_threshold,
        )
        return student

    def _student_proba(self, Xs) -> np.ndarray:
        """Student probabilities over all of ``classes_``."""
        student = self.student_
        n_classes = len(self.classes_)
        cols = np.asarray(getattr(student, "classes_", np.arange(n_classes)), int)
        out = np.zeros((Xs.shape[0], n_classes))
        if hasattr(student, "predict_proba"):
            out[:, cols] = student.predict_proba(Xs)
        else:
            pred = np.asarray(student.predict(Xs), dtype=int)
            out[np.arange(len(pred)), pred] = 1.0
        return out

    def predict_proba(self, X):
        """Student class probabilities, columns in the order of ``classes_``."""
        check_is_fitted(self)
        return self._student_proba(self._student_matrix(X, reset=False))

    def predict(self, X):
        """Student predictions, as labels from ``classes_``."""
        check_is_fitted(self)
        return self.classes_.take(self.predict_proba(X).argmax(axis=1))

    def teacher_predict(self, X):
        """The teacher's predictions, as labels from ``classes_``."""
        check_is_fitted(self)
        Xs = self._student_matrix(X, reset=False)
        return self._teacher.predict(self._teacher_input(X, Xs))

    def fidelity(self, X) -> float:
        """Share of rows of ``X`` on which the student decides as the teacher does."""
        return float(np.mean(self.predict(X) == self.teacher_predict(X)))


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
    student : estimator, default=None
        Cloned and fit on the teacher's predictions. None uses a
        ``DecisionTreeRegressor(max_depth=5)``.
    alpha : float, default=0.0
        Weight of ``y`` in the labeled rows' targets:
        ``(1 - alpha) * teacher + alpha * y``.
    augment, n_synthetic, teacher_batch_size, random_state, verbose
        As in :class:`DistilledClassifier`.

    Attributes
    ----------
    teacher_, student_, n_features_in_, feature_names_in_, n_distill_samples_
        As in :class:`DistilledClassifier`.
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
        random_state=None,
        verbose=0,
    ):
        self.teacher = teacher
        self.student = student
        self.alpha = alpha
        self.augment = augment
        self.n_synthetic = n_synthetic
        self.teacher_batch_size = teacher_batch_size
        self.random_state = random_state
        self.verbose = verbose

    def _check_y(self, y):
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"y must be numeric for regression, got dtype {y.dtype}. Use "
                "DistilledClassifier for class labels."
            )
        return y

    def _adapt_teacher(self, model, y, classes=None) -> Teacher:
        plain = is_torch_module(model) or (
            callable(model) and not hasattr(model, "predict")
        )
        teacher = as_teacher(
            model,
            output="values" if plain else None,
            batch_size=self.teacher_batch_size,
        )
        if teacher.is_classifier:
            raise TypeError(
                f"The teacher {type(model).__name__} is a classifier; "
                "DistilledRegressor needs a regression teacher. Use "
                "DistilledClassifier to distill a classifier."
            )
        return teacher

    def fit(self, X, y, X_unlabeled=None, sample_weight=None):
        """Fit the teacher if needed, label the data with it and train the student.

        Parameters are as in :meth:`DistilledClassifier.fit`, with ``y`` numeric.

        Returns
        -------
        self : DistilledRegressor
        """
        alpha = check_alpha(self.alpha)

        def values(teacher, X_teacher):
            return teacher.predict_values(X_teacher)

        def labeled(teacher, X_teacher, Xs, y):
            return regression_targets(values(teacher, X_teacher), y, alpha)

        return self._fit_all(
            X, y, X_unlabeled, sample_weight, label_fn=values, labeled_fn=labeled
        )

    def _fit_student(self, student, Xs, targets, sample_weight):
        student.fit(Xs, targets, **_sample_weight_kwargs(student, sample_weight))
        return student

    def predict(self, X):
        """Student predictions."""
        check_is_fitted(self)
        return self.student_.predict(self._student_matrix(X, reset=False))

    def teacher_predict(self, X):
        """The teacher's predictions."""
        check_is_fitted(self)
        Xs = self._student_matrix(X, reset=False)
        return self._teacher.predict_values(self._teacher_input(X, Xs))

    def fidelity(self, X) -> float:
        """R² of the student's predictions against the teacher's on ``X``."""
        from sklearn.metrics import r2_score

        return float(r2_score(self.teacher_predict(X), self.predict(X)))
