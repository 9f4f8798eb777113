"""Choosing and trusting a student: fidelity_curve, trust per leaf and per class,
and the HTML report (labelled figures, the curve, the tree at a readable size)."""

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import (
    DistilledClassifier,
    DistilledRegressor,
    FidelityCurve,
    distillation_report,
    fidelity_curve,
    leaf_fidelity,
)
from interpretkd.selection import (
    class_fidelity,
    decision_confusion,
    disagreements,
    student_kind,
)
from interpretkd.tao import TAOTreeClassifier

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz `dot` binary not installed (apt-get install graphviz)",
)


def _and_rule(X):
    return ((X[:, 0] > 0) & (X[:, 1] > 0)).astype(int)


@pytest.fixture(scope="module")
def and_problem():
    """A teacher that decides class 1 exactly when x0 > 0 and x1 > 0.

    A depth-1 student can test one of the two: it agrees on the half of the rows
    where that feature is <= 0 and on half of the rest, 75% in all; depth 2 can
    agree everywhere.
    """
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(1500, 4))
    teacher = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, _and_rule(X))
    assert np.mean(teacher.predict(X) == _and_rule(X)) > 0.99
    return X, _and_rule(X), teacher


@pytest.fixture(scope="module")
def and_curve(and_problem):
    X, y, teacher = and_problem
    return fidelity_curve(
        teacher, X, y, students=["cart", "tao-axis"], sizes=[1, 2, 3], cv=3
    )


# -- fidelity_curve --------------------------------------------------------------------


def test_curve_has_one_row_per_student_and_size(and_curve):
    assert isinstance(and_curve, FidelityCurve)
    frame = and_curve.to_frame()
    assert list(zip(frame["student"], frame["size"])) == [
        (s, d) for s in ("cart", "tao-axis") for d in (1, 2, 3)
    ]
    assert (frame["n_leaves"] <= 2.0 ** frame["size"]).all()
    assert len(and_curve.scores) == 2 * 3 * 3  # students x sizes x folds
    assert set(and_curve.scores["fold"]) == {0, 1, 2}


def test_curve_fidelity_on_held_out_rows_matches_the_hand_count(and_curve):
    frame = and_curve.to_frame().set_index(["student", "size"])
    for student in ("cart", "tao-axis"):
        # One split recovers one half of the rule: 75% agreement.
        assert 0.70 <= frame.loc[(student, 1), "fidelity"] <= 0.80
        # Two splits recover all of it; a third adds nothing to lose.
        assert frame.loc[(student, 2), "fidelity"] >= 0.97
        assert frame.loc[(student, 3), "fidelity"] >= 0.97
    # True labels were given: the teacher's score equals its agreement with y.
    assert (frame["teacher_score"] > 0.97).all()


def test_recommended_is_the_smallest_size_within_tolerance(and_curve):
    best = and_curve.best
    assert best["size"] in (2, 3)
    rec = and_curve.recommended
    assert (rec["size"], and_curve.tolerance) == (2, 0.01)
    assert rec["best_fidelity"] == pytest.approx(best["fidelity"])
    assert "within 0.01 of the best" in rec["rule"]
    # Giving up 30 points of fidelity buys the one-split tree.
    assert and_curve.recommend(0.3)["size"] == 1
    assert and_curve.recommend("1se")["size"] == 2
    assert and_curve.recommend(student="tao-axis")["student"] == "tao-axis"
    with pytest.raises(ValueError, match="No student named"):
        and_curve.recommend(student="soft-tree")


def test_one_split_gives_a_binomial_standard_error(and_problem):
    X, y, teacher = and_problem
    curve = fidelity_curve(teacher, X, students="cart", sizes=[1], cv=0.2)
    assert curve.n_folds == 1 and not curve.labeled
    assert set(curve.scores["n_test"]) == {300}
    row = curve.to_frame().iloc[0]
    f = row["fidelity"]
    assert row["fidelity_se"] == pytest.approx(np.sqrt(f * (1 - f) / 300))
    assert "score" not in curve.to_frame()  # no labels: it would repeat fidelity


