"""SHAP explanations of a teacher and its student, side by side.

A student is faithful when it decides as the teacher does; it is faithful *for the same
reasons* when the features that move its predictions are those that move the
teacher's. :func:`compare_shap` computes SHAP values of both models on the same rows
and the same output (class probabilities, or the regression value), and measures how
well they agree. ``shap`` and ``matplotlib`` are optional:
``pip install 'interpretkd[explain]'``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = ["compare_shap", "ShapComparison"]

_EXTRA = "pip install 'interpretkd[explain]'"
# Up to this many features, SHAP values are computed exactly (2**p coalitions).
_EXACT_MAX_FEATURES = 8
# Model rows evaluated per call when integrating features out over the background.
_ROWS_PER_CALL = 2_000_000


def _import_shap():
    try:
        import shap
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"compare_shap needs the optional package shap; install it with {_EXTRA}."
        ) from exc
    return shap


@dataclass
class ShapComparison:
    """SHAP values of a teacher and a student on the same rows, and their agreement.

    Attributes
    ----------
    feature_names : list of str
    teacher_values, student_values : ndarray of shape (n_samples, n_features)
        SHAP values of the explained output: for classifiers, the probability of the
        class the teacher predicts for that row; for regressors, the prediction.
    teacher_importance, student_importance : ndarray of shape (n_features,)
        Global importance: mean ``|SHAP value|`` over the rows and, for classifiers,
        summed over all classes' probabilities.
    rank_correlation : float
        Spearman correlation of the two global importances (1: same ranking).
        NaN when one model's importances are all equal.
    sample_agreement : ndarray of shape (n_samples,)
        Cosine similarity of the teacher's and the student's SHAP vectors on each row
        (1: the same features push the same way, in the same proportions). 0 where one
        vector is all zeros.
    top_feature_agreement : float
        Share of rows on which both models' largest ``|SHAP value|`` is on the same
        feature.
    teacher_explainer, student_explainer : str
        The SHAP algorithm used for each model (``"tree"``, ``"exact"`` or
        ``"permutation"``).
    n_background : int
        Background rows used to integrate features out.
    teacher_name, student_name : str
        Class names of the two models, for titles.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd import compare_shap
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    >>> tree = tree.fit(X, forest.predict(X))
    >>> comparison = compare_shap(forest, tree, X, max_samples=30, n_background=10)
    >>> comparison.teacher_values.shape, comparison.teacher_explainer
    ((30, 30), 'tree')
    >>> list(comparison.to_frame().columns)
    ['teacher', 'student', 'teacher_rank', 'student_rank']
    """

    feature_names: list[str]
    teacher_values: np.ndarray
    student_values: np.ndarray
    teacher_importance: np.ndarray
    student_importance: np.ndarray
    rank_correlation: float
    sample_agreement: np.ndarray
    top_feature_agreement: float
    teacher_explainer: str
    student_explainer: str
    n_background: int
    teacher_name: str = "teacher"
    student_name: str = "student"

    def to_frame(self) -> pd.DataFrame:
        """Global importances side by side, most important to the teacher first.

        Returns
        -------
        frame : pandas.DataFrame
            Indexed by feature name, with columns ``teacher``, ``student`` (mean
            ``|SHAP|``), ``teacher_rank`` and ``student_rank`` (1 = most important).
        """
        frame = pd.DataFrame(
            {
                "teacher": self.teacher_importance,
                "student": self.student_importance,
            },
            index=pd.Index(self.feature_names, name="feature"),
        )
        frame["teacher_rank"] = _ranks(self.teacher_importance)
        frame["student_rank"] = _ranks(self.student_importance)
        return frame.sort_values("teacher", ascending=False, kind="stable")

    def summary(self) -> dict:
        """The agreement figures as a plain dict."""
        return {
            "rank_correlation": float(self.rank_correlation),
            "mean_sample_agreement": float(np.mean(self.sample_agreement)),
            "top_feature_agreement": float(self.top_feature_agreement),
            "n_samples": int(self.teacher_values.shape[0]),
            "n_background": int(self.n_background),
            "teacher_explainer": self.teacher_explainer,
            "student_explainer": self.student_explainer,
        }

    def plot(self, max_features: int = 15, *, figsize=None):
        """Draw the two global importances as mirrored bar charts.

        Parameters
        ----------
        max_features : int, default=15
            Features shown: the most important to either model.
        figsize : tuple of float, default=None
            Figure size in inches; by default grows with the number of features.

        Returns
        -------
        fig : matplotlib.figure.Figure
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                f"ShapComparison.plot needs matplotlib; install it with {_EXTRA}."
            ) from exc
        if isinstance(max_features, bool) or not isinstance(
            max_features, numbers.Integral
        ):
            raise TypeError(f"max_features must be an integer, got {max_features!r}.")
        if max_features < 1:
            raise ValueError(f"max_features must be >= 1, got {max_features}.")
        teacher = _normalise(self.teacher_importance)
        student = _normalise(self.student_importance)
        order = np.argsort(-np.maximum(teacher, student), kind="stable")[:max_features]
        order = order[np.argsort(-teacher[order], kind="stable")][::-1]
        names = [self.feature_names[i] for i in order]
        height = 0.32 * len(order) + 1.3
        fig = Figure(figsize=figsize or (7.5, height), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        y = np.arange(len(order))
        left.barh(y, teacher[order], color="#4c72b0")
        left.invert_xaxis()
        left.set_title(f"teacher\n{self.teacher_name}", fontsize=10)
        left.set_yticks(y, names)
        right.barh(y, student[order], color="#dd8452")
        right.set_title(f"student\n{self.student_name}", fontsize=10)
        top = max(teacher[order].max(initial=0), student[order].max(initial=0)) * 1.05
        for ax in (left, right):
            ax.set_xlim((top, 0) if ax is left else (0, top))
            ax.set_xlabel("share of mean |SHAP|")
            ax.spines[["top", "right" if ax is right else "left"]].set_visible(False)
        rho = self.rank_correlation
        fig.suptitle(
            f"Spearman rank correlation {rho:.2f}, mean per-sample cosine "
            f"{np.mean(self.sample_agreement):.2f}",
            fontsize=10,
        )
        return fig


def _normalise(importance: np.ndarray) -> np.ndarray:
    total = importance.sum()
    return importance / total if total > 0 else importance


def _ranks(values: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(-values, method="min").astype(int)


# --------------------------------------------------------------------------------------
# Computing SHAP values
# --------------------------------------------------------------------------------------


def _as_sklearn_tree(model):
    """TAO axis trees explain as the scikit-learn tree they convert to."""
    if getattr(model, "split", None) == "axis" and hasattr(model, "as_sklearn"):
        return model.as_sklearn()
    return model


def _check_no_inf(values: np.ndarray, name: str) -> None:
    """Infinite values are refused, as everywhere in interpretkd (NaN may pass)."""
    bad = np.isinf(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} contains infinite values (first in row {row}, column {col}); "
            "replace them (e.g. with NaN, where both models accept missing values) "
            "before explaining."
        )


def _output_function(model, is_classifier: bool, columns):
    """A function of a 2-D float array returning the explained outputs."""
    from interpretkd.teachers import Teacher, as_teacher

    estimator_like = hasattr(model, "fit") and not isinstance(model, Teacher)
    if is_classifier and estimator_like and hasattr(model, "predict_proba"):
        fn = model.predict_proba
    elif not is_classifier and estimator_like and hasattr(model, "predict"):
        fn = model.predict
    else:  # raw boosters, torch modules, callables: through interpretkd's adapters
        adapter = as_teacher(model)
        fn = adapter.predict_proba if is_classifier else adapter.predict_values

    # Hand a DataFrame only to models fitted on one (else sklearn warns).
    named = columns is not None and hasattr(model, "feature_names_in_")

    def output(A):
        A = np.asarray(A, dtype=np.float64)
        if named:
            A = pd.DataFrame(A, columns=columns)
        return np.asarray(fn(A), dtype=np.float64)

    return output


def _tree_values(shap, model, X, background, is_classifier):
    """SHAP values from TreeExplainer, or None when it does not apply."""
    model = _as_sklearn_tree(model)
    try:
        if is_classifier:
            explainer = shap.TreeExplainer(
                model,
                data=background,
                feature_perturbation="interventional",
                model_output="probability",
            )
        else:
            explainer = shap.TreeExplainer(
                model, data=background, feature_perturbation="interventional"
            )
        values = explainer.shap_values(X, check_additivity=False)
    except Exception:  # the model is not a tree ensemble shap knows
        return None
    return values


def _masked_outputs(fn, x, background, masks) -> np.ndarray:
    """Mean output over the background with the features in each mask taken from x.

    ``masks`` is a boolean array (n_masks, n_features); returns (n_masks, n_outputs).
    """
    n_bg, p = background.shape
    out = []
    step = max(1, _ROWS_PER_CALL // max(1, n_bg * p))
    for start in range(0, len(masks), step):
        part = masks[start : start + step]
        rows = np.where(part[:, None, :], x[None, None, :], background[None, :, :])
        y = np.asarray(fn(rows.reshape(-1, p)), dtype=np.float64)
        y = y.reshape(len(part), n_bg, -1)
        out.append(y.mean(axis=1))
    return np.concatenate(out, axis=0)


def _shapley_exact(fn, X, background) -> np.ndarray:
    """Interventional Shapley values by enumerating every coalition: (n, p, K).

    Written here rather than taken from ``shap.explainers.Exact`` with an
    ``Independent`` masker, which gives the same values (to 2e-16) but evaluates
    the model coalition by coalition: 12 s against 0.006 s for 20 rows of 6
    features on 30 background rows (shap 0.51). Here every coalition of a row is
    evaluated in a few batched calls (:func:`_masked_outputs`).
    """
    from math import factorial

    p = X.shape[1]
    codes = np.arange(2**p)
    masks = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)
    size = masks.sum(axis=1)
    weight = np.array(
        [factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)]
    )
    values = []
    for x in X:
        v = _masked_outputs(fn, x, background, masks)  # (2**p, K)
        phi = np.empty((p, v.shape[1]))
        for j in range(p):
            without = codes[~masks[:, j]]
            gain = v[without | (1 << j)] - v[without]
            phi[j] = weight[size[without]] @ gain
        values.append(phi)
    return np.stack(values)


