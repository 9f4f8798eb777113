"""Distilling from Dask collections, on a local cluster started here.

What a user relies on: the Dask path trains the same student as the in-memory path
on the same rows (where no sampling happens and the student is deterministic), never
refits or alters the teacher, measures the same fidelity, surfaces a failing
partition as a clear error, and says which extra to install when Dask is missing.
"""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from interpretkd import (
    DistilledClassifier,
    DistilledRegressor,
    SoftDecisionTreeClassifier,
    distillation_report,
    fidelity_score,
)
from interpretkd.targets import soft_targets
from interpretkd.teachers import as_teacher

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=3000, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    teacher = XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0)
    teacher.fit(X[:600], y[:600])
    return X, y, teacher


def _tree(depth=4):
    return DecisionTreeClassifier(max_depth=depth, random_state=0)


def _same_tree(a, b):
    ta, tb = a.student_.tree_, b.student_.tree_
    return (
        np.array_equal(ta.feature, tb.feature)
        and np.array_equal(ta.threshold, tb.threshold)
        and np.allclose(ta.value, tb.value)
    )


def _frame(X):
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])


# --------------------------------------------------------------------------------------
# Same student as in memory
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["array", "frame", "unknown-chunks"])
def test_dask_pool_gives_the_in_memory_student(client, data, kind):
    X, y, teacher = data
    Xl, yl, Xu = X[:500], y[:500], X[500:]
    params = dict(temperature=2.0, alpha=0.3, random_state=0)
    if kind == "array":
        pool, Xl_user = da.from_array(Xu, chunks=700), Xl
    else:
        Xl_user = _frame(Xl)
        pool = dd.from_pandas(_frame(Xu), npartitions=4)
        if kind == "unknown-chunks":
            pool, Xl_user = pool.to_dask_array(), Xl
    ref = DistilledClassifier(teacher, _tree(), **params)
    ref.fit(Xl_user, yl, X_unlabeled=Xu if kind != "frame" else _frame(Xu))
    model = DistilledClassifier(teacher, _tree(), **params)
    model.fit(Xl_user, yl, X_unlabeled=pool)
    assert _same_tree(model, ref)
    assert model.n_distill_samples_ == ref.n_distill_samples_ == len(X)
    np.testing.assert_array_equal(model.predict(Xl_user), ref.predict(Xl_user))


@pytest.mark.parametrize("targets", ["soft", "hard"])
def test_dask_X_and_y_give_the_in_memory_student(client, data, targets):
    X, y, teacher = data
    ref = DistilledClassifier(teacher, _tree(), alpha=0.5, targets=targets)
    ref.fit(X, y)
    model = DistilledClassifier(teacher, _tree(), alpha=0.5, targets=targets)
    model.fit(da.from_array(X, chunks=800), da.from_array(y, chunks=800))
    assert _same_tree(model, ref)
    np.testing.assert_array_equal(model.classes_, ref.classes_)


def test_dask_dataframe_with_labels_and_weights(client, data):
    X, y, teacher = data
    frame = _frame(X).assign(label=y, weight=np.linspace(0.5, 2.0, len(y)))
    ddf = dd.from_pandas(frame, npartitions=3)
    features = [f"f{i}" for i in range(X.shape[1])]
    ref = DistilledClassifier(teacher, _tree()).fit(
        frame[features], frame["label"], sample_weight=frame["weight"]
    )
    model = DistilledClassifier(teacher, _tree()).fit(
        ddf[features], ddf["label"], sample_weight=ddf["weight"]
    )
    assert _same_tree(model, ref)
    assert list(model.feature_names_in_) == features


