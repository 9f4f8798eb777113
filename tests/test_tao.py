"""Tests for interpretkd.tao: TAO-optimised depth-limited trees and to_hard_tree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_graphviz

from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor, to_hard_tree


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(
        n_samples=1500,
        n_features=8,
        n_informative=5,
        n_classes=4,
        n_clusters_per_class=2,
        random_state=0,
    )
    return X, y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=800, n_features=6, noise=5.0, random_state=0)
    return X, y + 0.05 * X[:, 0] ** 3


def manual_leaf(tree, X):
    """Route with the public arrays only: right when w @ x + b > 0 (heap order)."""
    depth = int(np.log2(tree.inner_weights_.shape[0] + 1))
    node = np.zeros(X.shape[0], dtype=int)
    for _ in range(depth):
        score = np.einsum("ij,ij->i", X, tree.inner_weights_[node])
        node = 2 * node + 1 + (score + tree.inner_bias_[node] > 0)
    return node


@pytest.mark.parametrize("split", ["axis", "oblique"])
def test_tao_never_lowers_training_fidelity(multiclass, split):
    X, y = multiclass
    tree = TAOTreeClassifier(
        max_depth=4, split=split, max_iter=4, init="cart", random_state=0
    )
    tree.fit(X, y)
    fidelity = [h["fidelity"] for h in tree.history_]
    assert all(b >= a for a, b in zip(fidelity, fidelity[1:]))
    cart = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    # Same CART start: TAO's training accuracy is at least CART's, and it improves here.
    assert tree.score(X, y) >= cart.score(X, y)
    assert tree.score(X, y) > fidelity[0]
    assert tree.history_[-1]["fidelity"] == pytest.approx(tree.score(X, y))
    assert 1 <= tree.n_iter_ <= 4


def test_oblique_split_finds_diagonal_boundary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    axis = TAOTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    oblique = TAOTreeClassifier(
        max_depth=1, split="oblique", max_features_per_split=2, random_state=0
    ).fit(X, y)
    assert axis.score(X, y) < 0.85
    assert oblique.score(X, y) > 0.97
    assert np.count_nonzero(oblique.inner_weights_[0]) <= 2
    assert set(np.flatnonzero(oblique.inner_weights_[0])) == {0, 1}


def _three_feature_line(seed, n):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 8))
    return X, (2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0.3).astype(int)


def test_oblique_split_recovers_a_three_feature_line():
    # The classes are split by 2 x0 - x1 + 0.5 x2 = 0.3: one oblique split of three
    # features holds it, so fresh rows are classified almost perfectly (the line
    # itself scores 100%) and the weights keep the line's proportions.
    X, y = _three_feature_line(0, 2000)
    X_new, y_new = _three_feature_line(1, 4000)
    tree = TAOTreeClassifier(max_depth=1, split="oblique", random_state=0).fit(X, y)
    assert tree.score(X_new, y_new) >= 0.99
    w, b = tree.inner_weights_[0], tree.inner_bias_[0]
    assert set(np.flatnonzero(w)) == {0, 1, 2}
    np.testing.assert_allclose(w[:3] / w[0], [1.0, -0.5, 0.25], atol=0.05)
    assert -b / w[0] == pytest.approx(0.15, abs=0.05)


@pytest.mark.parametrize("width", [2, 3])
def test_oblique_splits_keep_to_max_features_per_split(multiclass, width):
    X, y = multiclass
    tree = TAOTreeClassifier(
        max_depth=4, split="oblique", max_features_per_split=width, random_state=0
    ).fit(X, y)
    used = np.count_nonzero(tree.inner_weights_, axis=1)
    assert used.max() <= width
    assert (used == width).any()


@pytest.mark.parametrize("split", ["axis", "oblique"])
def test_public_arrays_follow_heap_convention(multiclass, split):
    X, y = multiclass
    tree = TAOTreeClassifier(max_depth=3, split=split, max_iter=2, random_state=0)
    tree.fit(X, y)
    assert tree.inner_weights_.shape == (7, X.shape[1])
    assert tree.inner_bias_.shape == (7,)
    assert tree.leaf_distributions_.shape == (8, 4)
    np.testing.assert_allclose(tree.leaf_distributions_.sum(axis=1), 1.0)
    leaves = tree.apply(X)
    np.testing.assert_array_equal(leaves, manual_leaf(tree, X))
    proba = tree.predict_proba(X)
    np.testing.assert_array_equal(proba, tree.leaf_distributions_[leaves - 7])
    path = tree.decision_path(X).toarray()
    assert path.shape == (X.shape[0], 15)
    assert (path.sum(axis=1) == 4).all()
    assert (path[:, 0] == 1).all()
    assert path[np.arange(X.shape[0]), leaves].all()


def test_axis_splits_test_one_feature(multiclass):
    X, y = multiclass
    tree = TAOTreeClassifier(max_depth=3, max_iter=2, random_state=0).fit(X, y)
    weights = tree.inner_weights_[np.any(tree.inner_weights_, axis=1)]
    assert len(weights) > 0
    assert np.all(np.count_nonzero(weights, axis=1) == 1)
    assert np.all(weights[weights != 0] == 1.0)


def test_as_sklearn_predicts_identically_and_renders(multiclass):
    X, y = multiclass
    labels = np.array(["ant", "bee", "cat", "dog"])[y]
    tree = TAOTreeClassifier(max_depth=4, random_state=0).fit(X, labels)
    sk = tree.as_sklearn()
    assert isinstance(sk, DecisionTreeClassifier)
    rng = np.random.default_rng(1)
    X_new = np.vstack([X, rng.normal(scale=3.0, size=(500, X.shape[1]))])
    np.testing.assert_array_equal(sk.predict(X_new), tree.predict(X_new))
    np.testing.assert_allclose(sk.predict_proba(X_new), tree.predict_proba(X_new))
    assert sk.get_depth() == tree.get_depth() <= 4
    assert sk.get_n_leaves() == tree.get_n_leaves()
    dot = export_graphviz(sk, class_names=list(sk.classes_))
    assert dot.startswith("digraph") and "<=" in dot and "dog" in dot


def test_as_sklearn_regressor_and_pruned_nodes():
    X = np.linspace(0, 1, 200).reshape(-1, 1)
    y = np.where(X[:, 0] > 0.5, 2.0, -1.0)
    tree = TAOTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    # One split explains y: the rest of the depth-3 tree is pruned away.
    assert tree.get_depth() == 1 and tree.get_n_leaves() == 2
    sk = tree.as_sklearn()
    assert isinstance(sk, DecisionTreeRegressor)
    X_new = np.linspace(-1, 2, 301).reshape(-1, 1)
    np.testing.assert_array_equal(sk.predict(X_new), tree.predict(X_new))
    assert sk.tree_.node_count == 3


def test_as_sklearn_works_with_shap(multiclass):
    shap = pytest.importorskip("shap")
    X, y = multiclass
    tree = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    sk = tree.as_sklearn()
    explainer = shap.TreeExplainer(sk)
    values = np.asarray(explainer.shap_values(X[:50]))
    assert np.isfinite(values).all()
    if values.shape[0] != 50:  # older shap: list of per-class arrays
        values = np.moveaxis(values, 0, -1)
    base = np.asarray(explainer.expected_value)
    np.testing.assert_allclose(
        values.sum(axis=1) + base, sk.predict_proba(X[:50]), atol=1e-6
    )


def test_as_sklearn_refuses_oblique_tree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)  # a diagonal: the root uses two features
    tree = TAOTreeClassifier(
        max_depth=1, split="oblique", max_features_per_split=2, random_state=0
    ).fit(X, y)
    with pytest.raises(ValueError, match="axis-aligned"):
        tree.as_sklearn()


def _rows_at(sk_tree, X):
    """Which training rows reach each node of a scikit-learn tree (its own routing)."""
    return sk_tree.decision_path(X).toarray().astype(bool)


def test_as_sklearn_regressor_nodes_hold_their_training_rows():
    # Each node of a scikit-learn regression tree holds the rows reaching it, their
    # weight, the weighted mean of their targets and its weighted variance.
    X, y = make_regression(n_samples=300, n_features=4, noise=10.0, random_state=0)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    tree = TAOTreeRegressor(max_depth=3, random_state=0).fit(X, y, sample_weight=w)
    sk = tree.as_sklearn()
    rows = _rows_at(sk, X)
    leaves = sk.tree_.children_left == -1
    for node in range(sk.tree_.node_count):
        r = rows[:, node]
        assert sk.tree_.n_node_samples[node] == r.sum()
        assert sk.tree_.weighted_n_node_samples[node] == pytest.approx(w[r].sum())
        mean = np.average(y[r], weights=w[r])
        variance = np.average((y[r] - mean) ** 2, weights=w[r])
        assert sk.tree_.impurity[node] == pytest.approx(variance, rel=1e-7)
        if not leaves[node]:  # a leaf holds what it predicts (its mean here too)
            assert sk.tree_.value[node, 0, 0] == pytest.approx(mean, rel=1e-9)
    assert sk.tree_.impurity[0] > 0


def test_as_sklearn_regressor_equals_sklearn_where_the_trees_coincide():
    # A step function that CART fits exactly: TAO keeps CART's tree, and its
    # scikit-learn copy matches scikit-learn's own fit node for node.
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(400, 2))
    y = np.where(X[:, 0] > 0.5, 3.0, -1.0) + np.where(X[:, 1] > 0.3, 10.0, 0.0)
    tao = TAOTreeRegressor(max_depth=2, random_state=0).fit(X, y).as_sklearn()
    cart = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    for name in ("children_left", "feature", "n_node_samples"):
        np.testing.assert_array_equal(
            getattr(tao.tree_, name), getattr(cart.tree_, name)
        )
    for name in ("threshold", "weighted_n_node_samples", "impurity", "value"):
        np.testing.assert_allclose(
            getattr(tao.tree_, name), getattr(cart.tree_, name), rtol=1e-9, atol=1e-12
        )
    assert cart.tree_.impurity[0] > 10  # not a trivial tree


def test_as_sklearn_classifier_nodes_hold_their_training_rows(multiclass):
    X, y = multiclass
    tree = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    sk = tree.as_sklearn()
    rows = _rows_at(sk, X)
    for node in range(sk.tree_.node_count):
        r = rows[:, node]
        assert sk.tree_.n_node_samples[node] == r.sum()
        assert sk.tree_.weighted_n_node_samples[node] == pytest.approx(r.sum())
        share = np.bincount(y[r], minlength=4) / r.sum()
        np.testing.assert_allclose(sk.tree_.value[node, 0], share, rtol=1e-9)
        gini = 1 - np.sum(share**2)
        assert sk.tree_.impurity[node] == pytest.approx(gini, rel=1e-9)
    cart = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    # The root holds every row: the same as scikit-learn's root.
    assert sk.tree_.impurity[0] == pytest.approx(cart.tree_.impurity[0])


def test_soft_targets(multiclass):
    X, y = multiclass
    teacher = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    rng = np.random.default_rng(0)
    soft = 0.7 * teacher.predict_proba(X) + 0.3 * rng.dirichlet(np.ones(4), len(X))
    tree = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, soft)
    np.testing.assert_array_equal(tree.classes_, np.arange(4))
    assert tree.predict_proba(X).shape == (len(X), 4)
    losses = [h["loss"] for h in tree.history_]
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))
    # One-hot soft targets are the same problem as labels.
    onehot = np.eye(4)[y]
    a = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, onehot)
    b = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_regressor_loss_never_increases(regression):
    X, y = regression
    tree = TAOTreeRegressor(max_depth=4, max_iter=5, random_state=0).fit(X, y)
    losses = [h["loss"] for h in tree.history_]
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))
    cart = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)
    assert tree.score(X, y) >= cart.score(X, y) - 1e-12
    assert tree.leaf_values_.shape == (16,)
    np.testing.assert_array_equal(
        tree.predict(X), tree.leaf_values_[tree.apply(X) - 15]
    )


@pytest.mark.parametrize("split", ["axis", "oblique"])
def test_deterministic(multiclass, split):
    X, y = multiclass
    params = dict(max_depth=3, split=split, max_iter=3, n_init=2, random_state=7)
    a = TAOTreeClassifier(**params).fit(X, y)
    b = TAOTreeClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(a.inner_weights_, b.inner_weights_)
    np.testing.assert_array_equal(a.inner_bias_, b.inner_bias_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("split", ["axis", "oblique"])
def test_min_samples_leaf_respected(multiclass, split):
    X, y = multiclass
    tree = TAOTreeClassifier(
        max_depth=5, min_samples_leaf=20, split=split, random_state=0
    )
    counts = np.bincount(tree.fit(X, y).apply(X) - 31, minlength=32)
    assert counts.sum() == len(X)
    assert ((counts == 0) | (counts >= 20)).all()


def test_sample_weight_matches_repeated_rows(multiclass):
    X, y = multiclass
    X, y = X[:300], y[:300]
    reps = np.random.default_rng(0).integers(0, 3, size=len(X))
    weighted = TAOTreeClassifier(max_depth=3, random_state=0).fit(
        X, y, sample_weight=reps
    )
    repeated = TAOTreeClassifier(max_depth=3, random_state=0).fit(
        np.repeat(X, reps, axis=0), np.repeat(y, reps)
    )
    np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))


def test_feature_importances_and_feature_names(multiclass):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = (X[:, 2] > 0.3).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "signal", "d"])
    tree = TAOTreeClassifier(max_depth=2, random_state=0).fit(frame, y)
    assert tree.feature_importances_.sum() == pytest.approx(1.0)
    assert tree.feature_importances_.argmax() == 2
    sk = tree.as_sklearn()
    assert list(sk.feature_names_in_) == ["a", "b", "signal", "d"]
    assert "signal" in export_graphviz(sk, feature_names=list(sk.feature_names_in_))


def test_warm_start_continues_from_fitted_tree(multiclass):
    X, y = multiclass
    tree = TAOTreeClassifier(max_depth=4, max_iter=1, random_state=0).fit(X, y)
    first = tree.score(X, y)
    tree.set_params(warm_start=True, max_iter=5).fit(X, y)
    assert tree.history_[0]["fidelity"] == pytest.approx(first)
    assert tree.score(X, y) >= first
    with pytest.raises(ValueError, match="warm_start"):
        tree.set_params(max_depth=3).fit(X, y)
    with pytest.raises(ValueError, match="max_leaf_nodes=4 is smaller"):
        tree.set_params(max_depth=4, max_leaf_nodes=4).fit(X, y)


class _FittedSoftTree:
    """A fitted soft tree as interpretkd.soft_tree exposes one (heap order,
    p = P(right)), with negative betas too."""

    def __init__(self, rng, depth, n_features, n_classes):
        n_inner = 2**depth - 1
        self.inner_weights_ = rng.normal(size=(n_inner, n_features))
        self.inner_bias_ = rng.normal(size=n_inner)
        self.beta_ = rng.choice([-2.0, 3.0], size=n_inner)
        self.leaf_distributions_ = rng.dirichlet(np.ones(n_classes), size=2**depth)
        self.classes_ = np.arange(n_classes)
        self.n_features_in_ = n_features

    def greedy_predict(self, X):
        node = np.zeros(len(X), dtype=int)
        n_inner = self.inner_weights_.shape[0]
        while node[0] < n_inner:
            logits = np.einsum("ij,ij->i", X, self.inner_weights_[node])
            z = self.beta_[node] * (logits + self.inner_bias_[node])
            node = 2 * node + 1 + (1 / (1 + np.exp(-z)) > 0.5)
        return self.leaf_distributions_[node - n_inner].argmax(axis=1)


def test_to_hard_tree_takes_the_likelier_branch_and_refines(multiclass):
    X, y = multiclass
    rng = np.random.default_rng(0)
    soft = _FittedSoftTree(rng, depth=3, n_features=X.shape[1], n_classes=4)
    hard = to_hard_tree(soft, max_features_per_split=3)
    assert isinstance(hard, TAOTreeClassifier) and hard.split == "oblique"
    np.testing.assert_array_equal(hard.predict(X), soft.greedy_predict(X))
    before = hard.score(X, y)
    hard.fit(X, y)  # warm_start=True: TAO refines the converted tree
    # Round 0 is the converted tree with its leaves fit to (X, y); TAO then improves.
    assert hard.history_[0]["fidelity"] >= before
    assert hard.score(X, y) > hard.history_[0]["fidelity"]


def test_to_hard_tree_of_real_soft_tree(multiclass):
    soft_tree = pytest.importorskip("interpretkd.soft_tree")
    X, y = multiclass
    X, y = X[:400], y[:400]
    model = soft_tree.SoftDecisionTreeClassifier(
        max_depth=3, max_epochs=3, beta=4.0, random_state=0
    ).fit(X, y)
    hard = to_hard_tree(model)
    # The hard tree takes the more probable child at every node.
    proba_right = 1 / (
        1 + np.exp(-model.beta_ * (X @ model.inner_weights_.T + model.inner_bias_))
    )
    node = np.zeros(len(X), dtype=int)
    for _ in range(3):
        node = 2 * node + 1 + (proba_right[np.arange(len(X)), node] > 0.5)
    np.testing.assert_array_equal(hard.apply(X), node)
    expected = model.classes_[model.leaf_distributions_[node - 7].argmax(axis=1)]
    np.testing.assert_array_equal(hard.predict(X), expected)
    # That is the soft tree with prediction="greedy", row for row; its default
    # max path is another rule, which a hard tree does not reproduce.
    greedy = model.set_params(prediction="greedy")
    np.testing.assert_array_equal(hard.apply(X), greedy.apply(X))
    np.testing.assert_array_equal(hard.predict(X), greedy.predict(X))
    max_path = greedy.set_params(prediction="max_path")
    assert np.any(hard.apply(X) != max_path.apply(X))


def test_to_hard_tree_rejects_unfitted():
    with pytest.raises(TypeError, match="inner_weights_"):
        to_hard_tree(object())


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(split="diagonal"), "'split' parameter"),
        (dict(max_depth=0), "max_depth"),
        (dict(max_depth=20), "max_depth must be <= 16"),
        (dict(min_samples_leaf=0), "min_samples_leaf"),
        (dict(tol=-1.0), "tol"),
        (dict(max_iter=0), "max_iter"),
        (dict(max_leaf_nodes=1), "max_leaf_nodes"),
        (dict(init="soft"), "'init' parameter"),
        (dict(init="rollout", max_leaf_nodes=8), "does not keep to a leaf budget"),
    ],
)
def test_bad_parameters(multiclass, params, match):
    X, y = multiclass
    with pytest.raises(ValueError, match=match):
        TAOTreeClassifier(**params).fit(X, y)


def test_one_class_is_refused_as_by_the_soft_tree(multiclass):
    X, _ = multiclass
    with pytest.raises(ValueError, match="at least two classes; got 1 class only"):
        TAOTreeClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="at least two classes; got 1 class only"):
        TAOTreeClassifier().fit(X, np.full(len(X), "cat"))


def test_bad_inputs(multiclass):
    X, y = multiclass
    with pytest.raises(ValueError, match="sum to 1"):
        TAOTreeClassifier().fit(X, np.full((len(X), 4), 0.3))
    with pytest.raises(ValueError, match="rows"):
        TAOTreeClassifier().fit(X, np.full((len(X) - 1, 4), 0.25))
    with pytest.raises(ValueError, match="non-negative"):
        TAOTreeClassifier().fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(TypeError, match="max_features_per_split"):
        TAOTreeClassifier(split="oblique", max_features_per_split=1.5).fit(X, y)
    fitted = TAOTreeClassifier(max_depth=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :3])


# --------------------------------------------------------------------------- starts


@pytest.fixture(scope="module")
def xor_blocks():
    """Classes set by two features together (an XOR of thresholds) among noise
    features that each look better on their own: greedy CART's first split is
    fooled, lookahead is not."""
    rng = np.random.default_rng(0)
    n = 4000
    X = rng.uniform(size=(n, 6))
    y = ((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)).astype(int)
    # Noise features correlated with the label a little, and alone.
    for j in (2, 3, 4, 5):
        flip = rng.uniform(size=n) < 0.35
        X[:, j] = np.where(flip, 1 - y, y) * 0.5 + rng.uniform(size=n) * 0.5
    return X[:3000], y[:3000], X[3000:], y[3000:]


def test_rollout_start_beats_cart_start_where_greedy_is_fooled(xor_blocks):
    X, y, X_test, y_test = xor_blocks
    cart = TAOTreeClassifier(max_depth=2, init="cart", random_state=0).fit(X, y)
    rollout = TAOTreeClassifier(max_depth=2, init="rollout", random_state=0)
    rollout.fit(X, y)
    # Depth 2 is exactly enough for the XOR when the root tests feature 0 or 1.
    assert rollout.score(X_test, y_test) > 0.97
    assert rollout.score(X_test, y_test) > cart.score(X_test, y_test) + 0.05
    # "auto" is the rollout start for axis-aligned classification trees.
    auto = TAOTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(auto.predict(X_test), rollout.predict(X_test))


def test_oblique_trees_start_from_the_rollout_tree_by_default(xor_blocks):
    # An oblique split cannot undo a root that greedy CART chose on a noise
    # feature: from the CART start TAO stays near 0.7; the default start
    # (init="auto": the rollout tree) finds the XOR.
    X, y, X_test, y_test = xor_blocks
    params = dict(max_depth=2, split="oblique", random_state=0)
    cart = TAOTreeClassifier(init="cart", **params).fit(X, y)
    auto = TAOTreeClassifier(**params).fit(X, y)
    assert cart.score(X_test, y_test) < 0.8
    assert auto.score(X_test, y_test) > 0.97
    # With a leaf budget the start stays best-first CART (the rollout grows a
    # depth-limited tree), and the budget holds.
    budget = TAOTreeClassifier(**params).set_params(max_depth=6, max_leaf_nodes=4)
    budget.fit(X, y)
    assert budget.get_n_leaves() <= 4


def test_rollout_start_is_silent_on_many_classes_and_few_rows():
    # 36 classes on 600 rows: the small nodes below the top levels, where the
    # rollout start scores its candidates with greedy trees, hold more classes
    # than half their rows. scikit-learn warns about such a fit; the user's data
    # is fine, so the start must not pass that warning on.
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(600, 4))
    y = (np.floor(X[:, 0] * 6) * 6 + np.floor(X[:, 1] * 6)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tree = TAOTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    # The classes are a 6 x 6 grid of boxes (chance: 1 in 36), about 17 training
    # rows in each: the tree still learns most of the grid.
    X_test = rng.uniform(size=(600, 4))
    y_test = (np.floor(X_test[:, 0] * 6) * 6 + np.floor(X_test[:, 1] * 6)).astype(int)
    assert tree.score(X_test, y_test) > 0.8


@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_rollout_start_is_deterministic_and_exportable(multiclass, estimator):
    X, y = multiclass
    make = TAOTreeClassifier if estimator == "classifier" else TAOTreeRegressor
    target = y if estimator == "classifier" else X[:, 0] * X[:, 1] + y
    params = dict(max_depth=4, init="rollout", max_iter=3, random_state=3)
    a, b = make(**params).fit(X, target), make(**params).fit(X, target)
    np.testing.assert_array_equal(a.inner_weights_, b.inner_weights_)
    np.testing.assert_array_equal(a.inner_bias_, b.inner_bias_)
    np.testing.assert_array_equal(a.predict(X), a.as_sklearn().predict(X))
    losses = [h["loss"] for h in a.history_]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))


# ----------------------------------------------------------------------- leaf budget


@pytest.mark.parametrize("split", ["axis", "oblique"])
@pytest.mark.parametrize("budget", [3, 8, 20])
def test_leaf_budget_is_never_exceeded(multiclass, split, budget):
    X, y = multiclass
    tree = TAOTreeClassifier(
        max_depth=8, max_leaf_nodes=budget, split=split, max_iter=4, random_state=0
    ).fit(X, y)
    rng = np.random.default_rng(1)
    wide = rng.normal(scale=3.0, size=(20000, X.shape[1]))  # far beyond the data too
    reached = np.unique(tree.apply(np.vstack([X, wide])))
    assert reached.size <= budget
    assert tree.get_n_leaves() <= budget
    if split == "axis":
        assert tree.as_sklearn().get_n_leaves() <= budget


def test_leaf_budget_fits_as_well_as_cart_with_the_same_budget():
    X, y = make_classification(
        n_samples=4000,
        n_features=10,
        n_informative=6,
        n_classes=3,
        n_clusters_per_class=2,
        random_state=1,
    )
    X_train, y_train, X_test, y_test = X[:3000], y[:3000], X[3000:], y[3000:]
    for budget in (8, 16):
        cart = DecisionTreeClassifier(max_leaf_nodes=budget, random_state=0)
        cart_score = cart.fit(X_train, y_train).score(X_test, y_test)
        for split in ("axis", "oblique"):
            tree = TAOTreeClassifier(
                max_depth=10, max_leaf_nodes=budget, split=split, random_state=0
            ).fit(X_train, y_train)
            # TAO starts from that CART and keeps a change only when it lowers the
            # training loss: on held-out rows it stays within a small margin.
            assert tree.score(X_test, y_test) >= cart_score - 0.02
            assert tree.score(X_train, y_train) >= cart.score(X_train, y_train)
        # Sparse oblique splits use the budget better than axis splits here.
        assert tree.score(X_test, y_test) > cart_score


# --------------------------------------------------------------------------- verbose


def test_verbose_reports_each_round(multiclass, capsys):
    X, y = multiclass
    TAOTreeClassifier(max_depth=3, max_iter=3, random_state=0).fit(X, y)
    assert capsys.readouterr().err == ""
    tree = TAOTreeClassifier(max_depth=3, max_iter=3, verbose=1, random_state=0)
    tree.fit(X, y)
    err = capsys.readouterr().err
    assert "TAOTreeClassifier" in err
    assert f"loss={tree.history_[-1]['loss']:.4g}" in err
    assert f"{tree.n_iter_}/3 round" in err


def test_distiller_passes_verbose_to_the_tao_student(multiclass, capsys):
    from interpretkd.distill import DistilledClassifier

    X, y = multiclass
    teacher = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    student = TAOTreeClassifier(max_depth=3, max_iter=2, random_state=0)
    DistilledClassifier(teacher, student, verbose=1, random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "TAOTreeClassifier: " in err and " round " in err and "loss=" in err


def test_oblique_split_is_written_led_by_its_strongest_term():
    # Feature 0 varies over 1e-3, feature 1 over ~100: a split using both has a huge
    # raw weight on feature 0, yet feature 1 moves it more on typical rows.
    from interpretkd import export_text

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(0, 1e-3, 2000), rng.normal(0, 100, 2000)])
    y = (X[:, 0] / 1e-3 + 2 * X[:, 1] / 100 > 0).astype(int)
    tree = TAOTreeClassifier(split="oblique", max_depth=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(tree.feature_scale_, X.std(axis=0), rtol=1e-6)
    w = tree.inner_weights_[0]
    assert np.count_nonzero(w) == 2
    strongest = int(np.argmax(np.abs(w) * X.std(axis=0)))
    assert strongest == 1
    root = export_text(tree, feature_names=["tiny", "wide"]).splitlines()[0]
    assert root.startswith("if wide + ") and "× tiny" in root


# -- categorical_features --------------------------------------------------------------


def _coded_data(n=600, seed=1):
    """Column 0 holds category codes 0..4 (no order); columns 1-3 are measurements."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 5, n).astype(float)
    X = np.column_stack([codes, rng.normal(size=(n, 3))])
    y = (X[:, 1] + 0.8 * X[:, 2] + 1.5 * (codes >= 3) > 0.7).astype(int)
    return X, y


