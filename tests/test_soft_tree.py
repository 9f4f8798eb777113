"""Tests of interpretkd.soft_tree: the soft decision tree estimators."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import log_loss, mean_squared_error, r2_score

from interpretkd.soft_tree import (
    SoftDecisionTreeClassifier,
    SoftDecisionTreeRegressor,
)

FAST = dict(max_depth=3, max_epochs=30, learning_rate=0.05, batch_size=64)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=400,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, y)


def test_learns_labels_and_returns_them(data):
    X, y = data
    labels = np.array(["ant", "bee", "cat"])[y]
    tree = SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, labels)
    assert list(tree.classes_) == ["ant", "bee", "cat"]
    pred = tree.predict(X)
    assert pred.dtype == labels.dtype
    assert np.mean(pred == labels) > 0.85


def test_soft_targets_one_hot_equal_labels(data):
    X, y = data
    one_hot = np.eye(3)[y]
    by_label = SoftDecisionTreeClassifier(**FAST, random_state=1).fit(X, y)
    by_soft = SoftDecisionTreeClassifier(**FAST, random_state=1).fit(X, one_hot)
    np.testing.assert_array_equal(by_soft.classes_, np.arange(3))
    np.testing.assert_allclose(by_soft.inner_weights_, by_label.inner_weights_)
    np.testing.assert_allclose(by_soft.predict_proba(X), by_label.predict_proba(X))


def test_soft_targets_are_learned(data):
    X, y = data
    # A teacher 80% sure of the true class on every sample.
    soft = np.full((len(y), 3), 0.1)
    soft[np.arange(len(y)), y] = 0.8
    tree = SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, soft)
    assert np.mean(tree.predict(X) == y) > 0.85
    # Leaves keep the teacher's uncertainty instead of collapsing to one-hot.
    assert tree.predict_proba(X).max() < 0.95


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda Y: -Y, "negative"),
        (lambda Y: Y * 2, "sum to 1"),
        (lambda Y: np.where(Y > 0.5, np.nan, Y), "NaN"),
    ],
)
def test_soft_targets_validated(data, bad, match):
    X, y = data
    Y = np.eye(3)[y] * 0.7 + 0.1
    with pytest.raises(ValueError, match=match):
        SoftDecisionTreeClassifier(**FAST).fit(X, bad(Y))


def test_integer_two_column_y_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="soft targets"):
        SoftDecisionTreeClassifier(**FAST).fit(X, np.c_[y, y])


def test_column_label_vector_warns_and_is_raveled(data):
    X, y = data
    with pytest.warns(DataConversionWarning):
        tree = SoftDecisionTreeClassifier(**{**FAST, "max_epochs": 2}).fit(
            X, y[:, None]
        )
    assert tree.predict(X).shape == (len(y),)


def hand_path_probability(tree, X):
    """Probability of every leaf from the public parameters, written out here."""
    d = tree.max_depth
    p_right = 1 / (
        1 + np.exp(-tree.beta_ * (X @ tree.inner_weights_.T + tree.inner_bias_))
    )
    proba = np.ones((len(X), 2**d))
    for leaf in range(2**d):
        node = 0
        for k in range(d - 1, -1, -1):
            right = (leaf >> k) & 1
            proba[:, leaf] *= p_right[:, node] if right else 1 - p_right[:, node]
            node = 2 * node + 1 + right
    return proba


def hand_greedy_leaf(tree, X):
    """Leaf index reached by the likelier branch at every node, written out here."""
    node = np.zeros(len(X), dtype=int)
    for _ in range(tree.max_depth):
        score = np.einsum("ij,ij->i", X, tree.inner_weights_[node])
        node = 2 * node + 1 + (score + tree.inner_bias_[node] > 0)
    return node - (2**tree.max_depth - 1)


@pytest.mark.parametrize("prediction", ["max_path", "greedy", "mixture"])
def test_each_prediction_mode_routes_and_predicts_by_its_rule(fitted, data, prediction):
    X, _ = data
    tree = copy.deepcopy(fitted).set_params(prediction=prediction)
    proba = hand_path_probability(tree, X)
    np.testing.assert_allclose(tree.path_probability(X), proba, rtol=1e-7, atol=1e-12)
    leaf = hand_greedy_leaf(tree, X) if prediction == "greedy" else proba.argmax(1)
    np.testing.assert_array_equal(tree.apply(X), leaf + 2**tree.max_depth - 1)
    expected = (
        proba @ tree.leaf_distributions_
        if prediction == "mixture"
        else tree.leaf_distributions_[leaf]
    )
    np.testing.assert_allclose(tree.predict_proba(X), expected, rtol=1e-9)
    np.testing.assert_array_equal(
        tree.predict(X), tree.classes_[expected.argmax(axis=1)]
    )


def test_greedy_and_max_path_are_different_rules_on_one_tree(fitted, data):
    # Same fitted tree, two single-leaf rules: they disagree on some rows, and each
    # row's greedy leaf is the max-path leaf exactly when no step of the max path
    # goes against the likelier branch.
    X, _ = data
    greedy = copy.deepcopy(fitted).set_params(prediction="greedy")
    max_path = fitted.apply(X)
    disagree = greedy.apply(X) != max_path
    assert 0 < disagree.mean() < 0.5
    proba = hand_path_probability(fitted, X)
    first = 2**fitted.max_depth - 1
    assert np.all(proba[disagree, max_path[disagree] - first] < 0.5)
    np.testing.assert_array_equal(fitted.inner_weights_, greedy.inner_weights_)


@pytest.mark.parametrize("prediction", ["max_path", "greedy", "mixture"])
@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize(
    "Estimator", [SoftDecisionTreeClassifier, SoftDecisionTreeRegressor]
)
def test_decision_path_is_the_path_to_apply(Estimator, depth, prediction, data):
    """Heap node ids from the root to apply()'s leaf, as in scikit-learn and TAO."""
    X, y = data
    params = {**FAST, "max_depth": depth, "max_epochs": 3}
    tree = Estimator(**params, prediction=prediction, random_state=0)
    tree.fit(X, y.astype(float))
    leaves = tree.apply(X)
    assert leaves.dtype == np.int64
    assert np.all((leaves >= 2**depth - 1) & (leaves < 2 ** (depth + 1) - 1))
    indicator = tree.decision_path(X).tocsr()
    assert indicator.shape == (len(X), 2 ** (depth + 1) - 1)
    for i in range(len(X)):
        nodes = indicator.indices[indicator.indptr[i] : indicator.indptr[i + 1]]
        nodes = np.sort(nodes)
        assert nodes[0] == 0 and nodes[-1] == leaves[i] and len(nodes) == depth + 1
        for parent, child in zip(nodes[:-1], nodes[1:]):
            assert child in (2 * parent + 1, 2 * parent + 2)


