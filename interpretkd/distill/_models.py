"""What a distiller asks of the models it is given (do they take NaN? are they
fitted?), how it seeds a student, and the student as an augmenter sees it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from interpretkd._validation import final_estimator
from interpretkd.teachers import Teacher


# --------------------------------------------------------------------------------------
# What is asked of the models a distiller is given
# --------------------------------------------------------------------------------------
def _accepts_nan(model) -> bool:
    """Whether ``model`` takes NaN: XGBoost and LightGBM do, scikit-learn estimators
    say so in their tags, anything else is taken not to."""
    if model is None:  # the defaults: HistGradientBoosting and a decision tree
        return True
    if isinstance(model, list | tuple):
        return all(_accepts_nan(m) for m in model)
    if isinstance(model, Teacher):
        return _accepts_nan(model.model)
    if type(model).__module__.startswith(("xgboost", "lightgbm")):
        return True
    if not hasattr(model, "__sklearn_tags__"):
        return False
    return bool(get_tags(model).input_tags.allow_nan)


def _is_fitted(model) -> bool:
    """Whether a teacher is used as it is: fitted estimators, and models without
    ``fit`` (raw boosters, torch modules, callables, adapters)."""
    if isinstance(model, list | tuple):
        return all(_is_fitted(m) for m in model)
    if not hasattr(model, "fit"):
        return True
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    return True


def _seeded(estimator, seed: int):
    """``estimator`` with every ``random_state`` the user left None (nested ones,
    e.g. in a Pipeline, included) set to ``seed``; those set are kept.

    This is what scikit-learn's ensembles do to their members, through the public
    ``get_params(deep=True)`` / ``set_params``, except that a seed the user chose
    is never replaced.
    """
    if not hasattr(estimator, "get_params"):
        return estimator
    unset = {
        key: seed
        for key, value in estimator.get_params(deep=True).items()
        if value is None and (key == "random_state" or key.endswith("__random_state"))
    }
    return estimator.set_params(**unset) if unset else estimator


class _StudentView:
    """A student being fitted, as an augmenter that refits it sees it: rows in the
    user's format, classes as column indices of the targets."""

    def __init__(self, distiller, student):
        self._distiller = distiller
        self._student = student

    def _rows(self, X):
        # Converted and named as the student was fit on them (a student fit on a
        # DataFrame warns when asked about an unnamed array).
        return self._distiller._named(self._distiller._student_side(X))

    def predict(self, X):
        pred = self._student.predict(self._rows(X))
        if not hasattr(self._distiller, "classes_"):
            return pred
        return pd.Index(self._distiller.classes_).get_indexer(pred)

    def __getattr__(self, name):  # apply, decision_path, ...: on converted rows
        method = getattr(self._student, name)
        if not callable(method):
            return method
        return lambda X: method(self._rows(X))


def _node_rows(student, X) -> np.ndarray | None:
    """Training rows reaching each node of a tree student, counted once per row
    (a student fit through ``sample_weight`` saw each row once per class): the
    column sums of its ``decision_path``. None for students without one."""
    final = final_estimator(student)
    if not hasattr(final, "decision_path"):
        return None
    if final is not student:  # a Pipeline: its last step reads the transformed rows
        X = student[:-1].transform(X)
    indicator = final.decision_path(X)
    return np.asarray(indicator.sum(axis=0), dtype=np.int64).ravel()
