"""Soft targets: temperature, label mixing, validation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from interpretkd._validation import check_soft_targets
from interpretkd.targets import hard_targets, mix_labels, regression_targets
from interpretkd.teachers import tempered_softmax


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (5, 4), elements=st.floats(-20, 20)),
    st.floats(0.1, 10.0),
    st.floats(0.0, 1.0),
)
def test_tempered_mixed_targets_are_distributions(logits, temperature, alpha):
    T = tempered_softmax(logits, temperature)
    mixed = mix_labels(T.copy(), np.array([0, 1, 2, 3, 0]), alpha)
    check_soft_targets(mixed)
    assert np.all(mixed[np.arange(5), [0, 1, 2, 3, 0]] >= alpha - 1e-12)


def test_temperature_flattens_and_keeps_order():
    logits = np.array([[3.0, 1.0, 0.0]])
    p1, p5 = tempered_softmax(logits, 1.0), tempered_softmax(logits, 5.0)
    assert p5.max() < p1.max()
    assert p5.argmax() == p1.argmax()
    assert np.all(np.diff(p5[0]) < 0)


def test_alpha_extremes():
    T = np.array([[0.7, 0.3], [0.2, 0.8]])
    np.testing.assert_array_equal(mix_labels(T.copy(), np.array([1, 1]), 0.0), T)
    np.testing.assert_array_equal(
        mix_labels(T.copy(), np.array([1, 0]), 1.0), [[0, 1], [1, 0]]
    )
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\]"):
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
