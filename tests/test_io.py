"""Tests of interpretkd.io: teacher files, student files, tables and safe writes."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from scipy.special import softmax
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import interpretkd
from interpretkd import io
from interpretkd.distill import DistilledClassifier, DistilledRegressor

# The package this test imports, for the scripts run in their own process.
PACKAGE_ROOT = str(Path(interpretkd.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(5)]), y


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(n_samples=300, n_features=4, noise=0.1, random_state=0)
    return pd.DataFrame(X, columns=[f"g{i}" for i in range(4)]), y


@pytest.fixture(scope="module")
def xgb_clf(clf_data):
    X, y = clf_data
    return xgb.XGBClassifier(n_estimators=10, max_depth=3, random_state=0).fit(X, y)


# --------------------------------------------------------------------------------------
# XGBoost teachers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_classifier_file_round_trip(tmp_path, clf_data, xgb_clf, suffix):
    X, _ = clf_data
    path = tmp_path / f"teacher{suffix}"
    xgb_clf.save_model(path)
    assert io.detect_format(path) == "xgboost" + suffix.replace(".", "-")
    teacher = io.load_teacher(path)
    assert isinstance(teacher, xgb.XGBClassifier)
    np.testing.assert_array_equal(teacher.classes_, [0, 1, 2])
    np.testing.assert_allclose(teacher.predict_proba(X), xgb_clf.predict_proba(X))
    assert io.model_feature_names(teacher) == list(X.columns)
    assert io.teacher_task(teacher) == "classification"


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_raw_booster_regression_file_is_a_regressor(tmp_path, reg_data, suffix):
    X, y = reg_data
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 3}, xgb.DMatrix(X, y), 10
    )
    path = tmp_path / f"teacher{suffix}"
    booster.save_model(path)
    teacher = io.load_teacher(path)
    assert isinstance(teacher, xgb.XGBRegressor)
    assert io.teacher_task(teacher) == "regression"
    np.testing.assert_allclose(
        teacher.predict(X), booster.predict(xgb.DMatrix(X)), rtol=1e-6
    )
    with pytest.raises(ValueError, match="regression model"):
        io.load_teacher(path, task="classification")


def test_raw_binary_booster_gets_two_classes(tmp_path, clf_data):
    X, y = clf_data
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, y > 0), 5)
    path = tmp_path / "binary.json"
    booster.save_model(path)
    teacher = io.load_teacher(path)
    np.testing.assert_array_equal(teacher.classes_, [0, 1])
    np.testing.assert_allclose(
        teacher.predict_proba(X)[:, 1], booster.predict(xgb.DMatrix(X)), rtol=1e-6
    )


def test_ranking_objective_needs_an_explicit_task(tmp_path, clf_data):
    X, y = clf_data
    dm = xgb.DMatrix(X, y)
    dm.set_group([100, 100, 100])
    path = tmp_path / "rank.json"
    xgb.train({"objective": "rank:pairwise"}, dm, 3).save_model(path)
    with pytest.raises(io.ModelFormatError, match="task='regression'"):
        io.load_teacher(path)
    assert io.teacher_task(io.load_teacher(path, task="regression")) == "regression"


def test_xgboost_file_is_read_by_content_whatever_its_suffix(
    tmp_path, clf_data, xgb_clf
):
    X, _ = clf_data
    for saved, named in ((".ubj", "model.json"), (".json", "model.ubj")):
        xgb_clf.save_model(tmp_path / f"real{saved}")
        renamed = tmp_path / named
        renamed.write_bytes((tmp_path / f"real{saved}").read_bytes())
        assert io.detect_format(renamed) == "xgboost" + saved.replace(".", "-")
        np.testing.assert_allclose(
            io.load_teacher(renamed).predict_proba(X), xgb_clf.predict_proba(X)
        )


def test_ranker_file_read_with_task_regression_gives_its_scores(tmp_path, clf_data):
    X, y = clf_data
    ranker = xgb.XGBRanker(n_estimators=5, random_state=0)
    ranker.fit(X, y, qid=np.repeat(np.arange(3), 100))
    path = tmp_path / "ranker.json"
    ranker.save_model(path)
    with pytest.raises(io.ModelFormatError, match="task='regression'"):
        io.load_teacher(path)
    teacher = io.load_teacher(path, task="regression")
    assert io.teacher_task(teacher) == "regression"
    np.testing.assert_allclose(teacher.predict(X), ranker.predict(X), rtol=1e-6)


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    corrupt = tmp_path / "broken.json"
    corrupt.write_text('{"learner": {"truncated')
    with pytest.raises(io.ModelFormatError, match="XGBoost model"):
        io.load_teacher(corrupt)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(io.ModelFormatError, match="empty"):
        io.load_teacher(empty)
    unknown = tmp_path / "weights.bin"
    unknown.write_bytes(bytes(range(7, 64)))
    with pytest.raises(io.ModelFormatError, match="Supported teacher files"):
        io.load_teacher(unknown)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.load_teacher(tmp_path / "absent.json")
    with pytest.raises(ValueError, match="task must be"):
        io.load_teacher(corrupt, task="ranking")


# --------------------------------------------------------------------------------------
# Pickles, skops, LightGBM, ONNX
# --------------------------------------------------------------------------------------


def test_pickle_is_refused_unless_trusted(tmp_path, clf_data):
    X, y = clf_data
    model = LogisticRegression().fit(X, y)
    for name in ("model.pkl", "model.joblib", "disguised.json"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(model))
        with pytest.raises(io.UntrustedFileError, match="runs") as info:
            io.load_teacher(path)
        assert "--trust-pickle" in str(info.value)
        loaded = io.load_teacher(path, trust_pickle=True)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_skops_teacher_trusts_sklearn_trees_but_not_other_types(
    tmp_path, clf_data, xgb_clf
):
    X, y = clf_data
    for model in (
        RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
        HistGradientBoostingClassifier(max_iter=3).fit(X, y),
    ):
        path = tmp_path / f"{type(model).__name__}.skops"
        sio.dump(model, path)
        assert io.detect_format(path) == "skops"
        np.testing.assert_array_equal(
            io.load_teacher(path).predict_proba(X), model.predict_proba(X)
        )
    path = tmp_path / "xgb.skops"
    sio.dump(xgb_clf, path)
    with pytest.raises(io.UntrustedFileError, match="xgboost.sklearn.XGBClassifier"):
        io.load_teacher(path)
    trusted = sio.get_untrusted_types(file=path)
    loaded = io.load_teacher(path, trusted=trusted)
    np.testing.assert_allclose(loaded.predict_proba(X), xgb_clf.predict_proba(X))


def test_skops_file_holding_no_model_is_refused(tmp_path):
    path = tmp_path / "list.skops"
    sio.dump([1, 2, 3], path)
    with pytest.raises(io.ModelFormatError, match="not a fitted model"):
        io.load_teacher(path)
    bad_zip = tmp_path / "bad.skops"
    bad_zip.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(io.ModelFormatError, match="skops"):
        io.load_teacher(bad_zip)


def test_lightgbm_text_model(tmp_path, clf_data, reg_data):
    lgb = pytest.importorskip("lightgbm")
    X, y = clf_data
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X.to_numpy(), y)
    path = tmp_path / "model.txt"
    model.booster_.save_model(path)
    assert io.detect_format(path) == "lightgbm"
    teacher = io.load_teacher(path)
    assert io.teacher_task(teacher) == "classification"
    np.testing.assert_array_equal(teacher.classes_, [0, 1, 2])
    np.testing.assert_allclose(
        teacher.predict_proba(X.to_numpy()), model.predict_proba(X.to_numpy())
    )
    assert io.model_feature_names(teacher) is None  # Column_i names are defaults
    assert io.model_n_features(teacher) == 5

    Xr, yr = reg_data
    reg = lgb.LGBMRegressor(n_estimators=5, verbose=-1).fit(Xr, yr)
    reg.booster_.save_model(tmp_path / "reg.txt")
    teacher = io.load_teacher(tmp_path / "reg.txt")
    assert io.teacher_task(teacher) == "regression"
    assert io.model_feature_names(teacher) == list(Xr.columns)
    np.testing.assert_allclose(teacher.predict(Xr), reg.predict(Xr))


def _damaged_lightgbm_files(directory: Path, text: bytes) -> list[Path]:
    """A LightGBM model cut at several points, and with a tree's arrays broken."""
    variants = {f"cut{k}": text[: len(text) * k // 10] for k in range(1, 10)}
    variants["cut-in-parameters"] = text[: text.index(b"end of parameters")]
    first_tree = text.index(b"\nTree=0")
    variants["no-leaf-values"] = text.replace(b"leaf_value=", b"leaf_values=", 1)
    variants["short-threshold"] = text[:first_tree] + text[first_tree:].replace(
        b"threshold=", b"threshold=x", 1
    )
    paths = []
    for name, data in variants.items():
        path = directory / f"{name}.txt"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_damaged_lightgbm_file_is_refused_not_a_process_abort(tmp_path, clf_data):
    # LightGBM itself aborts the process on most of these files (exit 134 or a
    # segmentation fault), so they are loaded in a process of their own.
    lgb = pytest.importorskip("lightgbm")
    X, y = clf_data
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    model.booster_.save_model(tmp_path / "model.txt")
    paths = _damaged_lightgbm_files(tmp_path, (tmp_path / "model.txt").read_bytes())
    script = (
        "import sys\n"
        "from interpretkd import io\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        io.load_teacher(path)\n"
        "        print('loaded', path)\n"
        "    except io.ModelFormatError as exc:\n"
        "        print('refused', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)],
        capture_output=True,
        text=True,
        errors="replace",
        env={**os.environ, "PYTHONPATH": PACKAGE_ROOT},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(paths)
    assert all(line.startswith("refused") for line in lines), lines
    assert all("not a complete LightGBM model" in line for line in lines)
    assert "[LightGBM]" not in result.stdout + result.stderr


def test_lightgbm_own_messages_stay_out_of_the_terminal(tmp_path, clf_data, capfd):
    lgb = pytest.importorskip("lightgbm")
    X, y = clf_data
    model = lgb.LGBMClassifier(n_estimators=3, verbose=-1).fit(X, y)
    model.booster_.save_model(tmp_path / "model.txt")
    text = (tmp_path / "model.txt").read_text()
    objective = next(line for line in text.splitlines() if line.startswith("objective"))
    (tmp_path / "odd.txt").write_text(text.replace(objective, "objective=nonsense"))
    with pytest.raises(io.ModelFormatError, match="Unknown objective type name"):
        io.load_teacher(tmp_path / "odd.txt")
    captured = capfd.readouterr()
    assert "[LightGBM]" not in captured.out + captured.err


def test_onnx_without_onnxruntime_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07\x12\x04test")
    assert io.detect_format(path) == "onnx"
    with pytest.raises(ImportError, match=r"interpretkd\[onnx\]"):
        io.load_teacher(path)


def test_onnx_classifier_round_trip(tmp_path, clf_data):
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    X, y = clf_data
    model = LogisticRegression().fit(X.to_numpy(), y)
    onx = skl2onnx.to_onnx(model, X.to_numpy()[:1].astype(np.float32))
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    teacher = io.load_teacher(path)
    assert io.teacher_task(teacher) == "classification"
    np.testing.assert_allclose(
        teacher.predict_proba(X.to_numpy()),
        model.predict_proba(X.to_numpy()),
        atol=1e-5,
    )
    # Its probabilities say it is a classifier, whatever task is asked for.
    with pytest.raises(ValueError, match="gives class probabilities"):
        io.load_teacher(path, task="regression")


# --------------------------------------------------------------------------------------
# Torch files and ONNX graphs exported from torch
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_net():
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    with torch.no_grad():
        for param in net.parameters():
            param.copy_(torch.randn(param.shape, generator=generator))
    return net


def _net_output(net, X) -> np.ndarray:
    import torch

    with torch.no_grad():
        return net(torch.tensor(X.to_numpy(), dtype=torch.float32)).numpy()


def test_torch_and_skops_zips_are_told_apart_by_content(tmp_path, torch_net, clf_data):
    import torch

    X, y = clf_data
    torch.save(torch_net, tmp_path / "net.skops")  # names do not decide
    torch.save(torch_net.state_dict(), tmp_path / "weights.skops")
    torch.jit.save(torch.jit.script(torch_net), tmp_path / "scripted.skops")
    sio.dump(LogisticRegression().fit(X, y), tmp_path / "model.pt")
    assert io.detect_format(tmp_path / "net.skops") == "torch"
    assert io.detect_format(tmp_path / "weights.skops") == "torch"
    assert io.detect_format(tmp_path / "scripted.skops") == "torchscript"
    assert io.detect_format(tmp_path / "model.pt") == "skops"
    with pytest.raises(io.ModelFormatError, match="PyTorch module"):
        io.load(tmp_path / "net.skops")


def test_whole_torch_module_loads_only_when_trusted(tmp_path, torch_net, clf_data):
    import torch

    X, _ = clf_data
    torch.save(torch_net, tmp_path / "net.pt")
    torch.jit.save(torch.jit.script(torch_net), tmp_path / "scripted.pt")
    expected = softmax(_net_output(torch_net, X), axis=1)
    for name in ("net.pt", "scripted.pt"):
        with pytest.raises(io.UntrustedFileError, match="--trust-pickle"):
            io.load_teacher(tmp_path / name)
        teacher = io.load_teacher(tmp_path / name, trust_pickle=True)
        assert io.teacher_task(teacher) == "classification"
        np.testing.assert_allclose(teacher.predict_proba(X), expected, rtol=1e-5)
    regressor = io.load_teacher(
        tmp_path / "net.pt", trust_pickle=True, task="regression"
    )
    assert io.teacher_task(regressor) == "regression"


def test_torch_state_dict_is_refused_with_the_way_out(tmp_path, torch_net):
    import torch

    torch.save(torch_net.state_dict(), tmp_path / "weights.pt")
    for trust_pickle in (False, True):
        with pytest.raises(io.ModelFormatError, match="state dict.*load_state_dict"):
            io.load_teacher(tmp_path / "weights.pt", trust_pickle=trust_pickle)


def _export_onnx(net, path, output_name):
    import torch

    torch.onnx.export(
        net,
        torch.zeros(1, 5),
        path,
        input_names=["rows"],
        output_names=[output_name],
        dynamic_axes={"rows": {0: "n"}, output_name: {0: "n"}},
        dynamo=False,
    )


@pytest.mark.parametrize(
    "output_name, ends_in_softmax",
    [("logits", False), ("output", False), ("output", True), ("probabilities", True)],
)
def test_onnx_export_of_a_torch_classifier_teaches_its_probabilities(
    tmp_path, torch_net, clf_data, output_name, ends_in_softmax
):
    pytest.importorskip("onnxruntime")
    import torch

    X, _ = clf_data
    net = torch.nn.Sequential(torch_net, torch.nn.Softmax(dim=1))
    _export_onnx(
        net if ends_in_softmax else torch_net, tmp_path / "m.onnx", output_name
    )
    teacher = io.load_teacher(tmp_path / "m.onnx")
    assert io.teacher_task(teacher) == "classification"
    expected = softmax(_net_output(torch_net, X), axis=1)
    np.testing.assert_allclose(teacher.predict_proba(X), expected, atol=1e-5)
    explicit = io.load_teacher(tmp_path / "m.onnx", task="classification")
    np.testing.assert_allclose(explicit.predict_proba(X), expected, atol=1e-5)
    with pytest.raises(ValueError, match="one target at a time|class probabilities"):
        io.load_teacher(tmp_path / "m.onnx", task="regression")


def test_explicit_task_reads_a_one_column_onnx_output_as_a_margin(
    tmp_path, torch_net, clf_data
):
    pytest.importorskip("onnxruntime")
    import torch

    X, _ = clf_data
    net = torch.nn.Sequential(torch_net, torch.nn.Linear(3, 1))
    _export_onnx(net, tmp_path / "score.onnx", "score")
    margin = _net_output(net, X)[:, 0]
    guessed = io.load_teacher(tmp_path / "score.onnx")
    assert io.teacher_task(guessed) == "regression"
    np.testing.assert_allclose(guessed.predict(X), margin, rtol=1e-5, atol=1e-6)
    teacher = io.load_teacher(tmp_path / "score.onnx", task="classification")
    assert io.teacher_task(teacher) == "classification"
    np.testing.assert_allclose(
        teacher.predict_proba(X)[:, 1], 1 / (1 + np.exp(-margin)), atol=1e-5
    )


# --------------------------------------------------------------------------------------
# Plain objects as teachers
# --------------------------------------------------------------------------------------


class PlainClassifier:
    """What a user may write: no scikit-learn base class, just the methods."""

    def __init__(self, weights):
        self.weights = np.asarray(weights, dtype=float)

    def predict_proba(self, X):
        z = np.asarray(X, dtype=float) @ self.weights
        return np.column_stack([1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z))])

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


class PlainRegressor:
    def __init__(self, weights):
        self.weights = np.asarray(weights, dtype=float)

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.weights


def test_trusted_plain_object_in_a_skops_file_is_a_teacher(tmp_path, clf_data):
    X, y = clf_data
    y = (y == 2).astype(int)
    model = PlainClassifier([1.0, -1.0, 0.5, 0.0, 0.2])
    sio.dump(model, tmp_path / "plain.skops")
    name = f"{PlainClassifier.__module__}.PlainClassifier"
    with pytest.raises(io.UntrustedFileError, match="PlainClassifier"):
        io.load_teacher(tmp_path / "plain.skops")
    teacher = io.load_teacher(tmp_path / "plain.skops", trusted=[name])
    assert io.teacher_task(teacher) == "classification"
    np.testing.assert_allclose(teacher.predict_proba(X), model.predict_proba(X))
    distilled = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=3), random_state=0
    ).fit(X, y)
    assert distilled.fidelity(X) > 0.8

    regressor = PlainRegressor([1.0, 2.0, 0.0, 0.0, -1.0])
    sio.dump(regressor, tmp_path / "reg.skops")
    trusted = [f"{PlainRegressor.__module__}.PlainRegressor"]
    with pytest.raises(io.ModelFormatError, match="predict but no predict_proba"):
        io.load_teacher(tmp_path / "reg.skops", trusted=trusted)
    teacher = io.load_teacher(
        tmp_path / "reg.skops", trusted=trusted, task="regression"
    )
    np.testing.assert_allclose(teacher.predict(X), regressor.predict(X))


