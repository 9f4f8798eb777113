"""interpretkd.testing: assert_faithful, make_teacher_problem and the pytest plugin."""

import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import DistilledClassifier, DistilledRegressor, fidelity_score
from interpretkd.testing import assert_faithful, make_teacher_problem

ROOT = Path(__file__).resolve().parents[1]
HAS_SETUPTOOLS = importlib.util.find_spec("setuptools") is not None


@pytest.fixture(scope="module")
def problem():
    return make_teacher_problem("classification", n_classes=3, random_state=0)


def _copy_with_class_replaced(problem, source, target):
    """A student that reproduces the teacher on X_test except that it says
    ``target`` wherever the teacher says ``source``: built to disagree on exactly
    the rows of one class."""
    labels = problem.teacher.predict(problem.X_test)
    wanted = np.where(labels == source, target, labels)
    student = DecisionTreeClassifier(random_state=0).fit(problem.X_test, wanted)
    assert np.array_equal(student.predict(problem.X_test), wanted)
    return student, labels


# --- assert_faithful, classification --------------------------------------------------


def test_unfaithful_student_fails_naming_the_class_and_its_leaves(problem):
    student, labels = _copy_with_class_replaced(problem, source=2, target=0)
    n_wrong = int(np.sum(labels == 2))
    with pytest.raises(AssertionError) as info:
        assert_faithful(student, problem.teacher, problem.X_test, min_fidelity=0.9)
    message = str(info.value)
    assert f"({n_wrong} disagree)" in message
    assert f"class 2: {n_wrong} of {n_wrong} rows (fidelity 0.0000)" in message
    assert "class 0:" not in message and "class 1:" not in message
    assert f"2 -> 0: {n_wrong}" in message
    # The leaves named are leaves the student's own apply puts those rows in.
    named = {int(n) for n in re.findall(r"node (\d+): \d+ of", message)}
    leaves_of_class_2 = set(student.apply(problem.X_test[labels == 2]).tolist())
    assert named and named <= leaves_of_class_2
    first = np.flatnonzero(labels == 2)[:5].tolist()
    assert f"Rows that disagree (positions in X): {first}" in message


def test_faithful_student_passes(problem):
    student, _ = _copy_with_class_replaced(problem, source=2, target=2)
    assert_faithful(student, problem.teacher, problem.X_test, min_fidelity=1.0)
    assert_faithful(
        student, problem.teacher, problem.X_test, min_fidelity=1.0, by_class=True
    )


def test_by_class_catches_a_class_the_overall_figure_hides():
    problem = make_teacher_problem(n_classes=3, n_samples=2000, random_state=1)
    labels = problem.teacher.predict(problem.X_test)
    rare = 2
    # Keep only a few rows of the rare class, so overall agreement stays high.
    keep = (labels != rare) | (np.cumsum(labels == rare) <= 10)
    X = problem.X_test[keep]
    student, _ = _copy_with_class_replaced(
        dataclasses.replace(problem, X_test=X), source=rare, target=0
    )
    assert fidelity_score(problem.teacher, student, X) > 0.95
    assert_faithful(student, problem.teacher, X, min_fidelity=0.95)
    with pytest.raises(AssertionError, match="within 1 of the teacher's classes") as e:
        assert_faithful(student, problem.teacher, X, min_fidelity=0.95, by_class=True)
    assert "class 2: 10 of 10 rows (fidelity 0.0000)  <- below min_fidelity" in str(
        e.value
    )


def test_distiller_with_its_own_teacher_matches_fidelity_score(problem):
    model = DistilledClassifier(
        problem.teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    ).fit(problem.X_train, problem.y_train)
    fidelity = fidelity_score(None, model, problem.X_test)
    assert fidelity < 1.0
    assert_faithful(model, None, problem.X_test, min_fidelity=fidelity)
    assert_faithful(model, problem.teacher, problem.X_test, min_fidelity=fidelity)
    with pytest.raises(AssertionError, match=f"on {fidelity:.4f} of 150 rows"):
        assert_faithful(model, None, problem.X_test, min_fidelity=fidelity + 0.01)


