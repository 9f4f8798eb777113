"""Tests for interpretkd.augment: the synthetic-data generators and their helpers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd.augment import (
    ActiveSampler,
    Munge,
    NoiseSampler,
    iter_chunks,
    make_augmenter,
    resolve_n_synthetic,
)

GENERATORS = [Munge, NoiseSampler]


@pytest.fixture
def X_num():
    X, _ = make_classification(n_samples=120, n_features=5, random_state=0)
    X[:, 3] = np.round(X[:, 3] * 3)  # whole numbers held in a float column
    return X


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    n = 80
    return pd.DataFrame(
        {
            "height": rng.normal(170, 10, n),
            "count": rng.integers(0, 20, n),
            "colour": pd.Categorical(
                rng.choice(["red", "green"], n), categories=["red", "green", "blue"]
            ),
            "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
            "member": rng.random(n) > 0.5,
            "code": rng.choice([0, 1, 2], n),
        }
    )


# ---------------------------------------------------------------- shared promises


@pytest.mark.parametrize("Gen", GENERATORS)
def test_array_in_array_out(Gen, X_num):
    Z = Gen(random_state=0).sample(X_num, 250)
    assert isinstance(Z, np.ndarray)
    assert Z.shape == (250, X_num.shape[1])
    assert Z.dtype == X_num.dtype


@pytest.mark.parametrize("Gen", GENERATORS)
def test_integer_array_stays_integer(Gen):
    X = np.random.default_rng(0).integers(-5, 6, size=(60, 3))
    Z = Gen(random_state=0).sample(X, 100)
    assert Z.dtype == X.dtype


@pytest.mark.parametrize("Gen", GENERATORS)
def test_frame_in_frame_out_with_dtypes(Gen, frame):
    Z = Gen(random_state=0, categorical_features=["code"]).sample(frame, 200)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == list(frame.columns)
    assert list(Z.dtypes) == list(frame.dtypes)
    assert len(Z) == 200


@pytest.mark.parametrize("Gen", GENERATORS)
def test_categories_only_take_seen_values(Gen, frame):
    Z = Gen(random_state=0, categorical_features=["code"]).sample(frame, 300)
    # "blue" is a declared category that never occurs in the data.
    assert set(Z["colour"]) <= {"red", "green"}
    assert set(Z["city"]) <= set(frame["city"])
    assert set(Z["code"]) <= set(frame["code"])
    assert set(Z["member"]) <= {True, False}


@pytest.mark.parametrize("Gen", GENERATORS)
def test_declared_categorical_index_on_array(Gen):
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=100), rng.choice([1.5, 7.0, 9.25], 100)])
    Z = Gen(random_state=0, categorical_features=[1]).sample(X, 300)
    assert set(np.unique(Z[:, 1])) <= {1.5, 7.0, 9.25}
    mask = Gen(random_state=0, categorical_features=[False, True]).sample(X, 300)
    np.testing.assert_array_equal(mask, Z)


@pytest.mark.parametrize("Gen", GENERATORS)
def test_whole_number_columns_stay_whole(Gen, X_num, frame):
    Z = Gen(random_state=0).sample(X_num, 300)
    np.testing.assert_array_equal(Z[:, 3], np.round(Z[:, 3]))
    assert not np.array_equal(Z[:, 0], np.round(Z[:, 0]))
    F = Gen(random_state=0).sample(frame, 300)
    assert F["count"].dtype == frame["count"].dtype


@pytest.mark.parametrize("Gen", GENERATORS)
def test_values_stay_in_observed_range(Gen, X_num):
    Z = Gen(random_state=0, p=1.0).sample(X_num, 500)
    assert np.all(Z >= X_num.min(axis=0)) and np.all(Z <= X_num.max(axis=0))


def test_clip_false_lets_noise_leave_the_range(X_num):
    Z = NoiseSampler(random_state=0, noise_scale=1.0, clip=False).sample(X_num, 2000)
    assert np.any(Z > X_num.max(axis=0)) or np.any(Z < X_num.min(axis=0))


@pytest.mark.parametrize("Gen", GENERATORS)
def test_deterministic_for_a_seed(Gen, frame):
    a = Gen(random_state=3).sample(frame, 50)
    b = Gen(random_state=3).sample(frame, 50)
    c = Gen(random_state=4).sample(frame, 50)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("Gen", GENERATORS)
def test_zero_rows(Gen, X_num, frame):
    assert Gen(random_state=0).sample(X_num, 0).shape == (0, X_num.shape[1])
    empty = Gen(random_state=0).sample(frame, 0)
    assert empty.shape == (0, frame.shape[1])
    assert list(empty.dtypes) == list(frame.dtypes)


@pytest.mark.parametrize("Gen", GENERATORS)
def test_missing_values_never_invented(Gen):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    Z = Gen(random_state=0).sample(X, 300)
    assert not np.isnan(Z).any()
    X[::10, 1] = np.nan
    Z = Gen(random_state=0).sample(X, 300)
    assert not np.isnan(Z[:, [0, 2]]).any()
    assert 0 < np.isnan(Z[:, 1]).mean() < 0.3


@pytest.mark.parametrize("Gen", GENERATORS)
@pytest.mark.parametrize(
    "X, match",
    [
        (np.ones(5), "2-D"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "infinite"),
        (np.empty((0, 3)), "at least one row"),
    ],
)
def test_bad_data_is_refused(Gen, X, match):
    with pytest.raises(ValueError, match=match):
        Gen().sample(X, 10)


@pytest.mark.parametrize("Gen", GENERATORS)
def test_bad_n_samples_and_categorical_features(Gen, X_num):
    with pytest.raises(TypeError, match="n_samples"):
        Gen().sample(X_num, 2.5)
    with pytest.raises(ValueError, match="n_samples"):
        Gen().sample(X_num, -1)
    with pytest.raises(ValueError, match="out of range"):
        Gen(categorical_features=[9]).sample(X_num, 5)
    with pytest.raises(ValueError, match="DataFrame"):
        Gen(categorical_features=["a"]).sample(X_num, 5)
    with pytest.raises(ValueError, match="one entry per feature"):
        Gen(categorical_features=[True, False]).sample(X_num, 5)


@pytest.mark.parametrize("Gen", GENERATORS)
def test_params_clone_and_set_params_change_the_draws(Gen, X_num):
    gen = Gen(p=0.25, random_state=7)
    twin = clone(gen)
    assert twin is not gen
    np.testing.assert_array_equal(twin.sample(X_num, 50), gen.sample(X_num, 50))
    more = gen.set_params(p=0.75).sample(X_num, 50)
    assert not np.array_equal(more, twin.sample(X_num, 50))
    assert "p=0.75" in repr(gen)
    with pytest.raises(ValueError, match="Invalid parameter"):
        gen.set_params(bogus=1)
    assert not hasattr(gen, "fit")


# ---------------------------------------------------------------- MUNGE


def test_munge_p0_returns_copies_of_the_data(frame):
    Z = Munge(p=0.0, random_state=0).sample(frame, len(frame))
    pd.testing.assert_frame_equal(Z, frame.reset_index(drop=True))
    X = frame[["height", "count"]].to_numpy()
    Z = Munge(p=0.0, random_state=0).sample(X, 3 * len(X))
    np.testing.assert_array_equal(Z, np.vstack([X, X, X]))


def test_munge_draws_around_the_nearest_neighbour():
    # Pairs of close rows far from the other pairs: each row's neighbour is its twin.
    base = np.arange(10, dtype=float)[:, None] * 100.0
    X = np.vstack([base, base + 1.0]) * np.ones((1, 3)) + 0.37  # not whole numbers
    twin = np.r_[np.arange(10, 20), np.arange(10)]
    # s huge: the draw is the neighbour's value exactly; p=1: every feature moves.
    Z = Munge(p=1.0, s=1e12, random_state=0).sample(X, len(X))
    np.testing.assert_allclose(Z, X[twin])
    # Moderate s: values stay within a few |a - b| / s of the neighbour's.
    Z = Munge(p=1.0, s=10.0, random_state=0).sample(X, len(X))
    assert np.all(np.abs(Z - X[twin]) <= 0.5)
    assert not np.allclose(Z, X[twin])


def test_munge_swaps_nominal_values_with_the_neighbour():
    X = pd.DataFrame(
        {"x": [0.0, 0.1, 5.0, 5.1], "kind": pd.Categorical(["a", "b", "c", "d"])}
    )
    Z = Munge(p=1.0, s=1e12, random_state=0).sample(X, 4)
    assert list(Z["kind"]) == ["b", "a", "d", "c"]


def test_munge_p_is_the_exchange_rate():
    X = np.random.default_rng(0).normal(size=(400, 6))
    Z = Munge(p=0.3, random_state=0).sample(X, 4000)
    changed = (Z != np.tile(X, (10, 1))).mean()
    assert 0.25 < changed < 0.35


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(p=1.5), "p"),
        (dict(s=0), "s"),
        (dict(s="big"), "s"),
        (dict(s=float("inf")), "s"),
        (dict(clip="yes"), "clip"),
    ],
)
def test_munge_checks_its_parameters(X_num, params, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter of Munge"):
        Munge(**params).sample(X_num, 5)


# ---------------------------------------------------------------- noise


def test_noise_keeps_the_marginals():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(3, 2, 2000), rng.exponential(1, 2000)])
    Z = NoiseSampler(random_state=0).sample(X, 5000)
    np.testing.assert_allclose(Z.mean(0), X.mean(0), atol=0.1)
    np.testing.assert_allclose(Z.std(0), X.std(0), rtol=0.05)
    # p=1 breaks the correlation between columns.
    X[:, 1] = X[:, 0] + rng.normal(0, 0.1, 2000)
    Z = NoiseSampler(random_state=0).sample(X, 5000)
    assert abs(np.corrcoef(Z.T)[0, 1]) < 0.1


def test_noise_without_resampling_or_jitter_returns_data_rows(X_num):
    Z = NoiseSampler(p=0.0, noise_scale=0.0, random_state=0).sample(X_num, 50)
    rows = {tuple(r) for r in X_num}
    assert all(tuple(r) in rows for r in Z)


def test_noise_checks_its_parameters(X_num):
    with pytest.raises(ValueError, match="'noise_scale' parameter of NoiseSampler"):
        NoiseSampler(noise_scale=-1).sample(X_num, 5)
    with pytest.raises(ValueError, match="'p' parameter of NoiseSampler"):
        NoiseSampler(p=-0.1).sample(X_num, 5)


# ---------------------------------------------------------------- active


@pytest.fixture(scope="module")
def task():
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    teacher = RandomForestClassifier(30, random_state=0).fit(X, y)
    return X, teacher


def fit_tree(X, T):
    return DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, T.argmax(1))


def test_active_run_shapes_and_hard_targets(task):
    X, teacher = task
    sampler = ActiveSampler(n_rounds=2, n_proposals=2, hard_targets=True)
    sampler.set_params(random_state=0)
    Z, T = sampler.run(X, 300, label=teacher.predict_proba, fit=fit_tree)
    assert Z.shape == (300, 6) and T.shape == (300, 3)
    # hard targets: the teacher's argmax, one-hot.
    np.testing.assert_array_equal(T.sum(1), 1.0)
    np.testing.assert_array_equal(T.argmax(1), teacher.predict(Z))
    assert np.all(Z >= X.min(0)) and np.all(Z <= X.max(0))
    Z2, T2 = clone(sampler).run(X, 300, label=teacher.predict_proba, fit=fit_tree)
    np.testing.assert_array_equal(Z, Z2)
    np.testing.assert_array_equal(T, T2)


def test_active_targets_are_what_label_gives_unless_hard_is_asked(task):
    X, teacher = task
    Z, T = ActiveSampler(
        n_rounds=1, n_proposals=2, hard_targets=False, random_state=0
    ).run(X, 50, label=teacher.predict_proba, fit=fit_tree)
    np.testing.assert_allclose(T, teacher.predict_proba(Z))


def test_active_keeps_the_best_proposal(task):
    # Each round keeps the batch whose student agrees best with the teacher on the
    # validation rows, so more proposals can only help on those rows.
    X, teacher = task
    X_val = Munge(random_state=1).sample(X, 2000)
    ref = teacher.predict(X_val)

    def agreement(n_proposals):
        Z, T = ActiveSampler(n_rounds=1, n_proposals=n_proposals, random_state=0).run(
            X, 400, label=teacher.predict_proba, fit=fit_tree
        )
        student = fit_tree(np.vstack([X, Z]), np.vstack([teacher.predict_proba(X), T]))
        return np.mean(student.predict(X_val) == ref)

    assert agreement(6) >= agreement(1) - 0.01


@pytest.mark.parametrize(
    "base", [Munge(p=1.0, s=1e12), NoiseSampler(p=0.0, noise_scale=0.0)]
)
def test_active_per_leaf_rows_come_from_leaves_where_the_student_errs(task, base):
    # With these bases a synthetic row is (numerically) a data row: a MUNGE row
    # takes all of its neighbour's values, a noise row is a copy. Per-leaf
    # neighbours are searched within the leaf, so each per-leaf row is a row of a
    # leaf where the first student decides unlike the teacher.
    X, teacher = task
    trial_data = []

    def fit(Z, T):
        trial_data.append(np.asarray(Z))
        return fit_tree(Z, T)

    sampler = ActiveSampler(
        base=base, n_rounds=1, n_proposals=2, min_leaf_share=0.0, random_state=0
    )
    sampler.run(X, 200, label=teacher.predict_proba, fit=fit)
    per_leaf = trial_data[2][len(X) :]  # fits: the first student, then proposals
    assert len(per_leaf) == 200
    first = fit_tree(X, teacher.predict_proba(X))
    leaves = first.apply(X)
    wrong = set(leaves[first.predict(X) != teacher.predict(X)])
    gaps = np.abs(per_leaf[:, None, :] - X[None, :, :]).max(-1)
    assert gaps.min(1).max() < 1e-6
    assert set(leaves[gaps.argmin(1)]) <= wrong


def test_active_without_apply_and_for_regression():
    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    teacher = RandomForestRegressor(20, random_state=0).fit(X, y)

    def fit(X, t):
        return DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, t)

    Z, t = ActiveSampler(n_rounds=2, n_proposals=2, random_state=0).run(
        X, 100, label=teacher.predict, fit=fit
    )
    assert Z.shape == (100, 4) and t.shape == (100,)
    np.testing.assert_allclose(t, teacher.predict(Z))

    Xc, yc = make_classification(n_samples=200, random_state=0)
    clf = LogisticRegression().fit(Xc, yc)
    Z, T = ActiveSampler(n_rounds=1, n_proposals=2, random_state=0).run(
        Xc,
        60,
        label=clf.predict_proba,
        fit=lambda X, T: LogisticRegression().fit(X, T.argmax(1)),
    )
    assert Z.shape == (60, 20)


def test_active_with_dataframe(frame):
    X = frame[["height", "count", "colour", "city"]]
    y = (frame["height"] > 170).to_numpy().astype(int)

    def model(estimator):
        encode = make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["colour", "city"]),
            remainder="passthrough",
        )
        return make_pipeline(encode, estimator)

    teacher = model(RandomForestClassifier(10, random_state=0)).fit(X, y)

    def fit(D, T):
        student = model(DecisionTreeClassifier(max_depth=2, random_state=0))
        return student.fit(D, T.argmax(1))

    sampler = ActiveSampler(n_rounds=2, n_proposals=2, random_state=0)
    Z, T = sampler.run(X, 40, label=teacher.predict_proba, fit=fit)
    assert isinstance(Z, pd.DataFrame) and list(Z.dtypes) == list(X.dtypes)
    assert set(Z["city"]) <= set(X["city"])
    np.testing.assert_array_equal(T.argmax(1), teacher.predict(Z))


def test_active_refuses_label_predictions(task):
    X, teacher = task

    def fit(X, T):
        return DecisionTreeClassifier(max_depth=2).fit(
            X, np.array(list("abc"))[T.argmax(1)]
        )

    with pytest.raises(TypeError, match="column indices"):
        ActiveSampler(n_rounds=1, n_proposals=2).run(
            X, 20, label=teacher.predict_proba, fit=fit
        )


def test_active_checks_its_parameters(task):
    X, teacher = task
    run = dict(label=teacher.predict_proba, fit=fit_tree)
    with pytest.raises(ValueError, match="'n_rounds' parameter of ActiveSampler"):
        ActiveSampler(n_rounds=0).run(X, 10, **run)
    with pytest.raises(ValueError, match="'base' parameter of ActiveSampler"):
        ActiveSampler(base="smote").run(X, 10, **run)
    with pytest.raises(TypeError, match="'base' parameter of ActiveSampler"):
        ActiveSampler(base=ActiveSampler()).run(X, 10, **run)
    with pytest.raises(TypeError, match="callables"):
        ActiveSampler().run(X, 10, label=None, fit=fit_tree)


# ---------------------------------------------------------------- helpers


def test_make_augmenter(X_num):
    assert make_augmenter(None) is None
    np.testing.assert_array_equal(
        make_augmenter("munge", random_state=1).sample(X_num, 30),
        Munge(random_state=1).sample(X_num, 30),
    )
    np.testing.assert_array_equal(
        make_augmenter("noise", random_state=1).sample(X_num, 30),
        NoiseSampler(random_state=1).sample(X_num, 30),
    )
    assert isinstance(make_augmenter("active"), ActiveSampler)
    custom = NoiseSampler(p=0.2)
    assert make_augmenter(custom) is custom
    with pytest.raises(ValueError, match="'augment' parameter .* a str among"):
        make_augmenter("smote")
    with pytest.raises(TypeError, match="implementing 'sample'"):
        make_augmenter(42)


@pytest.mark.parametrize(
    "value, expected", [(None, 0), (0, 0), (250, 250), (2.0, 200), (0.5, 50), (0.0, 0)]
)
def test_resolve_n_synthetic(value, expected):
    assert resolve_n_synthetic(value, 100) == expected


@pytest.mark.parametrize(
    "value, error",
    [
        (-1, ValueError),
        (-0.5, ValueError),
        (float("nan"), ValueError),
    ]
    + [("2x", TypeError), (float("inf"), ValueError)],
)
def test_resolve_n_synthetic_refuses(value, error):
    with pytest.raises(error, match="n_synthetic"):
        resolve_n_synthetic(value, 100)


def test_iter_chunks_array_and_frame(frame):
    X = np.arange(50.0).reshape(25, 2)
    chunks = list(iter_chunks(X, 10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    np.testing.assert_array_equal(np.vstack(chunks), X)
    assert len(list(iter_chunks(X))) == 1
    parts = list(iter_chunks(frame, 30))
    pd.testing.assert_frame_equal(
        pd.concat(parts, ignore_index=True), frame.reset_index(drop=True)
    )


def test_iter_chunks_list_of_rows_is_one_array():
    X = np.arange(50.0).reshape(25, 2)
    for rows in (X[:10].tolist(), tuple(X[:10]), list(X[:10])):
        chunks = list(iter_chunks(rows, 4))
        assert [c.shape for c in chunks] == [(4, 2), (4, 2), (2, 2)]
        np.testing.assert_array_equal(np.vstack(chunks), X[:10])
    assert [c.shape for c in iter_chunks(X[:10].tolist())] == [(10, 2)]
    assert list(iter_chunks([])) == []


def test_iter_chunks_iterable_is_read_lazily():
    seen = []

    def reader():
        for i in range(4):
            seen.append(i)
            yield np.full((6, 3), float(i))

    chunks = iter_chunks(reader(), 4)
    first = next(chunks)
    assert seen == [0] and first.shape == (4, 3)
    rest = list(chunks)
    assert [len(c) for c in rest] == [2, 4, 2, 4, 2, 4, 2]
    assert seen == [0, 1, 2, 3]


def test_iter_chunks_refuses_bad_input():
    with pytest.raises(ValueError, match="same columns"):
        list(iter_chunks([np.ones((2, 3)), np.ones((2, 4))]))
    with pytest.raises(ValueError, match="2-D"):
        list(iter_chunks([np.ones((2, 3)), np.ones(3)]))
    with pytest.raises(ValueError, match="2-D"):
        list(iter_chunks([np.ones((2, 3, 1))]))
    with pytest.raises(TypeError, match="X_unlabeled"):
        list(iter_chunks("data.csv"))
    with pytest.raises(TypeError, match="X_unlabeled"):
        list(iter_chunks(5))
    with pytest.raises(ValueError, match="chunk_size"):
        list(iter_chunks(np.ones((3, 2)), 0))