# --------------------------------------------------------------------------------------
# Students: save and load
# --------------------------------------------------------------------------------------


def _distilled(clf_data, xgb_clf, student=None):
    X, y = clf_data
    student = student or DecisionTreeClassifier(max_depth=3, random_state=0)
    return DistilledClassifier(xgb_clf, student, random_state=0).fit(X, y)


def test_save_and_load_a_student_without_its_teacher(tmp_path, clf_data, xgb_clf):
    X, _ = clf_data
    distilled = _distilled(clf_data, xgb_clf)
    path = io.save(io.without_teacher(distilled), tmp_path / "student.skops")
    loaded = io.load(path)
    assert loaded.teacher_ is None and loaded.teacher is None
    assert distilled.teacher_ is xgb_clf  # the original keeps its teacher
    np.testing.assert_array_equal(loaded.predict(X), distilled.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), distilled.predict_proba(X))
    assert io.model_feature_names(loaded) == list(X.columns)
    joined = io.with_teacher(loaded, io.load_teacher(_save_xgb(tmp_path, xgb_clf)))
    assert joined.fidelity(X) == pytest.approx(distilled.fidelity(X))


def _save_xgb(tmp_path, model):
    path = tmp_path / "teacher.json"
    model.save_model(path)
    return path


def test_with_teacher_refuses_another_teacher(tmp_path, clf_data, reg_data, xgb_clf):
    X, y = clf_data
    distilled = io.without_teacher(_distilled(clf_data, xgb_clf))
    binary = xgb.XGBClassifier(n_estimators=3).fit(X, y > 0)
    with pytest.raises(ValueError, match="classes"):
        io.with_teacher(distilled, binary)
    Xr, yr = reg_data
    regressor = xgb.XGBRegressor(n_estimators=3).fit(Xr, yr)
    with pytest.raises(TypeError, match="regression model"):
        io.with_teacher(distilled, regressor)
    with pytest.raises(TypeError, match="distiller"):
        io.with_teacher(LogisticRegression(), xgb_clf)


