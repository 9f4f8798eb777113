"""Teacher adapters: the same answers as the model, never a change to the model, and
outputs that are not what a teacher must give refused with the teacher named."""

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

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
    booster_task,
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


def test_boosting_logits_are_its_decision_function(data3):
    X, y = data3
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    logits = as_teacher(model).predict_logits(X)
    np.testing.assert_allclose(logits, model.decision_function(X))
    np.testing.assert_allclose(softmax(logits, 1), model.predict_proba(X), atol=1e-6)


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
    logits = as_teacher(model).predict_logits(X)
    assert logits.shape == (len(X), n_classes)
    np.testing.assert_allclose(
        softmax(logits, axis=1), model.predict_proba(X), atol=1e-5
    )


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


@pytest.mark.parametrize(
    "library, objective, task",
    [
        ("xgboost", "binary:logistic", "classification"),
        ("xgboost", "multi:softprob", "classification"),
        ("xgboost", "reg:squarederror", "regression"),
        ("xgboost", "count:poisson", "regression"),
        ("xgboost", "rank:pairwise", None),
        ("lightgbm", "multiclassova", "classification"),
        ("lightgbm", "tweedie", "regression"),
        ("lightgbm", "lambdarank", None),
    ],
)
def test_booster_objectives_map_to_a_task(library, objective, task):
    assert booster_task(library, objective) == task


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
    np.testing.assert_allclose(proba, softmax(pipe.decision_function(X), axis=1))
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
    np.testing.assert_array_equal(
        teacher.predict(X), np.array(["a", "b", "c"])[ref.argmax(1)]
    )


class _ClampsInPlace(torch.nn.Module):
    """A module that writes into its input, as ``x.clamp_`` does."""

    def forward(self, x):
        return torch.cat([x.clamp_(min=0.0)[:, :2], -x[:, :1]], dim=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_teacher_leaves_read_only_rows_untouched(dtype):
    # Dask blocks and views of frames are read-only: the module gets its own copy
    # to write into, and the caller's rows keep their values.
    X = np.linspace(-1.0, 1.0, 12, dtype=dtype).reshape(4, 3)
    before = X.copy()
    X.setflags(write=False)
    out = as_teacher(_ClampsInPlace(), output="values").predict_values(X)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_allclose(out[:, 2], -np.maximum(before[:, 0], 0.0))


def test_torch_teacher_on_read_only_rows_warns_nothing():
    """torch warns once per process about read-only arrays, so the check runs in a
    fresh one."""
    code = textwrap.dedent("""
        import warnings
        import numpy as np
        import torch
        from interpretkd.teachers import as_teacher

        warnings.simplefilter("error")
        net = torch.nn.Linear(3, 2)
        for dtype in (np.float32, np.float64):
            X = np.ones((4, 3), dtype=dtype)
            X.setflags(write=False)
            as_teacher(net).predict_proba(X)
        print("ok")
    """)
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],  # this checkout's interpretkd
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.strip() == "ok", run.stderr[-2000:]


def test_callable_teacher_declared_outputs(data3):
    X, _ = data3
    logits = X[:, :3]
    t_logits = as_teacher(lambda Z: Z[:, :3], output="logits", classes=[0, 1, 2])
    np.testing.assert_allclose(t_logits.predict_logits(X), logits)
    np.testing.assert_allclose(t_logits.predict_proba(X), softmax(logits, 1))
    t_proba = CallableTeacher(lambda Z: softmax(Z[:, :3], 1), classes=[0, 1, 2])
    assert t_proba.predict_logits(X) is None
    np.testing.assert_allclose(t_proba.predict_proba(X), softmax(logits, 1))
    with pytest.raises(ValueError, match="output must be"):
        CallableTeacher(lambda Z: Z, output="scores")


def test_list_of_teachers_averages_their_probabilities(data3):
    X, y = data3
    a = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    b = HistGradientBoostingClassifier(max_iter=10).fit(X, y)
    ens = as_teacher([a, b])
    assert isinstance(ens, EnsembleTeacher)
    expected = 0.5 * (a.predict_proba(X) + b.predict_proba(X))
    np.testing.assert_allclose(ens.predict_proba(X), expected)
    weighted = EnsembleTeacher([a, b], weights=[3, 1])
    expected = 0.75 * a.predict_proba(X) + 0.25 * b.predict_proba(X)
    np.testing.assert_allclose(weighted.predict_proba(X), expected)
    with pytest.raises(ValueError, match="one kind"):
        as_teacher([a, LinearRegression().fit(X, y)])


def test_unsupported_teacher():
    with pytest.raises(TypeError, match="Cannot use object as a teacher"):
        as_teacher(object())


def test_with_classes_renames_the_columns_and_leaves_the_adapter(data3):
    X, y = data3
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    teacher = as_teacher(model)
    named = as_teacher(teacher, classes=["x", "y", "z"])
    np.testing.assert_array_equal(
        named.predict(X), np.array(["x", "y", "z"])[model.predict(X)]
    )
    np.testing.assert_array_equal(teacher.predict(X), model.predict(X))


# What a teacher returns is checked before anything uses it (issue 15).
def my_logits(X):
    return X[:, :2]


@pytest.mark.parametrize(
    "fn, match",
    [
        # Logits declared (by default) as probabilities: negative "probabilities".
        (my_logits, "teacher my_logits .* negative .*output='logits'"),
        # All-zero rows are not distributions.
        (lambda X: np.zeros((len(X), 2)), "do not sum to 1 .*sums to 0"),
        # NaN from the teacher, named; not "Input sample_weight contains NaN".
        (lambda X: np.full((len(X), 2), np.nan), "returned NaN .* 600 of 600 rows"),
        # Three rows for six hundred.
        (lambda X: np.full((3, 2), 0.5), "returned 3 rows for 600 input rows"),
    ],
)
def test_outputs_that_are_not_distributions_are_refused(fn, match):
    X = np.random.default_rng(0).normal(size=(600, 4))
    with pytest.raises(ValueError, match=match):
        as_teacher(fn, classes=[0, 1]).predict_proba(X)


def test_regression_outputs_are_checked_too():
    X = np.ones((10, 2))
    teacher = as_teacher(lambda Z: np.full(len(Z), np.inf), output="values")
    with pytest.raises(ValueError, match="NaN or infinite outputs for 10 of 10"):
        teacher.predict_values(X)