def test_distiller_message_names_the_leaves_of_its_tree_student(problem):
    model = DistilledClassifier(
        problem.teacher, DecisionTreeClassifier(max_depth=2), random_state=0
    ).fit(problem.X_train, problem.y_train)
    X = problem.X_test  # numbers only: the tree student reads them as they are
    wrong = model.predict(X) != model.teacher_predict(X)
    assert wrong.any()
    with pytest.raises(AssertionError) as info:
        assert_faithful(model, None, X, min_fidelity=1.0)
    named = {int(n) for n in re.findall(r"node (\d+): \d+ of", str(info.value))}
    assert named and named <= set(model.student_.apply(X[wrong]).tolist())


def test_string_labels_and_a_frame_index_are_shown_as_the_user_wrote_them():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), index=np.arange(1000, 1200))
    teacher = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        X, np.where(X[0] > 0, "benign", "malignant")
    )
    student = DecisionTreeClassifier(max_depth=1, random_state=0).fit(
        X, np.where(X[1] > 0, "benign", "malignant")
    )
    with pytest.raises(AssertionError) as info:
        assert_faithful(student, teacher, X, min_fidelity=0.9)
    message = str(info.value)
    assert "class 'benign':" in message and "class 'malignant':" in message
    assert "(index labels [10" in message


def test_pipeline_student_reports_the_leaves_of_its_last_step(problem):
    labels = problem.teacher.predict(problem.X_test)
    student = make_pipeline(
        StandardScaler(), DecisionTreeClassifier(max_depth=1, random_state=0)
    ).fit(problem.X_test, labels)
    with pytest.raises(AssertionError, match=r"node ids from its apply\): node [12]"):
        assert_faithful(student, problem.teacher, problem.X_test, min_fidelity=0.99)


# --- assert_faithful, regression ------------------------------------------------------


def test_regression_reports_r2_and_the_rows_with_the_largest_gaps():
    problem = make_teacher_problem("regression", random_state=0)
    targets = problem.teacher.predict(problem.X_train)
    student = DecisionTreeRegressor(max_depth=1).fit(problem.X_train, targets)
    t = problem.teacher.predict(problem.X_test)
    s = student.predict(problem.X_test)
    r2 = 1 - np.sum((t - s) ** 2) / np.sum((t - t.mean()) ** 2)
    with pytest.raises(AssertionError) as info:
        assert_faithful(student, problem.teacher, problem.X_test, min_fidelity=0.9)
    message = str(info.value)
    assert f"R² against the teacher is {r2:.4f} on 150 rows" in message
    worst = np.argsort(-np.abs(s - t))[:5]
    listed = [int(i) for i in re.findall(r"row (\d+): ", message)]
    assert listed == worst.tolist()
    assert "Leaves of the student with the largest mean gap" in message
    assert_faithful(student, problem.teacher, problem.X_test, min_fidelity=r2 - 1e-9)


def test_regression_distiller_on_categorical_columns_and_nan():
    problem = make_teacher_problem(
        "regression", n_categorical=2, missing_rate=0.1, random_state=0
    )
    model = DistilledRegressor(
        problem.teacher, DecisionTreeRegressor(max_depth=6, random_state=0)
    ).fit(problem.X_train, problem.y_train)
    assert_faithful(model, None, problem.X_test, min_fidelity=0.6)


# --- assert_faithful, input checks ----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"min_fidelity": "0.9"}, TypeError, "min_fidelity must be a number"),
        ({"min_fidelity": True}, TypeError, "min_fidelity must be a number"),
        ({"min_fidelity": 1.5}, ValueError, "at most 1"),
        ({"min_fidelity": float("nan")}, ValueError, "finite"),
        ({"min_fidelity": -0.5}, ValueError, r"share in \[0, 1\]"),
        ({"min_fidelity": 0.9, "max_listed": 0}, ValueError, "max_listed"),
    ],
)
def test_bad_arguments_are_refused(problem, kwargs, error, match):
    student, _ = _copy_with_class_replaced(problem, 2, 2)
    with pytest.raises(error, match=match):
        assert_faithful(student, problem.teacher, problem.X_test, **kwargs)


def test_teacher_none_needs_a_distiller(problem):
    student, _ = _copy_with_class_replaced(problem, 2, 2)
    with pytest.raises(ValueError, match="pass the teacher model"):
        assert_faithful(student, None, problem.X_test, min_fidelity=0.9)


def test_by_class_is_refused_for_regression():
    problem = make_teacher_problem("regression")
    with pytest.raises(ValueError, match="by_class=True applies to classifiers"):
        assert_faithful(
            problem.teacher,
            problem.teacher,
            problem.X_test,
            min_fidelity=0.9,
            by_class=True,
        )


