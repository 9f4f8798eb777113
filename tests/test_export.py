"""Tests of interpretkd.export: Graphviz, text rules, JSON, one sample's path."""

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from rule_text import INTERVAL, split_conditions
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from interpretkd.distill import DistilledClassifier
from interpretkd.export import (
    export_graphviz,
    export_json,
    export_text,
    prediction_path,
    to_dict,
)
from interpretkd.soft_tree import SoftDecisionTreeClassifier, SoftDecisionTreeRegressor
from interpretkd.tao import TAOTreeClassifier

NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
CLASSES = ["cat", "dog", "emu"]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz `dot` binary not installed (apt-get install graphviz)",
)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    return pd.DataFrame(X, columns=NAMES), np.asarray(CLASSES)[y]


@pytest.fixture(scope="module")
def hard_tree(data):
    X, y = data
    return DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def soft_tree(data):
    X, y = data
    return SoftDecisionTreeClassifier(
        max_depth=3, max_epochs=15, batch_size=64, learning_rate=0.05, random_state=0
    ).fit(X, y)


@pytest.fixture(scope="module")
def distilled(data):
    X, y = data
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    student = SoftDecisionTreeClassifier(max_depth=2, max_epochs=5, random_state=0)
    return DistilledClassifier(teacher, student, random_state=0).fit(X, y)


def _svg(graph) -> ET.Element:
    root = ET.fromstring(graph.pipe(format="svg"))
    assert root.tag.endswith("svg")
    return root


def _svg_text(root: ET.Element) -> str:
    return " ".join(t for el in root.iter() for t in [el.text] if t)


def _highlighted(source: str) -> set[int]:
    return {
        int(m.group(1))
        for m in re.finditer(r"^n(\d+) \[.*class=\"highlight\"", source, re.M)
    }


def _strength(soft) -> np.ndarray:
    """|w| * feature scale: how far one typical step of a feature moves a split."""
    scale = getattr(soft, "feature_scale_", np.ones(soft.inner_weights_.shape[1]))
    return np.abs(soft.inner_weights_) * scale


def _top_names(soft, k=3) -> set[str]:
    """Features a drawing of ``soft`` must show: each node's ``k`` strongest."""
    return {NAMES[i] for s in _strength(soft) for i in np.argsort(-s)[:k]}


def _drawn(source: str) -> set[int]:
    return {int(m.group(1)) for m in re.finditer(r"^n(\d+) \[", source, re.M)}


# -- pictures --------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("which", ["hard_tree", "soft_tree"])
def test_dot_renders_to_svg_naming_features_and_classes(which, request):
    model = request.getfixturevalue(which)
    root = _svg(export_graphviz(model))
    text = _svg_text(root)
    used = (
        {NAMES[f] for f in model.tree_.feature if f >= 0}
        if which == "hard_tree"
        else _top_names(model)
    )
    for name in used:
        assert name in text
    assert any(c in text for c in CLASSES)


@needs_dot
def test_distiller_is_drawn_with_its_own_feature_and_class_names(distilled, data):
    # The soft student was fitted on soft targets and named with the labels.
    assert list(distilled.student_.classes_) == CLASSES
    graph = export_graphviz(distilled, highlight=data[0].iloc[0])
    text = _svg_text(_svg(graph))
    assert "cat" in text
    assert all(name in text for name in _top_names(distilled.student_))
    assert export_text(distilled) == export_text(
        distilled.student_, feature_names=NAMES, class_names=CLASSES
    )


def test_soft_tree_top_k_lists_strongest_terms_in_data_units(soft_tree):
    # Each node reads "lead + c × name ... <= t": the lead is the term of largest
    # |w| * spread with coefficient 1, the others w_j / |w_lead| with their signs.
    top_k = 3
    greedy = copy.deepcopy(soft_tree).set_params(prediction="greedy")
    source = export_graphviz(greedy, top_k=top_k).source
    n_inner = soft_tree.inner_weights_.shape[0]
    beta_sign = np.sign(np.broadcast_to(soft_tree.beta_, (n_inner,)))
    weights = soft_tree.inner_weights_ * beta_sign[:, None]
    for node in range(weights.shape[0]):
        line = re.search(rf"^n{node} \[(.*)$", source, re.M).group(1)
        rows = re.findall(r"<TR><TD>(.*?)</TD></TR>", line)
        expected = np.argsort(-_strength(soft_tree)[node], kind="stable")[:top_k]
        lead = expected[0]
        assert rows[1] == NAMES[lead]
        shown = [
            re.fullmatch(r'<FONT COLOR="#\w+">([+-])</FONT> ([0-9.]+) \u00d7 (\w+)', r)
            for r in rows[2 : 1 + top_k]
        ]
        assert [m.group(3) for m in shown] == [NAMES[i] for i in expected[1:]]
        w_lead = weights[node, lead]
        for m, i in zip(shown, expected[1:]):
            coef = weights[node, i] / abs(w_lead) * np.sign(w_lead)
            assert (m.group(1) == "+") == (coef > 0)
            assert float(m.group(2)) == pytest.approx(abs(coef), rel=5e-3)
        assert f"(+ {weights.shape[1] - top_k} smaller terms)" in line
        bias = soft_tree.inner_bias_[node] * beta_sign[node]
        threshold = -np.sign(w_lead) * bias / abs(w_lead)
        op = "&ge;" if w_lead < 0 else "&le;"
        printed_op, printed = rows[-1].split(" ")
        assert printed_op == op
        assert float(printed) == pytest.approx(threshold, rel=1e-3, abs=5e-4)


