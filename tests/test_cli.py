"""End-to-end tests of the ``interpretkd`` console script.

The distillations run the real script in a subprocess (``python -m interpretkd``),
once per teacher file, in a module-scoped fixture; error cases run in-process through
click's ``CliRunner``, which is much faster and sees the same exit codes and messages.
"""

from __future__ import annotations

import itertools
import os
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import xgboost as xgb
from click.testing import CliRunner
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression

import interpretkd
from interpretkd import io
from interpretkd.cli import main

ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


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


def test_lightgbm_teacher_and_linear_student(workdir):
    lgb = pytest.importorskip("lightgbm")
    root = workdir[0]
    frame = _classification_frame()
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1)
    model.fit(frame.drop(columns=["label"]), frame["label"])
    model.booster_.save_model(root / "lgb.txt")
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
    from interpretkd.report import DistillationReport

    result = invoke(*args)
    if not hasattr(DistillationReport, "to_html"):
        assert result.exit_code == 1
        assert "cannot write HTML" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "fidelity on 240 rows" in result.output
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
    assert io.load(out).predict(_classification_frame().drop(columns="label")).shape
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


def test_demo_is_idempotent_and_keeps_to_its_directory(tmp_path):
    out = tmp_path / "demo"
    for _ in range(2):
        result = invoke("demo", "--out", str(out), "--student", "tree")
        assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"teacher.json", "student.skops", "tree.svg", "train.csv"} <= names
    from interpretkd.report import DistillationReport

    assert ("report.html" in names) == hasattr(DistillationReport, "to_html")
    assert "fidelity" in result.output
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