def test_soft_tree_student_saves_without_torch_state(tmp_path, clf_data, xgb_clf):
    from interpretkd.soft_tree import SoftDecisionTreeClassifier

    X, _ = clf_data
    student = SoftDecisionTreeClassifier(max_depth=2, max_epochs=3, random_state=0)
    distilled = _distilled(clf_data, xgb_clf, student)
    path = io.save(io.without_teacher(distilled), tmp_path / "soft.skops")
    assert not [t for t in sio.get_untrusted_types(file=path) if "torch" in t]
    loaded = io.load(path)
    np.testing.assert_allclose(loaded.predict_proba(X), distilled.predict_proba(X))


def test_regression_student_round_trip(tmp_path, reg_data):
    X, y = reg_data
    teacher = xgb.XGBRegressor(n_estimators=10).fit(X, y)
    distilled = DistilledRegressor(
        teacher, DecisionTreeRegressor(max_depth=3), random_state=0
    ).fit(X, y)
    loaded = io.load(io.save(io.without_teacher(distilled), tmp_path / "r.skops"))
    np.testing.assert_allclose(loaded.predict(X), distilled.predict(X))


def test_save_refuses_to_overwrite_and_leaves_no_temporary_file(
    tmp_path, clf_data, xgb_clf
):
    X, y = clf_data
    path = tmp_path / "student.skops"
    first = LogisticRegression().fit(X, y)
    io.save(first, path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        io.save(DecisionTreeClassifier().fit(X, y), path)
    assert path.read_bytes() == before
    io.save(DecisionTreeClassifier(max_depth=1).fit(X, y), path, overwrite=True)
    assert isinstance(io.load(path), DecisionTreeClassifier)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student.skops"]


def test_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError, match="interrupted"):
        with io.atomic_output(path, overwrite=True) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        io.write_bytes(tmp_path / "no" / "such" / "dir.txt", b"x")
    with pytest.raises(IsADirectoryError):
        io.write_bytes(tmp_path, b"x", overwrite=True)