def test_regression_curve_measures_r2_against_the_teacher():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(1200, 3))
    y = 3.0 * (X[:, 0] > 0) + 2.0 * (X[:, 1] > 0)
    teacher = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    curve = fidelity_curve(teacher, X, y, students=["cart"], sizes=[1, 2], cv=3)
    frame = curve.to_frame().set_index("size")
    # One split explains var(3 b0) / (var(3 b0) + var(2 b1)) = 2.25 / 3.25.
    assert frame.loc[1, "fidelity"] == pytest.approx(2.25 / 3.25, abs=0.03)
    assert frame.loc[2, "fidelity"] > 0.99
    assert curve.task == "regression" and curve.recommended["size"] == 2


def test_curve_runs_in_parallel_with_the_same_results(and_problem):
    X, y, teacher = and_problem
    kwargs = dict(students=["cart"], sizes=[1, 2], cv=2, random_state=3)
    one = fidelity_curve(teacher, X[:400], y[:400], **kwargs)
    two = fidelity_curve(teacher, X[:400], y[:400], n_jobs=2, **kwargs)
    cols = ["student", "size", "fold", "fidelity", "train_fidelity", "n_leaves"]
    pd.testing.assert_frame_equal(one.scores[cols], two.scores[cols])


def test_curve_takes_estimators_and_distiller_params(and_problem):
    X, y, teacher = and_problem
    curve = fidelity_curve(
        teacher,
        X[:400],
        y[:400],
        students={"labels only": DecisionTreeClassifier()},
        sizes=[2],
        cv=2,
        distiller_params={"alpha": 1.0},
    )
    assert list(curve.students) == ["labels only"]
    assert curve.student_name(DecisionTreeClassifier(max_depth=7)) == "labels only"
    assert curve.student_name(DecisionTreeClassifier(min_samples_leaf=5)) is None


def test_student_kind_names_the_default_kinds():
    assert student_kind(TAOTreeClassifier(split="oblique", max_depth=6)) == (
        "tao-oblique"
    )
    assert student_kind(TAOTreeClassifier(max_depth=3, random_state=1)) == "tao-axis"
    # A distiller's student_ carries the category columns of its data: same kind.
    declared = TAOTreeClassifier(split="oblique", categorical_features=[True, False])
    assert student_kind(declared) == "tao-oblique"
    assert student_kind(DecisionTreeRegressor(max_depth=3)) == "cart"
    two = TAOTreeClassifier(max_features_per_split=2, split="oblique")
    assert student_kind(two) is None
    assert student_kind(DecisionTreeClassifier(criterion="entropy")) is None


def test_curve_refuses_bad_input(and_problem):
    X, y, teacher = and_problem
    with pytest.raises(ValueError, match="not fitted"):
        fidelity_curve(RandomForestClassifier(), X, y)
    with pytest.raises(ValueError, match="Unknown student kind 'tao'"):
        fidelity_curve(teacher, X, y, students=["tao"])
    with pytest.raises(TypeError, match="no max_depth"):
        fidelity_curve(teacher, X, y, students=[LogisticRegression()])
    with pytest.raises(ValueError, match="sizes must be depths"):
        fidelity_curve(teacher, X, y, sizes=[0, 2])
    with pytest.raises(ValueError, match="may not set 'student'"):
        fidelity_curve(teacher, X, y, distiller_params={"student": None})
    with pytest.raises(ValueError, match="tolerance"):
        fidelity_curve(teacher, X, y, tolerance=-1)
    with pytest.raises(ValueError, match="one held-out split"):
        fidelity_curve(teacher, X, y, cv=1)
    with pytest.raises(ValueError, match="rows but y has"):
        fidelity_curve(teacher, X, y[:10])


