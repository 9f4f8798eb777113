"""Tests of interpretkd.explain: SHAP of a teacher and its student, side by side."""

import base64
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd.distill import DistilledClassifier
from interpretkd.explain import ShapComparison, compare_shap
from interpretkd.soft_tree import SoftDecisionTreeClassifier

pytest.importorskip("shap", reason="shap is an optional extra: interpretkd[explain]")

NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    return pd.DataFrame(X, columns=NAMES), y


@pytest.fixture(scope="module")
def forest(data):
    X, y = data
    return RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(
        X, y
    )


@pytest.fixture(scope="module")
def soft_tree(data, forest):
    X, _ = data
    return SoftDecisionTreeClassifier(
        max_depth=2, max_epochs=10, learning_rate=0.05, random_state=0
    ).fit(X, forest.predict_proba(X))


@pytest.mark.parametrize("which", ["forest", "soft_tree"])
def test_a_model_compared_with_itself_agrees_perfectly(which, request, data):
    model = request.getfixturevalue(which)
    cmp = compare_shap(model, model, data[0], max_samples=40, n_background=15)
    assert cmp.rank_correlation == pytest.approx(1.0)
    np.testing.assert_allclose(cmp.sample_agreement, 1.0)
    assert cmp.top_feature_agreement == 1.0
    expected = "tree" if which == "forest" else "exact"
    assert cmp.teacher_explainer == cmp.student_explainer == expected


def test_values_add_up_to_each_models_probability(data, forest, soft_tree):
    X, _ = data
    rows, background = X.iloc[:30], X.iloc[100:120]
    cmp = compare_shap(forest, soft_tree, rows, background=background, max_samples=30)
    k = forest.predict_proba(rows).argmax(axis=1)
    i = np.arange(len(rows))
    for model, values in (
        (forest, cmp.teacher_values),
        (soft_tree, cmp.student_values),
    ):
        gap = model.predict_proba(rows)[i, k] - model.predict_proba(background)[
            :, k
        ].mean(0)
        np.testing.assert_allclose(values.sum(axis=1), gap, atol=1e-6)
    assert cmp.teacher_explainer == "tree" and cmp.student_explainer == "exact"
    assert cmp.teacher_values.shape == cmp.student_values.shape == (30, 6)


def test_linear_regression_values_are_coef_times_centred_x():
    # Ten features: the model-agnostic path samples feature orderings, which for an
    # additive model still gives the exact values.
    X, y = make_regression(n_samples=80, n_features=10, random_state=0)
    linear = LinearRegression().fit(X, y)
    tree = DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, linear.predict(X))
    background = X[:25]
    cmp = compare_shap(linear, tree, X[40:60], background=background)
    expected = linear.coef_ * (X[40:60] - background.mean(axis=0))
    np.testing.assert_allclose(cmp.teacher_values, expected, atol=1e-8)
    gap = tree.predict(X[40:60]) - tree.predict(background).mean()
    np.testing.assert_allclose(cmp.student_values.sum(axis=1), gap, rtol=1e-5)
    assert cmp.feature_names == [f"x[{i}]" for i in range(10)]
    assert cmp.teacher_explainer == "permutation"


def test_importances_rank_the_features_the_model_uses(data):
    X, y = data
    # A stump on one feature: all its importance is on that feature.
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    used = NAMES[stump.tree_.feature[0]]
    cmp = compare_shap(stump, stump, X, max_samples=30, n_background=10)
    frame = cmp.to_frame()
    assert frame.index[0] == used
    assert frame.loc[used, "teacher_rank"] == 1
    assert (frame.drop(index=used)["teacher"] == 0).all()
    # Constant importances elsewhere make Spearman's rho undefined for a pair of
    # stumps on different features; the comparison says so rather than guessing.
    assert np.isnan(cmp.rank_correlation) or cmp.rank_correlation == 1.0