def test_highlighted_path_equals_decision_path(hard_tree, soft_tree, data):
    X = data[0]
    for model in (hard_tree, soft_tree):
        for i in range(0, 300, 37):
            expected = model.decision_path(X.iloc[[i]]).indices.tolist()
            path = prediction_path(model, X.iloc[i])
            assert sorted(path.nodes) == sorted(expected)
            graph = export_graphviz(model, highlight=X.iloc[i].to_numpy())
            assert _highlighted(graph.source) == set(expected)
            assert path.prediction == model.predict(X.iloc[[i]])[0]


@pytest.mark.parametrize("split", ["axis", "oblique"])
def test_tao_trees_are_drawn_and_routed_as_they_predict(split, data):
    from interpretkd.tao import TAOTreeClassifier

    X, y = data
    tao = TAOTreeClassifier(max_depth=3, split=split, random_state=0).fit(X, y)
    # Node ids are the tree's own (heap numbers), those of apply and decision_path.
    for i in range(0, 300, 50):
        path = prediction_path(tao, X.iloc[i])
        assert path.leaf == tao.apply(X.iloc[[i]])[0]
        assert set(path.nodes) <= set(tao.decision_path(X.iloc[[i]]).indices)
        assert path.prediction == tao.predict(X.iloc[[i]])[0]
    text = export_text(tao, style="rules", precision=17)
    np.testing.assert_array_equal(_evaluate_rules(text, X), tao.predict(X))
    source = export_graphviz(tao, highlight=X.iloc[0]).source
    assert ('label="yes"' in source) == (split == "axis")


def test_soft_path_probability_is_the_leaf_probability(soft_tree, data):
    X = data[0]
    proba = soft_tree.path_probability(X.iloc[:20])
    leaves = soft_tree.apply(X.iloc[:20])
    first_leaf = 2**soft_tree.max_depth - 1
    for i in range(20):
        path = prediction_path(soft_tree, X.iloc[i])
        assert path.leaf == leaves[i]
        assert path.path_probability == pytest.approx(
            proba[i, leaves[i] - first_leaf], rel=1e-6
        )
        assert all(0 < s["probability"] < 1 for s in path.steps)
    assert "p=" in export_graphviz(soft_tree, highlight=X.iloc[0]).source


def test_max_depth_cut_keeps_the_highlighted_path(data):
    X, y = data
    deep = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert deep.get_depth() > 6
    row = X.iloc[[5]]
    path = set(deep.decision_path(row).indices)
    source = export_graphviz(deep, max_depth=2, highlight=row).source
    drawn = _drawn(source)
    t = deep.tree_
    depth = np.zeros(t.node_count, dtype=int)
    for node in range(t.node_count):
        if t.children_left[node] >= 0:
            depth[t.children_left[node]] = depth[t.children_right[node]] = (
                depth[node] + 1
            )
    assert path <= drawn
    assert "(...)" in source
    labelled = {int(n) for n in re.findall(r"^n(\d+) \[label=<", source, re.M)}
    # Off the path, nothing deeper than 2 is drawn in full; deeper are "(...)" stubs.
    assert all(depth[n] <= 2 for n in labelled - path)
    assert len(drawn) < t.node_count / 2


def test_min_share_cuts_near_empty_soft_subtrees_but_draws_every_leaf(soft_tree):
    share = soft_tree.node_sample_share_
    n_internal = len(share) // 2  # a complete tree in heap order
    # Above the smallest internal share: at least one subtree is cut.
    cut = float(np.sort(share[1:n_internal])[0]) + 1e-9
    source = export_graphviz(soft_tree, min_share=cut).source
    labelled = {
        int(m.group(1)) for m in re.finditer(r"^n(\d+) \[label=<", source, re.M)
    }
    cut_subtrees = 0
    for node in range(1, len(share)):
        parent_drawn = (node - 1) // 2 in labelled
        if not parent_drawn:
            continue
        if node >= n_internal:  # a leaf is always drawn, however few rows reach it
            assert node in labelled
        elif share[node] < cut:
            assert node not in labelled
            cut_subtrees += 1
        else:
            assert node in labelled
    assert cut_subtrees > 0


@needs_dot
def test_large_tree_stays_small_when_cut(data):
    X, y = data
    deep = DecisionTreeClassifier(random_state=0).fit(X, y)
    full = export_graphviz(deep).pipe(format="svg")
    cut = export_graphviz(deep, max_depth=3).pipe(format="svg")
    assert len(cut) < len(full) / 2


@needs_dot
def test_image_shape_draws_each_filter_as_a_grid(data):
    X, y = data
    X16 = np.hstack([X.to_numpy(), X.to_numpy()[:, :4] ** 2, X.to_numpy()[:, :6]])
    tree = SoftDecisionTreeClassifier(max_depth=2, max_epochs=3, random_state=0)
    tree.fit(X16, y)
    graph = export_graphviz(tree, image_shape=(4, 4), top_k=0)
    for node in range(3):
        line = re.search(rf"^n{node} \[(.*)$", graph.source, re.M).group(1)
        assert line.count("BGCOLOR=") == 16
    _svg(graph)
    with pytest.raises(ValueError, match="image_shape"):
        export_graphviz(tree, image_shape=(3, 4))