def test_curve_plot_marks_the_recommended_and_the_chosen_model(and_curve):
    pytest.importorskip("matplotlib")
    fig = and_curve.plot(mark=("cart", 3))
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    # Both kinds agree almost everywhere at depth 2; the recommended one is the more
    # faithful of the two there (with the rollout start, the TAO tree).
    rec = and_curve.recommended["student"]
    assert f"recommended: {rec}, size 2" in labels
    assert "chosen: cart, size 3" in labels
    assert ax.get_xlabel() == "depth" and "3-fold" in ax.get_title()
    assert and_curve.plot(x="n_leaves").axes[0].get_xlabel() == "leaves"
    with pytest.raises(ValueError, match="not on the curve"):
        and_curve.plot(mark=("cart", 9))
    assert f"recommended {rec} size 2" in repr(and_curve)


# -- trust per region ------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_split():
    """A teacher deciding 1 when x0 > 0 and x1 > 0, a depth-1 student splitting on
    x0 (the only feature whose values are -1 or 1), and ten hand-made rows."""
    rng = np.random.default_rng(0)
    x0 = rng.choice([-1.0, 1.0], size=400)
    # x1 > 0 on 70% of the rows, so the student's right leaf decides class 1.
    x1 = np.where(rng.uniform(size=400) < 0.7, 1.0, -1.0) * rng.choice([0.5, 1], 400)
    X = np.column_stack([x0, x1])
    teacher = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, _and_rule(X))
    student = DecisionTreeClassifier(max_depth=1, random_state=0)
    distilled = DistilledClassifier(teacher, student, random_state=0).fit(
        X, _and_rule(X)
    )
    assert distilled.student_.tree_.feature[0] == 0
    X_test = np.array(
        [[-1, 1], [-1, -1], [-1, 1], [-1, -1]]  # left leaf: teacher 0, student 0
        + [[1, 1]] * 4  # right leaf: teacher 1, student 1
        + [[1, -1]] * 2,  # right leaf: teacher 0, student 1
        dtype=float,
    )
    return distilled, X_test


def test_leaf_fidelity_matches_a_hand_count(one_split):
    distilled, X_test = one_split
    table = leaf_fidelity(distilled, X_test)
    # scikit-learn numbers the root's children 1 (left) and 2 (right).
    assert list(table.index) == [1, 2]
    left, right = table.loc[1], table.loc[2]
    assert (left["n_rows"], left["coverage"], left["student"]) == (4, 0.4, 0)
    assert (left["fidelity"], left["n_disagree"], left["teacher_instead"]) == (
        1.0,
        0,
        None,
    )
    assert (right["n_rows"], right["coverage"], right["student"]) == (6, 0.6, 1)
    assert right["fidelity"] == pytest.approx(4 / 6)
    assert (right["n_disagree"], right["teacher_instead"]) == (2, 0)
    # Wilson's 95% interval for 4 of 6, by its formula.
    z, n, p = 1.959964, 6, 4 / 6
    low = (p + z**2 / (2 * n) - z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))) / (
        1 + z**2 / n
    )
    assert right["fidelity_low"] == pytest.approx(low, abs=1e-4)


def test_per_class_fidelity_and_decision_confusion_match_a_hand_count(one_split):
    distilled, X_test = one_split
    counts = decision_confusion(distilled, X_test)
    assert counts.to_numpy().tolist() == [[4, 2], [0, 4]]
    assert (counts.index.name, counts.columns.name) == ("teacher", "student")
    per_class = class_fidelity(distilled, X_test)
    assert per_class["n_teacher"].tolist() == [6, 4]
    assert per_class["fidelity"].tolist() == pytest.approx([4 / 6, 1.0])
    assert per_class["n_student"].tolist() == [4, 6]
    assert per_class["precision"].tolist() == pytest.approx([1.0, 4 / 6])


def test_disagreements_are_the_rows_where_the_two_differ(one_split):
    distilled, X_test = one_split
    rows = disagreements(distilled, X_test)
    assert list(rows.index) == [8, 9]
    assert rows["teacher"].tolist() == [0, 0] and rows["student"].tolist() == [1, 1]
    assert rows["leaf"].tolist() == [2, 2]