def test_regressor_on_a_dask_pool(client):
    X, y = make_regression(n_samples=2000, n_features=5, noise=5.0, random_state=0)
    teacher = XGBRegressor(n_estimators=30, max_depth=3, n_jobs=1).fit(X[:400], y[:400])
    student = DecisionTreeRegressor(max_depth=4, random_state=0)
    ref = DistilledRegressor(teacher, student, alpha=0.2).fit(
        X[:400], y[:400], X_unlabeled=X[400:]
    )
    model = DistilledRegressor(teacher, student, alpha=0.2).fit(
        X[:400], y[:400], X_unlabeled=da.from_array(X[400:], chunks=500)
    )
    np.testing.assert_allclose(model.predict(X), ref.predict(X))
    assert fidelity_score(None, model, da.from_array(X, chunks=300)) == pytest.approx(
        fidelity_score(None, ref, X), rel=1e-9
    )


def test_the_teacher_is_used_as_it_is(client, data):
    X, y, teacher = data
    before = bytes(teacher.get_booster().save_raw())
    proba = teacher.predict_proba(X)
    model = DistilledClassifier(teacher, _tree()).fit(
        X[:500], y[:500], X_unlabeled=da.from_array(X[500:], chunks=500)
    )
    assert model.teacher_ is teacher
    assert bytes(teacher.get_booster().save_raw()) == before
    np.testing.assert_array_equal(teacher.predict_proba(X), proba)


# --------------------------------------------------------------------------------------
# Streaming and sampled students
# --------------------------------------------------------------------------------------
def test_streaming_student_sees_every_row_every_epoch(client, data):
    X, y, teacher = data
    student = SoftDecisionTreeClassifier(
        max_depth=3, max_epochs=2, n_iter_no_change=None, random_state=0
    )
    model = DistilledClassifier(teacher, student, random_state=0)
    model.fit(X[:500], y[:500], X_unlabeled=da.from_array(X[500:], chunks=1000))
    assert model.n_distill_samples_ == len(X)
    # one partial_fit per part (the labeled rows and three partitions) per epoch
    assert len(model.student_.loss_curve_) == 2 * 4
    assert model.fidelity(X) > 0.7  # three classes


def test_streaming_one_partition_is_one_partial_fit(client, data):
    X, y, teacher = data
    student = SoftDecisionTreeClassifier(max_depth=3, max_epochs=1, random_state=0)
    model = DistilledClassifier(teacher, student, temperature=2.0)
    model.fit(da.from_array(X, chunks=len(X)), da.from_array(y, chunks=len(X)))
    by_hand = SoftDecisionTreeClassifier(max_depth=3, max_epochs=1, random_state=0)
    by_hand.partial_fit(X, soft_targets(teacher, X, temperature=2.0))
    np.testing.assert_allclose(model.student_.inner_weights_, by_hand.inner_weights_)
    np.testing.assert_allclose(
        model.student_.leaf_distributions_, by_hand.leaf_distributions_
    )


def test_streaming_early_stopping_on_held_out_rows(client, data):
    X, y, teacher = data
    student = SoftDecisionTreeClassifier(
        max_depth=2,
        max_epochs=30,
        validation_fraction=0.2,
        n_iter_no_change=2,
        tol=0.5,  # nothing improves by half the agreement: stops after 3 epochs
        random_state=0,
    )
    model = DistilledClassifier(teacher, student, random_state=0)
    model.fit(X[:500], y[:500], X_unlabeled=da.from_array(X[500:], chunks=1000))
    # 4 parts per epoch; the best (first) epoch's student is kept
    assert len(model.student_.loss_curve_) == 4
    assert model.n_distill_samples_ < 0.9 * len(X)


def test_incremental_sklearn_student_gets_one_pass_of_every_row(client, data):
    from sklearn.linear_model import SGDClassifier

    X, y, teacher = data
    # SGDClassifier's max_iter counts passes of fit; one pass here, no held-out rows
    student = SGDClassifier(loss="log_loss", random_state=0)
    model = DistilledClassifier(teacher, student, random_state=0)
    model.fit(X[:500], y[:500], X_unlabeled=da.from_array(X[500:], chunks=1000))
    assert model.n_distill_samples_ == len(X)
    assert model.fidelity(X) > 0.5  # three classes


