"""Property: what export shows is the route the model takes, row for row.

On random data and random small trees of every kind — scikit-learn trees, TAO trees
(axis and oblique), soft trees in each prediction mode — alone, fitted on a
DataFrame, behind a Pipeline and inside a distiller: for every row, the leaf named
by the exported tree (``to_dict`` walked here, independently of the model; the text
rules evaluated here), the highlighted path of ``export_graphviz``,
``prediction_path`` and the model's ``apply``/``decision_path`` are the same leaf,
and ``predict`` is that leaf's class or value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_text import features_tested, split_conditions
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd import DistilledClassifier, DistilledRegressor
from interpretkd.export import export_graphviz, export_text, prediction_path, to_dict
from interpretkd.soft_tree import SoftDecisionTreeClassifier, SoftDecisionTreeRegressor
from interpretkd.tao import TAOTreeClassifier, TAOTreeRegressor


def _soft(cls, prediction):
    def make(depth, seed):
        return cls(
            max_depth=depth,
            max_epochs=4,
            learning_rate=0.1,
            prediction=prediction,
            random_state=seed,
        )

    return make


MODELS = {
    "sklearn-classifier": lambda d, s: DecisionTreeClassifier(max_depth=d + 1),
    "sklearn-regressor": lambda d, s: DecisionTreeRegressor(max_depth=d + 1),
    "tao-axis-classifier": lambda d, s: TAOTreeClassifier(
        max_depth=d, max_iter=2, random_state=s
    ),
    "tao-axis-regressor": lambda d, s: TAOTreeRegressor(
        max_depth=d, max_iter=2, random_state=s
    ),
    "tao-oblique-classifier": lambda d, s: TAOTreeClassifier(
        max_depth=d, split="oblique", max_features_per_split=2, max_iter=2
    ),
    "tao-oblique-regressor": lambda d, s: TAOTreeRegressor(
        max_depth=d, split="oblique", max_features_per_split=2, max_iter=2
    ),
    "soft-greedy-classifier": _soft(SoftDecisionTreeClassifier, "greedy"),
    "soft-greedy-regressor": _soft(SoftDecisionTreeRegressor, "greedy"),
    "soft-max_path-classifier": _soft(SoftDecisionTreeClassifier, "max_path"),
    "soft-max_path-regressor": _soft(SoftDecisionTreeRegressor, "max_path"),
    "soft-mixture-classifier": _soft(SoftDecisionTreeClassifier, "mixture"),
}
WRAPPERS = ["plain", "frame", "pipeline", "distiller"]


def _data(n, p, seed, classifier):
    rng = np.random.default_rng(seed)
    # float32 values, so that the text's float64 thresholds and the axis trees'
    # float32 comparisons see the same numbers.
    X = rng.normal(size=(n, p)).astype(np.float32).astype(np.float64)
    score = X[:, 0] - 0.5 * X[:, -1] + 0.3 * rng.normal(size=n)
    if not classifier:
        return X, score + 0.1 * X[:, 0] ** 2
    y = (score > 0).astype(int) + (X[:, 1 % p] > 1.0)
    y[:2] = [0, 1]  # at least two classes
    return X, np.array(["ant", "bee", "cat"])[y]


def _fit(name, wrapper, X, y, depth, seed):
    model = MODELS[name](depth, seed)
    classifier = name.endswith("classifier")
    if wrapper == "frame":
        X = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    elif wrapper == "pipeline":
        model = make_pipeline(StandardScaler(), model)
    elif wrapper == "distiller":
        teacher = (LogisticRegression() if classifier else LinearRegression()).fit(X, y)
        distiller = DistilledClassifier if classifier else DistilledRegressor
        model = distiller(teacher, model, random_state=seed)
    return model.fit(X, y), X


def _student_side(model, X):
    """The fitted tree at the end of ``model`` and X as that tree sees it."""
    if isinstance(model, Pipeline):
        return _student_side(model[-1], model[:-1].transform(X))
    if hasattr(model, "student_"):  # numeric rows reach the student unchanged
        return _student_side(model.student_, np.asarray(X, dtype=np.float64))
    return model, X


def _dict_leaves(tree: dict, X: np.ndarray) -> np.ndarray:
    """The leaf of every row, walking ``to_dict`` output by its stated routing."""
    nodes = {n["id"]: n for n in tree["nodes"]}
    if tree["routing"] in ("hard", "greedy"):
        out = []
        for x in X:
            node = nodes[tree["root"]]
            while node["left"] is not None:
                if "feature" in node:
                    left = x[node["feature"]] <= node["threshold"]
                else:
                    left = np.dot(node["weights"], x) + node["bias"] <= 0
                node = nodes[node["left"] if left else node["right"]]
            out.append(node["id"])
        return np.array(out)
    # max_path and mixture: the leaf of greatest path probability.
    log_path = {tree["root"]: np.zeros(len(X))}
    for node_id in sorted(nodes):
        node = nodes[node_id]
        if node["left"] is None:
            continue
        z = node["beta"] * (X @ np.asarray(node["weights"]) + node["bias"])
        log_path[node["left"]] = log_path[node_id] - np.logaddexp(0.0, z)
        log_path[node["right"]] = log_path[node_id] - np.logaddexp(0.0, -z)
    leaves = [i for i, n in nodes.items() if n["left"] is None]
    scores = np.stack([log_path[i] for i in leaves], axis=1)
    return np.asarray(leaves)[scores.argmax(axis=1)]


_TERM = re.compile(r"(?:^|([+-]) )(?:(\d[0-9.e+-]*) \u00d7 )?(f\d+)")
_OPS = {
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
}


def _conditions(rule: str, one_per_feature: bool) -> list[str]:
    """A rule's conditions, an interval ``0.7 < f0 <= 3.1`` read as ``f0 > 0.7``
    and ``f0 <= 3.1``. ``one_per_feature``: check that no feature is tested twice
    (rules of an axis-aligned tree)."""
    if one_per_feature:
        named = features_tested(rule)
        assert len(named) == len(set(named)), rule
    return [cond for cond, _ in split_conditions(rule)]


def _rule_outputs(text: str, X: np.ndarray, axis: bool = False) -> list[str]:
    """Evaluate ``style="rules"`` text: the output of the one rule that holds.

    A condition reads ``f0 <= 0.5``, ``-1 < f0 <= 0.5`` or, for an oblique split in
    the data's units, ``f2 - 0.31 × f0 + 2 × f1 > 1.5``: the lead term without a
    coefficient. ``axis``: the rules of an axis-aligned tree, one condition per
    feature.
    """
    out = np.full(len(X), None, dtype=object)
    for line in text.strip().splitlines():
        if line.startswith("#"):  # the routing header of a greedy soft tree
            continue
        m = re.match(r"^if (.*) then (?:class|value): (\S+)", line)
        assert m, line
        holds = np.ones(len(X), dtype=bool)
        for cond in _conditions(m.group(1), one_per_feature=axis):
            lhs, op, rhs = re.match(r"^(.*) (<=|>=|<|>) (\S+)$", cond).groups()
            assert "smaller term" not in lhs  # precision=17 writes every term
            value = np.zeros(len(X))
            terms = _TERM.findall(lhs)
            assert " ".join(f"{s} {c} {n}" for s, c, n in terms)  # parsed something
            for sign, coef, name in terms:
                value += (
                    (-1 if sign == "-" else 1)
                    * float(coef or 1.0)
                    * X[:, int(name[1:])]
                )
            holds &= _OPS[op](value, float(rhs))
        assert not np.any(holds & (out != None)), "two rules hold"  # noqa: E711
        out[holds] = m.group(2)
    assert not np.any(out == None), "no rule holds"  # noqa: E711
    return list(out)


def _highlighted(source: str) -> list[int]:
    found = re.findall(r"^n(\d+) \[.*class=\"highlight\"", source, re.M)
    return sorted(int(n) for n in found)


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("name", list(MODELS))
@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    n=st.integers(25, 60),
    p=st.integers(2, 4),
    depth=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_every_export_shows_the_route_the_model_takes(name, wrapper, n, p, depth, seed):
    classifier = name.endswith("classifier")
    X, y = _data(n, p, seed, classifier)
    model, X_in = _fit(name, wrapper, X, y, depth, seed)
    X_new = _data(15, p, seed + 1, classifier)[0]
    rows = np.vstack([X, X_new])
    rows_in = pd.DataFrame(rows, columns=X_in.columns) if wrapper == "frame" else rows
    tree, X_tree = _student_side(model, rows_in)
    X_tree = np.asarray(X_tree, dtype=np.float64)

    leaves = tree.apply(X_tree if wrapper != "frame" else rows_in)
    path_ends = [
        int(r.indices.max())
        for r in tree.decision_path(X_tree if wrapper != "frame" else rows_in)
    ]
    np.testing.assert_array_equal(path_ends, leaves)

    names = [f"f{i}" for i in range(X_tree.shape[1])]
    exported = to_dict(model, feature_names=names)
    np.testing.assert_array_equal(_dict_leaves(exported, X_tree), leaves)

    # predict is the leaf's class or value (a mixture averages all leaves instead).
    nodes = {node["id"]: node for node in exported["nodes"]}
    predicted = model.predict(rows_in)
    leaf_values = np.array([nodes[leaf]["value"] for leaf in leaves])
    if "mixture" not in name:
        if classifier:
            classes = np.asarray(exported["class_names"])[leaf_values.argmax(axis=1)]
            np.testing.assert_array_equal(classes, predicted.astype(str))
        else:
            np.testing.assert_allclose(leaf_values[:, 0], predicted, rtol=1e-9)

    if exported["routing"] in ("hard", "greedy"):
        text = export_text(model, feature_names=names, style="rules", precision=17)
        # The text reads in the user's units: a pipeline's scaler is undone.
        axis = name.startswith(("sklearn", "tao-axis"))
        outputs = _rule_outputs(text, rows if wrapper == "pipeline" else X_tree, axis)
        if classifier:
            np.testing.assert_array_equal(outputs, predicted.astype(str))
        else:
            np.testing.assert_allclose(np.float64(outputs), predicted, rtol=1e-9)
    else:
        text = export_text(model, feature_names=names)
        assert text.startswith(f'# prediction="{exported["routing"]}"')
        assert "if " not in text

    for i in range(0, len(rows), 9):
        row = rows_in.iloc[i] if wrapper == "frame" else rows[i]
        path = prediction_path(model, row)
        assert path.leaf == path.nodes[-1] == leaves[i]
        if "mixture" in name:
            pass
        elif classifier:
            assert path.prediction == str(predicted[i])
        else:
            assert path.prediction == pytest.approx(predicted[i], rel=1e-9)
        if i % 27 == 0:
            source = export_graphviz(model, highlight=row, min_share=0).source
            assert _highlighted(source) == sorted(path.nodes)