@needs_dot
def test_pipeline_is_drawn_through_its_transformers(data):
    X, y = data
    pipe = make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=3))
    pipe.fit(X, y)
    row = X.iloc[[11]]
    graph = export_graphviz(pipe, highlight=row)
    expected = pipe[-1].decision_path(pipe[0].transform(row)).indices
    assert _highlighted(graph.source) == set(expected)
    text = _svg_text(_svg(graph))
    assert all(NAMES[f] in text for f in pipe[-1].tree_.feature if f >= 0)


@needs_dot
def test_linear_student_is_one_table_of_weights(data):
    X, y = data
    model = LogisticRegression(max_iter=500).fit(X, y)
    graph = export_graphviz(model, top_k=None, highlight=X.iloc[0])
    text = _svg_text(_svg(graph))
    for name in NAMES + CLASSES:
        assert name in text
    # The score row is the model's decision function.
    scores = model.decision_function(X.iloc[[0]])[0]
    for s in scores:
        assert np.format_float_positional(s, precision=3, trim="-") in graph.source


# -- text rules ------------------------------------------------------------------------


_TERM = re.compile(r"(?:^|([+-]) )(?:(\d[0-9.e+-]*) \u00d7 )?(\w+)")
_OPS = {"<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "<": np.less}


def _condition_value(cond: str, X: pd.DataFrame):
    """A printed condition ``lead + 0.9 × other <= 1.5`` evaluated by hand on X:
    (the left-hand side, the comparison, the threshold, terms left out, the sum
    of the written terms' sizes, the lead's column)."""
    lhs, op, rhs = re.match(r"^(.*) (<=|>=|<|>) (\S+)$", cond).groups()
    hidden = re.search(r" \(\+ (\d+) smaller terms?\)", lhs)
    if hidden:
        lhs = lhs[: hidden.start()]
    value, size = np.zeros(len(X)), np.zeros(len(X))
    terms = _TERM.findall(lhs)
    assert terms, cond
    for sign, coef, name in terms:
        term = float(coef or 1.0) * X[name].to_numpy()
        value += -term if sign == "-" else term
        size += np.abs(term)
    n_hidden = int(hidden.group(1)) if hidden else 0
    return value, op, float(rhs), n_hidden, size, X[terms[0][2]].to_numpy()


def _evaluate_rules(text: str, X: pd.DataFrame) -> np.ndarray:
    """Evaluate ``style="rules"`` output on X: the class of the one rule that holds."""
    out = np.full(len(X), None, dtype=object)
    for line in text.strip().splitlines():
        if line.startswith("#"):  # how a soft tree routes
            continue
        m = re.match(r"^if (.*) then class: (\S+) \(", line)
        assert m, line
        holds = np.ones(len(X), dtype=bool)
        for cond in [c for c, _ in split_conditions(m.group(1))]:
            value, op, threshold, hidden, _, _ = _condition_value(cond, X)
            assert hidden == 0  # every term written: the rules are the model
            holds &= _OPS[op](value, threshold)
        assert not np.any(holds & (out != None))  # noqa: E711 - rules are exclusive
        out[holds] = m.group(2)
    assert not np.any(out == None)  # noqa: E711 - every sample meets a rule
    return out


def test_text_rules_reproduce_hard_tree_predictions(hard_tree, data):
    X = data[0]
    text = export_text(hard_tree, style="rules", precision=17)
    assert len(text.strip().splitlines()) == hard_tree.get_n_leaves()
    np.testing.assert_array_equal(_evaluate_rules(text, X), hard_tree.predict(X))


@pytest.mark.parametrize(
    "y",
    [
        [0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1],  # a ladder of cuts
        [0, 0, 1, 1, 0, 0] + [1] * 10,  # the root cuts high, its left side low
    ],
)
def test_rules_give_each_feature_once_as_its_tightest_interval(y):
    # A tree on one feature x = 0, 1, 2, ... with pure leaves cuts half-way
    # between the values where the class changes, whatever order it finds the
    # cuts in; each leaf holds the values between two neighbouring cuts. Its rule
    # is that interval, however many tests on x its path makes (the ladder's
    # leaf 11.5 < x <= 14.5 sits under x > 2.5, x > 5.5, x > 8.5, x > 11.5).
    y = np.asarray(y)
    x = np.arange(len(y), dtype=float)
    tree = DecisionTreeClassifier(random_state=0).fit(x[:, None], y)
    assert tree.get_depth() >= 3  # some leaf sits under several tests on x
    cuts = [str(c + 0.5) for c in np.flatnonzero(np.diff(y) != 0)]
    intervals = (
        [f"x <= {cuts[0]}"]
        + [f"{low} < x <= {high}" for low, high in zip(cuts[:-1], cuts[1:])]
        + [f"x > {cuts[-1]}"]
    )
    text = export_text(tree, style="rules", feature_names=["x"])
    found = re.findall(r"^if (.*) then class: (\d)", text, re.M)
    assert [rule for rule, _ in found] == intervals
    labels = [int(y[0])] + [int(y[int(float(c) + 0.5)]) for c in cuts]
    assert [int(label) for _, label in found] == labels
    # The nested form still writes one test per node.
    assert export_text(tree, feature_names=["x"]).count("if x <= ") == len(cuts)


def test_rules_intersect_the_categories_of_a_column():
    # Codes 0..3 of one column: the tree tests "colour in {amber, blue}" and
    # then "colour in {amber}" on one path; its rule keeps what both allow.
    frame = pd.DataFrame({"colour": np.repeat(["amber", "blue", "cyan", "dun"], 10)})
    y = frame["colour"].isin(["amber", "cyan"]).astype(int)
    model = DistilledClassifier(
        None, DecisionTreeClassifier(random_state=0), random_state=0
    ).fit(frame, y)
    assert model.student_.get_depth() == 3
    rules = re.findall(r"^if (.*) then", export_text(model, style="rules"), re.M)
    assert sorted(rules) == [
        f"colour in {{{c}}}" for c in ["amber", "blue", "cyan", "dun"]
    ]


_BOUND = re.compile(r"^(\S+) (<=|>=|<|>) (\S+)$")
_IN = re.compile(r"^(\S+) in \{(.*)\}$")
_COMPARE = {
    "<=": np.less_equal,
    "<": np.less,
    ">=": np.greater_equal,
    ">": np.greater,
}


def _rule_leaves(text: str, X: pd.DataFrame) -> tuple[np.ndarray, list[list[str]]]:
    """The leaf named by the one rule that holds for each row of X (numbers as a
    person reads them), and each rule's features, written here from the text:
    ``a < x <= b``, ``x <= t`` (``<``, ``>=``, ``>``), ``x in {u, v}``."""
    leaves = np.full(len(X), -1)
    features = []
    for line in text.strip().splitlines():
        m = re.match(r"^if (.*) then .*leaf=(\d+)\)$", line)
        assert m, line
        holds = np.ones(len(X), dtype=bool)
        named = []
        for cond in m.group(1).split(" and "):
            if m_in := _IN.match(cond):
                name, listed = m_in.group(1), m_in.group(2)
                holds &= X[name].isin(listed.split(", ") if listed else []).to_numpy()
            elif m_range := INTERVAL.match(cond):
                low, op_low, name, op_high, high = m_range.groups()
                value = X[name].to_numpy(dtype=np.float64)
                holds &= _COMPARE[op_low](float(low), value)
                holds &= _COMPARE[op_high](value, float(high))
            else:
                m_bound = _BOUND.match(cond)
                assert m_bound, cond
                name, op, bound = m_bound.groups()
                holds &= _COMPARE[op](X[name].to_numpy(dtype=np.float64), float(bound))
            named.append(name)
        assert not np.any(holds & (leaves >= 0)), line  # two rules hold
        leaves[holds] = int(m.group(2))
        features.append(named)
    assert np.all(leaves >= 0)  # every row meets a rule
    return leaves, features


def _near_the_cuts(text: str, X: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    """Rows of X whose value of one feature is a float32 at or next to a number
    the text compares it with (up to 2 steps away): where a bound written one
    digit short, or the looser of two bounds, would send a row the wrong way."""
    rows = []
    for name in numeric:
        pattern = rf"(?:(\S+) <=? )?{re.escape(name)} [<>]=? (\S+)"
        for low, high in re.findall(pattern, text):
            for number in filter(None, (low, high)):
                for step in range(-2, 3):
                    value = np.float32(number)
                    towards = np.float32(np.inf if step > 0 else -np.inf)
                    for _ in range(abs(step)):
                        value = np.nextafter(value, towards)
                    row = X.iloc[len(rows) % len(X)].copy()
                    row[name] = value
                    rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True).astype(X.dtypes.to_dict())


def _rule_students():
    cart = DecisionTreeClassifier(max_depth=7, random_state=0)
    tao = TAOTreeClassifier(max_depth=5, random_state=0)
    budget = TAOTreeClassifier(max_depth=12, max_leaf_nodes=32, random_state=0)
    return {
        "cart": cart,
        "tao-axis": tao,
        "tao-leaf-budget": budget,
        "cart-categories": DistilledClassifier(None, cart, random_state=0),
        "tao-categories": DistilledClassifier(None, budget, random_state=0),
    }


@pytest.mark.parametrize(
    "name", ["cart", "tao-axis", "tao-leaf-budget", "cart-categories", "tao-categories"]
)
def test_simplified_rules_name_the_leaf_apply_gives(name):
    # Deep and leaf-budgeted axis trees test a feature several times on a path;
    # each rule states it once, by its tightest bounds. On held-out rows and on
    # rows at and next to every number the text prints (float32 values read as
    # their shortest decimals), exactly one rule holds for each row, and it
    # names the leaf the model's apply gives.
    X, y = make_classification(
        n_samples=900,
        n_features=3,
        n_informative=3,
        n_redundant=0,
        flip_y=0.05,
        random_state=1,
    )
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).astype(np.float32)
    numeric = list(frame.columns)
    if "categories" in name:
        rng = np.random.default_rng(1)
        frame["colour"] = rng.choice(["red", "green", "blue", "grey", "teal"], 900)
        y = np.where(frame["colour"].isin(["red", "teal"]), 1 - y, y)
    model = copy.deepcopy(_rule_students()[name]).fit(frame.iloc[:600], y[:600])
    text = export_text(model, style="rules")
    rows = pd.concat(
        [frame.iloc[600:], _near_the_cuts(text, frame.iloc[600:], numeric)],
        ignore_index=True,
    )
    if hasattr(model, "student_"):
        tree, inputs = model.student_, model.transform_for_student(rows)
    else:
        tree, inputs = model, rows
    read = rows.copy()
    for column in numeric:  # the decimal a person reads for each float32
        read[column] = rows[column].to_numpy().astype(str).astype(np.float64)
    leaves, features = _rule_leaves(text, read)
    np.testing.assert_array_equal(leaves, tree.apply(inputs))
    for named in features:
        assert len(named) == len(set(named))  # one condition per feature
    assert max(len(named) for named in features) >= 3
    assert re.search(r"\S+ <=? [a-c] <=? \S+", text)  # some intervals