def test_a_link_to_nowhere_is_not_written_through(tmp_path):
    link = tmp_path / "out.csv"
    target = tmp_path / "elsewhere" / "out.csv"
    link.symlink_to(target)
    with pytest.raises(FileExistsError, match="link to .* which does not exist"):
        io.write_bytes(link, b"new")
    assert link.is_symlink() and not target.parent.exists()
    io.write_bytes(link, b"new", overwrite=True)
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_save_refuses_torch_objects(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="torch"):
        io.save({"weights": torch.zeros(3)}, tmp_path / "t.skops")
    assert not list(tmp_path.iterdir())


def test_save_error_gives_skops_reason_and_blames_torch_only_when_present(tmp_path):
    unwritable = {"rows": (i for i in range(3))}  # skops cannot write a generator
    with pytest.raises(TypeError, match="generator") as info:
        io.save(unwritable, tmp_path / "g.skops")
    assert "torch" not in str(info.value)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"torch object \(torch\.nn\..*Linear\)"):
        io.save({**unwritable, "net": [torch.nn.Linear(2, 2)]}, tmp_path / "t.skops")
    assert not list(tmp_path.iterdir())


def test_load_refuses_untrusted_types_and_other_files(tmp_path, clf_data, xgb_clf):
    path = tmp_path / "xgb.skops"
    sio.dump(xgb_clf, path)
    with pytest.raises(io.UntrustedFileError, match="--trust xgboost"):
        io.load(path)
    teacher_file = _save_xgb(tmp_path, xgb_clf)
    with pytest.raises(io.ModelFormatError, match="load_teacher"):
        io.load(teacher_file)
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "absent.skops")