def test_fitted_attributes(fitted, data):
    X, _ = data
    d = fitted.get_depth()
    n_inner = 2**d - 1
    assert fitted.inner_weights_.shape == (n_inner, X.shape[1])
    assert fitted.inner_bias_.shape == (n_inner,)
    assert fitted.leaf_distributions_.shape == (2**d, 3)
    assert fitted.get_n_leaves() == fitted.n_leaves_ == 2**d
    assert isinstance(fitted.beta_, float)
    # The share of a leaf is the mean path probability of the training rows.
    share = fitted.node_sample_share_
    assert share.shape == (2 ** (d + 1) - 1,)
    np.testing.assert_allclose(
        share[n_inner:], hand_path_probability(fitted, X).mean(axis=0), rtol=1e-9
    )
    assert fitted.n_iter_ == len(fitted.loss_curve_) <= FAST["max_epochs"]
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0]
    np.testing.assert_allclose(fitted.feature_scale_, X.std(axis=0), rtol=1e-12)


def test_feature_scale_is_the_weighted_spread_of_the_training_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)) * [1.0, 50.0, 1e-3, 1.0]
    X[:, 3] = 7.0  # constant: nothing to standardise by, so its scale is 1
    y = (X[:, 0] > 0).astype(int)
    w = rng.uniform(0.1, 3.0, size=200)
    tree = SoftDecisionTreeClassifier(**FAST).fit(X, y, sample_weight=w)
    scale = tree.feature_scale_
    assert scale.shape == (4,) and scale.dtype == np.float64
    mean = np.average(X, axis=0, weights=w)
    spread = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=w))
    np.testing.assert_allclose(scale[:3], spread[:3], rtol=1e-10)
    assert scale[3] == 1.0
    regressor = SoftDecisionTreeRegressor(**FAST).fit(X, X[:, 0])
    np.testing.assert_allclose(regressor.feature_scale_[:3], X[:, :3].std(axis=0))


