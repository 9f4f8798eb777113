"""Every interpretkd estimator against scikit-learn's common checks, and in the
meta-estimator tools users put it in (Pipeline, GridSearchCV, clone, pickle).

Estimators are discovered by walking the package, so a new estimator is checked the
moment it is added; ``test_every_estimator_is_public`` fails if one is left out of
``interpretkd.__all__``.
"""

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

import interpretkd
from interpretkd import DistilledClassifier, DistilledRegressor

# Settings that keep the common checks fast; keyed by class name.
FAST_PARAMS = {
    "DistilledClassifier": dict(
        teacher=HistGradientBoostingClassifier(max_iter=15, random_state=0),
        random_state=0,
    ),
    "DistilledRegressor": dict(
        teacher=HistGradientBoostingRegressor(max_iter=15, random_state=0),
        random_state=0,
    ),
    "TAOTreeClassifier": dict(split="oblique", max_depth=3, max_iter=2, random_state=0),
    "TAOTreeRegressor": dict(split="oblique", max_depth=3, max_iter=2, random_state=0),
    "SoftDecisionTreeClassifier": dict(max_depth=2, max_epochs=30, learning_rate=0.1),
    "SoftDecisionTreeRegressor": dict(max_depth=2, max_epochs=30, learning_rate=0.1),
}

# Further configurations that change what is trained, checked as well.
EXTRA_PARAMS = {
    "TAOTreeClassifier": dict(
        max_depth=6, max_leaf_nodes=5, max_iter=2, random_state=0
    ),
    "TAOTreeRegressor": dict(max_depth=3, init="rollout", max_iter=2, random_state=0),
    "SoftDecisionTreeClassifier": dict(
        max_depth=2,
        max_epochs=30,
        learning_rate=0.1,
        loss="mixture",
        prediction="mixture",
    ),
    "SoftDecisionTreeRegressor": dict(
        max_depth=2,
        max_epochs=30,
        learning_rate=0.1,
        loss="mixture",
        prediction="mixture",
    ),
}

# Checks that an estimator fails for a documented reason, keyed by class name.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def _discover_estimators():
    found = {}
    # Estimators are defined in private modules (``interpretkd.tao._classes``) and
    # re-exported by their package, so every module is walked but the console script.
    for info in pkgutil.walk_packages(interpretkd.__path__, "interpretkd."):
        if info.name.startswith(("interpretkd.cli", "interpretkd.__main__")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseEstimator)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and not inspect.isabstract(obj)
                and hasattr(obj, "fit")
            ):
                found[name] = obj
    return dict(sorted(found.items()))


ESTIMATORS = _discover_estimators()


def _instances():
    for name, cls in ESTIMATORS.items():
        yield cls()
        if name in FAST_PARAMS:
            yield cls(**FAST_PARAMS[name])
        if name in EXTRA_PARAMS:
            yield cls(**EXTRA_PARAMS[name])


def _fast(cls, **extra):
    return cls(**{**FAST_PARAMS.get(cls.__name__, {}), **extra})


def test_every_estimator_is_public():
    assert {"DistilledClassifier", "DistilledRegressor"} <= set(ESTIMATORS)
    missing = sorted(set(ESTIMATORS) - set(interpretkd.__all__))
    assert not missing, f"estimators missing from interpretkd.__all__: {missing}"


@parametrize_with_checks(
    list(_instances()),
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(
        type(est).__name__, {}
    ),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_clone_and_pickle_round_trip(name):
    cls = ESTIMATORS[name]
    is_reg = "Regressor" in name
    make = make_regression if is_reg else make_classification
    X, y = make(n_samples=120, n_features=6, random_state=0)
    est = _fast(cls)
    assert clone(est).get_params().keys() == est.get_params().keys()
    est.fit(X, y)
    loaded = pickle.loads(pickle.dumps(est))
    method = "predict" if hasattr(est, "predict") else "transform"
    np.testing.assert_allclose(getattr(loaded, method)(X), getattr(est, method)(X))


def test_distiller_in_pipeline_and_grid_search():
    X, y = make_classification(n_samples=300, n_features=8, random_state=0)
    teacher = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "distill",
                DistilledClassifier(
                    teacher, DecisionTreeClassifier(random_state=0), random_state=0
                ),
            ),
        ]
    )
    grid = GridSearchCV(
        pipe,
        {
            "distill__student__max_depth": [1, 4],
            "distill__temperature": [1.0, 3.0],
        },
        cv=3,
    )
    grid.fit(X, y)
    assert grid.best_params_["distill__student__max_depth"] == 4
    assert len(grid.cv_results_["params"]) == 4
    best = grid.best_estimator_.named_steps["distill"]
    assert best.student_.get_depth() <= 4
    assert grid.score(X, y) > 0.8


def test_regressor_in_pipeline_and_grid_search():
    X, y = make_regression(n_samples=300, n_features=6, noise=1.0, random_state=0)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            (
                "distill",
                DistilledRegressor(
                    HistGradientBoostingRegressor(max_iter=30, random_state=0),
                    DecisionTreeRegressor(random_state=0),
                ),
            ),
        ]
    )
    grid = GridSearchCV(pipe, {"distill__student__max_depth": [1, 6]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["distill__student__max_depth"] == 6
