"""fidelity_curve by number of leaves: size_by="leaves" gives every student a leaf
budget (max_leaf_nodes under a depth cap) and says budgets, not depths, everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeClassifier

from interpretkd import DistilledClassifier, fidelity_curve, student_complexity
from interpretkd.soft_tree import SoftDecisionTreeClassifier
from interpretkd.tao import TAOTreeClassifier

BUDGETS = [4, 8, 16]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    teacher = RandomForestClassifier(n_estimators=25, random_state=0).fit(X, y)
    return X, y, teacher


@pytest.fixture(scope="module")
def leaf_curve(data):
    X, y, teacher = data
    return fidelity_curve(teacher, X, y, sizes=BUDGETS, size_by="leaves", cv=3)


def test_every_student_of_a_leaf_sweep_keeps_its_budget(leaf_curve):
    scores = leaf_curve.scores
    # 3 kinds x 3 budgets x 3 folds, each one fitted student.
    assert len(scores) == 27
    assert sorted(scores["size"].unique()) == BUDGETS
    assert (scores["n_leaves"] >= 2).all()
    assert (scores["n_leaves"] <= scores["size"]).all()
    # The depth is only a cap: the budget, not 12 levels, bounds the tree.
    assert (scores["depth"] <= 12).all()
    assert leaf_curve.size_by == "leaves"


@pytest.mark.parametrize("kind", ["tao-oblique", "tao-axis", "cart"])
def test_student_at_a_budget_distills_within_it(data, leaf_curve, kind):
    X, y, teacher = data
    student = leaf_curve.student_at(kind, 8)
    assert student.get_params()["max_leaf_nodes"] == 8
    assert student.get_params()["max_depth"] == 12
    distilled = DistilledClassifier(teacher, student, random_state=0).fit(X, y)
    assert 2 <= student_complexity(distilled)["n_leaves"] <= 8
    # The rows themselves reach no more than 8 leaves (asked of the tree's apply).
    assert np.unique(distilled.student_.apply(X)).size <= 8
    # The curve finds this model at its budget.
    assert leaf_curve.locate(distilled.student_) == (kind, 8)


@pytest.mark.parametrize("tolerance", [0.0, 0.01, 0.05, 1.0])
def test_recommended_budget_is_the_smallest_within_tolerance(leaf_curve, tolerance):
    frame = leaf_curve.to_frame()
    best = frame["fidelity"].max()
    close = frame[frame["fidelity"] >= best - tolerance - 1e-12]
    rec = leaf_curve.recommend(tolerance)
    assert rec["size"] in BUDGETS
    assert rec["size"] == close["size"].min()
    row = frame[(frame["student"] == rec["student"]) & (frame["size"] == rec["size"])]
    assert row["fidelity"].iloc[0] >= best - tolerance - 1e-12
    assert rec["fidelity"] == pytest.approx(row["fidelity"].iloc[0])
    assert rec["size_by"] == "leaves"
    assert rec["params"] == {"max_depth": 12, "max_leaf_nodes": rec["size"]}
    assert "smallest leaf budget" in rec["rule"]
    if tolerance == 1.0:
        assert rec["size"] == BUDGETS[0]


def test_a_leaf_curve_says_budgets_not_depths(leaf_curve):
    rec = leaf_curve.recommended
    text = repr(leaf_curve)
    assert "3 leaf budgets" in text
    assert f"with at most {rec['size']} leaves" in text and "depth" not in text
    assert leaf_curve.describe_size(16) == "with at most 16 leaves"
    fig = leaf_curve.plot(mark=("cart", 8))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "leaf budget (max_leaf_nodes)"
    assert "leaf budget" in ax.get_title()
    labels = ax.get_legend_handles_labels()[1]
    assert f"recommended: {rec['student']}, {rec['size']} leaves" in labels
    assert "chosen: cart, 8 leaves" in labels
    with pytest.raises(ValueError, match="leaf budgets are \\[4, 8, 16\\]"):
        leaf_curve.student_at("cart", 5)


def test_a_depth_curve_does_not_claim_a_budgeted_tree(data):
    X, y, teacher = data
    curve = fidelity_curve(teacher, X, y, students=["cart"], sizes=[3], cv=2)
    assert curve.size_by == "depth"
    assert curve.recommended["params"] == {"max_depth": 3}
    assert curve.describe_size(3) == "at depth 3"
    assert curve.locate(DecisionTreeClassifier(max_depth=3)) == ("cart", 3)
    # Depth 3 with a budget of 5 leaves is not the curve's depth-3 tree.
    budgeted = DecisionTreeClassifier(max_depth=3, max_leaf_nodes=5)
    assert curve.locate(budgeted) is None


def test_a_regression_leaf_sweep_keeps_its_budget():
    X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    teacher = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    curve = fidelity_curve(
        teacher, X, y, students=["tao-axis", "cart"], sizes=[4, 8], size_by="leaves"
    )
    scores = curve.scores
    assert (scores["n_leaves"] <= scores["size"]).all()
    assert curve.recommended["size"] in (4, 8)


class DepthOnlyTree(DecisionTreeClassifier):
    """A tree estimator with a depth and no leaf budget."""

    def __init__(self, max_depth=None):
        super().__init__(max_depth=max_depth)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragments"),
    [
        ({"sizes": [1, 8]}, ValueError, ["leaf budgets", "from 2", "[8, 16, 32, 64]"]),
        ({"sizes": [8, 2.5]}, ValueError, ["leaf budgets", "integers"]),
        ({"sizes": [True, 8]}, ValueError, ["leaf budgets"]),
        ({"sizes": [8, 5000]}, ValueError, ["to 4096"]),
        ({"sizes": []}, ValueError, ["leaf budgets"]),
        (
            {"sizes": [8], "size_by": "nodes"},
            ValueError,
            ["size_by must be 'depth'", "'leaves'", "'nodes'"],
        ),
        (
            {"students": ["soft-tree"]},
            TypeError,
            ["'soft-tree'", "no leaf budget", "2**max_depth", "size_by='depth'"],
        ),
        (
            {"students": [SoftDecisionTreeClassifier()]},
            TypeError,
            ["no leaf budget", "size_by='depth'"],
        ),
        (
            {"students": {"mine": DepthOnlyTree()}},
            TypeError,
            ["'mine'", "no max_leaf_nodes", "Leave it out of students"],
        ),
    ],
)
def test_bad_leaf_budgets_and_kinds_without_one_are_refused(
    data, kwargs, error, fragments
):
    X, y, teacher = data
    options = {"sizes": [8, 16], "size_by": "leaves", "cv": 2, **kwargs}
    with pytest.raises(error) as raised:
        fidelity_curve(teacher, X, y, **options)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, message


def test_depths_still_refuse_zero_and_point_to_leaves(data):
    X, y, teacher = data
    with pytest.raises(ValueError, match="size_by='leaves'"):
        fidelity_curve(teacher, X, y, sizes=[0, 2])
    # A TAO tree with a budget is the same kind as the named one.
    curve = fidelity_curve(
        teacher,
        X,
        y,
        students=["tao-axis"],
        sizes=[4],
        size_by="leaves",
        cv=2,
    )
    tao = TAOTreeClassifier(split="axis", max_depth=12, max_leaf_nodes=4)
    assert curve.student_name(tao) == "tao-axis"