def test_scale_floor_tempers_rare_features_and_is_checked():
    # Pixels share one unit: a floor keeps a border pixel that is lit in one image
    # out of 400 from being blown up to hundreds of standard deviations.
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 1, size=(400, 3))
    X[:, 2] = 0.0
    X[7, 2] = 1.0  # the rare pixel
    y = (X[:, 0] > 0.5).astype(int)
    plain = SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, y)
    floored = SoftDecisionTreeClassifier(**FAST, scale_floor=0.1, random_state=0)
    floored.fit(X, y)
    np.testing.assert_allclose(
        floored.feature_scale_, np.sqrt(X.var(axis=0) + 0.1**2), rtol=1e-10
    )
    # After standardising, the lit pixel stands at ~20 sd without a floor, < 10 with.
    assert X[7, 2] / plain.feature_scale_[2] > 19
    assert X[7, 2] / floored.feature_scale_[2] < 10
    assert floored.score(X, y) > 0.9
    # Filters stay in the units of X whatever the floor.
    np.testing.assert_allclose(
        floored.predict_proba(X),
        floored.leaf_distributions_[hand_path_probability(floored, X).argmax(1)],
    )
    same = SoftDecisionTreeClassifier(**FAST, scale_floor=0.0, random_state=0)
    np.testing.assert_array_equal(same.fit(X, y).inner_weights_, plain.inner_weights_)
    with pytest.raises(ValueError, match="'scale_floor' parameter"):
        SoftDecisionTreeClassifier(scale_floor=-1.0).fit(X, y)
    with pytest.raises(TypeError, match="'scale_floor' parameter"):
        SoftDecisionTreeClassifier(scale_floor="0.1").fit(X, y)


def test_feature_importances_find_the_informative_feature():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5)) * [1, 100, 1, 0.01, 1]
    y = (X[:, 3] > 0).astype(int)  # tiny units, yet the only informative feature
    tree = SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, y)
    imp = tree.feature_importances_
    assert imp.sum() == pytest.approx(1.0)
    assert imp.argmax() == 3
    assert tree.score(X, y) > 0.95


def test_learn_beta_gives_one_positive_beta_per_node(data):
    X, y = data
    tree = SoftDecisionTreeClassifier(**FAST, learn_beta=True, random_state=0)
    tree.fit(X, y)
    assert tree.beta_.shape == (2**3 - 1,)
    assert np.all(tree.beta_ > 0)
    assert not np.allclose(tree.beta_, 1.0)


def test_same_random_state_same_tree(data):
    X, y = data
    a = SoftDecisionTreeClassifier(**FAST, random_state=3).fit(X, y)
    b = SoftDecisionTreeClassifier(**FAST, random_state=3).fit(X, y)
    c = SoftDecisionTreeClassifier(**FAST, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.inner_weights_, b.inner_weights_)
    np.testing.assert_array_equal(a.leaf_distributions_, b.leaf_distributions_)
    assert not np.allclose(a.inner_weights_, c.inner_weights_)


def test_pickle_round_trip_holds_no_torch_state(fitted, data):
    X, _ = data
    blob = pickle.dumps(fitted)
    assert b"torch" not in blob
    loaded = pickle.loads(blob)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.apply(X), fitted.apply(X))
    np.testing.assert_array_equal(loaded.feature_scale_, fitted.feature_scale_)


def test_partial_fit_over_chunks(data):
    X, y = data
    full = SoftDecisionTreeClassifier(**FAST, random_state=0).fit(X, y)
    chunked = SoftDecisionTreeClassifier(**FAST, random_state=0)
    chunks = np.array_split(np.arange(len(X)), 4)
    with pytest.raises(ValueError, match="not in classes_"):
        SoftDecisionTreeClassifier(**FAST).partial_fit(X[y < 2], y[y < 2]).partial_fit(
            X, y
        )
    for _ in range(FAST["max_epochs"]):
        for idx in chunks:
            chunked.partial_fit(X[idx], y[idx], classes=[0, 1, 2])
    assert chunked.n_iter_ == 4 * FAST["max_epochs"]
    assert chunked.score(X, y) > full.score(X, y) - 0.05
    assert chunked.score(X, y) > 0.85


def test_warm_start_continues_training(data):
    X, y = data
    tree = SoftDecisionTreeClassifier(
        **{**FAST, "max_epochs": 3}, n_iter_no_change=None, warm_start=True
    )
    tree.fit(X, y)
    first_loss = tree.loss_curve_[-1]
    weights = tree.inner_weights_.copy()
    tree.fit(X, y)
    assert tree.n_iter_ == 6
    assert tree.loss_curve_[-1] < first_loss
    # It started from the tree it had, not from a new random one.
    assert np.corrcoef(weights.ravel(), tree.inner_weights_.ravel())[0, 1] > 0.5


