"""DistilledClassifier / DistilledRegressor: the soft-label protocol, teachers used as
they are, unlabeled and synthetic rows, what fidelity they buy on held-out rows, and
clear errors."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import xgboost
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree import export_text as sklearn_export_text

from interpretkd import (
    DistilledClassifier,
    DistilledRegressor,
    SoftDecisionTreeClassifier,
    as_teacher,
    fidelity_score,
)
from interpretkd.augment import ActiveSampler
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


def agreement(model, teacher, X):
    """Held-out fidelity computed by hand: the share of equal decisions."""
    return float(np.mean(model.predict(X) == teacher.predict(X)))


# --------------------------------------------------------------------------------------
# The core promise, on rows neither model was trained on
# --------------------------------------------------------------------------------------


def test_soft_targets_beat_hard_ones_for_a_probabilistic_student():
    # A logistic teacher's probabilities pin down its boundary from a few rows; its
    # decisions on the same rows do not.
    X, y = make_classification(
        n_samples=3000,
        n_features=10,
        n_informative=6,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    teacher = LogisticRegression(max_iter=2000).fit(X, y)
    X_few, y_few, X_test = X[:40], y[:40], X[1000:]

    def held_out(targets):
        student = LogisticRegression(max_iter=2000)
        model = DistilledClassifier(teacher, student, targets=targets)
        return agreement(model.fit(X_few, y_few), teacher, X_test)

    assert held_out("soft") >= held_out("hard") + 0.03  # measured 0.968 vs 0.901


@pytest.fixture(scope="module")
def few_labels():
    """A teacher trained on 2,000 rows; the student gets 100-200 labeled rows."""
    X, y = make_classification(
        n_samples=4000,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=2,
        random_state=1,
    )
    teacher = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    return X, y, teacher.fit(X[:2000], y[:2000])


def test_unlabeled_rows_raise_held_out_fidelity(few_labels):
    X, y, teacher = few_labels
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=6))
    alone = agreement(clone(model).fit(X[:100], y[:100]), teacher, X[3000:])
    pooled = clone(model).fit(X[:100], y[:100], X_unlabeled=X[100:2000])
    assert agreement(pooled, teacher, X[3000:]) >= alone + 0.05


def test_synthetic_rows_raise_held_out_fidelity(few_labels):
    X, y, teacher = few_labels
    X_test = X[3000:]
    gains = {"munge": [], "active": []}
    for seed in range(3):
        tree = DecisionTreeClassifier(max_depth=6)
        base = DistilledClassifier(teacher, tree, random_state=seed)
        alone = agreement(base.fit(X[:200], y[:200]), teacher, X_test)
        for name, augment in (
            ("munge", "munge"),
            ("active", ActiveSampler(n_proposals=4, random_state=seed)),
        ):
            model = DistilledClassifier(
                teacher, tree, augment=augment, n_synthetic=10.0, random_state=seed
            ).fit(X[:200], y[:200])
            gains[name].append(agreement(model, teacher, X_test) - alone)
    # Measured: MUNGE +2.0 to +4.7 points, active +3.5 to +4.7 over the three seeds.
    assert np.mean(gains["munge"]) >= 0.015
    assert np.mean(gains["active"]) >= 0.015


# --------------------------------------------------------------------------------------
# Teachers
# --------------------------------------------------------------------------------------


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
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(
        model.classes_.take(proba.argmax(1)), model.predict(X)
    )
    assert set(model.predict(X)) <= set(labels)


def test_raw_booster_with_string_labels_is_refused_until_its_columns_are_named(
    data, xgb_teacher
):
    # The booster's columns were once mapped to the sorted labels: labels swapped,
    # teacher accuracy 0.077, fidelity 0.83 (issue 15). Its labels are 0..K-1.
    X, y = data
    names = np.array(["zebra", "yak", "xerus"])  # not in sorted order
    booster = xgb_teacher.get_booster()
    with pytest.raises(ValueError, match=r"labels \[.*\] that the teacher Booster"):
        DistilledClassifier(booster).fit(X, names[y])
    named = as_teacher(booster, classes=names)
    model = DistilledClassifier(named, random_state=0).fit(X, names[y])
    np.testing.assert_array_equal(model.classes_, names)
    np.testing.assert_array_equal(
        model.teacher_predict(X), names[xgb_teacher.predict(X)]
    )
    integers = DistilledClassifier(booster, random_state=0).fit(X, y)
    np.testing.assert_array_equal(integers.teacher_predict(X), xgb_teacher.predict(X))


def test_torch_teacher_answers_column_indices_unless_named(data):
    torch = pytest.importorskip("torch")
    X, y = data
    net = torch.nn.Linear(8, 3)
    with pytest.raises(ValueError, match="as_teacher"):
        DistilledClassifier(net).fit(X, np.array(["x", "y", "z"])[y])
    model = DistilledClassifier(as_teacher(net, classes=["x", "y", "z"]))
    model.fit(X, np.array(["x", "y", "z"])[y])
    assert set(model.predict(X)) <= {"x", "y", "z"}


def test_list_of_teachers(data, xgb_teacher):
    X, y = data
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    model = DistilledClassifier([xgb_teacher, forest], random_state=0).fit(X, y)
    expected = (xgb_teacher.predict_proba(X) + forest.predict_proba(X)).argmax(1)
    np.testing.assert_array_equal(model.teacher_predict(X), expected)


def test_a_temperature_that_overflows_names_the_teacher(data, xgb_teacher):
    # Was "Input sample_weight contains NaN", though no sample_weight was passed.
    X, y = data
    model = DistilledClassifier(xgb_teacher, temperature=1e-320)
    with pytest.raises(ValueError, match="teacher XGBClassifier are not finite"):
        model.fit(X, y)


# --------------------------------------------------------------------------------------
# The soft-label protocol and the student users get
# --------------------------------------------------------------------------------------


class SoftRecorder(ClassifierMixin, BaseEstimator):
    """A user's own student that declares it learns soft targets."""

    accepts_soft_targets = True

    def fit(self, X, Y):
        self.targets_ = np.asarray(Y)
        self.classes_ = np.arange(self.targets_.shape[1])
        self.tree_ = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, Y)
        return self

    def predict_proba(self, X):
        return self.tree_.predict(X)

    def predict(self, X):
        return self.classes_.take(self.predict_proba(X).argmax(1))


