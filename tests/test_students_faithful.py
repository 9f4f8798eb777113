"""Every kind of student, distilled from a fitted teacher, follows it on held-out rows.

A smoke test across the package with interpretkd.testing: the same small seeded
problems (make_teacher_problem) for every student, checked with assert_faithful, so a
student that stops learning its teacher fails with a message that says where. The
thresholds leave a margin under what was measured (classification: 0.96 to 0.99 on
these rows; regression R²: 0.86 to 0.97).
"""

import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import (
    DistilledClassifier,
    DistilledRegressor,
    SoftDecisionTreeClassifier,
    SoftDecisionTreeRegressor,
    TAOTreeClassifier,
    TAOTreeRegressor,
)
from interpretkd.testing import assert_faithful, make_teacher_problem

CLASSIFIERS = {
    "cart": lambda: DecisionTreeClassifier(max_depth=5, random_state=0),
    "tao-axis": lambda: TAOTreeClassifier(max_depth=4, random_state=0),
    "tao-oblique": lambda: TAOTreeClassifier(
        max_depth=3, split="oblique", max_features_per_split=2, random_state=0
    ),
    "soft-tree": lambda: SoftDecisionTreeClassifier(
        max_depth=3, max_epochs=40, random_state=0
    ),
    "logistic": lambda: LogisticRegression(max_iter=1000),
}
REGRESSORS = {
    "cart": lambda: DecisionTreeRegressor(max_depth=5, random_state=0),
    "tao-axis": lambda: TAOTreeRegressor(max_depth=4, random_state=0),
    "soft-tree": lambda: SoftDecisionTreeRegressor(
        max_depth=3, max_epochs=40, random_state=0
    ),
    "ridge": lambda: Ridge(),
}


@pytest.fixture(scope="module")
def classification():
    return make_teacher_problem("classification", random_state=0)


@pytest.fixture(scope="module")
def regression():
    return make_teacher_problem("regression", random_state=0)


@pytest.mark.parametrize("kind", list(CLASSIFIERS))
def test_classifier_student_follows_its_teacher(kind, classification):
    p = classification
    model = DistilledClassifier(p.teacher, CLASSIFIERS[kind](), random_state=0)
    model.fit(p.X_train, p.y_train)
    assert_faithful(model, None, p.X_test, min_fidelity=0.9)
    assert_faithful(model, None, p.X_test, min_fidelity=0.85, by_class=True)


@pytest.mark.parametrize("kind", list(REGRESSORS))
def test_regressor_student_follows_its_teacher(kind, regression):
    p = regression
    model = DistilledRegressor(p.teacher, REGRESSORS[kind](), random_state=0)
    model.fit(p.X_train, p.y_train)
    assert_faithful(model, None, p.X_test, min_fidelity=0.8)


def test_tree_student_follows_a_teacher_on_categorical_columns_and_nan():
    p = make_teacher_problem(n_categorical=2, missing_rate=0.1, random_state=0)
    student = DecisionTreeClassifier(max_depth=5, random_state=0)
    model = DistilledClassifier(p.teacher, student, random_state=0)
    assert_faithful(model.fit(p.X_train, p.y_train), None, p.X_test, min_fidelity=0.9)
