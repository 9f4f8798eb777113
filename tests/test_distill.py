"""DistilledClassifier / DistilledRegressor: the soft-label protocol, teachers used as
they are, unlabeled rows, and clear errors."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import (
    DistilledClassifier,
    DistilledRegressor,
    as_teacher,
    fidelity_score,
)
from interpretkd.distill import (
    SoftLabelWarning,
    expand_soft_targets,
    fit_on_soft_targets,
    soft_label_mode,
)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=400, n_features=8, n_informative=5, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture(scope="module")
def xgb_teacher(data):
    X, y = data
    return xgboost.XGBClassifier(n_estimators=30, max_depth=3, random_state=0).fit(X, y)


def test_fitted_teacher_is_used_as_is_and_never_changed(data, xgb_teacher):
    X, y = data
    before = xgb_teacher.get_booster().save_raw()
    params = xgb_teacher.get_params()
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=4))
    model.fit(X, y)
    assert model.teacher_ is xgb_teacher
    assert xgb_teacher.get_booster().save_raw() == before
    assert xgb_teacher.get_params() == params
    np.testing.assert_array_equal(model.teacher_predict(X), xgb_teacher.predict(X))
    assert model.fidelity(X) > 0.8


def test_unfitted_teacher_is_cloned_and_fit(data):
    X, y = data
    teacher = RandomForestClassifier(n_estimators=5, random_state=0)
    model = DistilledClassifier(teacher, random_state=0).fit(X, y)
    assert model.teacher_ is not teacher
    with pytest.raises(NotFittedError):
        teacher.predict(X)
    np.testing.assert_array_equal(
        model.teacher_.predict(X), clone(teacher).fit(X, y).predict(X)
    )


def test_clone_and_grid_search_share_a_fitted_teacher(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier())
    assert clone(model).teacher is xgb_teacher
    grid = GridSearchCV(
        model, {"student__max_depth": [2, 5], "temperature": [1.0, 2.0]}, cv=2
    ).fit(X, y)
    assert grid.best_estimator_.teacher_ is xgb_teacher


def test_string_labels_follow_the_teachers_class_order(data):
    X, y = data
    labels = np.array(["cat", "ant", "bee"])[y]
    teacher = LogisticRegression(max_iter=500).fit(X, labels)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3)).fit(
        X, labels
    )
    np.testing.assert_array_equal(model.classes_, teacher.classes_)
    assert set(model.predict(X)) <= set(labels)
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(
        model.classes_.take(proba.argmax(1)), model.predict(X)
    )


def test_expansion_gives_leaf_probabilities_equal_to_mean_soft_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    logits = np.column_stack([X[:, 0], X[:, 1] - X[:, 2], 0.5 * X[:, 3]])
    T = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    fit_on_soft_targets(tree, X, T, expansion_threshold=0.0)
    leaves = tree.apply(X)
    proba = tree.predict_proba(X)
    for leaf in np.unique(leaves):
        rows = leaves == leaf
        np.testing.assert_allclose(proba[rows][0], T[rows].mean(0), atol=1e-9)


def test_expansion_drops_negligible_classes_but_keeps_each_rows_weight():
    X = np.arange(6.0).reshape(3, 2)
    T = np.array([[0.9995, 0.0005, 0.0], [0.5, 0.5, 0.0], [0.1, 0.2, 0.7]])
    Xe, ye, we = expand_soft_targets(X, T, np.array([1.0, 2.0, 1.0]), threshold=1e-3)
    assert len(ye) == 1 + 2 + 3
    np.testing.assert_allclose(np.bincount([0, 1, 1, 2, 2, 2], weights=we), [1, 2, 1])
    np.testing.assert_array_equal(Xe[0], X[0])


def test_soft_label_protocol_modes(data):
    X, y = data
    assert soft_label_mode(DecisionTreeClassifier()) == "weight"
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    assert soft_label_mode(pipe) == "weight"
    assert soft_label_mode(KNeighborsClassifier()) == "hard"
    model = DistilledClassifier(
        HistGradientBoostingClassifier(max_iter=20), pipe, random_state=0
    ).fit(X, y)
    assert model.fidelity(X) > 0.7
    with pytest.warns(SoftLabelWarning, match="KNeighborsClassifier"):
        DistilledClassifier(
            HistGradientBoostingClassifier(max_iter=20), KNeighborsClassifier()
        ).fit(X, y)


def test_alpha_one_is_a_tree_trained_on_the_labels(data, xgb_teacher):
    X, y = data
    student = DecisionTreeClassifier(max_depth=4, random_state=0)
    model = DistilledClassifier(xgb_teacher, student, alpha=1.0).fit(X, y)
    direct = clone(student).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), direct.predict(X))


def test_hard_targets_train_on_the_teachers_decisions(data, xgb_teacher):
    X, y = data
    student = DecisionTreeClassifier(max_depth=4, random_state=0)
    model = DistilledClassifier(xgb_teacher, student, targets="hard").fit(X, y)
    mimic = clone(student).fit(X, xgb_teacher.predict(X))
    np.testing.assert_array_equal(model.predict(X), mimic.predict(X))


def test_unlabeled_rows_are_labeled_by_the_teacher(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(X[:100], y[:100], X_unlabeled=X[100:])
    assert model.n_distill_samples_ == len(X)
    chunks = (X[i : i + 50] for i in range(100, len(X), 50))
    chunked = clone(model).fit(X[:100], y[:100], X_unlabeled=chunks)
    np.testing.assert_array_equal(chunked.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="X_unlabeled has 3 features but X has 8"):
        model.fit(X, y, X_unlabeled=X[:, :3])


def test_dataframe_with_categorical_column(data):
    X, y = data
    df = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    df["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[y])
    teacher = xgboost.XGBClassifier(
        n_estimators=10, enable_categorical=True, tree_method="hist"
    ).fit(df, y)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(df, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d", "colour"]
    assert model.fidelity(df) > 0.9  # the colour column gives the class away


def test_missing_values(data):
    X, y = data
    X = X.copy()
    X[::7, 2] = np.nan
    model = DistilledClassifier(random_state=0).fit(X, y)  # HGB + tree take NaN
    assert np.isfinite(model.predict_proba(X)).all()
    lr = make_pipeline(StandardScaler(), LogisticRegression())
    with pytest.raises(ValueError, match="NaN in column 2.*Pipeline"):
        DistilledClassifier(HistGradientBoostingClassifier(), lr).fit(X, y)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        DistilledClassifier(random_state=0).fit(X, y)


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(temperature=0), ValueError, "temperature must be > 0"),
        (dict(alpha=2.0), ValueError, "alpha must be in"),
        (dict(targets="fuzzy"), ValueError, "targets must be 'soft' or 'hard'"),
        (dict(teacher=object()), TypeError, "Cannot use object as a teacher"),
    ],
)
def test_bad_parameters(data, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        DistilledClassifier(**params).fit(X, y)


def test_bad_data(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=2))
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, np.zeros(len(X)))
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features"):
        model.predict(X[:, :5])
    with pytest.raises(ValueError, match="labels .* that the teacher does not"):
        model.fit(X, np.where(y == 0, 7, y))
    with pytest.raises(TypeError, match="is a regressor"):
        DistilledClassifier(xgboost.XGBRegressor(n_estimators=3).fit(X, y)).fit(X, y)


def test_booster_and_torch_teachers_take_the_distillers_labels(data, xgb_teacher):
    torch = pytest.importorskip("torch")
    X, y = data
    labels = np.array(["x", "y", "z"])[y]
    model = DistilledClassifier(xgb_teacher.get_booster(), random_state=0)
    model.fit(X, labels)
    np.testing.assert_array_equal(model.classes_, ["x", "y", "z"])
    assert model.fidelity(X) > 0.8
    net = torch.nn.Linear(8, 3)
    model = DistilledClassifier(net, random_state=0).fit(X, labels)
    assert set(model.predict(X)) <= {"x", "y", "z"}


def test_regressor_follows_its_teacher_and_mixes_labels():
    X, y = make_regression(n_samples=300, n_features=5, noise=5.0, random_state=0)
    teacher = xgboost.XGBRegressor(n_estimators=30, max_depth=3).fit(X, y)
    model = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=6)).fit(X, y)
    assert model.teacher_ is teacher
    assert model.fidelity(X) > 0.8
    only_y = DistilledRegressor(
        teacher, DecisionTreeRegressor(max_depth=6, random_state=0), alpha=1.0
    ).fit(X, y)
    direct = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    np.testing.assert_allclose(only_y.predict(X), direct.predict(X))
    with pytest.raises(TypeError, match="is a classifier"):
        DistilledRegressor(xgboost.XGBClassifier(n_estimators=2).fit(X, y > 0)).fit(
            X, y
        )


def test_pickle_round_trip_keeps_predictions(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded.fidelity(X) == model.fidelity(X)


def test_synthetic_rows_are_added_and_seeded(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(
        xgb_teacher,
        DecisionTreeClassifier(max_depth=3, random_state=0),
        augment="munge",
        n_synthetic=2.0,
        random_state=0,
    ).fit(X, y)
    assert model.n_distill_samples_ == 3 * len(X)
    again = clone(model).fit(X, y)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    active = DistilledClassifier(
        xgb_teacher,
        DecisionTreeClassifier(max_depth=3, random_state=0),
        augment="active",
        n_synthetic=100,
        random_state=0,
    ).fit(X, y)
    assert active.n_distill_samples_ == len(X) + 100
    with pytest.raises(ValueError, match="munge"):
        DistilledClassifier(xgb_teacher, augment="smote").fit(X, y)


def test_user_augmenter_object_is_used_as_is(data, xgb_teacher):
    X, y = data

    class Jitter:
        def sample(self, X, n_samples):
            rng = np.random.default_rng(0)
            rows = rng.integers(0, len(X), n_samples)
            return X[rows] + rng.normal(scale=0.01, size=(n_samples, X.shape[1]))

    model = DistilledClassifier(
        xgb_teacher, augment=Jitter(), n_synthetic=50, random_state=0
    ).fit(X, y)
    assert model.n_distill_samples_ == len(X) + 50


def test_verbose_reports_each_step_and_default_is_quiet(data, xgb_teacher, capsys):
    X, y = data
    DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=2)).fit(X, y)
    assert capsys.readouterr().err == ""
    DistilledClassifier(
        xgb_teacher,
        DecisionTreeClassifier(max_depth=2),
        augment="munge",
        n_synthetic=10,
        teacher_batch_size=64,
        verbose=1,
    ).fit(X, y, X_unlabeled=X[:50])
    err = capsys.readouterr().err
    for step in (
        "labeling 400 training rows",
        "labeling 50 unlabeled rows",
        "generating 10 synthetic rows (Munge)",
        "fitting the student on 460 rows",
    ):
        assert step in err


def test_string_columns_unseen_categories_and_saving(data, tmp_path):
    from interpretkd import io

    X, y = data
    df = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    df["colour"] = np.array(["red", "green", "blue"])[y]  # plain strings
    labels = np.array(["no", "yes", "maybe"])[y]
    model = DistilledClassifier(random_state=0).fit(df, labels)  # default teacher
    assert model.categories_ == {"colour": ["blue", "green", "red"]}  # sorted
    assert model.fidelity(df) > 0.9
    clone_xgb = DistilledClassifier(xgboost.XGBClassifier(n_estimators=5)).fit(
        X, labels
    )
    assert set(clone_xgb.teacher_predict(X)) <= {"no", "yes", "maybe"}
    new = df.head(3).assign(colour=["red", "purple", "blue"])
    with pytest.raises(ValueError, match=r"'colour' has categories not seen.*purple"):
        model.predict(new)
    path = io.save(io.without_teacher(model), tmp_path / "student.skops")
    np.testing.assert_array_equal(io.load(path).predict(df), model.predict(df))


def test_exported_classes_name_the_students_own_classes(data):
    from interpretkd import export_text

    X, y = data
    labels = np.array(["cat", "dog", "eel"])[y]

    def two_class_teacher(Z):  # never predicts "cat"
        p = 1 / (1 + np.exp(-Z[:, 0]))
        return np.column_stack([np.zeros_like(p), p, 1 - p])

    teacher = as_teacher(two_class_teacher, classes=["cat", "dog", "eel"])
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=2), targets="hard"
    ).fit(X, labels)
    assert list(model.student_.classes_) == [1, 2]
    text = export_text(model)
    assert "class: dog" in text and "class: eel" in text
    assert "class: 1" not in text and "class: 2" not in text


def test_fidelity_score_refuses_a_bare_student_with_index_labels(data, xgb_teacher):
    X, y = data
    labels = np.array(["x", "y", "z"])[y]
    teacher = LogisticRegression(max_iter=300).fit(X, labels)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3)).fit(
        X, labels
    )
    with pytest.raises(ValueError, match="pass the fitted distiller"):
        fidelity_score(teacher, model.student_, X)
    assert fidelity_score(teacher, model, X) == model.fidelity(X)