def test_a_users_student_can_declare_soft_targets(data, xgb_teacher):
    X, y = data
    labels = np.array(["a", "b", "c"])[y]
    teacher = LogisticRegression(max_iter=500).fit(X, labels)
    model = DistilledClassifier(teacher, SoftRecorder(), temperature=2.0)
    model.fit(X, labels)
    assert soft_label_mode(SoftRecorder()) == "soft"
    raw = np.log(teacher.predict_proba(X)) / 2.0
    expected = np.exp(raw) / np.exp(raw).sum(1, keepdims=True)
    np.testing.assert_allclose(model.student_.targets_, expected, atol=1e-9)
    np.testing.assert_array_equal(model.student_.classes_, ["a", "b", "c"])


def test_active_sampling_gives_synthetic_rows_the_distillers_targets(data):
    X, y = data
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    model = DistilledClassifier(
        teacher,
        SoftRecorder(),
        temperature=3.0,
        augment=ActiveSampler(n_rounds=1, n_proposals=2, hard_targets=False),
        n_synthetic=50,
        random_state=0,
    ).fit(X, y)
    synthetic = model.student_.targets_[len(X) :]
    assert synthetic.shape == (50, 3)
    assert synthetic.max() < 0.99  # tempered probabilities, not one-hot rows


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
    assert soft_label_mode(SoftDecisionTreeClassifier()) == "soft"
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


def test_student_carries_feature_names_and_class_labels(data):
    # student_ predicted class indices and had no feature names, so sklearn's
    # export_text and ONNX exports lost both (issue 13).
    X, y = data
    names = [f"f{i}" for i in range(8)]
    frame = pd.DataFrame(X, columns=names)
    labels = np.array(["low", "mid", "high"])[y]
    teacher = LogisticRegression(max_iter=500).fit(frame, labels)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    student = model.fit(frame, labels).student_
    assert list(student.feature_names_in_) == names
    np.testing.assert_array_equal(
        student.predict(model.transform_for_student(frame)), model.predict(frame)
    )
    text = sklearn_export_text(student, feature_names=list(student.feature_names_in_))
    assert "class: high" in text and any(f"{n} <=" in text for n in names)

    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from skl2onnx.common.data_types import FloatTensorType

    onx = skl2onnx.convert_sklearn(
        student, initial_types=[("X", FloatTensorType([None, 8]))]
    )
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    X32 = X.astype(np.float32)
    onnx_labels = session.run(None, {"X": X32})[0]
    np.testing.assert_array_equal(
        onnx_labels, model.predict(pd.DataFrame(X32, columns=names))
    )


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
    assert list(model.student_.classes_) == ["dog", "eel"]
    assert model.predict_proba(X)[:, 0].max() == 0.0
    text = export_text(model)
    assert "class: dog" in text and "class: eel" in text