def test_greedy_soft_tree_is_its_text_rules(soft_tree, data):
    # With prediction="greedy" the tree takes the likelier branch at every node:
    # its rules decide as it does on every row.
    X = data[0]
    greedy = copy.deepcopy(soft_tree).set_params(prediction="greedy")
    text = export_text(greedy, style="rules", precision=17)
    assert text.startswith('# prediction="greedy"')
    np.testing.assert_array_equal(_evaluate_rules(text, X), greedy.predict(X))


def test_max_path_soft_tree_is_not_written_as_rules(soft_tree, data):
    # Max path picks the leaf of greatest path probability, which can lie behind a
    # branch of probability below 1/2: no if/else rule says that, so the text and
    # the picture state the routing rule and give each node's score instead.
    X = data[0]
    greedy = copy.deepcopy(soft_tree).set_params(prediction="greedy")
    differ = np.flatnonzero(greedy.apply(X) != soft_tree.apply(X))
    assert differ.size > 0  # the two rules part ways on some rows of this tree
    for style in ("tree", "rules"):
        text = export_text(soft_tree, style=style)
        assert text.startswith('# prediction="max_path"')
        assert "if " not in text and "then" not in text
        scores = re.findall(
            r"^(?:\|   )*node (\d+): P\(right\) = sigmoid\(", text, re.M
        )
        assert sorted(map(int, scores)) == list(range(2**soft_tree.max_depth - 1))
    row = X.iloc[differ[0]]
    path = prediction_path(soft_tree, row)
    assert path.leaf == soft_tree.apply(X.iloc[[differ[0]]])[0]
    assert min(step["probability"] for step in path.steps) < 0.5
    assert "max_path" in str(path)
    source = export_graphviz(soft_tree, highlight=row).source
    assert "prediction=&quot;max_path&quot;" in source
    assert "&gt; 0" not in source  # no edge claims a test decides
    assert max(_highlighted(source)) == path.leaf