# --------------------------------------------------------------------------------------
# Tables and columns
# --------------------------------------------------------------------------------------


def test_prepare_features_matches_by_name_and_says_which(clf_data):
    X, _ = clf_data
    names = list(X.columns)
    shuffled = X[names[::-1]]
    out = io.prepare_features(shuffled, feature_names=names)
    assert list(out.columns) == names
    with pytest.raises(ValueError, match="lacks 1 column.*'f2'"):
        io.prepare_features(X.drop(columns=["f2"]), feature_names=names)
    with pytest.raises(ValueError, match="does not know: 'id'"):
        io.prepare_features(X.assign(id=1), feature_names=names)
    out = io.prepare_features(X.assign(id=1), feature_names=names, allow_extra=True)
    assert list(out.columns) == names
    with pytest.raises(ValueError, match="has 4 feature column.*takes 5"):
        io.prepare_features(X.iloc[:, :4], n_features=5)


def test_prepare_features_refuses_text_and_infinity(clf_data):
    X, _ = clf_data
    text = X.assign(f1=np.where(X["f1"] > 0, "high", "low"))
    with pytest.raises(ValueError, match="'f1' are not numeric.*Encode"):
        io.prepare_features(text)
    inf = X.copy()
    inf.loc[3, "f4"] = np.inf
    with pytest.raises(ValueError, match="'f4' contain infinite"):
        io.prepare_features(inf)
    flags = io.prepare_features(X.assign(flag=X["f0"] > 0))
    assert flags["flag"].dtype == np.float64
    with_nan = X.copy()
    with_nan.loc[0, "f0"] = np.nan
    assert np.isnan(io.prepare_features(with_nan).loc[0, "f0"])