class _WeightRecorder(DecisionTreeClassifier):
    """A tree that keeps the sample weights it was fitted with."""

    def fit(self, X, y, sample_weight=None, check_input=True):
        self.seen_weight_ = np.asarray(sample_weight, dtype=float)
        self.seen_y_ = np.asarray(y)
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_sample_is_bounded_and_its_weights_unbiased(client, data):
    X, y, teacher = data
    Xu = np.vstack([X] * 4)
    pool = da.from_array(Xu, chunks=2000)
    # Seeded: the weights' sum is a random estimate of the pool's size (priority
    # sampling; relative spread about 1/sqrt(1500) = 2.6%), so an unseeded run
    # lands outside 5% about once in twenty.
    model = DistilledClassifier(
        teacher,
        _WeightRecorder(max_depth=4, random_state=0),
        targets="hard",
        random_state=0,
    )
    model.set_params(max_student_rows=1500)
    model.fit(X[:200], y[:200], X_unlabeled=pool)
    assert model.n_distill_samples_ == 200 + 1500
    w, labels = model.student_.seen_weight_, model.student_.seen_y_
    # weighted counts estimate the pool's size and its class shares
    assert w.sum() == pytest.approx(200 + len(Xu), rel=0.05)
    shares = np.bincount(labels, weights=w, minlength=3) / w.sum()
    truth = np.bincount(
        np.r_[teacher.predict(X[:200]), teacher.predict(Xu)], minlength=3
    ) / (200 + len(Xu))
    np.testing.assert_allclose(shares, truth, atol=0.03)
    assert model.fidelity(X) > 0.75


# --------------------------------------------------------------------------------------
# Fidelity, report and score, blockwise
# --------------------------------------------------------------------------------------
def test_blockwise_fidelity_and_report_equal_in_memory(client, data):
    X, y, teacher = data
    model = DistilledClassifier(teacher, _tree(3)).fit(X[:1000], y[:1000])
    Xd, yd = da.from_array(X, chunks=700), da.from_array(y, chunks=700)
    assert fidelity_score(None, model, Xd) == fidelity_score(None, model, X)
    assert fidelity_score(teacher, model.student_, Xd) == pytest.approx(
        fidelity_score(teacher, model.student_, X)
    )
    assert model.fidelity(Xd) == pytest.approx(model.fidelity(X))
    assert model.score(Xd, yd) == pytest.approx(model.score(X, y))
    on_dask = distillation_report(model, Xd, yd).to_dict()
    in_memory = distillation_report(model, X, y).to_dict()
    assert on_dask == pytest.approx(in_memory)


def test_report_html_from_dask_rows(client, data):
    X, y, teacher = data
    model = DistilledClassifier(teacher, _tree(3)).fit(X, y)
    report = distillation_report(model, da.from_array(X, chunks=1000), y=None)
    html = report.to_html(shap=False)
    assert "fidelity" in html and report["n_samples"] == len(X)