def test_tree_style_text_lists_samples_and_probability(hard_tree):
    text = export_text(hard_tree)
    assert text.startswith("if ")
    assert "else:" in text and "samples=" in text and "p=" in text
    leaves = [line for line in text.splitlines() if "then class" in line]
    assert len(leaves) == hard_tree.get_n_leaves()
    cut = export_text(hard_tree, max_depth=1)
    assert "..." in cut and "then class" not in cut


def test_regressors_text_gives_leaf_values():
    X, y = make_regression(n_samples=120, n_features=3, random_state=0)
    tree = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    values = re.findall(r"value: (\S+) \(", export_text(tree))
    leaf_values = tree.tree_.value[tree.tree_.children_left < 0, 0, 0]
    np.testing.assert_allclose(np.float64(values), leaf_values, atol=1e-3)
    soft = SoftDecisionTreeRegressor(max_depth=2, max_epochs=3, random_state=0)
    soft.fit(X, y)
    values = re.findall(r"value: (\S+)", export_text(soft))
    np.testing.assert_allclose(np.float64(values), soft.leaf_values_, atol=1e-3)
    assert "value" in export_graphviz(soft, highlight=X[0]).source


def test_linear_text_is_its_decision_function(data):
    X, y = data
    model = LogisticRegression(max_iter=500).fit(X, y)
    text = export_text(model, precision=17)
    for k, line in enumerate(text.splitlines()[:3]):
        rhs = line.split(" = ", 1)[1]
        terms = re.findall(r"([+-]?) ?(\d[0-9.]*)(?: \* (\w+))?", rhs)
        score = sum(
            (-1 if s == "-" else 1) * float(c) * (X[n] if n else 1.0)
            for s, c, n in terms
        )
        np.testing.assert_allclose(score, model.decision_function(X)[:, k])


# -- JSON ------------------------------------------------------------------------------


def test_json_describes_the_tree_exactly(hard_tree, soft_tree, data):
    X = data[0].to_numpy()
    tree = json.loads(export_json(hard_tree))
    assert tree["kind"] == "axis" and tree["feature_names"] == NAMES
    assert tree["routing"] == "hard"
    nodes = {n["id"]: n for n in tree["nodes"]}
    predicted = []
    for x in X:
        node = nodes[0]
        while node["left"] is not None:
            go_left = x[node["feature"]] <= node["threshold"]
            node = nodes[node["left"] if go_left else node["right"]]
        predicted.append(tree["class_names"][int(np.argmax(node["value"]))])
    np.testing.assert_array_equal(predicted, hard_tree.predict(data[0]))

    soft = to_dict(soft_tree)
    assert soft["kind"] == "oblique" and soft["soft"]
    assert soft["routing"] == "max_path" and soft["root"] == 0
    inner = [n for n in soft["nodes"] if n["left"] is not None]
    np.testing.assert_allclose([n["weights"] for n in inner], soft_tree.inner_weights_)
    leaves = [n["value"] for n in soft["nodes"] if n["left"] is None]
    np.testing.assert_allclose(leaves, soft_tree.leaf_distributions_)
    json.dumps(soft)


