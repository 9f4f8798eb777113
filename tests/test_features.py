"""Tests for interpretkd.features: fixed, readable image features."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from interpretkd import DistilledClassifier
from interpretkd.distill import SoftLabelWarning
from interpretkd.features import ImageEdgeFeatures
from interpretkd.soft_tree import SoftDecisionTreeClassifier


def _edge_block(Z, features, direction, n_blocks):
    names = list(features.get_feature_names_out())
    start = names.index(f"edge_{direction}_0_0")
    return Z[:, start : start + n_blocks]


def test_output_is_pixels_then_eight_pooled_maps():
    X = np.random.RandomState(0).rand(4, 28 * 28)
    features = ImageEdgeFeatures(pool=4).fit(X)
    Z = features.transform(X)
    assert features.image_shape_ == (28, 28)
    assert features.pooled_shape_ == (7, 7)
    assert Z.shape == (4, 784 + 8 * 49)
    np.testing.assert_array_equal(Z[:, :784], X)
    assert np.all(Z[:, 784:] >= 0)  # rectified edge strengths
    names = features.get_feature_names_out()
    assert len(names) == Z.shape[1]
    assert names[0] == "pixel_0_0" and names[784] == "edge_right_0_0"
    only_edges = ImageEdgeFeatures(pool=4, include_pixels=False).fit_transform(X)
    np.testing.assert_array_equal(only_edges, Z[:, 784:])


def test_an_edge_lights_the_map_of_its_direction_where_it_is():
    # Dark left half, bright right half of an 8 x 8 image: the brightness rises to
    # the right along the middle columns, and nowhere else.
    image = np.zeros((8, 8))
    image[:, 4:] = 1.0
    features = ImageEdgeFeatures(image_shape=(8, 8), pool=2).fit(image.reshape(1, -1))
    Z = features.transform(image.reshape(1, -1))
    right = _edge_block(Z, features, "right", 16).reshape(4, 4)
    left = _edge_block(Z, features, "left", 16).reshape(4, 4)
    down = _edge_block(Z, features, "down", 16).reshape(4, 4)
    # Columns 3 and 4 (pooled block column 1 and 2) hold the step.
    assert np.all(right[:, 1:3] > 0.4)
    assert np.all(right[:, [0, 3]] == 0)
    assert np.all(left[:, 1:3] == 0)
    # Rows are constant except at the border (zero padding above and below).
    assert np.all(down[1:3] == 0)
    # Mirrored image: the same edge shows up as "left".
    mirrored = features.transform(image[:, ::-1].reshape(1, -1))
    np.testing.assert_allclose(
        _edge_block(mirrored, features, "left", 16).reshape(4, 4), right[:, ::-1]
    )


def test_pooling_takes_the_block_maximum_and_keeps_partial_blocks():
    X = np.random.RandomState(1).rand(3, 5 * 7)
    full = ImageEdgeFeatures(image_shape=(5, 7), pool=1, include_pixels=False)
    pooled = ImageEdgeFeatures(image_shape=(5, 7), pool=3, include_pixels=False)
    F1 = full.fit_transform(X).reshape(3, 8, 5, 7)
    F3 = pooled.fit_transform(X).reshape(3, 8, 2, 3)
    assert pooled.pooled_shape_ == (2, 3)
    np.testing.assert_allclose(F3[:, :, 0, 0], F1[:, :, 0:3, 0:3].max(axis=(2, 3)))
    np.testing.assert_allclose(F3[:, :, 1, 2], F1[:, :, 3:5, 6:7].max(axis=(2, 3)))


def test_non_square_widths_are_one_row_images_and_dtype_is_kept():
    X = np.random.RandomState(2).rand(5, 10).astype(np.float32)
    features = ImageEdgeFeatures(pool=2).fit(X)
    assert features.image_shape_ == (1, 10)
    Z = features.transform(X)
    assert Z.dtype == np.float32
    assert Z.shape == (5, 10 + 8 * 5)


def test_pixel_names_follow_dataframe_columns():
    frame = pd.DataFrame(
        np.random.RandomState(3).rand(2, 4), columns=["a", "b", "c", "d"]
    )
    names = ImageEdgeFeatures(pool=2).fit(frame).get_feature_names_out()
    assert list(names[:4]) == ["a", "b", "c", "d"]
    assert names[4] == "edge_right_0_0"


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(image_shape=(3, 3)), ValueError, "holds 9 pixels but X has 16"),
        (dict(image_shape=(4,)), TypeError, "pair of positive integers"),
        (dict(image_shape=(4, 0)), TypeError, "pair of positive integers"),
        (dict(pool=0), ValueError, "'pool' parameter"),
        (dict(pool=2.5), TypeError, "'pool' parameter"),
        (dict(image_shape="28x28"), TypeError, "'image_shape' parameter"),
        (dict(include_pixels="yes"), TypeError, "'include_pixels' parameter"),
    ],
)
def test_bad_parameters_say_what_to_pass(params, error, match):
    X = np.zeros((2, 16))
    with pytest.raises(error, match=match):
        ImageEdgeFeatures(**params).fit(X)


def test_transform_checks_the_width():
    features = ImageEdgeFeatures().fit(np.zeros((2, 16)))
    with pytest.raises(ValueError, match="16 features"):
        features.transform(np.zeros((2, 25)))


def test_soft_tree_behind_the_features_gets_the_teachers_soft_targets():
    # In a Pipeline ending in a soft tree, DistilledClassifier passes the teacher's
    # soft targets through (no SoftLabelWarning about falling back to hard labels).
    rng = np.random.RandomState(0)
    X = rng.rand(200, 36)
    y = (X[:, :18].sum(1) > X[:, 18:].sum(1)).astype(int)
    teacher = LogisticRegression().fit(X, y)
    student = make_pipeline(
        ImageEdgeFeatures(pool=3),
        SoftDecisionTreeClassifier(max_depth=2, max_epochs=40, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", SoftLabelWarning)
        model = DistilledClassifier(teacher, student, random_state=0).fit(X, y)
    tree = model.student_[-1]
    assert tree.n_features_in_ == 36 + 8 * 4
    assert np.mean(model.predict(X) == teacher.predict(X)) > 0.8
