"""Soft targets: temperature, several teachers, label mixing, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import softmax
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from interpretkd._validation import check_soft_targets
from interpretkd.targets import (
    hard_targets,
    mix_labels,
    regression_targets,
    soft_targets,
    tempered_softmax,
)
from interpretkd.teachers import as_teacher


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (5, 4), elements=st.floats(-20, 20)),
    st.floats(0.1, 10.0),
    st.floats(0.0, 1.0),
)
def test_tempered_mixed_targets_are_distributions(logits, temperature, alpha):
    T = tempered_softmax(logits, temperature)
    mixed = mix_labels(T, np.array([0, 1, 2, 3, 0]), alpha)
    check_soft_targets(mixed)
    assert np.all(mixed[np.arange(5), [0, 1, 2, 3, 0]] >= alpha - 1e-12)


def test_temperature_flattens_and_keeps_order():
    logits = np.array([[3.0, 1.0, 0.0]])
    p1, p5 = tempered_softmax(logits, 1.0), tempered_softmax(logits, 5.0)
    assert p5.max() < p1.max()
    assert p5.argmax() == p1.argmax()
    assert np.all(np.diff(p5[0]) < 0)


@pytest.fixture(scope="module")
def data3():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def test_soft_targets_temper_the_logits(data3):
    X, y = data3
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    expected = softmax(model.decision_function(X) / 3.0, axis=1)
    np.testing.assert_allclose(soft_targets(model, X, temperature=3.0), expected)
    np.testing.assert_allclose(
        soft_targets(model, X), model.predict_proba(X), atol=1e-6
    )


def test_without_logits_the_log_probabilities_stand_in(data3):
    X, y = data3
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(soft_targets(model, X), proba)
    expected = softmax(np.log(np.clip(proba, 1e-12, None)) / 2.0, axis=1)
    np.testing.assert_allclose(soft_targets(model, X, temperature=2.0), expected)


def test_several_teachers_are_tempered_then_averaged(data3):
    X, y = data3
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    boost = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    expected = 0.5 * (
        softmax(np.log(np.clip(forest.predict_proba(X), 1e-12, None)) / 3.0, axis=1)
        + softmax(boost.decision_function(X) / 3.0, axis=1)
    )
    got = soft_targets(as_teacher([forest, boost]), X, temperature=3.0)
    np.testing.assert_allclose(got, expected)
    np.testing.assert_allclose(soft_targets([forest, boost], X, temperature=3.0), got)


@pytest.mark.parametrize("temperature", [0, -1.0, np.nan, np.inf, "hot"])
def test_bad_temperature_is_refused(data3, temperature):
    X, y = data3
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="'temperature' parameter"):
        soft_targets(model, X, temperature=temperature)


def test_a_temperature_so_small_it_overflows_names_the_teacher():
    # Was "Input sample_weight contains NaN" deep inside the student (issue 15).
    def net(X):
        return X[:, :2]

    teacher = as_teacher(net, output="logits", classes=[0, 1])
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    with pytest.raises(ValueError, match="teacher net are not finite.*targets='hard'"):
        soft_targets(teacher, X, temperature=1e-320)


def test_soft_targets_of_a_regressor_are_refused():
    teacher = as_teacher(lambda X: X[:, 0], output="values")
    with pytest.raises(TypeError, match="regression teacher"):
        soft_targets(teacher, np.ones((3, 2)))


def test_alpha_extremes_and_input_left_alone():
    T = np.array([[0.7, 0.3], [0.2, 0.8]])
    before = T.copy()
    np.testing.assert_array_equal(mix_labels(T, np.array([1, 1]), 0.0), T)
    np.testing.assert_array_equal(
        mix_labels(T, np.array([1, 0]), 1.0), [[0, 1], [1, 0]]
    )
    np.testing.assert_allclose(
        mix_labels(T, np.array([1, 0]), 0.5), [[0.35, 0.65], [0.6, 0.4]]
    )
    np.testing.assert_array_equal(T, before)
    with pytest.raises(ValueError, match="'alpha' parameter"):
        mix_labels(T, np.array([0, 1]), 1.5)


def test_regression_targets_mix_and_hard_targets():
    pred, y = np.array([1.0, 2.0]), np.array([3.0, 0.0])
    np.testing.assert_allclose(regression_targets(pred, y, 0.25), [1.5, 1.5])
    np.testing.assert_array_equal(regression_targets(pred, None, 0.5), pred)
    np.testing.assert_array_equal(
        hard_targets(np.array([[0.2, 0.8], [0.6, 0.4]])), [[0, 1], [1, 0]]
    )


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[0.5, 0.6]]), "sum to 1"),
        (np.array([[1.2, -0.2]]), "negative"),
        (np.array([[np.nan, 1.0]]), "NaN"),
        (np.array([0.5, 0.5]), "2-D"),
    ],
)
def test_soft_target_validation_messages(bad, match):
    with pytest.raises(ValueError, match=match):
        check_soft_targets(bad)