def test_validation_fraction_keeps_best_epoch(data):
    X, y = data
    tree = SoftDecisionTreeClassifier(
        **{**FAST, "max_epochs": 40}, validation_fraction=0.2, n_iter_no_change=3
    ).fit(X, y)
    assert len(tree.validation_scores_) == tree.n_iter_
    assert tree.n_iter_ < 40


def test_sample_weight_equals_repetition_in_full_batch():
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    w = np.random.RandomState(0).randint(0, 3, size=40)
    params = dict(max_depth=2, max_epochs=20, batch_size=200, random_state=0)
    weighted = SoftDecisionTreeClassifier(**params).fit(X, y, sample_weight=w)
    repeated = SoftDecisionTreeClassifier(**params).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6
    )


def test_deep_tree_trains_without_nan():
    X, y = make_classification(n_samples=100, n_features=8, random_state=0)
    tree = SoftDecisionTreeClassifier(
        max_depth=12, max_epochs=2, beta=4.0, random_state=0
    ).fit(X * 50, y)
    assert np.all(np.isfinite(tree.loss_curve_))
    P = tree.path_probability(X[:5] * 50)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-8)
    assert tree.decision_path(X[:5]).shape == (5, 2**13 - 1)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(max_depth=0), ValueError, "max_depth"),
        (dict(max_depth=2.5), TypeError, "max_depth"),
        (dict(max_depth=17), ValueError, "2\\*\\*17 leaves"),
        (dict(learn_beta="yes"), TypeError, "learn_beta"),
        (dict(beta=np.inf), ValueError, "beta"),
        (dict(learning_rate=0.0), ValueError, "learning_rate"),
        (dict(beta=-1.0), ValueError, "beta"),
        (dict(penalty=-0.1), ValueError, "penalty"),
        (dict(prediction="argmax"), ValueError, "max_path"),
        (dict(learning_rate_schedule="step"), ValueError, "cosine"),
        (dict(validation_fraction=1.5), ValueError, "validation_fraction"),
        (dict(device="tpu-42"), ValueError, "device"),
    ],
)
def test_bad_parameters(data, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        SoftDecisionTreeClassifier(**params).fit(X, y)


def test_bad_input(fitted, data):
    X, y = data
    X_nan = X.copy()
    X_nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SoftDecisionTreeClassifier(**FAST).fit(X_nan, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :4])
    with pytest.raises(ValueError, match="class"):
        SoftDecisionTreeClassifier(**FAST).fit(X, np.zeros(len(X)))
    with pytest.raises(NotFittedError):
        SoftDecisionTreeClassifier().apply(X)


def test_verbose_shows_progress(data, capsys):
    X, y = data
    SoftDecisionTreeClassifier(**{**FAST, "max_epochs": 2}, verbose=1).fit(X, y)
    assert "epoch" in capsys.readouterr().err


def test_regressor_learns_steps_and_multi_output():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(400, 3)) * [1, 1000, 1]
    y = np.where(X[:, 0] > 0, 5.0, -5.0) + 100
    tree = SoftDecisionTreeRegressor(**FAST, random_state=0).fit(X, y)
    assert tree.leaf_values_.shape == (2**3,)
    assert r2_score(y, tree.predict(X)) > 0.9
    assert tree.feature_importances_.argmax() == 0
    Y = np.c_[y, -2 * y]
    multi = SoftDecisionTreeRegressor(**FAST, random_state=0).fit(X, Y)
    assert multi.leaf_values_.shape == (2**3, 2)
    assert multi.predict(X).shape == (400, 2)
    assert r2_score(Y, multi.predict(X)) > 0.9


def test_regressor_mixture_is_path_weighted_average():
    X, y = make_regression(n_samples=200, n_features=4, noise=1.0, random_state=0)
    tree = SoftDecisionTreeRegressor(**FAST, prediction="mixture", random_state=0)
    tree.fit(X, y)
    np.testing.assert_allclose(
        tree.predict(X), hand_path_probability(tree, X) @ tree.leaf_values_, rtol=1e-9
    )
    assert r2_score(y, tree.predict(X)) > 0.8


@pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA device"
)
def test_cuda_fit_matches_cpu_shape_and_pickles(data):
    X, y = data
    tree = SoftDecisionTreeClassifier(**FAST, device="cuda", random_state=0).fit(X, y)
    assert tree.score(X, y) > 0.85
    loaded = pickle.loads(pickle.dumps(tree))
    assert isinstance(loaded.inner_weights_, np.ndarray)


def test_partial_fit_never_holds_out_data(data):
    X, y = data
    tree = SoftDecisionTreeClassifier(**FAST, validation_fraction=0.5)
    tree.partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, y)
    assert tree.validation_scores_ is None
    assert tree.n_iter_ == 2


def test_regressor_partial_fit_and_validation():
    X, y = make_regression(n_samples=300, n_features=4, noise=1.0, random_state=0)
    tree = SoftDecisionTreeRegressor(**FAST, random_state=0)
    for _ in range(20):
        for idx in np.array_split(np.arange(300), 3):
            tree.partial_fit(X[idx], y[idx])
    assert r2_score(y, tree.predict(X)) > 0.8
    with pytest.raises(ValueError, match="outputs"):
        tree.partial_fit(X, np.c_[y, y])
    held_out = SoftDecisionTreeRegressor(
        **FAST, validation_fraction=0.2, random_state=0
    ).fit(X, y)
    assert len(held_out.validation_scores_) == held_out.n_iter_


def test_auto_schedule_is_cosine_for_the_classifier_constant_for_the_regressor(data):
    X, y = data
    params = dict(FAST, max_epochs=5, n_iter_no_change=None, random_state=0)
    trees = {
        schedule: SoftDecisionTreeClassifier(
            **params, learning_rate_schedule=schedule
        ).fit(X, y)
        for schedule in ("auto", "cosine", "constant")
    }
    np.testing.assert_array_equal(
        trees["auto"].inner_weights_, trees["cosine"].inner_weights_
    )
    assert not np.allclose(
        trees["cosine"].inner_weights_, trees["constant"].inner_weights_
    )
    Xr, yr = make_regression(80, 3, random_state=0)
    auto, constant = (
        SoftDecisionTreeRegressor(**params, learning_rate_schedule=s).fit(Xr, yr)
        for s in ("auto", "constant")
    )
    np.testing.assert_array_equal(auto.inner_weights_, constant.inner_weights_)


def test_balance_penalty_keeps_deep_nodes_in_use(data):
    X, y = data
    params = dict(FAST, max_depth=4, n_iter_no_change=None, random_state=0)
    with_penalty = SoftDecisionTreeClassifier(**params, penalty=1.0).fit(X, y)
    without = SoftDecisionTreeClassifier(**params, penalty=0.0).fit(X, y)
    # The per-batch penalty acts at every depth: more leaves receive data with it.
    leaves = slice(2**4 - 1, None)
    used_with = (with_penalty.node_sample_share_[leaves] > 0.01).sum()
    used_without = (without.node_sample_share_[leaves] > 0.01).sum()
    assert used_with >= used_without


def test_running_average_penalty_is_available_and_checked(data):
    X, y = data
    params = dict(FAST, max_depth=3, n_iter_no_change=None, random_state=0)
    batch = SoftDecisionTreeClassifier(**params).fit(X, y)
    running = SoftDecisionTreeClassifier(**params, penalty_average="running").fit(X, y)
    assert np.all(np.isfinite(running.inner_weights_))
    assert not np.allclose(running.inner_weights_, batch.inner_weights_)
    with pytest.raises(ValueError, match="'penalty_average' parameter"):
        SoftDecisionTreeClassifier(penalty_average="ema").fit(X, y)