# -- errors ----------------------------------------------------------------------------


def test_clear_errors(hard_tree, data):
    X, y = data
    with pytest.raises(NotFittedError):
        export_graphviz(DecisionTreeClassifier())
    with pytest.raises(TypeError, match="estimators_"):
        export_graphviz(RandomForestClassifier(n_estimators=2).fit(X, y))
    with pytest.raises(ValueError, match="feature_names has 2 entries"):
        export_text(hard_tree, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names has 1"):
        export_graphviz(hard_tree, class_names=["a"])
    with pytest.raises(ValueError, match="one sample"):
        export_graphviz(hard_tree, highlight=X.iloc[:2])
    with pytest.raises(ValueError, match="has 3 features"):
        prediction_path(hard_tree, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="max_depth"):
        export_graphviz(hard_tree, max_depth=-1)
    with pytest.raises(ValueError, match="style"):
        export_text(hard_tree, style="yaml")
    with pytest.raises(TypeError, match="no decision path"):
        prediction_path(LogisticRegression().fit(X, y), X.iloc[0])


# -- HTML report ---------------------------------------------------------------------


@needs_dot
def test_report_html_holds_the_tree_picture_and_agreement_table(distilled, data):
    from interpretkd.report import distillation_report

    X, y = data
    report = distillation_report(distilled, X, y)
    page = report.to_html(shap=False)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    ET.fromstring(svg)  # the inline picture is well-formed SVG
    assert all(name in svg for name in _top_names(distilled.student_))
    # Teacher-versus-student table: its diagonal adds up to the fidelity.
    diagonal = [int(v) for v in re.findall(r"<td class=agree>(\d+)</td>", page)]
    assert len(diagonal) == len(CLASSES)
    assert sum(diagonal) == round(report["fidelity"] * len(X))
    assert "<script src" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    ).replace('xmlns:xlink="http://www.w3.org/1999/xlink"', "")


def test_report_html_refuses_to_replace_a_file_unless_overwrite(
    distilled, data, tmp_path
):
    from interpretkd.report import distillation_report

    X, y = data
    report = distillation_report(distilled, X, y)
    path = tmp_path / "report.html"
    path.write_text("precious")
    with pytest.raises(FileExistsError, match="already exists"):
        report.to_html(path, shap=False)
    assert path.read_text() == "precious"
    page = report.to_html(path, shap=False, overwrite=True)
    assert path.read_text(encoding="utf-8") == page
    fresh = tmp_path / "fresh.html"
    assert report.to_html(fresh, shap=False) == fresh.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.html", "report.html"]


def test_splits_on_encoded_columns_name_their_categories():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=300),
            "colour": rng.choice(["red", "blue", "green"], 300),
        }
    )
    y = ((frame.colour == "red") | (frame["size"] > 1)).astype(int)
    model = DistilledClassifier(
        None, DecisionTreeClassifier(max_depth=3, random_state=0), random_state=0
    ).fit(frame, y)
    assert model.categories_ == {"colour": ["blue", "green", "red"]}
    text = export_text(model)
    assert "colour in {" in text and "colour <=" not in text
    path = prediction_path(model, frame.iloc[0])
    assert any(f"colour = {frame.colour.iloc[0]}" in s["condition"] for s in path.steps)
    assert "colour in {" in export_graphviz(model).source


# -- splits in the data's units --------------------------------------------------------


def _scaled_data(seed=0):
    """Columns on very different scales and offsets, as real data has them."""
    X, y = make_classification(
        n_samples=400, n_features=6, n_informative=4, n_redundant=0, random_state=seed
    )
    scales = np.array([1.0, 100.0, 0.01, 5.0, 1000.0, 0.3])
    offsets = np.array([0.0, 50.0, -0.02, 2.0, 0.0, 0.3])
    return pd.DataFrame(X * scales + offsets, columns=NAMES), y


def _readable_models():
    from interpretkd.tao import TAOTreeClassifier

    tao = TAOTreeClassifier(
        max_depth=3, split="oblique", max_features_per_split=3, random_state=0
    )
    soft = SoftDecisionTreeClassifier(
        max_depth=2, max_epochs=10, prediction="greedy", random_state=0
    )
    return {
        "tao-oblique": (tao, 3),
        # precision=2: terms below 1% of the leading one are left out.
        "soft-greedy": (soft, 2),
        "scaler+tao": (make_pipeline(StandardScaler(), tao), 3),
        "scaler+tree": (
            make_pipeline(StandardScaler(), DecisionTreeClassifier(max_depth=3)),
            3,
        ),
    }


