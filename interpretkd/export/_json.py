"""JSON export: a student as a plain dict of nodes, for other tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from interpretkd.export._view import _resolve

# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------


def to_dict(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
) -> dict:
    """Describe a fitted student as plain Python data (JSON-serialisable).

    Parameters
    ----------
    estimator : fitted estimator
        See :func:`export_graphviz`.
    feature_names, class_names : list of str, default=None
        See :func:`export_graphviz`.

    Returns
    -------
    tree : dict
        ``kind`` (``"axis"``, ``"oblique"`` or ``"linear"``), ``task``,
        ``feature_names``, ``class_names`` (classifiers), and either (linear)
        ``coef`` and ``intercept``, or (trees) ``routing``, ``root`` and ``nodes``:
        one dict per node of the tree, parents first, with ``id`` (the column of
        the student's ``decision_path``), ``depth``, ``left``/``right`` child ids
        (None at leaves), the split — ``feature`` and ``threshold`` (left when
        ``x[feature] <= threshold``) or ``weights``, ``bias`` and ``beta`` — and
        ``value`` (at leaves, and at inner nodes where known), plus
        ``samples``/``share`` where known.

        ``routing`` says how a row finds its leaf: ``"hard"`` or ``"greedy"``:
        from the root, left when ``x[feature] <= threshold`` or when
        ``weights @ x + bias <= 0`` (beta > 0), right otherwise; ``"max_path"``:
        the leaf whose path has the greatest probability, a node sending a row
        right with probability ``sigmoid(beta * (weights @ x + bias))``;
        ``"mixture"``: every leaf, weighted by that path probability. A TAO tree's
        pruned nodes are left out: their parent points to the child every row
        takes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> from interpretkd import to_dict
    >>> tree_data = to_dict(tree)
    >>> tree_data["kind"], tree_data["task"], len(tree_data["nodes"])
    ('axis', 'classification', 5)
    >>> root = tree_data["nodes"][0]
    >>> tree_data["feature_names"][root["feature"]], round(root["threshold"], 2)
    ('petal width (cm)', 0.8)
    """
    view = _resolve(estimator, feature_names, class_names)
    out: dict[str, Any] = {
        "kind": view.kind,
        "task": "classification" if view.is_classifier else "regression",
        "feature_names": list(view.feature_names),
    }
    if view.is_classifier:
        out["class_names"] = list(view.class_names)
    if view.kind == "linear":
        out["coef"] = view.coef.tolist()
        out["intercept"] = view.intercept.tolist()
        return out
    if view.kind == "oblique":
        out["soft"] = bool(view.soft)
    out["routing"] = view.routing
    out["root"] = int(view.root)
    nodes = []
    for node in sorted(view.nodes()):
        leaf = view.is_leaf(node)
        entry: dict[str, Any] = {
            "id": node,
            "depth": int(view.depth[node]),
            "left": None if leaf else int(view.children_left[node]),
            "right": None if leaf else int(view.children_right[node]),
        }
        if not leaf:
            if view.kind == "axis":
                entry["feature"] = int(view.feature[node])
                entry["threshold"] = float(view.threshold[node])
            else:
                entry["weights"] = view.weights[node].tolist()
                entry["bias"] = float(view.bias[node])
                entry["beta"] = float(view.beta[node])
        value = view.value[node]
        if not np.isnan(value).any():
            entry["value"] = value.tolist()
        if view.samples is not None:
            entry["samples"] = int(view.samples[node])
        if view.share is not None:
            entry["share"] = float(view.share[node])
        nodes.append(entry)
    out["nodes"] = nodes
    return out


def export_json(
    estimator,
    *,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    indent: int | None = 2,
    out_file: str | None = None,
) -> str:
    """Write :func:`to_dict` of a fitted student as JSON text.

    Parameters
    ----------
    estimator : fitted estimator
        See :func:`export_graphviz`.
    feature_names, class_names : list of str, default=None
        See :func:`export_graphviz`.
    indent : int or None, default=2
        Passed to :func:`json.dumps`.
    out_file : str, default=None
        Also write the JSON text to this path.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    >>> import json
    >>> from interpretkd import export_json
    >>> json.loads(export_json(tree))["class_names"]
    ['0', '1', '2']
    """
    text = json.dumps(
        to_dict(estimator, feature_names=feature_names, class_names=class_names),
        indent=indent,
    )
    if out_file is not None:
        with open(out_file, "w", encoding="utf-8") as fh:
            fh.write(text)
    return text
