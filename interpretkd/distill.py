"""Distillers: train an interpretable student on a teacher's soft targets.

:class:`DistilledClassifier` and :class:`DistilledRegressor` are scikit-learn
meta-estimators. ``fit`` lets the teacher label the training rows, any unlabeled rows
and, optionally, synthetic rows, and trains the student on those targets. How a
student learns soft targets is decided here and nowhere else (the *soft-label
protocol*):

1. a student that declares ``_accepts_soft_targets = True`` gets the 2-D array of
   class probabilities as ``y``;
2. else, a student whose ``fit`` takes ``sample_weight`` gets each row once per class,
   weighted by that class's probability (classes below ``expansion_threshold`` are
   dropped and the rest renormalised), which trains an ordinary
   ``DecisionTreeClassifier`` or ``LogisticRegression`` on the soft labels exactly;
3. else, the student gets the teacher's most probable class, with a warning.
"""

from __future__ import annotations

import numbers
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state
from sklearn.utils._tags import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from interpretkd._validation import check_alpha, check_temperature
from interpretkd.targets import hard_targets, mix_labels, regression_targets
from interpretkd.teachers import Teacher, as_teacher, is_torch_module

__all__ = [
    "DistilledClassifier",
    "DistilledRegressor",
    "soft_label_mode",
    "fit_on_soft_targets",
    "expand_soft_targets",
]


class SoftLabelWarning(UserWarning):
    """The student cannot learn soft targets and is trained on hard labels."""