def test_a_bare_student_agrees_with_its_distiller(data):
    X, y = data
    labels = np.array(["x", "y", "z"])[y]
    teacher = LogisticRegression(max_iter=300).fit(X, labels)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3)).fit(
        X, labels
    )
    assert fidelity_score(teacher, model.student_, X) == model.fidelity(X)
    assert model.fidelity(X) == agreement(model, teacher, X)


def test_same_random_state_same_model(data, xgb_teacher):
    # A user's student was cloned unseeded: two fits disagreed on 154 of 600 labels.
    X, y = data

    def fit(student, seed=3):
        return DistilledClassifier(xgb_teacher, student, random_state=seed).fit(X, y)

    soft = SoftDecisionTreeClassifier(max_depth=3, max_epochs=3)
    np.testing.assert_array_equal(fit(soft).predict(X), fit(soft).predict(X))
    nested = make_pipeline(
        StandardScaler(), SoftDecisionTreeClassifier(max_depth=3, max_epochs=3)
    )
    np.testing.assert_array_equal(fit(nested).predict(X), fit(nested).predict(X))
    chosen = SoftDecisionTreeClassifier(max_depth=3, max_epochs=3, random_state=5)
    np.testing.assert_array_equal(
        fit(chosen, seed=3).predict(X), fit(chosen, seed=4).predict(X)
    )
    assert soft.random_state is None  # the user's estimator is left alone


# --------------------------------------------------------------------------------------
# Unlabeled and synthetic rows
# --------------------------------------------------------------------------------------


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


class Recorder:
    """An augmenter that remembers the rows it was asked to imitate."""

    def sample(self, X, n_samples):
        self.seen = len(X)
        return X[:n_samples]


def test_generators_imitate_labeled_and_unlabeled_rows(data, xgb_teacher):
    X, y = data
    recorder = Recorder()
    model = DistilledClassifier(xgb_teacher, augment=recorder, n_synthetic=20)
    model.fit(X[:100], y[:100], X_unlabeled=X[100:250])
    assert recorder.seen == 250
    assert model.n_distill_samples_ == 270


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


def test_a_named_teacher_after_a_pipeline_step_is_warned_about(data):
    # A scaler before the distiller handed an XGBoost teacher fitted on the raw
    # table standardised values, silently: held-out accuracy fell from about 0.99 to
    # 0.63 on breast cancer, with no warning (XGBoost reads arrays by position).
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    teacher = xgboost.XGBClassifier(n_estimators=20, max_depth=3).fit(frame, y)
    student = DecisionTreeClassifier(max_depth=3, random_state=0)
    pipe = make_pipeline(StandardScaler(), DistilledClassifier(teacher, student))
    with pytest.warns(UserWarning, match="no column names.*Pipeline step"):
        pipe.fit(frame, y)
    with warnings.catch_warnings():  # the raw table, named: nothing to say
        warnings.simplefilter("error")
        DistilledClassifier(teacher, student).fit(frame, y)