@pytest.mark.parametrize("matrices", [True, False])
@pytest.mark.parametrize(
    "Estimator, params",
    [
        (SoftDecisionTreeClassifier, {}),
        (SoftDecisionTreeClassifier, dict(learn_beta=True, penalty_average="running")),
        (SoftDecisionTreeClassifier, dict(penalty=0.0, beta=2.0)),
        (SoftDecisionTreeRegressor, dict(learn_beta=True)),
        (SoftDecisionTreeRegressor, dict(penalty_average="running", penalty=1.0)),
        (SoftDecisionTreeClassifier, dict(loss="mixture")),
        (SoftDecisionTreeClassifier, dict(loss="mixture", learn_beta=True, penalty=0)),
        (SoftDecisionTreeRegressor, dict(loss="mixture", learn_beta=True)),
    ],
)
def test_training_gradient_matches_finite_differences(
    Estimator, params, matrices, monkeypatch
):
    # The training step writes its gradient out by hand (no autograd): it must be
    # the gradient of the loss it reports, penalty and learned beta included, both
    # with the 0/1 matrices of small trees and with the level loops of deep ones.
    torch = pytest.importorskip("torch")
    from interpretkd.soft_tree._trainer import _Trainer

    if not matrices:
        monkeypatch.setattr(_Trainer, "path_matrix_max_depth", 0)
        monkeypatch.setattr(_Trainer, "mass_matrix_max_depth", 0)
    rng = np.random.RandomState(0)
    n, n_features, n_outputs = 30, 4, 3
    config = Estimator(max_depth=3, **params)._train_config(learning_rate=0.01)
    gen = torch.Generator().manual_seed(0)
    trainer = _Trainer(
        config, None, n_features, n_outputs, torch.float64, torch.device("cpu"), gen
    )
    assert (trainer.path_matrix is not None) == matrices
    flat = trainer.flat
    flat.normal_(generator=gen)
    X = torch.as_tensor(rng.randn(n, n_features))
    if Estimator is SoftDecisionTreeClassifier:
        T = torch.as_tensor(rng.dirichlet(np.ones(n_outputs), size=n))
    else:
        T = torch.as_tensor(rng.randn(n, n_outputs))
    w = torch.as_tensor(rng.rand(n))
    running = torch.as_tensor(rng.rand(2, 2**3 - 1))
    trainer.optimizer.step = lambda: None

    def loss():
        trainer.alpha_num, trainer.alpha_den = running[0], running[0] + running[1]
        return trainer.step(X, T, w)

    loss()
    grad = flat.grad.clone()
    numeric = torch.empty_like(grad)
    h = 1e-6
    for j in range(flat.numel()):
        flat[j] += h
        up = loss()
        flat[j] -= 2 * h
        down = loss()
        flat[j] += h
        numeric[j] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad.numpy(), numeric.numpy(), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("learn_beta", [False, True])
def test_warm_start_resumes_adam_where_it_stopped(data, learn_beta):
    # Full-batch steps at a constant step size: two fits of 3 epochs, the second
    # warm-started, take the same 6 Adam steps as one fit of 6 epochs only if the
    # optimiser's moments and step count carry over (a fresh Adam would move every
    # weight by the full step on its first update).
    X, y = data
    params = dict(
        max_depth=3,
        batch_size=len(X),
        learning_rate=0.05,
        learning_rate_schedule="constant",
        n_iter_no_change=None,
        learn_beta=learn_beta,
        random_state=0,
    )
    once = SoftDecisionTreeClassifier(**params, max_epochs=6).fit(X, y)
    twice = SoftDecisionTreeClassifier(**params, max_epochs=3, warm_start=True)
    twice.fit(X, y).fit(X, y)
    np.testing.assert_allclose(twice.inner_weights_, once.inner_weights_, rtol=1e-6)
    np.testing.assert_allclose(twice.beta_, once.beta_, rtol=1e-6)


@pytest.mark.parametrize(
    "Estimator", [SoftDecisionTreeClassifier, SoftDecisionTreeRegressor]
)
def test_mixture_loss_fits_the_mixture_prediction_better(Estimator):
    # loss="mixture" trains the path-weighted mixture of the leaves directly: on the
    # data it learned from, its mixture predictions have a lower loss than those of a
    # tree trained on the expected loss of each leaf, whose leaves are bigots instead.
    if Estimator is SoftDecisionTreeClassifier:
        X, y = make_classification(
            n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=0
        )
    else:
        X, y = make_regression(n_samples=400, n_features=6, noise=5.0, random_state=0)
    params = dict(
        max_depth=3,
        max_epochs=60,
        n_iter_no_change=None,
        prediction="mixture",
        random_state=0,
    )
    expected = Estimator(**params).fit(X, y)
    mixture = Estimator(**params, loss="mixture").fit(X, y)
    if Estimator is SoftDecisionTreeClassifier:
        assert log_loss(y, mixture.predict_proba(X)) < log_loss(
            y, expected.predict_proba(X)
        )
    else:
        assert mean_squared_error(y, mixture.predict(X)) < mean_squared_error(
            y, expected.predict(X)
        )


def test_unknown_loss_is_rejected(data):
    X, y = data
    with pytest.raises(ValueError, match="'loss' parameter"):
        SoftDecisionTreeClassifier(loss="log").fit(X, y)