def _oblique_rows(tree):
    return tree.inner_weights_[(tree.inner_weights_ != 0).sum(axis=1) >= 2]


@pytest.mark.parametrize("Tree", [TAOTreeClassifier, TAOTreeRegressor])
def test_oblique_splits_never_combine_a_declared_categorical_column(Tree):
    X, y = _coded_data()
    params = dict(split="oblique", max_depth=3, random_state=0)
    free = Tree(**params).fit(X, y)
    assert np.any(_oblique_rows(free)[:, 0] != 0)  # undeclared, codes get mixed in
    tree = Tree(categorical_features=[0], **params).fit(X, y)
    np.testing.assert_array_equal(tree.is_categorical_, [True, False, False, False])
    oblique = _oblique_rows(tree)
    assert oblique.shape[0] > 0
    np.testing.assert_array_equal(oblique[:, 0], 0.0)
    # The column still splits a node on its own where that helps.
    alone = tree.inner_weights_[(tree.inner_weights_ != 0).sum(axis=1) == 1]
    assert np.any(alone[:, 0] != 0)


def test_categorical_features_by_index_mask_or_name_are_the_same():
    pd = pytest.importorskip("pandas")
    X, y = _coded_data()
    params = dict(split="oblique", max_depth=3, random_state=0)
    by_index = TAOTreeClassifier(categorical_features=[0], **params).fit(X, y)
    mask = [True, False, False, False]
    by_mask = TAOTreeClassifier(categorical_features=mask, **params).fit(X, y)
    frame = pd.DataFrame(X, columns=["city", "a", "b", "c"])
    by_name = TAOTreeClassifier(categorical_features=["city"], **params).fit(frame, y)
    for tree in (by_mask, by_name):
        np.testing.assert_array_equal(tree.is_categorical_, by_index.is_categorical_)
        np.testing.assert_array_equal(tree.inner_weights_, by_index.inner_weights_)