@pytest.mark.parametrize(
    "name", ["tao-oblique", "soft-greedy", "scaler+tao", "scaler+tree"]
)
def test_printed_inequalities_route_rows_as_the_model_does(name):
    # Every condition of a leaf's rule, evaluated by hand from the printed
    # coefficients on the raw columns, holds for the rows the model's apply sends
    # to that leaf — up to the printed precision (rows at the boundary skipped).
    model, precision = _readable_models()[name]
    X, y = _scaled_data()
    model = copy.deepcopy(model).fit(X, y)
    text = export_text(model, style="rules", precision=precision, min_share=0)
    assert not re.search(r"(^|[ (])[+-]? ?0 \u00d7", text)  # no "+ 0 × name"
    tree = model[-1] if hasattr(model, "steps") else model
    X_tree = model[:-1].transform(X) if hasattr(model, "steps") else X
    leaves = tree.apply(X_tree)  # named as the tree was fit: no warning
    checked, clear = 0, 0
    hidden_total = 0
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^if (.*) then class: .*leaf=(\d+)\)$", line)
        assert m, line
        rows = leaves == int(m.group(2))
        for cond in [c for c, _ in split_conditions(m.group(1))]:
            value, op, threshold, hidden, size, lead = _condition_value(cond, X)
            hidden_total += hidden
            # The printed precision: the threshold to `precision` decimals, each
            # coefficient to `precision` significant digits, and each term left
            # out worth under 10**-precision of the lead's spread (a few spreads
            # on a row).
            unit = 10.0**-precision
            margin = 0.5 * unit + 5 * unit * size + hidden * unit * 4 * np.std(lead)
            away = np.abs(value - threshold) > margin
            assert np.all(_OPS[op](value, threshold)[rows & away]), cond
            checked += rows.sum()
            clear += (rows & away).sum()
    assert clear >= 0.9 * checked  # most rows are far from any boundary
    if name == "soft-greedy":
        assert hidden_total > 0  # some terms did not matter at precision=2
    else:
        assert hidden_total == 0
    if "scaler" in name:  # thresholds in the raw units, not standardised ones
        bravo = re.findall(r"(?:^|and )bravo (?:[<>]=?) (\S+)", text, re.M)
        assert all(abs(float(t)) > 10 for t in bravo)
        # prediction_path shows the row's own values, not the scaled ones.
        path = prediction_path(model, X.iloc[3])
        for step in path.steps:
            for feature, value in step["features"].items():
                assert value == pytest.approx(X[feature].iloc[3], rel=1e-5)


def test_samples_count_rows_not_the_copies_of_a_soft_label_expansion():
    # A CART student learns soft labels as one weighted copy of each row per
    # class (copies under the expansion threshold dropped): 12 rows reach it as
    # about 24. Its nodes must still say 12 rows.
    X = pd.DataFrame({"x": np.arange(12.0)})
    y = np.array([0] * 5 + [1] * 7)
    teacher = LogisticRegression().fit(X, y)  # probabilities strictly inside (0, 1)
    model = DistilledClassifier(
        teacher, DecisionTreeClassifier(max_depth=1), random_state=0
    ).fit(X, y)
    assert model.student_.tree_.n_node_samples[0] > 12  # the expanded rows
    text = export_text(model)
    cut = float(re.search(r"if x <= (\S+):", text).group(1))
    counts = [int(c) for c in re.findall(r"samples=(\d+)", text)]
    assert counts == [int((X.x <= cut).sum()), int((X.x > cut).sum())]
    assert sum(counts) == 12
    assert "samples = 12" in export_graphviz(model).source
    assert to_dict(model)["nodes"][0]["samples"] == 12


def test_leaf_badges_count_rows_by_apply_and_give_each_leafs_fidelity(data):
    from interpretkd.tao import TAOTreeClassifier

    X, y = data
    X_fit, X_new = X.iloc[:200], X.iloc[200:]
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    model = DistilledClassifier(
        teacher,
        TAOTreeClassifier(split="oblique", max_depth=3, random_state=0),
        random_state=0,
    ).fit(X_fit, y[:200])
    source = export_graphviz(model, leaf_rows=X_new, min_share=0).source
    leaves = model.student_.apply(model.transform_for_student(X_new))
    agree = model.teacher_predict(X_new) == model.predict(X_new)
    badges = re.findall(
        r"^n(\d+) \[.*?held-out rows: (\d+) \(([\d.]+)%\)(?:</FONT></TD></TR>"
        r'<TR><TD><FONT POINT-SIZE="8">fidelity ([\d.]+))?.*color="(#\w+)", '
        r"penwidth=2\]",
        source,
        re.M,
    )
    assert badges
    counted = 0
    for node, count, share, fidelity, colour in badges:
        here = leaves == int(node)
        assert int(count) == here.sum()
        assert float(share) == pytest.approx(100 * here.mean(), abs=0.05)
        counted += int(count)
        if here.any():
            assert float(fidelity) == pytest.approx(agree[here].mean(), abs=0.005)
            good = agree[here].mean() >= agree.mean()
            assert colour == ("#1a9850" if good else "#d73027")
        else:
            assert colour == "#999999"  # no row reaches it
    assert counted == len(X_new)  # every row lands in one badged leaf
    with pytest.raises(ValueError, match="linear"):
        export_graphviz(LogisticRegression().fit(X, y), leaf_rows=X)


