"""What both distillers share: parameters, input conversion, the teacher, the rows
the teacher labels, the student, and ``fit``."""

from __future__ import annotations

import copy
import sys
import time
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
    is_regressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from interpretkd._dask import any_dask
from interpretkd._tabular import (
    check_frame_columns,
    concat_rows,
    encode_frame,
    frame_categories,
)
from interpretkd._validation import final_estimator
from interpretkd.augment import (
    AUGMENT_CONSTRAINT,
    N_SYNTHETIC_CONSTRAINT,
    iter_chunks,
    make_augmenter,
    resolve_n_synthetic,
)
from interpretkd.distill._models import (
    _accepts_nan,
    _is_fitted,
    _node_rows,
    _seeded,
    _StudentView,
)
from interpretkd.distill._protocol import _sample_weight_kwargs
from interpretkd.metrics import fidelity_score
from interpretkd.targets import ALPHA
from interpretkd.teachers import Teacher, as_teacher


# --------------------------------------------------------------------------------------
# The distillers' common body
# --------------------------------------------------------------------------------------
class _BaseDistiller(MetaEstimatorMixin, BaseEstimator):
    """Common code of the classifier and regressor distillers."""

    _parameter_constraints: dict = {
        "teacher": "no_validation",  # any model: checked by interpretkd.as_teacher
        "student": [None, HasMethods(["fit", "predict"])],
        "alpha": ALPHA,
        "augment": AUGMENT_CONSTRAINT,
        "n_synthetic": N_SYNTHETIC_CONSTRAINT,
        "teacher_batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_student_rows": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    _default_teacher: type
    _default_student: type
    _y_numeric = False

    # --- fit ----------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)  # student and teacher: theirs
    def fit(self, X, y, X_unlabeled=None, sample_weight=None):
        """Fit the teacher if needed, label the data with it and train the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Labeled training rows.
        y : array-like of shape (n_samples,)
            Class labels (:class:`DistilledClassifier`) or values
            (:class:`DistilledRegressor`).
        X_unlabeled : array-like, DataFrame or iterable of chunks, default=None
            Rows without labels; the teacher labels them (chunk by chunk) and the
            student learns them too, and the generators of ``augment`` imitate them
            with the labeled rows. Same columns as X. In a Pipeline it does not pass
            through the steps before the distiller: see the user guide. ``X``,
            ``y``, ``sample_weight`` and ``X_unlabeled`` may be Dask collections:
            the teacher then labels them on the workers (see the user guide,
            "Scaling out").
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the labeled rows, for the teacher (when it is
            fit here) and the student. Unlabeled and synthetic rows have weight 1.

        Returns
        -------
        self : object
        """
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        if any_dask(X, y, sample_weight):  # labeled rows on a Dask cluster
            from interpretkd.distill._dask import fit_on_dask

            return fit_on_dask(self, X, y, X_unlabeled, sample_weight, seed=seed)
        self._check_student_task()
        X_student, y = self._training_data(X, y)
        sample_weight = self._check_weights(sample_weight, X_student)
        X_teacher = self._teacher_side(X, X_student)
        self.teacher_, fit_classes = self._fitted_teacher(
            X_teacher, y, sample_weight, seed
        )
        teacher = self._start_teacher(self.teacher_, y, X_teacher, fit_classes)
        self._say(f"labeling {X_student.shape[0]} training rows with the teacher")
        rows = [X_student]
        targets = [self._mix_labels(self._label(teacher, X_teacher), y)]
        # The rows the generators imitate: a DataFrame as the user gave it (they
        # keep its dtypes and categories), an array on the student side.
        real = [X if isinstance(X, pd.DataFrame) else X_student]
        pool = X_unlabeled if any_dask(X_unlabeled) else None
        in_memory = None if pool is not None else X_unlabeled
        for chunk in self._unlabeled_chunks(in_memory, like=X):
            chunk_student = self._check_unlabeled(chunk)
            self._say(f"labeling {len(chunk)} unlabeled rows with the teacher")
            rows.append(chunk_student)
            targets.append(
                self._label(teacher, self._teacher_side(chunk, chunk_student))
            )
            if self.augment is not None:
                real.append(chunk if isinstance(X, pd.DataFrame) else chunk_student)
        synthetic = self._synthetic_rows(teacher, real, seed, n_labeled=len(y))
        if synthetic is not None:
            rows.append(synthetic[0])
            targets.append(synthetic[1])
        if pool is not None:  # the unlabeled rows on a Dask cluster
            from interpretkd.distill._dask import fit_with_dask_pool

            return fit_with_dask_pool(
                self, rows, targets, sample_weight, pool, teacher=teacher, seed=seed
            )
        X_all, T_all = np.concatenate(rows), np.concatenate(targets)
        if sample_weight is not None and len(rows) > 1:
            n_extra = X_all.shape[0] - X_student.shape[0]
            sample_weight = np.concatenate([sample_weight, np.ones(n_extra)])
        return self._fit_student_on(X_all, T_all, sample_weight, seed)

    def _fit_student_on(self, X, T, sample_weight, seed):
        """Fit the student on every teacher-labeled row (in memory or a sample
        pulled from Dask) and record what was learned from."""
        self.n_distill_samples_ = X.shape[0]
        self._say(f"fitting the student on {X.shape[0]} rows")
        self.student_ = self._fit_student(X, T, sample_weight, seed)
        self.student_node_rows_ = _node_rows(self.student_, self._named(X))
        self._say("done")
        return self

    # --- input conversion ---------------------------------------------------------
    def transform_for_student(self, X):
        """The rows ``X`` as the fitted ``student_`` takes them.

        Category columns of a DataFrame (``category``, ``object`` or ``string``
        dtype) become their codes in ``categories_``, bool columns 0.0 / 1.0, and
        the columns are checked against those seen in ``fit`` (number, names,
        missing values). ``student_.predict(transform_for_student(X))`` is
        ``predict(X)``; export and reports use it to show the path a row of ``X``
        takes through the student.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_student : ndarray or DataFrame of shape (n_samples, n_features)
            Floats; a DataFrame with columns ``feature_names_in_`` when the
            distiller was fit on named columns (the student was too), else an
            ndarray.
        """
        check_is_fitted(self)
        return self._named(self._student_side(X))

    def _training_data(self, X, y):
        """Learn the column model from X and return the student-side X and y."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        check_frame_columns(X)
        is_frame = isinstance(X, pd.DataFrame)
        self.categories_ = frame_categories(X) if is_frame else {}
        # Which student columns hold category codes (told to students that ask).
        self._category_mask = (
            np.array([col in self.categories_ for col in X.columns])
            if self.categories_
            else None
        )
        # A teacher fitted here gets string columns as pandas categoricals (which
        # HistGradientBoosting and LightGBM take); a fitted one gets X as it is.
        fit_here = not _is_fitted(self._teacher_or_default())
        self._teacher_casts = [
            col
            for col in self.categories_
            if fit_here and not isinstance(X[col].dtype, pd.CategoricalDtype)
        ]
        X_student, y = self._student_side(X, y=y, reset=True)
        return X_student, self._check_y(y)

    def _student_side(self, X, *, y=None, reset=False):
        """Encode and validate rows (and y) as the student takes them (an ndarray)."""
        check_frame_columns(X)
        if isinstance(X, pd.DataFrame):
            X = encode_frame(X, getattr(self, "categories_", {}))
        allow_nan = self._allow_nan()
        if not allow_nan:
            self._check_nan(X)
        kwargs = {
            "ensure_all_finite": "allow-nan" if allow_nan else True,
            "dtype": [np.float64, np.float32],
            "reset": reset,
        }
        if y is None:
            return validate_data(self, X, **kwargs)
        return validate_data(self, X, y, y_numeric=self._y_numeric, **kwargs)

    def _named(self, X_student):
        """The student's rows with the column names it was fit with, if any."""
        names = getattr(self, "feature_names_in_", None)
        return X_student if names is None else pd.DataFrame(X_student, columns=names)

    def _teacher_side(self, X, X_student):
        """What the teacher is queried with: the user's DataFrame (string columns as
        categoricals for a teacher fitted here), else the student-side array."""
        if not isinstance(X, pd.DataFrame):
            return X_student
        casts = {
            col: pd.CategoricalDtype(self.categories_[col])
            for col in self._teacher_casts
            if col in X
        }
        return X.astype(casts) if casts else X

    def _allow_nan(self) -> bool:
        return _accepts_nan(self.teacher) and _accepts_nan(self.student)

    def _check_nan(self, X) -> None:
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
            if m is not None and not _accepts_nan(m)
        ]
        raise ValueError(
            f"Input X contains NaN in {', '.join(names)}, but "
            f"{' and '.join(culprits)} cannot take missing values. Impute them (e.g. "
            "with sklearn.impute.SimpleImputer in a Pipeline) or use a teacher and "
            "student that accept NaN (XGBoost, HistGradientBoosting, sklearn trees)."
        )

    def _check_weights(self, sample_weight, X_student):
        if sample_weight is None:
            return None
        student = final_estimator(self.student)
        if student is not None and not has_fit_parameter(student, "sample_weight"):
            raise TypeError(
                f"sample_weight was given, but {type(student).__name__}.fit takes no "
                "sample_weight: the student would ignore the weights. Use a student "
                "that takes them, or leave sample_weight out."
            )
        sample_weight = _check_sample_weight(sample_weight, X_student)
        if np.any(sample_weight < 0):
            row = int(np.argmax(sample_weight < 0))
            raise ValueError(
                f"sample_weight has negative values (first: {sample_weight[row]!r} "
                f"in row {row}); weights say how much each row counts and must be "
                ">= 0."
            )
        return sample_weight

    # --- the two tasks ------------------------------------------------------------
    def _task_words(self):
        """(this task's model, the other task's model, the other distiller)."""
        if self._y_numeric:
            return "regressor", "classifier", "DistilledClassifier"
        return "classifier", "regressor", "DistilledRegressor"

    def _check_student_task(self):
        if self.student is None:
            return
        own, other, other_distiller = self._task_words()
        if (is_classifier if self._y_numeric else is_regressor)(self.student):
            raise TypeError(
                f"The student {type(final_estimator(self.student)).__name__} is a "
                f"{other}; {type(self).__name__} trains a {own} on what the teacher "
                f"says. Pass a {own} (e.g. DecisionTree{own.title()}), or use "
                f"{other_distiller} to distill a {other}."
            )

    def _as_teacher(self, model, **kwargs) -> Teacher:
        """The model's adapter (see interpretkd.teachers), refused when it is of the
        other task."""
        teacher = as_teacher(model, batch_size=self.teacher_batch_size, **kwargs)
        own, other, other_distiller = self._task_words()
        if teacher.is_classifier == self._y_numeric:
            raise TypeError(
                f"The teacher {teacher.name} is a {other}; {type(self).__name__} "
                f"needs a {own} teacher. Use {other_distiller} to distill a {other}."
            )
        teacher.progress = bool(self.verbose)
        return teacher

    # --- teacher ------------------------------------------------------------------
    def _teacher_or_default(self):
        return self._default_teacher() if self.teacher is None else self.teacher

    def _fitted_teacher(self, X_teacher, y, sample_weight, seed):
        """The fitted teacher, and the class labels of its columns when it was fit
        here on encoded labels (else None)."""
        teacher = self._teacher_or_default()
        if _is_fitted(teacher):
            _warn_unnamed_rows(teacher, X_teacher)
            return teacher, None
        if isinstance(teacher, list | tuple):
            raise ValueError(
                "A list of teachers must hold fitted models; fit each one first."
            )
        self._say(f"fitting the teacher on {X_teacher.shape[0]} rows")
        teacher = _seeded(clone(teacher), seed)
        classes = None
        if not self._y_numeric and type(teacher).__module__.startswith("xgboost"):
            # XGBoost classifiers take labels 0..K-1 only.
            classes, y = np.unique(y, return_inverse=True)
        teacher.fit(X_teacher, y, **_sample_weight_kwargs(teacher, sample_weight))
        return teacher, classes

    def _teacher_adapter(self) -> Teacher:
        """The fitted teacher behind one interface (see interpretkd.teachers)."""
        check_is_fitted(self)
        if self.teacher_ is None:
            raise NotFittedError(
                f"This {type(self).__name__} holds no teacher (it was saved without "
                "it); join it to its teacher with with_teacher(teacher) first."
            )
        return self._adapt(self.teacher_)

    def without_teacher(self):
        """A copy that holds the fitted student but not the teacher.

        The copy predicts as this distiller does, and is what
        :func:`interpretkd.save` can write when the teacher cannot be written (a
        torch network, an ONNX session) or should not travel with the student:
        ``interpretkd.save(model.without_teacher(), "student.skops")``. Measuring
        fidelity needs the teacher back: :meth:`with_teacher`.

        Returns
        -------
        light : DistilledClassifier or DistilledRegressor
            Its ``teacher`` and ``teacher_`` are None; this distiller is unchanged.
        """
        check_is_fitted(self)
        light = copy.copy(self)
        light.teacher = None
        light.teacher_ = None
        return light

    def with_teacher(self, teacher):
        """A copy joined again to the teacher it was distilled from.

        Parameters
        ----------
        teacher : object
            The fitted teacher (a model, or a file read with
            :func:`interpretkd.load_teacher`).

        Returns
        -------
        joined : DistilledClassifier or DistilledRegressor
            ``teacher_predict``, ``fidelity`` and reports work again; this
            distiller is unchanged.

        Raises
        ------
        TypeError
            If the teacher's task differs from the distiller's.
        ValueError
            If its classes or its number of input columns differ.
        """
        check_is_fitted(self)
        n_teacher = getattr(teacher, "n_features_in_", None)
        if isinstance(n_teacher, Integral) and n_teacher != self.n_features_in_:
            raise ValueError(
                f"The teacher takes {n_teacher} features but the student "
                f"{self.n_features_in_}; pass the teacher it was distilled from."
            )
        self._adapt(teacher)  # raises if the task or the classes differ
        joined = copy.copy(self)
        joined.teacher = teacher
        joined.teacher_ = teacher
        return joined

    # --- the teacher beside the student -------------------------------------------
    def teacher_predict(self, X):
        """The teacher's predictions on ``X``: labels from ``classes_``
        (:class:`DistilledClassifier`) or values (:class:`DistilledRegressor`).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        X_teacher = self._teacher_side(X, self.transform_for_student(X))
        teacher = self._teacher_adapter()
        if self._y_numeric:
            return teacher.predict_values(X_teacher)
        return teacher.predict(X_teacher)

    def fidelity(self, X) -> float:
        """How faithful the student is to the teacher on ``X``
        (:func:`interpretkd.fidelity_score`).

        Parameters
        ----------
        X : array-like, DataFrame or Dask collection of shape (n_samples, n_features)
            Rows neither model was trained on, for a figure that generalises.

        Returns
        -------
        score : float
            :class:`DistilledClassifier`: the share of rows on which the two decide
            alike. :class:`DistilledRegressor`: the R² of the student's predictions
            against the teacher's.
        """
        return fidelity_score(None, self, X)

    # --- teacher-labeled rows beyond the training set -----------------------------
    def _unlabeled_chunks(self, X_unlabeled, *, like):
        """Chunks of X_unlabeled in the container of X (a DataFrame gets X's column
        names, an array X gets arrays)."""
        if X_unlabeled is None:
            return
        for chunk in iter_chunks(X_unlabeled):
            if chunk.shape[1] != self.n_features_in_:
                yield chunk  # refused with a message that says so
            elif isinstance(like, pd.DataFrame) and not isinstance(chunk, pd.DataFrame):
                yield pd.DataFrame(chunk, columns=like.columns)
            elif not isinstance(like, pd.DataFrame) and isinstance(chunk, pd.DataFrame):
                yield chunk.to_numpy()
            else:
                yield chunk

    def _check_unlabeled(self, chunk):
        """A chunk of X_unlabeled on the student side, or an error that says how
        it differs from X."""
        pipeline_hint = (
            " If this distiller is a step of a Pipeline, X_unlabeled skips the steps "
            "before it: pass it through them first (pipeline[:-1].transform("
            "X_unlabeled) once the pipeline is fit), or fit the distiller on the raw "
            "table with a teacher that does its own preprocessing (see the user "
            "guide, 'Pipelines and unlabeled rows')."
        )
        n_in = chunk.shape[1]
        if n_in != self.n_features_in_:
            raise ValueError(
                f"X_unlabeled has {n_in} features but X has {self.n_features_in_}; "
                f"X_unlabeled must have the same columns as X.{pipeline_hint}"
            )
        try:
            return self._student_side(chunk)
        except ValueError as exc:
            raise ValueError(
                f"X_unlabeled does not hold the same kind of columns as X: {exc}"
                f"{pipeline_hint}"
            ) from exc

    def _synthetic_rows(self, teacher, real, seed, *, n_labeled):
        """Synthetic rows and their targets, or None: rows imitating ``real`` (the
        labeled and unlabeled rows, in the user's format)."""
        augmenter = make_augmenter(self.augment, random_state=seed)
        n_new = resolve_n_synthetic(self.n_synthetic, n_labeled)
        if augmenter is None or n_new == 0:
            return None
        X_real = concat_rows(real)
        self._say(f"generating {n_new} synthetic rows ({type(augmenter).__name__})")
        if callable(getattr(augmenter, "run", None)):
            # Active samplers refit the student as they go: they get the teacher's
            # labels and a way to fit the student, and return labeled rows.
            def label(X_user):
                return self._label(
                    teacher, self._teacher_side(X_user, self._student_side(X_user))
                )

            def fit(X_user, targets):
                student = self._fit_student(
                    self._student_side(X_user), targets, None, seed
                )
                return _StudentView(self, student)

            X_new, T_new = augmenter.run(X_real, n_new, label=label, fit=fit)
            return self._student_side(X_new), np.asarray(T_new, dtype=np.float64)
        X_new = augmenter.sample(X_real, n_new)
        X_student = self._student_side(X_new)
        return X_student, self._label(teacher, self._teacher_side(X_new, X_student))

    # --- student ------------------------------------------------------------------
    def _make_student(self, seed):
        if self.student is None:
            return self._default_student(max_depth=5, random_state=seed)
        student = _seeded(clone(self.student), seed)
        # A student that takes categorical_features (TAO trees) and was left None
        # learns which columns are category codes, so that no oblique split mixes
        # them with other columns; the user's own estimator is left as it is.
        mask = getattr(self, "_category_mask", None)
        params = student.get_params(deep=False)  # clone() needs it: always there
        if mask is not None and params.get("categorical_features", "") is None:
            student.set_params(categorical_features=mask.copy())
        # verbose reaches interpretkd's own students (the soft tree's epoch bar);
        # other libraries' verbose output (solver traces) is left as the user set it.
        final = final_estimator(student)
        if (
            self.verbose
            and type(final).__module__.startswith("interpretkd.")
            and not final.get_params(deep=False).get("verbose", True)
        ):
            final.set_params(verbose=self.verbose)
        return student

    # --- progress -----------------------------------------------------------------
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

    # --- scikit-learn protocol ----------------------------------------------------
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


def _warn_unnamed_rows(teacher, X_teacher) -> None:
    """Warn when a teacher fitted on named columns is handed rows without names: it
    reads them by position, and rows transformed on the way (a Pipeline step before
    the distiller) get labels from a model that never saw such values."""
    if isinstance(X_teacher, pd.DataFrame):
        return  # named: the teacher checks the names itself
    models = teacher if isinstance(teacher, list | tuple) else [teacher]
    for model in models:
        names = getattr(model, "feature_names_in_", None)
        if names is None:
            continue
        shown = ", ".join(map(str, list(names)[:5])) + (
            ", ..." if len(names) > 5 else ""
        )
        warnings.warn(
            f"The teacher {type(model).__name__} was fitted on a table with named "
            f"columns ({shown}) but X has no column names, so the teacher reads X's "
            "columns by position. If X went through a Pipeline step before the "
            "distiller (a scaler, an encoder), the teacher labels values it was not "
            "trained on and the student learns wrong labels: fit the teacher on the "
            "transformed rows, or fit the distiller on the raw table (see the user "
            "guide, 'Pipelines and unlabeled rows'). Passing X as a DataFrame with "
            "the teacher's columns silences this warning.",
            UserWarning,
            stacklevel=5,  # the caller of fit
        )
        return