def test_categorical_features_leave_axis_trees_unchanged():
    X, y = _coded_data()
    plain = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    declared = TAOTreeClassifier(max_depth=3, categorical_features=[0], random_state=0)
    declared.fit(X, y)
    np.testing.assert_array_equal(declared.inner_weights_, plain.inner_weights_)
    np.testing.assert_array_equal(declared.inner_bias_, plain.inner_bias_)
    np.testing.assert_array_equal(plain.is_categorical_, [False] * 4)


def test_all_but_one_column_categorical_leaves_one_feature_splits_only():
    X, y = _coded_data()
    tree = TAOTreeClassifier(
        split="oblique", max_depth=3, categorical_features=[0, 2, 3], random_state=0
    ).fit(X, y)
    assert _oblique_rows(tree).shape[0] == 0


@pytest.mark.parametrize(
    ("categorical_features", "as_frame", "match"),
    [
        ([4], False, r"indices \[4\] out of range for data with 4 features"),
        ([True, False], False, r"one entry per feature \(4\); got 2"),
        (["town"], True, r"names \['town'\] are not columns of X"),
        (["city"], False, "needs a pandas DataFrame"),
        ("city", True, "categorical_features"),  # a name needs a list around it
    ],
)
def test_bad_categorical_features_are_refused(categorical_features, as_frame, match):
    pd = pytest.importorskip("pandas")
    X, y = _coded_data(n=100)
    if as_frame:
        X = pd.DataFrame(X, columns=["city", "a", "b", "c"])
    tree = TAOTreeClassifier(split="oblique", categorical_features=categorical_features)
    with pytest.raises(ValueError, match=match):
        tree.fit(X, y)
