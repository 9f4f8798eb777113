"""End-to-end tests of the ``interpretkd`` console script.

The distillations run the real script in a subprocess (``python -m interpretkd``),
once per teacher file, in a module-scoped fixture; error cases run in-process through
click's ``CliRunner``, which is much faster and sees the same exit codes and messages.
"""

from __future__ import annotations

import itertools
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from click.testing import CliRunner
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import interpretkd
from interpretkd import io
from interpretkd.cli import main

# The scripts run the package this test imports.
PACKAGE_ROOT = str(Path(interpretkd.__file__).resolve().parents[1])
ENV = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": PACKAGE_ROOT}


def start_script(*args: str) -> subprocess.Popen:
    """Start the console script exactly as a user would, in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "interpretkd", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def run_script(*args: str) -> subprocess.CompletedProcess:
    return finish(start_script(*args))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def _classification_frame():
    X, y = make_classification(
        n_samples=240, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    frame = pd.DataFrame(X, columns=["age", "dose", "height", "weight", "score"])
    frame["label"] = y
    return frame


def _regression_frame():
    X, y = make_regression(n_samples=240, n_features=4, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["value"] = y
    return frame


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """Data, teacher files (JSON and UBJ, classifier and regressor) and students."""
    root = tmp_path_factory.mktemp("cli")
    clf = _classification_frame()
    reg = _regression_frame()
    clf.to_csv(root / "clf.csv", index=False)
    reg.to_csv(root / "reg.csv", index=False)
    clf.drop(columns=["label"]).iloc[:60].to_csv(root / "pool.csv", index=False)
    features = clf.drop(columns=["label"])
    teacher = xgb.XGBClassifier(n_estimators=20, max_depth=3, random_state=0)
    teacher.fit(features, clf["label"])
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 3},
        xgb.DMatrix(reg.drop(columns=["value"]), reg["value"]),
        20,
    )
    for suffix in ("json", "ubj"):
        teacher.save_model(root / f"clf.{suffix}")
        booster.save_model(root / f"reg.{suffix}")

    # The four distillations run side by side: most of their time is start-up.
    started = {}
    for suffix in ("json", "ubj"):
        started[f"clf.{suffix}"] = start_script(
            "distill",
            str(root / f"clf.{suffix}"),
            "--data",
            str(root / "clf.csv"),
            "--target",
            "label",
            "--student",
            "tree" if suffix == "json" else "soft-tree",
            "--max-depth",
            "3",
            "--out",
            str(root / f"clf-{suffix}.skops"),
            *(
                (
                    "--render",
                    str(root / "clf.svg"),
                    "--unlabeled",
                    str(root / "pool.csv"),
                )
                if suffix == "json"
                else ("--quiet",)
            ),
        )
        started[f"reg.{suffix}"] = start_script(
            "distill",
            str(root / f"reg.{suffix}"),
            "--data",
            str(root / "reg.csv"),
            "--target",
            "value",
            "--student",
            "tree",
            "--out",
            str(root / f"reg-{suffix}.skops"),
        )
    results = {name: finish(process) for name, process in started.items()}
    return root, teacher, booster, results


@pytest.mark.parametrize("teacher_file", ["clf.json", "clf.ubj", "reg.json", "reg.ubj"])
def test_distill_writes_a_student_and_prints_fidelity(workdir, teacher_file):
    root, _, _, results = workdir
    result = results[teacher_file]
    assert result.returncode == 0, result.stderr
    kind, suffix = teacher_file.split(".")
    assert (root / f"{kind}-{suffix}.skops").is_file()
    if teacher_file == "clf.ubj":  # run with --quiet
        assert result.stdout == "" and result.stderr == ""
        return
    line = next(s for s in result.stdout.splitlines() if s.startswith("fidelity"))
    if kind == "reg":
        assert "R² of the student against the teacher" in line
    assert "48 held-out rows" in line
    # The teacher came from a file: it may have been trained on these rows, and its
    # score is labeled so (as in the report).
    teacher_line = next(
        s for s in result.stdout.splitlines() if s.startswith("teacher")
    )
    assert "optimistic if the teacher was trained on these rows" in teacher_line
    fidelity = float(line.rsplit(":", 1)[1])
    assert (0.6 if kind == "clf" else 0.3) < fidelity <= 1.0


def test_student_file_predicts_as_in_memory(workdir):
    root, teacher, _, _ = workdir
    frame = _classification_frame()
    X = frame.drop(columns=["label"])
    for name in ("clf-json.skops", "clf-ubj.skops"):
        student = interpretkd.io.load(root / name)
        out = root / f"pred-{name}.csv"
        args = [
            "predict", str(root / name), "--data", str(root / "clf.csv"), "--out",
            str(out), "--proba",
        ]  # fmt: skip
        if name == "clf-json.skops":
            result = run_script(*args)
            assert result.returncode == 0, result.stderr
        else:
            result = invoke(*args)
            assert result.exit_code == 0, result.output
        predicted = pd.read_csv(out)
        np.testing.assert_array_equal(predicted["prediction"], student.predict(X))
        np.testing.assert_allclose(
            predicted[["proba_0", "proba_1", "proba_2"]], student.predict_proba(X)
        )
        # The student imitates the teacher: they agree on most rows.
        assert np.mean(predicted["prediction"] == teacher.predict(X)) > 0.6


def test_predict_reads_and_writes_parquet(workdir):
    # Parquet in, Parquet out (the `parquet` extra): same predictions as from CSV.
    pytest.importorskip("pyarrow")
    root, _, _, _ = workdir
    frame = _classification_frame()
    X = frame.drop(columns=["label"])
    X.to_parquet(root / "rows.parquet", index=False)
    student = interpretkd.io.load(root / "clf-json.skops")
    out = root / "pred.parquet"
    result = invoke(
        "predict", str(root / "clf-json.skops"), "--data", str(root / "rows.parquet"),
        "--out", str(out), "--proba",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    predicted = pd.read_parquet(out)
    np.testing.assert_array_equal(predicted["prediction"], student.predict(X))
    np.testing.assert_allclose(
        predicted[["proba_0", "proba_1", "proba_2"]], student.predict_proba(X)
    )


def test_regression_student_predicts_as_in_memory(workdir):
    root, _, booster, _ = workdir
    frame = _regression_frame()
    X = frame.drop(columns=["value"])
    out = root / "pred-reg.csv"
    result = invoke(
        "predict", str(root / "reg-ubj.skops"), "--data", str(root / "reg.csv"),
        "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(out)["prediction"].to_numpy()
    np.testing.assert_allclose(predicted, io.load(root / "reg-ubj.skops").predict(X))
    teacher_pred = booster.predict(xgb.DMatrix(X))
    assert np.corrcoef(predicted, teacher_pred)[0, 1] > 0.7


def _lightgbm_teacher(path, n_estimators=10):
    """A LightGBM classifier of the classification frame, saved as a text model."""
    lgb = pytest.importorskip("lightgbm")
    frame = _classification_frame()
    model = lgb.LGBMClassifier(n_estimators=n_estimators, verbose=-1)
    model.fit(frame.drop(columns=["label"]), frame["label"])
    model.booster_.save_model(path)
    return model


def test_lightgbm_teacher_and_linear_student(workdir):
    root = workdir[0]
    frame = _classification_frame()
    model = _lightgbm_teacher(root / "lgb.txt")
    out = root / "lgb-linear.skops"
    result = invoke(
        *_distill_args(root, teacher="lgb.txt", out=out), "--student", "linear"
    )
    assert result.exit_code == 0, result.output
    assert "fidelity on 48 held-out rows" in result.output
    student = io.load(out)
    X = frame.drop(columns=["label"])
    agreement = np.mean(student.predict(X) == model.predict(X))
    assert agreement > 0.7


def test_render_and_report(workdir):
    root = workdir[0]
    svg = (root / "clf.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "dose" in svg or "age" in svg or "score" in svg  # real feature names
    result = run_script(
        "render", str(root / "clf-ubj.skops"), "--out", str(root / "t.dot")
    )
    assert result.returncode == 0, result.stderr
    assert (root / "t.dot").read_text().startswith("digraph")
    result = invoke(
        "render", str(root / "clf-json.skops"), "--out", str(root / "t.png"), "-q"
    )
    assert result.exit_code == 0, result.output
    assert (root / "t.png").read_bytes()[:4] == b"\x89PNG"

    args = [
        "report", str(root / "clf-json.skops"), "--data", str(root / "clf.csv"),
        "--target", "label", "--teacher", str(root / "clf.ubj"),
        "--out", str(root / "report.html"),
    ]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert "fidelity on 240 rows" in result.output
    assert "teacher accuracy" in result.output  # as distill prints them
    assert "student accuracy" in result.output
    assert "<html" in (root / "report.html").read_text().lower()
    (root / "report.html").write_text("old")
    _assert_error(invoke(*args), 2, "already exists", "--force")
    assert (root / "report.html").read_text() == "old"
    result = invoke(*args, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert "<html" in (root / "report.html").read_text().lower()


# --------------------------------------------------------------------------------------
# Errors: exit code 2 for usage, 1 for failures, one line, no traceback
# --------------------------------------------------------------------------------------


_OUTPUTS = itertools.count()


def _distill_args(root, teacher="clf.json", data="clf.csv", target="label", out=None):
    out = out or root / f"new-{next(_OUTPUTS)}.skops"
    return [
        "distill", str(root / teacher), "--data", str(root / data), "--target",
        target, "--student", "tree", "--out", str(out),
    ]  # fmt: skip


def _assert_error(result, code: int, *fragments: str):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    message = " ".join(result.output.split())
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file_is_a_usage_error(workdir):
    root = workdir[0]
    result = invoke(*_distill_args(root, teacher="absent.json"))
    _assert_error(result, 2, "absent.json", "does not exist")
    result = invoke(*_distill_args(root, data="absent.csv"))
    _assert_error(result, 2, "absent.csv", "does not exist")


def test_unknown_and_corrupt_teacher_files(workdir):
    root = workdir[0]
    (root / "weights.bin").write_bytes(bytes(range(7, 80)))
    _assert_error(
        invoke(*_distill_args(root, teacher="weights.bin")), 1, "Cannot tell what kind"
    )
    (root / "broken.json").write_text('{"learner": ')
    _assert_error(
        invoke(*_distill_args(root, teacher="broken.json")),
        1,
        "could not be read as an XGBoost model",
    )
    # A skops file with types nobody trusted, and a teacher given as a student.
    sio.dump(workdir[1], root / "xgb.skops")
    _assert_error(
        invoke(*_distill_args(root, teacher="xgb.skops")),
        1,
        "not trusted",
        "--trust xgboost.core.Booster",
    )
    result = invoke("render", str(root / "clf.json"), "--out", str(root / "x.svg"))
    _assert_error(result, 1, "is not a skops file")


def test_absent_target_column(workdir):
    root = workdir[0]
    result = invoke(*_distill_args(root, target="outcome"))
    _assert_error(result, 2, "--target", "'outcome' is not in", "'label'")
    # A column that differs only in case (or by a typo) is suggested.
    result = invoke(*_distill_args(root, target="Label"))
    _assert_error(result, 2, "'Label' is not in", "Did you mean 'label'?")


def test_columns_not_matching_the_teacher(workdir):
    root = workdir[0]
    frame = _classification_frame()
    frame.drop(columns=["dose"]).to_csv(root / "missing.csv", index=False)
    _assert_error(
        invoke(*_distill_args(root, data="missing.csv")), 1, "lacks 1 column", "'dose'"
    )
    frame.assign(patient_id=range(len(frame))).to_csv(root / "extra.csv", index=False)
    _assert_error(
        invoke(*_distill_args(root, data="extra.csv")),
        1,
        "does not know: 'patient_id'",
    )
    text = frame.assign(dose=np.where(frame["dose"] > 0, "high", "low"))
    text.to_csv(root / "text.csv", index=False)
    _assert_error(
        invoke(*_distill_args(root, data="text.csv")), 1, "'dose' are not numeric"
    )
    # predict: a column the student needs is missing
    result = invoke(
        "predict", str(root / "clf-json.skops"), "--data", str(root / "missing.csv"),
        "--out", str(root / "p.csv"),
    )  # fmt: skip
    _assert_error(result, 1, "the student was trained on", "'dose'")


def test_outputs_are_never_overwritten_without_force(workdir):
    root = workdir[0]
    out = root / "taken.skops"
    out.write_bytes(b"precious")
    _assert_error(invoke(*_distill_args(root, out=out)), 2, "already exists", "--force")
    assert out.read_bytes() == b"precious"
    result = invoke(*_distill_args(root, out=out), "--force", "--quiet")
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(io.load(out).classes_, [0, 1, 2])
    pred = root / "taken.csv"
    pred.write_text("keep")
    result = invoke(
        "predict", str(out), "--data", str(root / "clf.csv"), "--out", str(pred)
    )
    _assert_error(result, 2, "already exists")
    assert pred.read_text() == "keep"
    assert not [p.name for p in root.iterdir() if p.name.endswith(".tmp.skops")]


def test_an_output_never_replaces_an_input_even_with_force(workdir, tmp_path):
    root = workdir[0]
    data, pool = tmp_path / "data.csv", tmp_path / "pool.csv"
    teacher, student = tmp_path / "teacher.json", tmp_path / "student.skops"
    for copy, original in [
        (data, "clf.csv"),
        (pool, "pool.csv"),
        (teacher, "clf.json"),
        (student, "clf-json.skops"),
    ]:
        copy.write_bytes((root / original).read_bytes())
    inputs = [data, pool, teacher, student]
    before = {p: p.read_bytes() for p in inputs}
    (tmp_path / "link.csv").symlink_to(data)
    predict = ["predict", str(student), "--data", str(data), "--force", "--out"]
    distill = ["distill", str(teacher), "--data", str(data), "--target", "label"]
    distill += ["--student", "tree", "--force", "--out", str(tmp_path / "x.skops")]
    report = ["report", str(student), "--data", str(data), "--target", "label"]
    report += ["--teacher", str(teacher), "--force", "--out"]
    cases = {
        "--out is also the input --data (": [*predict, str(data)],
        "--out is also the input --data": [*predict, str(tmp_path / "link.csv")],
        "--out is also the input STUDENT": [*predict, str(student)],
        "--report is also the input TEACHER": [*distill, "--report", str(teacher)],
        "--report is also the input --unlabeled": [
            *distill,
            "--unlabeled",
            str(pool),
            "--report",
            str(tmp_path / ".." / tmp_path.name / "pool.csv"),
        ],
        "--out is also the input --teacher": [*report, str(teacher)],
    }
    for message, args in cases.items():
        _assert_error(invoke(*args), 2, message, "choose another output path")
    assert {p: p.read_bytes() for p in inputs} == before
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "data.csv",
        "link.csv",
        "pool.csv",
        "student.skops",
        "teacher.json",
    ]


def test_pickle_teacher_needs_trust_pickle(workdir):
    root = workdir[0]
    frame = _classification_frame()
    model = LogisticRegression(max_iter=500).fit(
        frame.drop(columns=["label"]), frame["label"]
    )
    (root / "teacher.pkl").write_bytes(pickle.dumps(model))
    args = _distill_args(root, teacher="teacher.pkl", out=root / "from-pickle.skops")
    _assert_error(invoke(*args), 1, "runs", "--trust-pickle")
    assert not (root / "from-pickle.skops").exists()
    result = invoke(*args, "--trust-pickle", "--quiet")
    assert result.exit_code == 0, result.output
    assert (root / "from-pickle.skops").is_file()


def test_bad_usage_exits_2_and_debug_shows_the_error(workdir):
    root = workdir[0]
    _assert_error(invoke("distill", "--nope"), 2, "No such option")
    _assert_error(invoke(*_distill_args(root), "--student", "forest"), 2, "forest")
    _assert_error(
        invoke(*_distill_args(root), "--render", str(root / "x.gif")), 2, ".gif"
    )
    _classification_frame().drop(columns=["age"]).to_csv(root / "d.csv", index=False)
    result = CliRunner().invoke(main, [*_distill_args(root, data="d.csv"), "--debug"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)  # raised as is, with traceback


def test_version_and_help():
    result = invoke("--version")
    assert result.exit_code == 0 and interpretkd.__version__ in result.output
    for command in ("distill", "render", "report", "predict", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and "--quiet" in result.output
        assert "``" not in result.output  # the terminal shows no reST markup
    result = invoke("--help")
    assert "``" not in result.output
    assert "interpretkd distill teacher.json --data train.csv" in result.output


def test_demo_is_idempotent_and_keeps_to_its_directory(tmp_path):
    out = tmp_path / "demo"
    for _ in range(2):
        result = invoke("demo", "--out", str(out), "--student", "tree")
        assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"teacher.json", "student.skops", "tree.svg", "train.csv"} <= names
    assert "<html" in (out / "report.html").read_text().lower()
    assert "fidelity" in result.output
    assert "(the teacher was trained on these rows)" in result.output
    student = io.load(out / "student.skops")
    test = pd.read_csv(out / "test.csv")
    predictions = pd.read_csv(out / "predictions.csv")["prediction"]
    np.testing.assert_array_equal(
        predictions, student.predict(test.drop(columns=["target"]))
    )
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    _assert_error(invoke("demo", "--out", str(foreign)), 2, "not made by")
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------------------
# Teachers of other kinds, and files that are not what their names say
# --------------------------------------------------------------------------------------


def test_text_columns_reach_a_pipeline_teacher_that_encodes_them(workdir, tmp_path):
    root = workdir[0]
    frame = _classification_frame()
    frame["colour"] = np.where(frame["dose"] > 0, "red", "blue")
    features = frame.drop(columns=["label"])
    encode = make_column_transformer(
        (OneHotEncoder(), ["colour"]), remainder="passthrough"
    )
    teacher = make_pipeline(encode, LogisticRegression(max_iter=500))
    teacher.fit(features, frame["label"])
    sio.dump(teacher, tmp_path / "pipeline.skops")
    frame.to_csv(tmp_path / "text.csv", index=False)
    result = invoke(
        "distill", str(tmp_path / "pipeline.skops"), "--data",
        str(tmp_path / "text.csv"), "--target", "label", "--student", "tree",
        "--out", str(tmp_path / "student.skops"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = invoke(
        "predict", str(tmp_path / "student.skops"), "--data",
        str(tmp_path / "text.csv"), "--out", str(tmp_path / "p.csv"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    predicted = pd.read_csv(tmp_path / "p.csv")["prediction"]
    student = io.load(tmp_path / "student.skops")
    np.testing.assert_array_equal(predicted, student.predict(features))
    assert np.mean(predicted == teacher.predict(features)) > 0.7
    # A teacher that takes numbers only says so, naming the column.
    result = invoke(
        *_distill_args(root, data=str(tmp_path / "text.csv")),
    )
    _assert_error(result, 1, "'colour'")


def _torch_classifier():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    frame = _classification_frame()
    X = torch.tensor(frame.drop(columns=["label"]).to_numpy(), dtype=torch.float32)
    y = torch.tensor(frame["label"].to_numpy())
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(100):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        optimiser.step()
    return net


def test_torch_teachers_saved_whole_or_exported_to_onnx(workdir, tmp_path):
    pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    root = workdir[0]
    net = _torch_classifier()
    torch.save(net, tmp_path / "net.pt")
    torch.save(net.state_dict(), tmp_path / "weights.pt")
    torch.onnx.export(
        net, torch.zeros(1, 5), tmp_path / "net.onnx", input_names=["rows"],
        output_names=["logits"], dynamic_axes={"rows": {0: "n"}, "logits": {0: "n"}},
        dynamo=False,
    )  # fmt: skip
    net_args = _distill_args(root, teacher=str(tmp_path / "net.pt"))
    _assert_error(invoke(*net_args), 1, "whole module", "--trust-pickle")
    weights = _distill_args(root, teacher=str(tmp_path / "weights.pt"))
    _assert_error(invoke(*weights), 1, "state dict", "load_state_dict")
    for args in (
        [*net_args, "--trust-pickle"],
        _distill_args(root, teacher=str(tmp_path / "net.onnx")),
        [
            *_distill_args(root, teacher=str(tmp_path / "net.onnx")),
            "--task",
            "classification",
        ],
    ):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert "teacher accuracy" in result.output
    onnx_args = _distill_args(root, teacher=str(tmp_path / "net.onnx"))
    _assert_error(invoke(*onnx_args, "--task", "regression"), 1, "one target at a time")


def test_renamed_xgboost_files_and_a_ranker_read_as_regression(workdir, tmp_path):
    root = workdir[0]
    (tmp_path / "ubj.json").write_bytes((root / "clf.ubj").read_bytes())
    (tmp_path / "json.ubj").write_bytes((root / "clf.json").read_bytes())
    for name in ("ubj.json", "json.ubj"):
        result = invoke(*_distill_args(root, teacher=str(tmp_path / name)), "-q")
        assert result.exit_code == 0, result.output
    frame = _regression_frame()
    ranker = xgb.XGBRanker(n_estimators=5, random_state=0)
    ranker.fit(
        frame.drop(columns=["value"]), frame["value"] > 0, qid=np.repeat(range(4), 60)
    )
    ranker.save_model(tmp_path / "ranker.json")
    args = _distill_args(
        root, teacher=str(tmp_path / "ranker.json"), data="reg.csv", target="value"
    )
    _assert_error(invoke(*args), 1, "--task regression")
    result = invoke(*args, "--task", "regression")
    assert result.exit_code == 0, result.output
    assert "R² of the student against the teacher" in result.output


def test_cut_lightgbm_file_is_an_error_and_lightgbm_stays_quiet(
    workdir, tmp_path, capfd
):
    root = workdir[0]
    _lightgbm_teacher(tmp_path / "whole.txt", n_estimators=5)
    text = (tmp_path / "whole.txt").read_bytes()
    (tmp_path / "half.txt").write_bytes(text[: len(text) // 2])
    result = invoke(*_distill_args(root, teacher=str(tmp_path / "half.txt")), "-q")
    _assert_error(result, 1, "not a complete LightGBM model", "cut short")
    captured = capfd.readouterr()
    assert "[LightGBM]" not in result.output + captured.out + captured.err


class PlainTeacher:
    """A user's own class with predict_proba, saved with skops."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-np.asarray(X, dtype=float)[:, 1]))
        return np.column_stack([1 - p, p])