def test_leaf_fidelity_of_a_regressor_gives_the_gaps():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = 3.0 * (X[:, 0] > 0) + 2.0 * (X[:, 1] > 0)
    teacher = DecisionTreeRegressor(max_depth=2).fit(X, y)
    distilled = DistilledRegressor(teacher, DecisionTreeRegressor(max_depth=1)).fit(
        X, y
    )
    table = leaf_fidelity(distilled, X)
    assert table["n_rows"].sum() == 300 and len(table) == 2
    gap = np.abs(distilled.teacher_predict(X) - distilled.predict(X))
    leaves = distilled.student_.apply(X)
    for leaf, row in table.iterrows():
        assert row["max_abs_gap"] == pytest.approx(gap[leaves == leaf].max())
    with pytest.raises(TypeError, match="regressor"):
        class_fidelity(distilled, X)
    assert disagreements(distilled, X)["abs_gap"].is_monotonic_decreasing


def test_region_functions_refuse_what_they_cannot_measure(one_split):
    distilled, X_test = one_split
    with pytest.raises(TypeError, match="fitted DistilledClassifier"):
        leaf_fidelity(DecisionTreeClassifier(), X_test)
    linear = DistilledClassifier(
        distilled.teacher_, LogisticRegression(), random_state=0
    ).fit(X_test, _and_rule(X_test))
    with pytest.raises(TypeError, match="no leaves"):
        leaf_fidelity(linear, X_test)
    assert "leaf" not in disagreements(linear, X_test)


# -- the report ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split_problem():
    X, y = make_classification(
        n_samples=900, n_features=8, n_informative=6, n_classes=3, random_state=0
    )
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    return X.iloc[:600], X.iloc[600:], y[:600], y[600:]