@pytest.mark.parametrize("distiller", [DistilledClassifier, DistilledRegressor])
def test_active_sampling_on_a_dataframe_is_free_of_feature_name_warnings(
    data, distiller
):
    # Its refitted students were asked about unnamed arrays: 30 "X does not have
    # valid feature names" warnings per fit.
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    if distiller is DistilledClassifier:
        teacher = RandomForestClassifier(20, random_state=0).fit(frame, y)
        student = DecisionTreeClassifier(max_depth=3, random_state=0)
    else:
        teacher = RandomForestRegressor(20, random_state=0).fit(frame, X[:, 0])
        student = DecisionTreeRegressor(max_depth=3, random_state=0)
    model = distiller(
        teacher, student, augment="active", n_synthetic=100, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(frame, y if distiller is DistilledClassifier else X[:, 0])
    assert model.n_distill_samples_ == len(X) + 100


def test_pipeline_step_with_a_raw_pool_says_what_to_do(data):
    # The pool skipped the preprocessing and failed deep inside with "could not
    # convert string to float" (issue 13).
    X, y = data
    frame = pd.DataFrame(X[:, :4], columns=list("abcd"))
    frame["colour"] = np.array(["red", "green", "blue"])[y]
    prep = make_column_transformer(
        (OneHotEncoder(), ["colour"]), remainder="passthrough"
    )
    pipe = Pipeline([("prep", prep), ("distill", DistilledClassifier(random_state=0))])
    with pytest.raises(ValueError, match="X_unlabeled.*Pipeline.*user guide"):
        pipe.fit(frame[:300], y[:300], distill__X_unlabeled=frame[300:])
    # What works: the distiller reads the table itself, the teacher its own way.
    teacher = make_pipeline(prep, LogisticRegression(max_iter=500))
    teacher.fit(frame[:300], y[:300])
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(frame[:300], y[:300], X_unlabeled=frame[300:])
    assert model.n_distill_samples_ == len(frame)
    assert model.categories_ == {"colour": ["blue", "green", "red"]}


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


# --------------------------------------------------------------------------------------
# Data, parameters and the errors users get
# --------------------------------------------------------------------------------------


def test_dataframe_with_categorical_column(data):
    X, y = data
    df = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    df["colour"] = pd.Categorical(np.array(["red", "green", "blue"])[y])
    df["flag"] = X[:, 4] > 0
    teacher = xgboost.XGBClassifier(
        n_estimators=10, enable_categorical=True, tree_method="hist"
    ).fit(df, y)
    model = DistilledClassifier(teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(df[:300], y[:300])
    assert list(model.feature_names_in_) == ["a", "b", "c", "d", "colour", "flag"]
    assert model.categories_ == {"colour": ["blue", "green", "red"]}
    assert agreement(model, teacher, df[300:]) > 0.9  # colour gives the class away


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
    "params, name",
    [
        (dict(temperature=0), "temperature"),
        (dict(temperature=float("nan")), "temperature"),
        (dict(alpha=2.0), "alpha"),
        (dict(targets="fuzzy"), "targets"),
        (dict(augment="smote"), "augment"),
        (dict(n_synthetic=-1), "n_synthetic"),
        (dict(teacher_batch_size=0), "teacher_batch_size"),
        # 2 silently turned soft targets into hard ones (issue 15).
        (dict(expansion_threshold=2), "expansion_threshold"),
        (dict(expansion_threshold=-0.1), "expansion_threshold"),
    ],
)
def test_bad_parameters(data, params, name):
    X, y = data
    with pytest.raises(ValueError, match=f"'{name}' parameter of DistilledClassifier"):
        DistilledClassifier(**params).fit(X, y)


def test_a_student_of_the_other_task_is_refused(data):
    # DecisionTreeRegressor as a classifier's student: predictions truncated to
    # int, fidelity 0.48 (issue 15).
    X, y = data
    with pytest.raises(TypeError, match="DecisionTreeRegressor is a regressor"):
        DistilledClassifier(student=DecisionTreeRegressor()).fit(X, y)
    Xr, yr = make_regression(n_samples=100, n_features=4, random_state=0)
    with pytest.raises(TypeError, match="DecisionTreeClassifier is a classifier"):
        DistilledRegressor(student=DecisionTreeClassifier()).fit(Xr, yr)


def test_negative_sample_weight_is_refused(data, xgb_teacher):
    # A tree student fell back to one leaf, fidelity 0.48 (issue 15).
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier())
    with pytest.raises(ValueError, match="sample_weight has negative values"):
        model.fit(X, y, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError, match="at least one non-zero"):
        model.fit(X, y, sample_weight=np.zeros(len(X)))
    knn = DistilledClassifier(xgb_teacher, KNeighborsClassifier())
    with pytest.raises(TypeError, match="KNeighborsClassifier.fit takes no"):
        knn.fit(X, y, sample_weight=np.ones(len(X)))


def test_bad_data(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=2))
    with pytest.raises(ValueError, match="only one class"):
        model.fit(X, np.zeros(len(X)))
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features"):
        model.predict(X[:, :5])
    with pytest.raises(ValueError, match=r"labels \[7\] that the teacher"):
        model.fit(X, np.where(y == 0, 7, y))
    with pytest.raises(TypeError, match="Cannot use object as a teacher"):
        DistilledClassifier(object()).fit(X, y)
    with pytest.raises(TypeError, match="is a regressor"):
        DistilledClassifier(xgboost.XGBRegressor(n_estimators=3).fit(X, y)).fit(X, y)