def test_read_and_write_tables(tmp_path, clf_data):
    X, _ = clf_data
    path = io.write_table(X, tmp_path / "x.csv")
    pd.testing.assert_frame_equal(io.read_table(path), X)
    with pytest.raises(FileExistsError):
        io.write_table(X, path)
    tsv = io.write_table(X, tmp_path / "x.tsv")
    pd.testing.assert_frame_equal(io.read_table(tsv), X)
    with pytest.raises(ValueError, match="unknown table format '.xlsx'"):
        io.read_table(_touch(tmp_path / "x.xlsx"))
    with pytest.raises(ValueError, match="empty"):
        io.read_table(_touch(tmp_path / "empty.csv"))


def _touch(path):
    path.write_bytes(b"")
    return path


def test_parquet_round_trip(tmp_path, clf_data):
    pytest.importorskip("pyarrow")
    X, _ = clf_data
    path = io.write_table(X, tmp_path / "x.parquet")
    pd.testing.assert_frame_equal(io.read_table(path), X)
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "x.parquet"), X)


def test_parquet_without_an_engine_says_what_to_install(
    tmp_path, clf_data, monkeypatch
):
    X, _ = clf_data

    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow'.")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_engine)
    monkeypatch.setattr(pd, "read_parquet", no_engine)
    with pytest.raises(ImportError, match="pip install pyarrow"):
        io.write_table(X, tmp_path / "x.parquet")
    assert not list(tmp_path.iterdir())  # no half-written file left behind
    (tmp_path / "y.parquet").write_bytes(b"PAR1")
    with pytest.raises(ImportError, match="pip install pyarrow"):
        io.read_table(tmp_path / "y.parquet")


