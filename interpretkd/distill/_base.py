"""What both distillers share: input conversion, the teacher, extra rows, fitting."""

from __future__ import annotations

import numbers
import sys
import time

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    clone,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._tags import get_tags
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from interpretkd.distill._protocol import _sample_weight_kwargs
from interpretkd.teachers import is_torch_module


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

    def transform_for_student(self, X):
        """The rows ``X`` as the fitted ``student_`` takes them.

        Category columns of a DataFrame become their codes in ``categories_`` and
        the columns are checked against those seen in ``fit`` (number, names,
        missing values). Export and reports use it to show the path a row of ``X``
        takes through the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_student : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return self._student_matrix(X, reset=False)

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
        student = clone(self.student)
        # verbose reaches interpretkd's own students (the soft tree's epoch bar);
        # other libraries' verbose output (solver traces) is left as the user set it.
        final = student.steps[-1][1] if hasattr(student, "steps") else student
        if (
            self.verbose
            and type(final).__module__.startswith("interpretkd.")
            and not final.get_params(deep=False).get("verbose", True)
        ):
            final.set_params(verbose=self.verbose)
        return student

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