def _shapley_permutation(fn, X, background, n_permutations, rng) -> np.ndarray:
    """Shapley values estimated on antithetic feature orderings: (n, p, K).

    Each ordering adds the features one at a time and credits each with the change
    of the output; the values of one ordering add up exactly to ``f(x) - E f``.
    """
    p = X.shape[1]
    orders = []
    for _ in range(max(1, n_permutations // 2)):
        order = rng.permutation(p)
        orders.extend([order, order[::-1]])
    values = []
    for x in X:
        phi = 0.0
        for order in orders:
            masks = np.zeros((p + 1, p), dtype=bool)
            for k, j in enumerate(order):
                masks[k + 1 :, j] = True
            v = _masked_outputs(fn, x, background, masks)  # (p + 1, K)
            step = np.empty((p, v.shape[1]))
            step[order] = np.diff(v, axis=0)
            phi = phi + step
        values.append(phi / len(orders))
    return np.stack(values)


def _agnostic_values(fn, X, background, rng):
    if X.shape[1] <= _EXACT_MAX_FEATURES:
        return _shapley_exact(fn, X, background), "exact"
    return _shapley_permutation(fn, X, background, 2, rng), "permutation"


def _to_class_array(values, n_samples, n_features, n_classes) -> np.ndarray:
    """SHAP output in any of shap's layouts -> array (n_samples, n_features, K)."""
    if isinstance(values, list):
        values = np.stack([np.asarray(v) for v in values], axis=-1)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        if n_classes == 2:  # one output: the positive class's probability
            return np.stack([-values, values], axis=-1)
        return values[:, :, None]
    if values.shape == (n_samples, n_features, n_classes):
        return values
    if values.shape == (n_classes, n_samples, n_features):
        return np.moveaxis(values, 0, -1)
    raise ValueError(
        f"Unexpected shape of SHAP values {values.shape} for {n_samples} samples, "
        f"{n_features} features and {n_classes} classes."
    )


def _explain(shap, model, X, background, is_classifier, n_classes, columns, rng):
    values = _tree_values(shap, model, X, background, is_classifier)
    name = "tree"
    if values is None:
        fn = _output_function(model, is_classifier, columns)
        values, name = _agnostic_values(fn, X, background, rng)
    n, p = X.shape
    if is_classifier:
        return _to_class_array(values, n, p, n_classes), name
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:  # one or several regression outputs: sum their attributions
        values = values.sum(axis=-1)
    return values, name


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    denom = na * nb
    dots = np.einsum("ij,ij->i", a, b)
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)


def _check_count(value, name) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}.")
    return int(value)


