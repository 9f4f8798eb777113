"""Fidelity and complexity figures, and the distillation report."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import (
    DistilledClassifier,
    distillation_report,
    fidelity_score,
    student_complexity,
)


def test_fidelity_is_label_agreement():
    X, y = make_classification(n_samples=200, random_state=0)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    assert fidelity_score(tree, tree, X) == 1.0
    dummy = DummyClassifier(strategy="constant", constant=1).fit(X, y)
    expected = np.mean(tree.predict(X) == 1)
    assert fidelity_score(tree, dummy, X) == pytest.approx(expected)


def test_fidelity_for_regression_is_r2_against_the_teacher():
    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    deep = DecisionTreeRegressor(random_state=0).fit(X, y)
    shallow = DecisionTreeRegressor(max_depth=1).fit(X, y)
    assert fidelity_score(deep, deep, X) == 1.0
    assert fidelity_score(deep, shallow, X) < 0.8


def test_fidelity_refuses_models_of_two_tasks():
    # fidelity_score(XGBRegressor, DecisionTreeClassifier) was an R² against class
    # labels; the other way round the hint blamed a distiller's student_ (issue 15).
    from xgboost import XGBRegressor

    X, y = make_classification(n_samples=200, random_state=0)
    regressor = XGBRegressor(n_estimators=5).fit(X, y)
    classifier = DecisionTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(
        TypeError,
        match="XGBRegressor is a regression model but "
        "the student DecisionTreeClassifier a classification",
    ):
        fidelity_score(regressor, classifier, X)
    tree_reg = DecisionTreeRegressor(max_depth=2).fit(X, y)
    with pytest.raises(TypeError, match="student DecisionTreeRegressor a regression"):
        fidelity_score(classifier, tree_reg, X)


def test_complexity_of_trees_and_linear_models():
    X, y = make_classification(n_samples=200, n_features=10, random_state=0)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    c = student_complexity(tree)
    assert c["depth"] == 3 and c["n_leaves"] == tree.get_n_leaves()
    lasso = Lasso(alpha=0.1).fit(X, y)
    c = student_complexity(lasso)
    assert c["n_nonzero_weights"] == int(np.sum(lasso.coef_ != 0)) < 10


def test_report_has_fidelity_accuracy_and_size():
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    model = DistilledClassifier(
        LogisticRegression(), DecisionTreeClassifier(max_depth=2), random_state=0
    ).fit(X[:200], y[:200])
    report = distillation_report(model, X[200:], y[200:])
    d = report.to_dict()
    teacher_decisions = model.teacher_.predict(X[200:])
    student_decisions = model.predict(X[200:])
    assert d["fidelity"] == pytest.approx(
        np.mean(teacher_decisions == student_decisions)
    )
    assert d["student_score"] == pytest.approx(np.mean(student_decisions == y[200:]))
    assert d["student_depth"] <= 2
    frame = report.to_frame()
    assert frame.loc["fidelity", "value"] == d["fidelity"]
    with pytest.raises(TypeError, match="fitted DistilledClassifier"):
        distillation_report(LogisticRegression(), X, y)