def test_read_table_refuses_repeated_names_and_a_last_line_cut_short(
    tmp_path, clf_data
):
    X, _ = clf_data
    (tmp_path / "twice.csv").write_text("a,b,a\n1,2,3\n4,5,6\n")
    with pytest.raises(ValueError, match="more than one column named 'a'"):
        io.read_table(tmp_path / "twice.csv")
    text = X.to_csv(index=False).rstrip("\n")
    last_line = text.rsplit("\n", 1)[1]
    (tmp_path / "cut.csv").write_text(text[: -len(last_line) // 2])
    with pytest.raises(ValueError, match=r"cut short \(line 301\)"):
        io.read_table(tmp_path / "cut.csv")
    (tmp_path / "whole.csv").write_text(text)  # no final line break
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "whole.csv"), X)


def test_prepare_features_gives_text_to_a_model_that_takes_it(clf_data):
    X, y = clf_data
    frame = X.assign(colour=np.where(X["f0"] > 0, "red", "blue"))
    encode = make_column_transformer(
        (OneHotEncoder(), ["colour"]), remainder="passthrough"
    )
    pipeline = make_pipeline(encode, LogisticRegression(max_iter=500)).fit(frame, y)
    names = list(frame.columns)
    out = io.prepare_features(frame, feature_names=names, model=pipeline)
    assert list(out["colour"]) == list(frame["colour"])
    numbers_only = LogisticRegression(max_iter=500).fit(
        frame.assign(colour=(frame["colour"] == "red").astype(float)), y
    )
    with pytest.raises(ValueError, match="'colour'.*does not take them as they are"):
        io.prepare_features(frame, feature_names=names, model=numbers_only)
    with pytest.raises(ValueError, match="'colour' are not numeric"):
        io.prepare_features(frame, feature_names=names)


def test_prepare_features_refuses_repeated_names_and_dates(clf_data):
    X, _ = clf_data
    twice = X.copy()
    twice.columns = ["f0", "f1", "f2", "f0", "f4"]
    with pytest.raises(ValueError, match="more than one column named 'f0'"):
        io.prepare_features(twice)
    dated = X.assign(seen=pd.date_range("2024-01-01", periods=len(X), freq="h"))
    with pytest.raises(TypeError, match=r"date or time column\(s\) 'seen'"):
        io.prepare_features(dated)