def test_an_oblique_split_on_one_category_column_names_the_categories():
    # A sparse oblique tree that splits on one encoded column wrote "city <= 1.5",
    # in codes a reader never sees; it now names the categories on each side, in
    # the rules, the picture and a row's path, as an axis-aligned tree does.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.uniform(20, 70, 600),
            "city": rng.choice(["lima", "oslo", "paris", "rome"], 600),
        }
    )
    y = frame["city"].isin(["oslo", "rome"]).astype(int)
    student = TAOTreeClassifier(
        split="oblique", max_features_per_split=2, max_depth=1, random_state=0
    )
    model = DistilledClassifier(None, student, random_state=0).fit(frame, y)
    leaves = model.student_.apply(model.transform_for_student(frame))
    rules = re.findall(
        r"^if city in \{(.*)\} then .*leaf=(\d+)\)$",
        export_text(model, style="rules"),
        re.M,
    )
    assert len(rules) == 2
    for names, leaf in rules:
        in_set = frame["city"].isin(names.split(", ")).to_numpy()
        np.testing.assert_array_equal(in_set, leaves == int(leaf))
    assert "city in {" in export_graphviz(model).source
    path = str(prediction_path(model, frame.iloc[[0]]))
    assert f"city = {frame['city'].iloc[0]}: city in {{" in path


def test_oblique_splits_never_mix_a_category_column_with_other_columns():
    # "age + 0.386 × income - 2.34 × city <= 88.3" is exact but meaningless: the
    # codes of a category column have no order. The distiller tells a TAO student
    # its category columns; oblique splits then leave them out, and the column
    # splits a node only on its own, written with its categories.
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "city": rng.choice(["kyiv", "lima", "oslo", "pune"], n),
            "age": rng.uniform(18, 80, n),
            "income": rng.normal(50, 15, n),
        }
    )
    y = frame.age / 40 + frame.income / 50 + (frame.city == "oslo") > 2.6
    student = TAOTreeClassifier(split="oblique", max_depth=3, random_state=0)
    teacher = HistGradientBoostingClassifier(random_state=0)
    model = DistilledClassifier(teacher, student, random_state=0).fit(frame, y)
    assert student.categorical_features is None  # the user's estimator is untouched
    np.testing.assert_array_equal(model.student_.is_categorical_, [True, False, False])
    weights = model.student_.inner_weights_
    oblique = (weights != 0).sum(axis=1) >= 2
    assert oblique.any()
    np.testing.assert_array_equal(weights[oblique, 0], 0.0)
    text = export_text(model)
    assert "city in {" in text
    for line in text.splitlines():
        if "city" in line:
            assert not re.search(r"×| \+ | - ", line), line
    # A categorical_features the user set is kept as it is.
    mixed = TAOTreeClassifier(
        split="oblique", max_depth=1, categorical_features=[], random_state=0
    )
    kept = DistilledClassifier(teacher, mixed, random_state=0).fit(frame, y)
    assert kept.student_.categorical_features == []
    assert not kept.student_.is_categorical_.any()


_OPS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


@pytest.mark.parametrize("kind", ["cart", "tao-axis", "tao-oblique"])
@pytest.mark.parametrize(
    ("decimals", "low", "high", "cut"),
    [
        (4, 0.05, 0.3, 0.1423),
        (2, 10, 40, 16.11),
        (3, -5, 5, 0.5),
        (0, 1000, 9000, 4000),
    ],
)
def test_printed_threshold_sends_nearby_values_where_the_model_does(
    kind, decimals, low, high, cut
):
    # Measurements with a few decimals, as data usually comes: the tree cuts
    # half-way between two of them, and a threshold rounded to `precision` digits
    # (0.142 for a cut between 0.1423 and 0.1424) would send the values between
    # the two the other way. Every value with up to three more decimals near the
    # cut must go the way the written test says.
    rng = np.random.RandomState(0)
    x = np.round(rng.uniform(low, high, 500), decimals)
    x[:2] = [cut, cut + 10.0**-decimals]  # neighbours on either side of the cut
    X, y = x[:, None], (x > cut).astype(int)
    if kind == "cart":
        tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    else:  # TAO trees, oblique ones too, compare float32 values as sklearn's do
        split = kind.removeprefix("tao-")
        tree = TAOTreeClassifier(max_depth=1, split=split, random_state=0).fit(X, y)
    root = export_text(tree, feature_names=["x"]).splitlines()[0]
    m = re.fullmatch(r"if x (<=|<|>=|>) (\S+):", root)
    assert m is not None, root
    op, written = m.group(1), float(m.group(2))
    step = 10.0 ** -(decimals + 3)
    near = np.round(written + step * np.arange(-3000, 3001), decimals + 3)
    went_left = tree.predict(near[:, None]) == 0
    np.testing.assert_array_equal(went_left, _OPS[op](near, written))
    assert went_left.any() and not went_left.all()


def test_names_a_model_keeps_for_its_classes_are_used_unless_others_are_given():
    # A student file written by `interpretkd distill --class-names` keeps the
    # names on the model (class_names_, one per label of classes_).
    X = pd.DataFrame({"dose": np.arange(40.0)})
    y = np.where(X["dose"] > 20, "b", "a")
    model = DistilledClassifier(
        None, DecisionTreeClassifier(max_depth=1), random_state=0
    ).fit(X, y)
    model.class_names_ = ["low", "high"]
    assert re.findall(r"class: (\w+)", export_text(model)) == ["low", "high"]
    assert to_dict(model)["class_names"] == ["low", "high"]
    assert prediction_path(model, X.iloc[0]).prediction == "low"
    assert "<B>high</B>" in export_graphviz(model).source
    given = export_text(model, class_names={"b": "yes"})
    assert re.findall(r"class: (\w+)", given) == ["a", "yes"]
    model.class_names_ = ["low"]
    with pytest.raises(ValueError, match=r"class_names_ must be a list of names"):
        export_text(model)