@pytest.fixture(scope="module")
def forest(split_problem):
    X_train, _, y_train, _ = split_problem
    return RandomForestClassifier(n_estimators=30, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def deep_model(split_problem, forest):
    X_train, _, y_train, _ = split_problem
    student = DecisionTreeClassifier(max_depth=6, random_state=0)
    return DistilledClassifier(forest, student, random_state=0).fit(X_train, y_train)


@pytest.fixture(scope="module")
def report(split_problem, deep_model):
    X_train, X_test, y_train, y_test = split_problem
    curve = fidelity_curve(
        deep_model.teacher_,
        X_train,
        y_train,
        students=["cart", "tao-axis"],
        sizes=[2, 4, 6],
        cv=2,
    )
    return distillation_report(
        deep_model,
        X_test,
        y_test,
        teacher_trained_on_X=False,
        X_train=X_train,
        y_train=y_train,
        curve=curve,
    )


def test_report_holds_figures_of_both_row_sets(report, split_problem, deep_model):
    X_train, X_test, y_train, y_test = split_problem
    m = report.metrics
    assert m["fidelity"] == pytest.approx(deep_model.fidelity(X_test))
    assert m["train_fidelity"] == pytest.approx(deep_model.fidelity(X_train))
    # The forest fits its own training rows perfectly, not the held-out ones.
    assert m["train_teacher_score"] == 1.0 > m["teacher_score"]
    assert (m["n_samples"], m["n_train_samples"]) == (300, 600)
    assert (m["teacher_trained_on_X"], m["student_trained_on_X"]) == (False, False)
    assert report.leaves["n_rows"].sum() == 300
    assert report.confusion.to_numpy().trace() == round(m["fidelity"] * 300)


@needs_dot
def test_report_page_labels_every_figure_with_its_rows(report):
    page = report.to_html(shap=False)
    figures = page[page.index("<h2>Figures</h2>") : page.index("<h3>")]
    assert "<th>held-out rows</th><th>training rows</th>" in figures
    assert "The teacher was not trained on the held-out rows" in figures
    for heading in (
        "Choosing the size",
        "The student",
        "Where the student can be trusted: its leaves on the held-out rows",
        "Decisions of teacher and student",
        "Per class",
    ):
        assert f">{heading}</h" in page
    # The curve: an inline SVG, this model (cart, depth 6) marked, the rule said.
    assert "This model (cart, depth 6) on the curve" in page
    assert "chosen: cart, size 6" in page and "within 0.01 of the best" in page
    # Self-contained: no file or address is fetched.
    assert not re.search(r"""(src|href)=["'](https?:|file:|//)""", page)
    assert "<link" not in page and "<script src" not in page


def test_report_says_when_the_teacher_saw_the_rows(split_problem, deep_model):
    X_train, _, y_train, _ = split_problem
    seen = distillation_report(
        deep_model,
        X_train,
        y_train,
        teacher_trained_on_X=True,
        student_trained_on_X=True,
    ).to_html(shap=False)
    assert "<th>training rows</th>" in seen
    assert "The teacher was trained on the training rows" in seen
    assert "1.0000 &dagger;" in seen  # its perfect score carries the mark
    unknown = distillation_report(deep_model, X_train, y_train).to_html(shap=False)
    assert "not told whether the teacher was trained" in unknown
    with pytest.raises(TypeError, match="True, False or None"):
        distillation_report(deep_model, X_train, y_train, teacher_trained_on_X="yes")
    with pytest.raises(ValueError, match="y_train was given without X_train"):
        distillation_report(deep_model, X_train, y_train, y_train=y_train)


def test_report_computes_its_own_curve_on_request(split_problem, forest):
    X_train, X_test, y_train, y_test = split_problem
    X_fit, y_fit = X_train.iloc[:200], y_train[:200]
    student = TAOTreeClassifier(max_depth=2, split="oblique", max_iter=2)
    model = DistilledClassifier(forest, student, random_state=0).fit(X_fit, y_fit)
    with pytest.raises(ValueError, match="pass X_train"):
        distillation_report(model, X_test, y_test, curve=True)
    options = {"students": ["cart"], "sizes": [1, 2], "cv": 2}
    rep = distillation_report(
        model, X_test, y_test, X_train=X_fit, y_train=y_fit, curve=options
    )
    # Not the default oblique kind (max_iter=2): added under its class name.
    assert list(rep.curve.students) == ["cart", "TAOTreeClassifier"]
    assert rep.curve.student_name(model.student_) == "TAOTreeClassifier"
    assert sorted(set(rep.curve.scores["size"])) == [1, 2] and rep.curve.n_folds == 2


def test_regression_report_shows_gaps_per_leaf():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 3))
    y = 3.0 * (X[:, 0] > 0) + X[:, 1]
    forest = RandomForestRegressor(n_estimators=10, random_state=0).fit(
        X[:300], y[:300]
    )
    model = DistilledRegressor(forest, DecisionTreeRegressor(max_depth=3)).fit(
        X[:300], y[:300]
    )
    rep = distillation_report(model, X[300:], y[300:], teacher_trained_on_X=False)
    assert rep.confusion is None and rep.classes is None
    assert set(rep.leaves.columns) >= {"mean_abs_gap", "max_abs_gap"}
    page = rep.to_html(shap=False)
    assert "Gap between teacher and student" in page and "mean |gap|" in page


def test_report_says_what_the_shap_step_does(report, capsys):
    pytest.importorskip("shap")
    page = report.to_html(n_background=5, max_samples=10, verbose=1)
    err = capsys.readouterr().err
    assert "[report] SHAP: explaining 10 rows" in err and "SHAP: done in" in err
    assert "SHAP side by side, on the held-out rows" in page


# -- the page in a real browser --------------------------------------------------------


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


needs_chromium = pytest.mark.skipif(
    _chromium() is None,
    reason="headless Chromium not installed (apt-get install -y chromium)",
)

# Appended to a copy of the page: measures every text of the tree as drawn (its
# font size times the SVG's scale on screen), at full size and after "fit the
# width", and writes the results into the DOM for --dump-dom to return.
_MEASURE = """<script>
(function () {
  var view = document.getElementById("tree-view");
  var svg = view.querySelector("svg");
  function smallest() {
    var least = Infinity;
    svg.querySelectorAll("text").forEach(function (t) {
      var px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
      least = Math.min(least, px);
    });
    return least.toFixed(2);
  }
  var full = smallest();
  var wide = svg.getBoundingClientRect().width > view.clientWidth;
  document.getElementById("zoom-fit").click();
  var fit = smallest();
  var out = document.createElement("div");
  out.id = "measured";
  out.textContent = "full=" + full + " wide=" + wide + " fit=" + fit +
    " texts=" + svg.querySelectorAll("text").length;
  document.body.appendChild(out);
})();
</script></body>"""