# --------------------------------------------------------------------------------------
# Teachers through xgboost.dask
# --------------------------------------------------------------------------------------
def test_booster_and_dask_xgboost_teachers(client, data):
    import xgboost.dask as xgb_dask

    X, y, teacher = data
    booster = teacher.get_booster()
    pool = da.from_array(X[500:], chunks=700)
    ref = DistilledClassifier(booster, _tree()).fit(
        X[:500], y[:500], X_unlabeled=X[500:]
    )
    model = DistilledClassifier(booster, _tree()).fit(
        X[:500], y[:500], X_unlabeled=pool
    )
    assert _same_tree(model, ref)

    Xd, yd = da.from_array(X, chunks=1000), da.from_array(y, chunks=1000)
    dask_teacher = xgb_dask.DaskXGBClassifier(n_estimators=15, max_depth=3)
    dask_teacher.client = client
    dask_teacher.fit(Xd, yd)
    model = DistilledClassifier(dask_teacher, _tree()).fit(Xd, yd)
    assert model.teacher_ is dask_teacher
    expected = dask_teacher.predict(Xd).compute()
    np.testing.assert_array_equal(model.teacher_predict(X), expected)
    assert fidelity_score(None, model, Xd) == pytest.approx(model.fidelity(X))

    unfitted = xgb_dask.DaskXGBClassifier(n_estimators=10, max_depth=2)
    model = DistilledClassifier(unfitted, _tree()).fit(Xd, yd)
    assert model.fidelity(X) > 0.8
    assert not hasattr(unfitted, "_Booster")


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------
def test_columns_that_differ_from_X_are_refused(client, data):
    X, y, teacher = data
    frame = _frame(X)
    pool = dd.from_pandas(frame.rename(columns={"f2": "other"}), npartitions=2)
    model = DistilledClassifier(teacher, _tree())
    with pytest.raises(ValueError, match=r"missing \['f2'\].*unexpected \['other'\]"):
        model.fit(frame, y, X_unlabeled=pool)
    with pytest.raises(ValueError, match="X_unlabeled has 5 features but X has 6"):
        model.fit(X, y, X_unlabeled=da.from_array(X[:, :5], chunks=500))


def test_nan_in_a_partition_is_refused_as_in_memory(client, data):
    X, y, _ = data
    teacher = LogisticRegression(max_iter=500).fit(X, y)
    pool = X[:2000].copy()
    pool[1500, 2] = np.nan
    model = DistilledClassifier(teacher, LogisticRegression(max_iter=200))
    with pytest.raises(ValueError, match="Partition 2 of X_unlabeled: .*NaN"):
        model.fit(X, y, X_unlabeled=da.from_array(pool, chunks=700))
    # a teacher and student that take NaN get it, as in memory
    tree = DistilledClassifier(data[2], _tree()).fit(
        X, y, X_unlabeled=da.from_array(pool, chunks=700)
    )
    assert tree.n_distill_samples_ == len(X) + len(pool)


def test_empty_partitions_are_skipped(client, data):
    X, y, teacher = data
    frame = _frame(X).assign(keep=np.arange(len(X)) < 1000)
    ddf = dd.from_pandas(frame, npartitions=3)
    pool = ddf[ddf["keep"]].drop(columns="keep")  # partitions 2 and 3 are empty
    model = DistilledClassifier(teacher, _tree()).fit(
        frame.drop(columns="keep")[:300], y[:300], X_unlabeled=pool
    )
    assert model.n_distill_samples_ == 1300


def test_a_failing_partition_is_a_clear_error(client, data):
    X, y, teacher = data

    def fragile(rows):
        if np.any(rows[:, 0] == 10.0):
            raise ArithmeticError("cannot score rows this far out")
        return teacher.predict_proba(rows)

    pool = X.copy()
    pool[2500, 0] = 10.0
    model = DistilledClassifier(
        as_teacher(fragile, classes=[0, 1, 2]), _tree(), random_state=0
    )
    with pytest.raises(RuntimeError, match="Partition 3 of X_unlabeled: Arithmetic"):
        model.fit(X[:100], y[:100], X_unlabeled=da.from_array(pool, chunks=700))


def test_misaligned_labels_are_refused(client, data):
    X, y, teacher = data
    Xd = da.from_array(X, chunks=1000)
    yd = da.from_array(y, chunks=1000)[:-1]
    with pytest.raises(ValueError, match="y"):
        DistilledClassifier(teacher, _tree()).fit(Xd, yd)
    with pytest.raises(TypeError, match="must all be Dask collections"):
        DistilledClassifier(teacher, _tree()).fit(X, da.from_array(y, chunks=1000))


def test_an_unfitted_in_memory_teacher_cannot_train_on_dask(client, data):
    X, y, _ = data
    Xd, yd = da.from_array(X, chunks=1000), da.from_array(y, chunks=1000)
    with pytest.raises(TypeError, match="cannot be trained on a Dask collection"):
        DistilledClassifier(student=_tree()).fit(Xd, yd)