def test_distiller_shortcut_matches_explicit_call(data):
    X, y = data
    teacher = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
    distilled = DistilledClassifier(
        teacher.fit(X, y), DecisionTreeClassifier(max_depth=3), random_state=0
    ).fit(X, y)
    short = compare_shap(distilled, X, max_samples=30, n_background=10)
    explicit = compare_shap(
        distilled.teacher_, distilled.student_, X, max_samples=30, n_background=10
    )
    np.testing.assert_allclose(short.student_values, explicit.student_values)
    assert short.rank_correlation == pytest.approx(explicit.rank_correlation)
    assert -1 <= short.rank_correlation <= 1


def test_plot_shows_both_models_side_by_side(data, forest, soft_tree):
    cmp = compare_shap(forest, soft_tree, data[0], max_samples=20, n_background=10)
    fig = cmp.plot(max_features=4)
    left, right = fig.axes
    labels = [t.get_text() for t in left.get_yticklabels()]
    assert len(labels) == 4 and set(labels) <= set(NAMES)
    assert "RandomForestClassifier" in left.get_title()
    assert "SoftDecisionTreeClassifier" in right.get_title()
    assert "Spearman" in fig.get_suptitle()
    assert isinstance(cmp, ShapComparison)
    assert set(cmp.summary()) >= {"rank_correlation", "mean_sample_agreement"}


def test_clear_errors(data, forest, monkeypatch):
    X, _ = data
    with pytest.raises(TypeError, match="teacher and a student"):
        compare_shap(forest, X=X)
    bad = X.assign(colour="red")
    with pytest.raises(TypeError, match="numeric"):
        compare_shap(forest, forest, bad)
    with pytest.raises(ValueError, match="background must have shape"):
        compare_shap(forest, forest, X, background=X.iloc[:5, :3])
    with pytest.raises(ValueError, match="max_samples"):
        compare_shap(forest, forest, X, max_samples=0)
    # inf was accepted here though every other entry point refuses it (issue 15).
    with pytest.raises(ValueError, match="X contains infinite values"):
        compare_shap(forest, forest, X.assign(**{NAMES[0]: np.inf}))
    with pytest.raises(ValueError, match="background contains infinite values"):
        compare_shap(forest, forest, X, background=X.iloc[:5] * np.inf)
    monkeypatch.setitem(sys.modules, "shap", None)
    with pytest.raises(ImportError, match=r"interpretkd\[explain\]"):
        compare_shap(forest, forest, X)


# -- the HTML report with its SHAP figure --------------------------------------------


@pytest.fixture(scope="module")
def report_page(data, tmp_path_factory):
    from interpretkd.report import distillation_report

    X, y = data
    teacher = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)
    distilled = DistilledClassifier(
        teacher.fit(X, y), DecisionTreeClassifier(max_depth=3), random_state=0
    ).fit(X, y)
    path = tmp_path_factory.mktemp("report") / "report.html"
    page = distillation_report(distilled, X, y).to_html(
        path, n_background=10, max_samples=30
    )
    return path, page


def test_report_html_embeds_the_shap_figure(report_page):
    path, page = report_page
    assert path.read_text(encoding="utf-8") == page
    m = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert m, "the SHAP figure is missing"
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG")
    assert "Spearman rank correlation" in page and "<svg" in page


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(
    _chromium() is None,
    reason="headless Chromium not installed (apt-get install -y chromium)",
)
def test_report_html_opens_in_a_real_browser(report_page, tmp_path):
    path, _ = report_page
    shot = tmp_path / "page.png"
    common = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu"]
    dom = subprocess.run(
        [*common, "--dump-dom", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    # The browser parsed the page into a DOM holding the tree and the SHAP figure.
    assert "<svg" in dom and "data:image/png;base64," in dom
    assert "Decisions of teacher and student" in dom
    subprocess.run(
        [*common, "--window-size=1000,1400", f"--screenshot={shot}", path.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