def _browse(page_path, *flags):
    common = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu"]
    return subprocess.run(
        [*common, *flags, page_path.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout


@needs_dot
@needs_chromium
def test_tree_text_is_at_least_10px_in_a_browser_at_depth_6(report, tmp_path):
    page = report.to_html(shap=False)
    assert report.metrics["student_depth"] == 6
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _MEASURE), encoding="utf-8")
    dom = _browse(
        probe, "--window-size=1100,900", "--virtual-time-budget=5000", "--dump-dom"
    )
    m = re.search(r"full=([\d.]+) wide=(\w+) fit=([\d.]+) texts=(\d+)", dom)
    assert m, "the measuring script did not run"
    full, wide, fit, texts = float(m[1]), m[2], float(m[3]), int(m[4])
    assert texts > 50
    # Drawn at full size, every label of the depth-6 tree is at least 10 px high;
    # the tree is wider than the page and scrolls instead of shrinking.
    assert full >= 10.0 and wide == "true"
    # "fit the width" shrinks it (the zoom works), below what full size shows.
    assert fit < full


@needs_dot
@needs_chromium
def test_report_opens_and_prints_in_a_browser(report, tmp_path):
    path = tmp_path / "report.html"
    report.to_html(path, shap=False)
    dom = _browse(path, "--dump-dom")
    assert "<svg" in dom and "Decisions of teacher and student" in dom
    pdf = tmp_path / "report.pdf"
    _browse(path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page") >= 2


@needs_dot
def test_tree_svg_keeps_its_full_size(report):
    page = report.to_html(shap=False)
    start = page.index("<svg", page.index('id="tree-view"'))
    svg = page[start : page.index("</svg>", start) + 6]
    root = ET.fromstring(svg)
    width = float(root.get("width").removesuffix("px"))
    # Graphviz points become pixels (4/3): a 10-point label is 13.3 px at 100%.
    view_box = [float(v) for v in root.get("viewBox").split()]
    assert width == pytest.approx(view_box[2] * 4 / 3, abs=1.0)
    assert "max-width:100%" not in svg


@needs_dot
def test_class_names_rename_every_table_and_the_picture(split_problem, deep_model):
    _, X_test, _, y_test = split_problem
    names = ["ant", "bee", "cat"]
    plain = distillation_report(deep_model, X_test, y_test)
    named = distillation_report(deep_model, X_test, y_test, class_names=names)
    assert list(named.confusion.index) == names == list(named.confusion.columns)
    np.testing.assert_array_equal(named.confusion, plain.confusion)
    assert list(named.classes.index) == names
    assert set(named.leaves["student"]) <= set(names)
    page = named.to_html(shap=False)
    assert "<th>ant</th><th>bee</th><th>cat</th>" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert any(f">{n}</text>" in svg for n in names)
    # Each leaf of the picture has its badge on the report's rows.
    assert re.search(r"held(-|&#45;)out rows: \d+ \(", svg) and "fidelity " in svg
    by_label = distillation_report(deep_model, X_test, class_names={2: "cat"})
    assert list(by_label.confusion.index) == ["0", "1", "cat"]  # the rest: labels


def test_class_names_must_name_each_class_once(split_problem, deep_model):
    _, X_test, _, _ = split_problem
    with pytest.raises(ValueError, match="2 names but the model has 3 classes"):
        distillation_report(deep_model, X_test, class_names=["a", "b"])
    with pytest.raises(ValueError, match="repeats"):
        distillation_report(deep_model, X_test, class_names=["a", "a", "b"])
    with pytest.raises(ValueError, match="not classes of the model"):
        distillation_report(deep_model, X_test, class_names={7: "x"})
    with pytest.raises(TypeError, match="list of names"):
        distillation_report(deep_model, X_test, class_names="a,b,c")