# --------------------------------------------------------------------------------------
# The soft-label protocol
# --------------------------------------------------------------------------------------
def _final_estimator(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def soft_label_mode(student) -> str:
    """How ``student`` learns soft targets: "soft", "weight" or "hard".

    "soft": it takes a 2-D array of class probabilities as ``y``; "weight": its
    ``fit`` takes ``sample_weight`` (soft targets are expanded into weighted rows);
    "hard": neither, so it learns the most probable class.
    """
    final = _final_estimator(student)
    if getattr(final, "_accepts_soft_targets", False):
        return "soft"
    if final is not None and has_fit_parameter(final, "sample_weight"):
        return "weight"
    return "hard"


def _sample_weight_kwargs(student, sample_weight) -> dict:
    if sample_weight is None:
        return {}
    final = _final_estimator(student)
    if not has_fit_parameter(final, "sample_weight"):
        return {}
    if isinstance(student, Pipeline):
        return {f"{student.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def expand_soft_targets(X, targets, sample_weight=None, *, threshold=1e-3):
    """Expand soft targets into one weighted row per (row, class).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_classes)
        Rows sum to one.
    sample_weight : ndarray of shape (n_samples,), default=None
    threshold : float, default=1e-3
        Classes with a probability below this are dropped from a row (the row's most
        probable class is always kept) and the kept probabilities are renormalised,
        so each original row keeps its total weight.

    Returns
    -------
    X_expanded : ndarray of shape (n_kept, n_features)
    y_expanded : ndarray of shape (n_kept,)
        Class index of each expanded row.
    weight_expanded : ndarray of shape (n_kept,)
    """
    targets = np.asarray(targets, dtype=np.float64)
    n, k = targets.shape
    keep = targets >= threshold
    keep[np.arange(n), targets.argmax(axis=1)] = True
    kept = np.where(keep, targets, 0.0)
    kept /= kept.sum(axis=1, keepdims=True)
    rows, cols = np.nonzero(keep)
    weight = kept[rows, cols]
    if sample_weight is not None:
        weight = weight * np.asarray(sample_weight, dtype=np.float64)[rows]
    return X[rows], cols, weight


def fit_on_soft_targets(
    student, X, targets, sample_weight=None, *, expansion_threshold=1e-3
):
    """Fit ``student`` on soft targets by the soft-label protocol; return it.

    Parameters
    ----------
    student : estimator
        Fitted in place (pass a clone to keep the original untouched).
    X : ndarray of shape (n_samples, n_features)
    targets : ndarray of shape (n_samples, n_classes)
    sample_weight : ndarray of shape (n_samples,), default=None
    expansion_threshold : float, default=1e-3
        See :func:`expand_soft_targets`.
    """
    mode = soft_label_mode(student)
    if mode == "soft":
        student.fit(X, targets, **_sample_weight_kwargs(student, sample_weight))
    elif mode == "weight":
        Xe, ye, we = expand_soft_targets(
            X, targets, sample_weight, threshold=expansion_threshold
        )
        student.fit(Xe, ye, **_sample_weight_kwargs(student, we))
    else:
        warnings.warn(
            f"{type(_final_estimator(student)).__name__} accepts neither soft targets "
            "nor sample_weight, so it is trained on the teacher's most probable class "
            "(hard labels) and the teacher's uncertainty is lost.",
            SoftLabelWarning,
            stacklevel=3,
        )
        student.fit(X, targets.argmax(axis=1))
    return student


# --------------------------------------------------------------------------------------
# Shared machinery of both distillers
# --------------------------------------------------------------------------------------
def _model_accepts_nan(model) -> bool:
    if model is None:
        return True
    if isinstance(model, (list, tuple)):
        return all(_model_accepts_nan(m) for m in model)
    module = type(model).__module__
    if module.startswith(("xgboost", "lightgbm")):
        return True
    try:
        return bool(get_tags(model).input_tags.allow_nan)
    except Exception:
        return False


def _is_fitted(model) -> bool:
    if isinstance(model, (list, tuple)):
        return all(_is_fitted(m) for m in model)
    if not hasattr(model, "fit") or type(model).__name__ == "Booster":
        return True  # torch modules, callables and boosters are used as they are
    if is_torch_module(model):
        return True
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    except TypeError:
        return True
    return True


def _sorted_if_possible(index: pd.Index) -> pd.Index:
    """Sorted categories, so codes do not depend on the order of the rows."""
    try:
        return index.sort_values()
    except TypeError:  # values of mixed types: keep the order they first appear in
        return index


def _is_category_like(dtype) -> bool:
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


class _StudentView:
    """A fitted student seen through the distiller's input conversion.

    Augmenters that refit the student (active sampling) hold rows in the user's format
    (a DataFrame may have categorical columns); this view converts them first.
    """

    def __init__(self, distiller, student):
        self._distiller = distiller
        self.student = student
        self.classes_ = getattr(student, "classes_", None)

    def _x(self, X):
        return self._distiller._student_matrix(X, reset=False)

    def predict(self, X):
        return self.student.predict(self._x(X))

    def predict_proba(self, X):
        return self.student.predict_proba(self._x(X))

    def apply(self, X):
        return self.student.apply(self._x(X))

    def __getattr__(self, name):
        return getattr(self.student, name)


class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    """Common code of the classifier and regressor distillers."""

    _default_teacher: type
    _default_student: type
    _y_numeric = False

    # --- input conversion ---------------------------------------------------------
    def _allow_nan(self) -> bool:
        return _model_accepts_nan(self.teacher) and _model_accepts_nan(self.student)

    def _encode_frame(self, X, *, reset: bool):
        """Replace categorical / string columns of a DataFrame by integer codes.

        The codes index ``categories_[column]``; a category not seen in ``fit`` is
        an error, a missing value stays NaN.
        """
        if reset:
            self.categories_ = {}
        if not isinstance(X, pd.DataFrame):
            return X
        if reset:
            self.categories_ = {
                col: (
                    X[col].cat.categories
                    if isinstance(X[col].dtype, pd.CategoricalDtype)
                    else _sorted_if_possible(pd.Index(pd.unique(X[col].dropna())))
                ).tolist()
                for col in X.columns
                if _is_category_like(X[col].dtype)
            }
        categories = getattr(self, "categories_", {})
        if not categories:
            return X
        X = X.copy()
        for col, cats in categories.items():
            if col not in X.columns:
                continue
            column = X[col].astype(object).to_numpy()
            codes = pd.Index(cats, dtype=object).get_indexer(column).astype(float)
            unseen = (codes < 0) & X[col].notna().to_numpy()
            if unseen.any():
                values = pd.unique(X[col][unseen])[:5].tolist()
                raise ValueError(
                    f"Column {col!r} has categories not seen in fit: {values}. The "
                    f"student only knows {cats[:10]}; map new values to one of those "
                    "(or to NaN, where the student accepts missing values)."
                )
            codes[codes < 0] = np.nan
            X[col] = codes
        return X

    def _teacher_frame(self, X):
        """The user's DataFrame as a teacher fitted here takes it: string columns
        become pandas categoricals with the categories seen in fit."""
        casts = getattr(self, "_teacher_casts", None)
        if not casts:
            return X
        present = {c: pd.CategoricalDtype(self.categories_[c]) for c in casts if c in X}
        return X.astype(present)

    def _check_nan(self, X) -> None:
        if self._allow_nan():
            return
        values = X.to_numpy() if isinstance(X, pd.DataFrame) else np.asarray(X)
        if values.dtype.kind != "f" or not np.isnan(values).any():
            return
        cols = np.flatnonzero(np.isnan(values).any(axis=0))
        names = (
            [str(X.columns[c]) for c in cols[:5]]
            if isinstance(X, pd.DataFrame)
            else [f"column {c}" for c in cols[:5]]
        )
        culprits = [
            type(m).__name__
            for m in (self.teacher, self.student)
            if m is not None and not _model_accepts_nan(m)
        ]
        raise ValueError(
            f"Input X contains NaN in {', '.join(names)}, but "
            f"{' and '.join(culprits)} cannot take missing values. Impute them (e.g. "
            "with sklearn.impute.SimpleImputer in a Pipeline) or use a teacher and "
            "student that accept NaN (XGBoost, HistGradientBoosting, sklearn trees)."
        )

    def _student_matrix(self, X, *, reset: bool, y=None):
        X_enc = self._encode_frame(X, reset=reset)
        allow_nan = self._allow_nan()
        if not allow_nan:
            self._check_nan(X_enc)
        kwargs = {
            "ensure_all_finite": "allow-nan" if allow_nan else True,
            "dtype": [np.float64, np.float32],
            "reset": reset,
        }
        if y is None:
            return validate_data(self, X_enc, **kwargs)
        return validate_data(self, X_enc, y, y_numeric=self._y_numeric, **kwargs)

    def _teacher_input(self, X_user, X_student):
        """What the teacher is queried with: the user's DataFrame, else the array."""
        if isinstance(X_user, pd.DataFrame):
            return self._teacher_frame(X_user)
        return X_student

    # --- teacher ----------------------------------------------------------------------
    def _fit_teacher(self, X, y, sample_weight, seed):
        """The fitted teacher, and the class labels of its columns when it was fit
        here on encoded labels (else None)."""
        teacher = self.teacher
        if teacher is None:
            teacher = self._default_teacher(random_state=seed)
        if _is_fitted(teacher):
            return teacher, None
        if isinstance(teacher, (list, tuple)):
            raise ValueError(
                "A list of teachers must hold fitted models; fit each one first."
            )
        teacher = clone(teacher)
        kwargs = _sample_weight_kwargs(teacher, sample_weight)
        classes = None
        if not self._y_numeric and type(teacher).__module__.startswith("xgboost"):
            # XGBoost classifiers take labels 0..K-1 only.
            classes, y = np.unique(y, return_inverse=True)
        teacher.fit(X, y, **kwargs)
        return teacher, classes

    # --- unlabeled and synthetic rows -------------------------------------------------
    def _extra_rows(self, X_user, X_unlabeled, label, seed, n_labeled):
        """Teacher-labeled rows beyond the training set: unlabeled, then synthetic.

        Returns a list of (X_student, targets) pairs.
        """
        parts = []
        if X_unlabeled is not None:
            from interpretkd.augment import iter_chunks

            for chunk in iter_chunks(X_unlabeled, chunk_size=self._chunk_size()):
                Xs = self._check_extra(chunk, "X_unlabeled")
                self._say(f"labeling {Xs.shape[0]} unlabeled rows with the teacher")
                parts.append((Xs, label(self._teacher_input(chunk, Xs), Xs)))
        if self.augment is None:
            return parts
        from interpretkd.augment import make_augmenter, resolve_n_synthetic

        augmenter = make_augmenter(self.augment, random_state=seed)
        if augmenter is None:
            return parts
        n_new = resolve_n_synthetic(self.n_synthetic, n_labeled)
        if n_new == 0:
            return parts
        self._say(f"generating {n_new} synthetic rows ({type(augmenter).__name__})")
        if callable(getattr(augmenter, "run", None)):
            # Active samplers refit the student as they go: they get the teacher
            # and a way to fit the student, and return labeled rows.

            def label_user(Xc):
                Xs = self._student_matrix(Xc, reset=False)
                return label(self._teacher_input(Xc, Xs), Xs)

            def fit_user(Xc, targets):
                Xs = self._student_matrix(Xc, reset=False)
                student = self._fit_student_on(Xs, targets, None, seed)
                return _StudentView(self, student)

            X_new, T_new = augmenter.run(X_user, n_new, label=label_user, fit=fit_user)
            Xs = self._student_matrix(X_new, reset=False)
            parts.append((Xs, np.asarray(T_new, dtype=np.float64)))
        else:
            X_new = augmenter.sample(X_user, n_new)
            Xs = self._student_matrix(X_new, reset=False)
            parts.append((Xs, label(self._teacher_input(X_new, Xs), Xs)))
        return parts

    def _chunk_size(self) -> int:
        return int(self.teacher_batch_size)

    def _check_extra(self, X, name):
        try:
            return self._student_matrix(X, reset=False)
        except ValueError as exc:
            if "features" in str(exc):
                n_in = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else "?"
                raise ValueError(
                    f"{name} has {n_in} features but X has {self.n_features_in_}; "
                    f"{name} must have the same columns as X."
                ) from exc
            raise

    def _fit_student_on(self, Xs, targets, sample_weight, seed):
        student = self._make_student(seed)
        return self._fit_student(student, Xs, targets, sample_weight)

    def _make_student(self, seed):
        if self.student is None:
            return self._default_student(max_depth=5, random_state=seed)
        return clone(self.student)

    def _fit_all(self, X, y, X_unlabeled, sample_weight, *, label_fn, labeled_fn):
        """Shared body of ``fit``: validate, fit the teacher, label, fit the student."""
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self._validate_common_params()
        X_user = X
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        Xs, y = self._student_matrix(X, reset=True, y=y)
        sample_weight = (
            None if sample_weight is None else _check_sample_weight(sample_weight, Xs)
        )
        y = self._check_y(y)
        fit_here = self.teacher is None or not _is_fitted(self.teacher)
        # A teacher fitted here gets string columns as pandas categoricals (which
        # HistGradientBoosting and LightGBM take); a fitted one gets X as it is.
        self._teacher_casts = (
            [
                c
                for c in self.categories_
                if not isinstance(X[c].dtype, pd.CategoricalDtype)
            ]
            if fit_here and isinstance(X_user, pd.DataFrame)
            else []
        )
        X_teacher = self._teacher_input(X_user, Xs)
        if fit_here:
            self._say(f"fitting the teacher on {Xs.shape[0]} rows")
        self.teacher_, y_classes = self._fit_teacher(X_teacher, y, sample_weight, seed)
        teacher = self._adapt_teacher(self.teacher_, y, classes=y_classes)
        teacher.progress = bool(self.verbose)
        self._teacher = teacher
        self._say(f"labeling {Xs.shape[0]} training rows with the teacher")
        T = labeled_fn(teacher, X_teacher, Xs, y)
        parts = [(Xs, T)]
        extra = self._extra_rows(
            X_user if isinstance(X_user, pd.DataFrame) else Xs,
            X_unlabeled,
            lambda Xt, _Xs: label_fn(teacher, Xt),
            seed,
            Xs.shape[0],
        )
        parts.extend(extra)
        X_all = np.concatenate([p[0] for p in parts], axis=0)
        T_all = np.concatenate([p[1] for p in parts], axis=0)
        if sample_weight is not None and len(parts) > 1:
            n_extra = X_all.shape[0] - Xs.shape[0]
            sample_weight = np.concatenate([sample_weight, np.ones(n_extra)])
        self.n_distill_samples_ = X_all.shape[0]
        self._say(f"fitting the student on {X_all.shape[0]} rows")
        self.student_ = self._fit_student_on(X_all, T_all, sample_weight, seed)
        self._say("done")
        return self

    def _say(self, message: str) -> None:
        """Print a progress line to stderr when ``verbose`` is set."""
        if not self.verbose:
            return
        if not hasattr(self, "_t0") or message.startswith("fitting the teacher"):
            self._t0 = time.perf_counter()
        elapsed = time.perf_counter() - self._t0
        print(
            f"[{type(self).__name__}] {elapsed:7.1f}s  {message}",
            file=sys.stderr,
            flush=True,
        )

    def _validate_common_params(self):
        if not isinstance(self.teacher_batch_size, numbers.Integral) or (
            self.teacher_batch_size < 1
        ):
            raise ValueError(
                "teacher_batch_size must be a positive integer, got "
                f"{self.teacher_batch_size!r}."
            )

    def __sklearn_clone__(self):
        # A fitted teacher is used as it is: cloning the distiller (as GridSearchCV
        # and cross_validate do) shares it instead of returning an unfitted copy.
        if self.teacher is None or not _is_fitted(self.teacher):
            return super().__sklearn_clone__()
        params = {
            key: value if key == "teacher" else clone(value, safe=False)
            for key, value in self.get_params(deep=False).items()
        }
        return type(self)(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        return tags


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
        fit) with the time elapsed to stderr, and show a progress bar while the
        teacher labels more than ``teacher_batch_size`` rows.

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