def test_string_columns_unseen_categories_and_saving(data, tmp_path):
    from interpretkd import io

    X, y = data
    df = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    df["colour"] = np.array(["red", "green", "blue"])[y]  # plain strings
    labels = np.array(["no", "yes", "maybe"])[y]
    model = DistilledClassifier(random_state=0).fit(df, labels)  # default teacher
    assert model.categories_ == {"colour": ["blue", "green", "red"]}  # sorted
    clone_xgb = DistilledClassifier(xgboost.XGBClassifier(n_estimators=5)).fit(
        X, labels
    )
    assert set(clone_xgb.teacher_predict(X)) <= {"no", "yes", "maybe"}
    new = df.head(3).assign(colour=["red", "purple", "blue"])
    with pytest.raises(ValueError, match=r"'colour' has categories not seen.*purple"):
        model.predict(new)
    path = io.save(model.without_teacher(), tmp_path / "student.skops")
    np.testing.assert_array_equal(io.load(path).predict(df), model.predict(df))


# --------------------------------------------------------------------------------------
# Inside scikit-learn's meta-estimators
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("Meta", [VotingClassifier, StackingClassifier])
def test_voting_and_stacking_with_a_teacher_of_string_classes(data, Meta):
    # They label-encode y first: "y contains labels [0, 1] that the teacher does
    # not predict" (issue 13).
    X, y = data
    labels = np.array(["ant", "bee", "cat"])[y]
    teacher = LogisticRegression(max_iter=500).fit(X, labels)
    distilled = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3, random_state=0)
    )
    kwargs = {"voting": "hard"} if Meta is VotingClassifier else {"cv": 2}
    meta = Meta([("distilled", distilled)], **kwargs).fit(X, labels)
    direct = clone(distilled).fit(X, labels).predict(X)
    if Meta is VotingClassifier:  # one voter: its decisions are the meta's
        np.testing.assert_array_equal(meta.predict(X), direct)
    else:
        assert set(meta.predict(X)) <= {"ant", "bee", "cat"}
        inner = meta.named_estimators_["distilled"]
        np.testing.assert_array_equal(inner.classes_, [0, 1, 2])
        np.testing.assert_array_equal(
            inner.predict(X), pd.Index(["ant", "bee", "cat"]).get_indexer(direct)
        )


# --------------------------------------------------------------------------------------
# The teacher detached and re-attached; regression; pickling; progress
# --------------------------------------------------------------------------------------


def test_without_and_with_teacher(data, xgb_teacher):
    X, y = data
    model = DistilledClassifier(xgb_teacher, DecisionTreeClassifier(max_depth=3))
    model.fit(X, y)
    light = model.without_teacher()
    assert light.teacher_ is None and model.teacher_ is xgb_teacher
    np.testing.assert_array_equal(light.predict(X), model.predict(X))
    with pytest.raises(NotFittedError, match="with_teacher"):
        light.fidelity(X)
    joined = light.with_teacher(xgb_teacher)
    assert joined.fidelity(X) == model.fidelity(X)
    binary = xgboost.XGBClassifier(n_estimators=2).fit(X, y > 0)
    with pytest.raises(ValueError, match="classes"):
        light.with_teacher(binary)


def test_saving_a_distiller_with_a_torch_teacher_names_the_way_out(data, tmp_path):
    torch = pytest.importorskip("torch")
    from interpretkd import io

    X, y = data
    model = DistilledClassifier(torch.nn.Linear(8, 3), random_state=0).fit(X, y)
    with pytest.raises(TypeError, match=r"model\.without_teacher\(\)"):
        io.save(model, tmp_path / "with_teacher.skops")
    path = io.save(model.without_teacher(), tmp_path / "student.skops")
    np.testing.assert_array_equal(io.load(path).predict(X), model.predict(X))


def test_regressor_follows_its_teacher_and_mixes_labels():
    X, y = make_regression(n_samples=400, n_features=5, noise=5.0, random_state=0)
    teacher = xgboost.XGBRegressor(n_estimators=30, max_depth=3).fit(X, y)
    model = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=6))
    model.fit(X[:300], y[:300])
    assert model.teacher_ is teacher
    r2 = r2_score(teacher.predict(X[300:]), model.predict(X[300:]))
    assert model.fidelity(X[300:]) == pytest.approx(r2)
    assert r2 > 0.7
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


def test_frames_with_repeated_names_or_dates_are_refused_by_name(data, xgb_teacher):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    twice = frame.set_axis([*frame.columns[:-1], "x0"], axis=1)
    with pytest.raises(ValueError, match="more than one column named 'x0'"):
        DistilledClassifier(xgb_teacher, DecisionTreeClassifier()).fit(twice, y)
    dated = frame.assign(seen=pd.date_range("2024-01-01", periods=len(frame)))
    with pytest.raises(TypeError, match=r"date or time column\(s\) 'seen'"):
        DistilledClassifier(None, DecisionTreeClassifier()).fit(dated, y)