def test_trusted_plain_object_teaches(workdir, tmp_path):
    root = workdir[0]
    frame = _classification_frame()
    frame.assign(label=(frame["dose"] > 0).astype(int)).to_csv(
        tmp_path / "binary.csv", index=False
    )
    sio.dump(PlainTeacher(), tmp_path / "plain.skops")
    args = _distill_args(
        root, teacher=str(tmp_path / "plain.skops"), data=str(tmp_path / "binary.csv")
    )
    _assert_error(invoke(*args), 1, "not trusted", "PlainTeacher")
    result = invoke(*args, "--trust", f"{PlainTeacher.__module__}.PlainTeacher")
    assert result.exit_code == 0, result.output
    fidelity = float(
        next(s for s in result.output.splitlines() if s.startswith("fidelity")).rsplit(
            ":", 1
        )[1]
    )
    assert fidelity > 0.9


# --------------------------------------------------------------------------------------
# Bad data and bad option values
# --------------------------------------------------------------------------------------


def test_empty_labels_and_a_cut_last_line_name_the_file_and_line(workdir, tmp_path):
    root = workdir[0]
    lines = (root / "clf.csv").read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0] + ","  # row 4, line 5: no label
    (tmp_path / "empty.csv").write_text("\n".join(lines) + "\n")
    result = invoke(*_distill_args(root, data=str(tmp_path / "empty.csv")))
    _assert_error(result, 1, "empty.csv", "'label' is empty in 1 row(s) (line 5)")
    whole = "\n".join(lines[:4] + lines[5:])
    (tmp_path / "cut.csv").write_text(whole[: len(whole) - len(lines[-1]) // 2])
    result = invoke(*_distill_args(root, data=str(tmp_path / "cut.csv")))
    _assert_error(result, 1, "cut.csv", "cut short", f"(line {len(lines) - 1})")


def test_repeated_names_and_dates_in_the_data(workdir, tmp_path):
    pytest.importorskip("pyarrow")
    root = workdir[0]
    text = (root / "clf.csv").read_text().replace("age,dose", "age,age", 1)
    (tmp_path / "twice.csv").write_text(text)
    result = invoke(*_distill_args(root, data=str(tmp_path / "twice.csv")))
    _assert_error(result, 1, "more than one column named 'age'")
    frame = _classification_frame()
    frame["seen"] = pd.date_range("2024-01-01", periods=len(frame))
    frame.to_parquet(tmp_path / "dated.parquet")
    result = invoke(*_distill_args(root, data=str(tmp_path / "dated.parquet")))
    _assert_error(result, 1, "date or time column(s) 'seen'")


@pytest.mark.parametrize(
    "option, value",
    [
        ("--temperature", "nan"),
        ("--temperature", "inf"),
        ("--alpha", "nan"),
        ("--n-synthetic", "nan"),
        ("--n-synthetic", "inf"),
        ("--holdout", "nan"),
    ],
)
def test_non_finite_option_values_are_usage_errors_at_once(workdir, option, value):
    result = invoke(*_distill_args(workdir[0]), option, value)
    _assert_error(result, 2, option, f"'{value}' is not a finite number")
    assert "Loading teacher" not in result.output


def test_out_as_a_link_to_nowhere_is_refused_up_front(workdir, tmp_path):
    root = workdir[0]
    link = tmp_path / "student.skops"
    link.symlink_to(tmp_path / "missing" / "student.skops")
    result = invoke(*_distill_args(root, out=link))
    _assert_error(result, 2, "--out", "is a link to", "does not exist", "--force")
    assert "Loading teacher" not in result.output and link.is_symlink()
    result = invoke(*_distill_args(root, out=link), "--force", "-q")
    assert result.exit_code == 0, result.output
    assert not link.is_symlink() and io.load(link).classes_.tolist() == [0, 1, 2]


# --------------------------------------------------------------------------------------
# Signals: Ctrl-C and SIGTERM leave no partial file, at any point
# --------------------------------------------------------------------------------------

# Runs the console script with the student's write held open (os.fsync, which
# write_bytes calls on the full temporary file, waits) until the test signals it.
HELD_WRITE = """
import os, pathlib, signal, sys, time
# Ctrl-C reaches a program run in a terminal's foreground; a job started in the
# background by a non-interactive shell (as a CI runner may start the suite)
# inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
ready = pathlib.Path(sys.argv[1])
def held(fd):
    ready.touch()
    time.sleep(120)
os.fsync = held
from interpretkd.cli import main
main(sys.argv[2:], prog_name="interpretkd")
"""


@pytest.mark.parametrize(
    "signum, code, line",
    [(signal.SIGINT, 130, "Interrupted."), (signal.SIGTERM, 143, "Terminated.")],
)
def test_a_signal_while_the_student_is_written_leaves_no_file(
    workdir, tmp_path, signum, code, line
):
    root = workdir[0]
    out, ready = tmp_path / "out", tmp_path / "ready"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", HELD_WRITE, str(ready),
         *_distill_args(root, out=out / "student.skops"), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready.exists(), finish(process).stderr
    assert [p.name for p in out.iterdir()]  # the temporary file is there
    process.send_signal(signum)
    result = finish(process)
    assert result.returncode == code, result.stderr
    assert result.stderr.strip() == line
    assert not list(out.iterdir())


# Interrupts the first import of scikit-learn, as Ctrl-C during start-up would.
INTERRUPTED_IMPORT = """
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "sklearn":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
from interpretkd.cli import main
main(sys.argv[1:], prog_name="interpretkd")
"""


def test_ctrl_c_during_start_up_is_one_line_and_exit_130(workdir):
    root = workdir[0]
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_IMPORT, *_distill_args(root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    result = finish(process)
    assert result.returncode == 130
    assert result.stderr.strip() == "Interrupted."


def test_console_script_imports_only_click_before_its_error_handling():
    # The console script imports interpretkd.cli outside any handler; the heavy
    # libraries load when a command runs, inside it.
    code = (
        "import sys, interpretkd.cli\n"
        "print(sorted(m for m in ('torch', 'sklearn', 'pandas', 'numpy', 'xgboost')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_public_name_imports_from_the_package():
    # Names load on first use (so that the console script starts light); each one
    # in __all__ must still come with `from interpretkd import *`.
    namespace: dict = {}
    exec("from interpretkd import *", namespace)
    assert set(interpretkd.__all__) <= set(namespace)
    assert namespace["DistilledClassifier"].__name__ == "DistilledClassifier"


# --------------------------------------------------------------------------------------
# What a person reads: the default student, class names, the size curve
# --------------------------------------------------------------------------------------


def test_default_student_is_a_sparse_oblique_tao_tree(workdir):
    root = workdir[0]
    out = root / "default.skops"
    args = _distill_args(root, out=out)
    args.remove("--student")
    args.remove("tree")
    result = invoke(*args, "--max-depth", "2", "-q")
    assert result.exit_code == 0, result.output
    student = io.load(out).student_
    assert type(student).__name__ == "TAOTreeClassifier"
    assert student.split == "oblique" and student.max_features_per_split == 3
    assert student.max_depth == 2
    axis = root / "axis.skops"
    args = _distill_args(root, out=axis)
    args[args.index("tree")] = "tao-axis"
    assert invoke(*args, "-q").exit_code == 0
    assert io.load(axis).student_.split == "axis"


def test_class_names_name_the_classes_in_picture_and_report(workdir):
    root = workdir[0]
    dot, page = root / "named.dot", root / "named.html"
    result = invoke(
        *_distill_args(root),
        "--class-names", "ant, bee,cat",
        "--render", str(dot),
        "--report", str(page),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    picture = dot.read_text()
    assert "<B>ant</B>" in picture or "<B>bee</B>" in picture
    assert "<B>0</B>" not in picture and "<B>1</B>" not in picture
    html = page.read_text()
    # The confusion table's header names the classes.
    assert "<th>ant</th><th>bee</th><th>cat</th>" in html
    # render names them too, and checks the count against the student's classes.
    student = str(root / "clf-json.skops")
    again = root / "named-again.dot"
    result = invoke("render", student, "--out", str(again), "--class-names", "x,y,z")
    assert result.exit_code == 0, result.output
    assert "<B>x</B>" in again.read_text() or "<B>y</B>" in again.read_text()
    _assert_error(
        invoke("render", student, "--out", str(root / "n.dot"), "--class-names", "x,y"),
        2,
        "2 names for 3 classes",
    )


def test_a_student_file_keeps_its_class_names(workdir):
    # distill --class-names names the classes in the file it writes: a later
    # render or report of that file, and export_text / export_graphviz of the
    # loaded model (skops or pickle), name them so, unless given other names. A
    # file written without names still loads and shows the labels.
    from interpretkd.export import export_graphviz, export_text

    root = workdir[0]
    named = root / "named-student.skops"
    args = _distill_args(root, out=named)
    assert invoke(*args, "--class-names", "ant,bee,cat", "-q").exit_code == 0
    picture = root / "named-later.dot"
    result = invoke("render", str(named), "--out", str(picture))
    assert result.exit_code == 0, result.output
    drawn = set(re.findall(r"<B>(\w+)</B>", picture.read_text()))
    assert drawn and drawn <= {"ant", "bee", "cat"}, drawn
    for model in (io.load(named), pickle.loads(pickle.dumps(io.load(named)))):
        said = set(re.findall(r"class: (\w+)", export_text(model)))
        assert said and said <= {"ant", "bee", "cat"}, said
        assert "<B>ant</B>" in export_graphviz(model).source
    # Other names win over the kept ones.
    other = root / "renamed-later.dot"
    result = invoke("render", str(named), "--out", str(other), "--class-names", "x,y,z")
    assert result.exit_code == 0, result.output
    assert set(re.findall(r"<B>(\w+)</B>", other.read_text())) <= {"x", "y", "z"}
    assert "class: x" in export_text(io.load(named), class_names=["x", "y", "z"])
    page = root / "named-later.html"
    result = invoke(
        "report", str(named), "--data", str(root / "clf.csv"), "--target", "label",
        "--teacher", str(root / "clf.json"), "--out", str(page), "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "<th>ant</th><th>bee</th><th>cat</th>" in page.read_text()
    # A file written without names: the labels, as before.
    plain = root / "plain-later.dot"
    result = invoke("render", str(root / "clf-json.skops"), "--out", str(plain))
    assert result.exit_code == 0, result.output
    assert set(re.findall(r"<B>(\w+)</B>", plain.read_text())) <= {"0", "1", "2"}
    assert not hasattr(io.load(root / "clf-json.skops"), "class_names_")


@pytest.mark.parametrize(
    "names, fragments",
    [
        ("ant,bee", ["2 names for 3 classes", "--class-names"]),
        ("ant,,cat", ["empty name"]),
        ("ant,ant,cat", ["repeats a name"]),
    ],
)
def test_bad_class_names_are_usage_errors(workdir, names, fragments):
    root = workdir[0]
    result = invoke(*_distill_args(root), "--class-names", names)
    _assert_error(result, 2, *fragments)


def test_class_names_for_a_regressor_are_refused(workdir):
    root = workdir[0]
    args = _distill_args(root, teacher="reg.json", data="reg.csv", target="value")
    _assert_error(invoke(*args, "--class-names", "a,b"), 2, "regressor")


def test_sizes_print_the_fidelity_curve_and_the_report_marks_this_model(workdir):
    root = workdir[0]
    page = root / "curve.html"
    args = _distill_args(root)
    result = invoke(*args, "--max-depth", "3", "--sizes", "2..3", "--report", str(page))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "held-out fidelity by depth (3-fold cross-validation" in out
    table = out[out.index("held-out fidelity by depth") :].splitlines()
    header = table[1].split()
    assert header[-2:] == ["2", "3"]
    rows = {line.split()[0]: line.split()[1:] for line in table[2:6]}
    assert {"cart", "tao-axis", "tao-oblique"} <= set(rows)
    for values in rows.values():
        assert all(0.0 <= float(v) <= 1.0 for v in values)
    # This model (a CART tree of depth 3) is on the curve, with its figure.
    line = next(s for s in out.splitlines() if s.startswith("this model:"))
    assert line == f"this model: cart at depth 3: {rows['cart'][1]}"
    assert "recommended:" in out
    html = page.read_text()
    assert "Choosing the size" in html and "This model (cart, depth 3)" in html


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--sizes", "2..x"], "not a list of depths"),
        (["--sizes", "0..3"], "not a list of depths"),
        (["--sizes", "2..3", "--student", "linear"], "no depth to choose"),
    ],
)
def test_bad_sizes_are_usage_errors(workdir, extra, fragment):
    root = workdir[0]
    args = _distill_args(root)
    if "--student" in extra:
        args = args[: args.index("--student")] + args[args.index("--student") + 2 :]
    _assert_error(invoke(*args, *extra), 2, fragment, "--sizes")


def _printed_curve(out: str, title: str) -> tuple[list[int], dict]:
    """The sizes and the rows of the fidelity table the command printed."""
    table = out[out.index(title) :].splitlines()
    header = table[1].split()
    rows = {
        line.split()[0]: [float(v) for v in line.split()[1:]] for line in table[3:6]
    }
    return [int(v) for v in header[1:]], {"name": header[0], **rows}


def test_sizes_by_leaves_save_the_chosen_budget_and_print_leaves(workdir):
    root = workdir[0]
    out = root / "by-leaves.skops"
    args = _distill_args(root, out=out)
    result = invoke(*args, "--sizes", "4,8", "--size-by", "leaves")
    assert result.exit_code == 0, result.output
    text = result.output
    title = "held-out fidelity by leaf budget (3-fold cross-validation"
    assert title in text and "depth" not in text
    sizes, rows = _printed_curve(text, title)
    assert sizes == [4, 8] and rows.pop("name") == "leaves"
    assert {"cart", "tao-axis", "tao-oblique"} == set(rows)
    # The tree student gets the smallest budget within 0.01 of the best of its kind
    # (CART on the curve), read off the printed table (4 decimals: a hair of slack).
    cart = rows["cart"]
    close = [n for n, v in zip(sizes, cart) if v >= max(cart) - 0.01 - 1e-4]
    budget = close[0]
    assert f"Chosen: the tree student with at most {budget} leaves" in text
    assert f"Distilling into a tree student with at most {budget} leaves" in text
    line = next(s for s in text.splitlines() if s.startswith("this model:"))
    value = cart[sizes.index(budget)]
    assert line == f"this model: cart with at most {budget} leaves: {value:.4f}"
    recommended = next(s for s in text.splitlines() if s.startswith("recommended:"))
    assert "with at most" in recommended and "smallest leaf budget" in recommended
    # The student written keeps its budget, under the depth cap of 12.
    tree = io.load(out).student_
    assert tree.get_params()["max_leaf_nodes"] == budget
    assert tree.get_params()["max_depth"] == 12
    X = _classification_frame().drop(columns=["label"])
    assert 2 <= np.unique(tree.apply(X)).size <= budget


def test_max_leaves_on_a_leaf_curve_is_marked_in_the_report(workdir):
    root = workdir[0]
    page = root / "leaf-curve.html"
    args = [*_distill_args(root), "--max-leaves", "4", "--sizes", "4,8"]
    result = invoke(*args, "--size-by", "leaves", "--report", str(page))
    assert result.exit_code == 0, result.output
    assert "Chosen:" not in result.output  # --max-leaves decides the budget
    assert "this model: cart with at most 4 leaves: " in result.output
    html = page.read_text()
    assert "This model (cart, at most 4 leaves)" in html
    assert "smallest leaf budget" in html


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        (["--sizes", "1,8", "--size-by", "leaves"], ["not a list of leaf budgets"]),
        (["--sizes", "8,9999", "--size-by", "leaves"], ["2 to 4096", "--sizes"]),
        (["--size-by", "leaves"], ["--size-by", "give the leaf budgets"]),
        (
            ["--sizes", "4,8", "--size-by", "leaves", "--student", "soft-tree"],
            ["soft-tree student has no leaf budget", "--size-by depth"],
        ),
        (["--sizes", "4,8", "--size-by", "nodes"], ["--size-by", "'nodes'"]),
    ],
)
def test_bad_leaf_sizes_are_usage_errors(workdir, extra, fragments):
    args = _distill_args(workdir[0])
    if "--student" in extra:
        args = args[: args.index("--student")] + args[args.index("--student") + 2 :]
    _assert_error(invoke(*args, *extra), 2, *fragments)


@pytest.mark.parametrize(
    ("student", "extra", "depth"),
    [("tao-oblique", [], 12), ("tao-axis", ["--max-depth", "4"], 4), ("tree", [], 12)],
)
def test_max_leaves_gives_a_tree_within_the_budget(workdir, student, extra, depth):
    root = workdir[0]
    out = root / f"budget-{student}.skops"
    args = [*_distill_args(root, out=out), "--max-leaves", "5", *extra, "-q"]
    args[args.index("--student") + 1] = student
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    tree = io.load(out).student_
    params = tree.get_params()
    assert params["max_leaf_nodes"] == 5
    # Without --max-depth the depth only caps the budgeted tree.
    assert params["max_depth"] == depth
    X = _classification_frame().drop(columns=["label"])
    leaves = np.unique(tree.apply(X))
    assert 2 <= leaves.size <= 5


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--student", "soft-tree"], "soft-tree student has no leaf budget"),
        (["--student", "linear"], "linear student has no leaf budget"),
        (["--sizes", "2..4"], "--sizes compares students by depth"),
        (["--max-leaves", "1"], "--max-leaves"),
    ],
)
def test_max_leaves_is_refused_where_it_means_nothing(workdir, extra, fragment):
    root = workdir[0]
    args = [*_distill_args(root), "--max-leaves", "8"]
    for i in range(0, len(extra), 2):  # later options win
        if extra[i] in args:
            args[args.index(extra[i]) + 1] = extra[i + 1]
        else:
            args += extra[i : i + 2]
    _assert_error(invoke(*args), 2, fragment)
