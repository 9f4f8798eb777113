"""Teacher adapters: the same answers as the model, never a change to the model."""

import pickle

import numpy as np
import pytest
import torch
import xgboost
from scipy.special import softmax
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from interpretkd.teachers import (
    CallableTeacher,
    EnsembleTeacher,
    as_teacher,
)


@pytest.fixture(scope="module")
def data3():
    return make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def test_sklearn_classifier_probabilities_and_no_mutation(data3):
    X, y = data3
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    before = pickle.dumps(model)
    teacher = as_teacher(model, batch_size=17)
    np.testing.assert_allclose(teacher.predict_proba(X), model.predict_proba(X))
    assert teacher.predict_logits(X) is None
    np.testing.assert_array_equal(teacher.predict(X), model.predict(X))
    assert pickle.dumps(model) == before


def test_boosting_logits_reproduce_probabilities(data3):
    X, y = data3
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    teacher = as_teacher(model)
    assert teacher.has_logits
    np.testing.assert_allclose(
        teacher.soft_targets(X, 1.0), model.predict_proba(X), atol=1e-6
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_xgboost_margin_is_used_as_logits(n_classes):
    X, y = make_classification(
        n_samples=200,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(X, y)
    teacher = as_teacher(model)
    logits = teacher.predict_logits(X)
    assert logits.shape == (len(X), n_classes)
    np.testing.assert_allclose(
        softmax(logits, axis=1), model.predict_proba(X), atol=1e-5
    )
    hot = teacher.soft_targets(X, 4.0)
    assert np.all(hot.max(axis=1) <= teacher.soft_targets(X, 1.0).max(axis=1) + 1e-12)


def test_raw_booster_reads_its_task_from_the_objective():
    X, y = make_classification(
        n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=1
    )
    clf = xgboost.XGBClassifier(n_estimators=5).fit(X, y)
    teacher = as_teacher(clf.get_booster())
    assert teacher.is_classifier and list(teacher.classes_) == [0, 1, 2]
    np.testing.assert_allclose(
        teacher.predict_proba(X), clf.predict_proba(X), atol=1e-5
    )

    Xr, yr = make_regression(n_samples=100, n_features=4, random_state=0)
    reg = xgboost.XGBRegressor(n_estimators=5).fit(Xr, yr)
    rteacher = as_teacher(reg.get_booster())
    assert not rteacher.is_classifier
    np.testing.assert_allclose(rteacher.predict(Xr), reg.predict(Xr), rtol=1e-5)
    with pytest.raises(TypeError, match="regression teacher"):
        rteacher.predict_proba(Xr)


def test_lightgbm_models():
    lightgbm = pytest.importorskip("lightgbm")
    X, y = make_classification(n_samples=200, n_features=5, random_state=0)
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    for obj in (model, model.booster_):
        teacher = as_teacher(obj)
        assert teacher.is_classifier
        np.testing.assert_allclose(
            teacher.predict_proba(X), model.predict_proba(X), atol=1e-6
        )


def test_pipeline_and_decision_function_teachers(data3):
    X, y = data3
    pipe = make_pipeline(StandardScaler(), LinearSVC(random_state=0)).fit(X, y)
    teacher = as_teacher(pipe)
    proba = teacher.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(teacher.predict(X), pipe.predict(X))


def test_torch_module_batched_eval_and_training_flag_restored(data3):
    X, _ = data3
    gen = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3)
    )
    for p in net.parameters():
        torch.nn.init.normal_(p, generator=gen)
    net.train()
    teacher = as_teacher(net, classes=["a", "b", "c"], batch_size=13)
    a = teacher.predict_proba(X)
    b = teacher.predict_proba(X)
    np.testing.assert_allclose(a, b)  # eval mode: dropout off, deterministic
    assert net.training
    with torch.no_grad():
        net.eval()
        ref = torch.softmax(net(torch.as_tensor(X, dtype=torch.float32)), 1).numpy()
    np.testing.assert_allclose(a, ref, atol=1e-5)
    assert set(teacher.predict(X)) <= {"a", "b", "c"}


def test_callable_teacher_declared_outputs(data3):
    X, _ = data3
    logits = X[:, :3]
    t_logits = as_teacher(lambda Z: Z[:, :3], output="logits", classes=[0, 1, 2])
    np.testing.assert_allclose(t_logits.soft_targets(X, 2.0), softmax(logits / 2, 1))
    t_proba = CallableTeacher(lambda Z: softmax(Z[:, :3], 1), classes=[0, 1, 2])
    np.testing.assert_allclose(t_proba.soft_targets(X, 2.0), softmax(logits / 2, 1))
    with pytest.raises(ValueError, match="output must be"):
        CallableTeacher(lambda Z: Z, output="scores")


def test_list_of_teachers_averages_tempered_distributions(data3):
    X, y = data3
    a = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    b = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
    ens = as_teacher([a, b])
    assert isinstance(ens, EnsembleTeacher)
    expected = 0.5 * (
        as_teacher(a).soft_targets(X, 3.0) + as_teacher(b).soft_targets(X, 3.0)
    )
    np.testing.assert_allclose(ens.soft_targets(X, 3.0), expected)
    with pytest.raises(ValueError, match="one kind"):
        as_teacher([a, LinearRegression().fit(X, y)])


def test_unsupported_teacher_and_bad_temperature(data3):
    X, _ = data3
    with pytest.raises(TypeError, match="Cannot use object as a teacher"):
        as_teacher(object())
    teacher = as_teacher(lambda Z: softmax(Z[:, :2], 1), classes=[0, 1])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        teacher.soft_targets(X, 0.0)
    with pytest.raises(TypeError, match="temperature must be a positive number"):
        teacher.soft_targets(X, "hot")