def test_missing_extra_names_it(data, monkeypatch):
    X, y, teacher = data
    pool = da.from_array(X, chunks=1000)  # built while Dask is importable
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'interpretkd\[dask\]'"):
        DistilledClassifier(teacher, _tree()).fit(X, y, X_unlabeled=pool)
    with pytest.raises(ImportError, match=r"interpretkd\[dask\]"):
        fidelity_score(teacher, _tree().fit(X, y), pool)


def test_categorical_columns_of_a_dask_frame(client):
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], n),
            "size": pd.Categorical(rng.choice(list("SML"), n), categories=list("SML")),
        }
    )
    y = ((frame["a"] > 0) ^ (frame["color"] == "red")).astype(int)
    teacher = DistilledClassifier(random_state=0).fit(frame, y).teacher_
    ref = DistilledClassifier(teacher, _tree()).fit(frame, y)
    ddf = dd.from_pandas(frame, npartitions=3)
    ddf = ddf.assign(size=ddf["size"].cat.as_unknown())  # categories Dask must find
    model = DistilledClassifier(teacher, _tree()).fit(ddf, dd.from_pandas(y, 3))
    assert model.categories_ == ref.categories_
    assert _same_tree(model, ref)


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tables(tmp_path_factory, data):
    X, y, _ = data
    root = tmp_path_factory.mktemp("tables")
    cols = [f"f{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=cols).assign(label=y)
    (root / "events").mkdir()
    for i in range(3):
        frame.iloc[i * 1000 : (i + 1) * 1000].to_parquet(
            root / "events" / f"part{i}.parquet"
        )
    teacher = XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1, random_state=0)
    teacher.fit(frame[cols][:600], y[:600])
    teacher.save_model(root / "teacher.json")
    return root


def _invoke(*args):
    from click.testing import CliRunner

    from interpretkd.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)


def test_cli_distills_parquet_files_on_a_scheduler(client, tables):
    out = tables / "student.skops"
    result = _invoke(
        "distill",
        tables / "teacher.json",
        "--data",
        str(tables / "events" / "*.parquet"),
        "--target",
        "label",
        "--out",
        out,
        "--student",
        "tree",
        "--scheduler",
        client.scheduler.address,
        "--report",
        tables / "report.html",
    )
    assert result.exit_code == 0, result.output
    assert "fidelity on the held-out 20% of --data" in result.output
    fidelity = float(result.output.split("--data: ")[1].split()[0])
    assert fidelity > 0.8
    assert out.exists() and (tables / "report.html").exists()


def test_cli_pattern_needs_a_scheduler(tables):
    result = _invoke(
        "distill",
        tables / "teacher.json",
        "--data",
        str(tables / "events" / "*.parquet"),
        "--target",
        "label",
        "--out",
        tables / "never.skops",
    )
    assert result.exit_code == 2
    assert "--scheduler" in result.output
    result = _invoke(
        "distill",
        tables / "teacher.json",
        "--data",
        str(tables / "nothing" / "*.parquet"),
        "--target",
        "label",
        "--out",
        tables / "never.skops",
        "--scheduler",
        "local",
    )
    assert result.exit_code == 2
    assert "no file matches" in result.output
    assert not (tables / "never.skops").exists()


def test_cli_refuses_rows_without_labels_on_a_scheduler(client, tables, tmp_path):
    frame = pd.read_parquet(tables / "events" / "part0.parquet")
    frame["label"] = frame["label"].astype(float)
    frame.loc[frame.index[7], "label"] = np.nan
    frame.to_parquet(tmp_path / "part0.parquet")
    result = _invoke(
        "distill",
        tables / "teacher.json",
        "--data",
        str(tmp_path / "*.parquet"),
        "--target",
        "label",
        "--out",
        tmp_path / "student.skops",
        "--scheduler",
        client.scheduler.address,
    )
    assert result.exit_code == 1
    assert "label column 'label' is empty in 1 row(s)" in result.output
    assert not (tmp_path / "student.skops").exists()