# --- make_teacher_problem -------------------------------------------------------------


def test_problem_is_seeded_and_has_the_columns_asked_for():
    a = make_teacher_problem(n_features=7, n_categorical=3, missing_rate=0.2)
    b = make_teacher_problem(n_features=7, n_categorical=3, missing_rate=0.2)
    pd.testing.assert_frame_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert list(a.X_train.columns) == a.feature_names
    assert a.categorical_features == ["c0", "c1", "c2"]
    assert a.n_features == 7
    for name in a.categorical_features:
        assert isinstance(a.X_train[name].dtype, pd.CategoricalDtype)
        assert not a.X_train[name].isna().any()
    numeric = a.X_train.drop(columns=a.categorical_features)
    assert 0.15 < numeric.isna().to_numpy().mean() < 0.25
    assert len(a.X_test) == 150 and len(a.X_train) == 450
    c = make_teacher_problem(n_features=7, n_categorical=3, random_state=1)
    assert not a.X_train.iloc[:, :4].fillna(0).equals(c.X_train.iloc[:, :4])


def test_problem_teacher_is_fitted_and_better_than_chance():
    clf = make_teacher_problem("classification", n_classes=4, n_categorical=1)
    assert list(clf.classes) == [0, 1, 2, 3]
    assert clf.teacher.score(clf.X_test, clf.y_test) > 0.6  # chance is 0.25
    reg = make_teacher_problem("regression", missing_rate=0.1)
    assert reg.classes is None and isinstance(reg.X_train, np.ndarray)
    assert reg.teacher.score(reg.X_test, reg.y_test) > 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"task": "ranking"}, "task must be"),
        ({"n_categorical": 6}, "less than n_features"),
        ({"missing_rate": 0.9}, "missing_rate"),
        ({"n_samples": 5}, "n_samples"),
        ({"n_categorical": 1, "as_frame": False}, "as_frame=False"),
    ],
)
def test_problem_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_teacher_problem(**kwargs)


# --- the pytest plugin, from a project that installs interpretkd ----------------------


def test_fixture_is_found_by_pytest_in_a_project_that_installs_interpretkd(tmp_path):
    """Install the package (not editable) into a folder, then run pytest in a fresh
    project whose tests ask for the fixture by name: the pytest11 entry point must
    register it."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "interpretkd",
        source / "interpretkd",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            # Build with the setuptools already here (offline) where there is one.
            *(["--no-build-isolation", "--no-index"] if HAS_SETUPTOOLS else []),
            "--target",
            str(site),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(
        textwrap.dedent("""
        SITE = SITE_PATH

        import pytest
        from sklearn.tree import DecisionTreeClassifier

        import interpretkd
        from interpretkd import DistilledClassifier
        from interpretkd.testing import assert_faithful


        def test_installed_copy_is_used():
            assert interpretkd.__file__.startswith(SITE)


        def test_default_problem(teacher_problem):
            p = teacher_problem
            assert p.task == "classification"
            model = DistilledClassifier(p.teacher, DecisionTreeClassifier(max_depth=5))
            assert_faithful(model.fit(p.X_train, p.y_train), None, p.X_test,
                            min_fidelity=0.7)


        @pytest.mark.parametrize(
            "teacher_problem",
            ["regression", {"n_categorical": 2, "missing_rate": 0.1}],
            indirect=True,
        )
        def test_parametrised(teacher_problem):
            assert teacher_problem.teacher.score(
                teacher_problem.X_test, teacher_problem.y_test) > 0.5
    """).replace("SITE_PATH", repr(str(site)))
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")
    }
    env["PYTHONPATH"] = str(site)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "test_user.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "4 passed" in run.stdout


def test_loading_the_plugin_imports_no_scientific_library():
    """pytest imports the plugin at the start of every session in a project where
    interpretkd is installed; that must not import scikit-learn (seconds), numpy,
    pandas or torch. The fixture imports what it needs when a test asks for it."""
    code = textwrap.dedent("""
        import sys
        import interpretkd.testing.pytest_plugin
        heavy = ("sklearn", "numpy", "pandas", "scipy", "torch")
        print(sorted(m for m in heavy if m in sys.modules))
    """)
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "[]", run.stdout + run.stderr