def compare_shap(
    teacher,
    student=None,
    X=None,
    *,
    background=None,
    n_background: int = 100,
    max_samples: int = 200,
    feature_names: Sequence[str] | None = None,
    random_state=0,
) -> ShapComparison:
    """Explain a teacher and its student with SHAP, and compare the explanations.

    Call it as ``compare_shap(teacher, student, X)`` or, for a fitted distiller,
    ``compare_shap(distilled, X)``.

    Tree models (scikit-learn trees and forests, XGBoost, LightGBM, TAO axis trees)
    are explained with ``shap.TreeExplainer`` (interventional, on class
    probabilities); other models (soft trees, linear students, neural networks) with a
    model-agnostic estimate of the same interventional SHAP values: exact (every
    coalition of features) for up to 8 features, else averaged over two antithetic
    feature orderings (cost: ``2 * (n_features + 1) * n_background`` model rows per
    explained row; lower ``n_background`` and ``max_samples`` for images). Both use
    the same background rows, so the two models' values are on the same scale.

    Parameters
    ----------
    teacher : fitted estimator or fitted distiller
        The teacher, or a fitted ``DistilledClassifier``/``DistilledRegressor`` whose
        ``teacher_`` and ``student_`` are compared.
    student : fitted estimator, default=None
        The student; leave out when ``teacher`` is a distiller (then pass ``X`` in its
        place or by name).
    X : array-like of shape (n_samples, n_features)
        Rows to explain, ideally held out. At most ``max_samples`` of them are used.
    background : array-like of shape (n_background, n_features), default=None
        Rows that represent "feature unknown". Defaults to ``n_background`` rows of
        ``X``.
    n_background : int, default=100
        Background rows drawn from ``X`` when ``background`` is None (and the most kept
        from ``background``). The cost of model-agnostic explanations grows with it.
    max_samples : int, default=200
        Rows of ``X`` explained, drawn at random when ``X`` has more.
    feature_names : list of str, default=None
        Names for the plot and table; defaults to the columns of ``X`` or ``x[i]``.
    random_state : int, RandomState instance or None, default=0
        Draws the explained and background rows.

    Returns
    -------
    comparison : ShapComparison
        Values, importances, ``rank_correlation``, ``sample_agreement`` and
        ``plot()``.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> tree = DecisionTreeClassifier(max_depth=3).fit(X, forest.predict(X))
    >>> cmp = compare_shap(forest, tree, X, max_samples=50, n_background=20)
    >>> -1.0 <= cmp.rank_correlation <= 1.0
    True
    """
    shap = _import_shap()
    if hasattr(teacher, "student_") and hasattr(teacher, "teacher_"):
        if X is not None and student is not None:
            raise TypeError(
                "compare_shap(distilled, X) takes the distiller and the rows only; "
                "to compare two models pass compare_shap(teacher, student, X)."
            )
        distilled = teacher
        X = student if X is None else X
        teacher, student = distilled.teacher_, distilled.student_
        is_classifier = hasattr(distilled, "classes_")
    else:
        if student is None:
            raise TypeError(
                "compare_shap needs a teacher and a student: compare_shap(teacher, "
                "student, X), or a fitted distiller: compare_shap(distilled, X)."
            )
        is_classifier = hasattr(teacher, "predict_proba") or hasattr(
            teacher, "classes_"
        )
    if X is None:
        raise TypeError("compare_shap needs the rows to explain, X.")
    n_background = _check_count(n_background, "n_background")
    max_samples = _check_count(max_samples, "max_samples")
    rng = check_random_state(random_state)

    columns = list(X.columns) if hasattr(X, "columns") else None
    if columns is not None:
        non_numeric = [c for c in columns if not pd.api.types.is_numeric_dtype(X[c])]
        if non_numeric:
            raise TypeError(
                f"compare_shap explains numeric features only; columns {non_numeric} "
                "are not numeric. Encode them first (e.g. with their category codes)."
            )
    X_arr = np.asarray(X, dtype=np.float64)
    if X_arr.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got {X_arr.shape}.")
    _check_no_inf(X_arr, "X")
    n, p = X_arr.shape
    if n == 0:
        raise ValueError("X has no rows; pass at least one row to explain.")
    rows = rng.choice(n, size=max_samples, replace=False) if n > max_samples else None
    X_exp = X_arr if rows is None else X_arr[np.sort(rows)]
    if background is None:
        pick = rng.choice(n, size=min(n, n_background), replace=False)
        bg = X_arr[np.sort(pick)]
    else:
        bg = np.asarray(background, dtype=np.float64)
        if bg.ndim != 2 or bg.shape[1] != p:
            raise ValueError(
                f"background must have shape (n_rows, {p}) like X; got {bg.shape}."
            )
        _check_no_inf(bg, "background")
        if len(bg) > n_background:
            bg = bg[np.sort(rng.choice(len(bg), size=n_background, replace=False))]

    names = (
        [str(c) for c in columns]
        if columns is not None
        else [f"x[{i}]" for i in range(p)]
    )
    if feature_names is not None:
        names = [str(f) for f in feature_names]
        if len(names) != p:
            raise ValueError(
                f"feature_names has {len(names)} entries but X has {p} columns."
            )

    n_classes = 1
    if is_classifier:
        n_classes = _output_function(teacher, True, columns)(X_exp[:2]).shape[1]
    # Non-numeric columns were refused above, so the numbers in X are what both
    # models see (a distiller hands its student the same values as an array).
    t_values, t_name = _explain(
        shap, teacher, X_exp, bg, is_classifier, n_classes, columns, rng
    )
    s_values, s_name = _explain(
        shap, student, X_exp, bg, is_classifier, n_classes, columns, rng
    )
    if is_classifier:
        teacher_proba = _output_function(teacher, True, columns)(X_exp)
        k = teacher_proba.argmax(axis=1)
        idx = np.arange(len(X_exp))
        t_vec = t_values[idx, :, k]
        s_vec = s_values[idx, :, k]
        t_imp = np.abs(t_values).mean(axis=0).sum(axis=1)
        s_imp = np.abs(s_values).mean(axis=0).sum(axis=1)
    else:
        t_vec, s_vec = t_values, s_values
        t_imp = np.abs(t_values).mean(axis=0)
        s_imp = np.abs(s_values).mean(axis=0)
    if np.ptp(t_imp) == 0 or np.ptp(s_imp) == 0:
        rho = float("nan")
    else:
        from scipy.stats import spearmanr

        rho = float(spearmanr(t_imp, s_imp).statistic)
    top_same = np.argmax(np.abs(t_vec), axis=1) == np.argmax(np.abs(s_vec), axis=1)
    return ShapComparison(
        feature_names=names,
        teacher_values=t_vec,
        student_values=s_vec,
        teacher_importance=t_imp,
        student_importance=s_imp,
        rank_correlation=rho,
        sample_agreement=_cosine(t_vec, s_vec),
        top_feature_agreement=float(np.mean(top_same)),
        teacher_explainer=t_name,
        student_explainer=s_name,
        n_background=len(bg),
        teacher_name=type(teacher).__name__,
        student_name=type(student).__name__,
    )
