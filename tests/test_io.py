"""Tests of interpretkd.io: teacher files, student files, tables and safe writes."""

from __future__ import annotations

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import io
from interpretkd.distill import DistilledClassifier, DistilledRegressor


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
