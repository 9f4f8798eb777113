"""Conversions into TAO trees: a soft decision tree's hard counterpart."""

from __future__ import annotations

import numpy as np

from interpretkd.tao._classes import TAOTreeClassifier, TAOTreeRegressor


def to_hard_tree(soft_tree, *, max_features_per_split=None):
    """Return the hard oblique tree that a soft tree's greedy routing is.

    Each inner node of the soft tree sends a row right with probability
    ``sigmoid(beta * (w @ x + b))``; the hard tree sends it right when that probability
    exceeds 1/2, i.e. when ``beta * (w @ x + b) > 0``, and predicts with the leaf it
    reaches. That is exactly the soft tree with ``prediction="greedy"``: the two
    reach the same leaf on every row (up to the rounding of a score within about
    1e-12 of zero, where the two sum ``w @ x`` in different orders).

    It is *not* the soft tree's default ``prediction="max_path"``, which takes the
    leaf of greatest path probability over all paths: a row can reach a leaf through
    a branch of probability below 1/2 when that leaf is much more certain. No hard
    tree of the same shape reproduces max path in general. The two predict the same
    class on most rows but often reach different leaves (measured in
    ``docs/soft_tree.md``). Set ``prediction="greedy"`` on the soft tree to have a
    model that is exactly this hard tree.

    The result is an oblique :class:`TAOTreeClassifier` (or
    :class:`TAOTreeRegressor`) with ``warm_start=True``, so
    ``fit(X, teacher_targets)`` refines it by TAO.

    Parameters
    ----------
    soft_tree : fitted SoftDecisionTreeClassifier or SoftDecisionTreeRegressor
        Any fitted tree with heap-ordered ``inner_weights_`` (n_inner, n_features),
        ``inner_bias_`` (n_inner,), ``beta_`` (scalar or per node) and
        ``leaf_distributions_`` (classifier) or ``leaf_values_`` (regressor), where the
        weights apply to the raw input features.
    max_features_per_split : int or None, default=None
        Sparsity of splits re-fit by later TAO rounds; the converted splits keep all
        their weights.

    Returns
    -------
    tree : TAOTreeClassifier or TAOTreeRegressor
        Fitted, ``split="oblique"``, ``warm_start=True``, ``n_iter_ == 0``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from interpretkd import SoftDecisionTreeClassifier, to_hard_tree
    >>> X, y = load_iris(return_X_y=True)
    >>> soft = SoftDecisionTreeClassifier(max_depth=2, max_epochs=20, random_state=0)
    >>> hard = to_hard_tree(soft.fit(X, y))
    >>> type(hard).__name__, hard.split, hard.get_depth()
    ('TAOTreeClassifier', 'oblique', 2)
    """
    missing = [
        a
        for a in ("inner_weights_", "inner_bias_", "n_features_in_")
        if not hasattr(soft_tree, a)
    ]
    if missing:
        raise TypeError(
            "to_hard_tree needs a fitted soft decision tree with attributes "
            "inner_weights_, inner_bias_ and n_features_in_; "
            f"{type(soft_tree).__name__} lacks {', '.join(missing)}. Fit it first."
        )
    W = np.asarray(soft_tree.inner_weights_, dtype=np.float64)
    b = np.asarray(soft_tree.inner_bias_, dtype=np.float64).reshape(-1)
    n_inner = W.shape[0]
    depth = int(round(np.log2(n_inner + 1)))
    if W.ndim != 2 or 2**depth - 1 != n_inner or b.shape[0] != n_inner:
        raise ValueError(
            "inner_weights_ must have 2**depth - 1 rows (heap order) and inner_bias_ "
            f"one entry per row; got shapes {W.shape} and {b.shape}."
        )
    beta = np.broadcast_to(
        np.asarray(getattr(soft_tree, "beta_", 1.0), dtype=np.float64).reshape(-1),
        (n_inner,),
    )
    sign = np.sign(beta)
    W = W * sign[:, None]
    b = b * sign
    p = W.shape[1]

    if hasattr(soft_tree, "leaf_distributions_"):
        est = TAOTreeClassifier(
            max_depth=depth,
            split="oblique",
            max_features_per_split=max_features_per_split,
            warm_start=True,
        )
        est.classes_ = np.asarray(soft_tree.classes_)
        est.leaf_distributions_ = np.asarray(
            soft_tree.leaf_distributions_, dtype=np.float64
        ).copy()
    elif hasattr(soft_tree, "leaf_values_"):
        est = TAOTreeRegressor(
            max_depth=depth,
            split="oblique",
            max_features_per_split=max_features_per_split,
            warm_start=True,
        )
        values = np.asarray(soft_tree.leaf_values_, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(
                "to_hard_tree converts single-output regression trees only; this soft "
                f"tree has leaf_values_ of shape {values.shape}. Fit one soft tree "
                "per output."
            )
        est.leaf_values_ = values.copy()
    else:
        raise TypeError(
            "to_hard_tree needs leaf_distributions_ (classifier) or leaf_values_ "
            f"(regressor) on the soft tree; {type(soft_tree).__name__} has neither."
        )
    est.n_features_in_ = int(soft_tree.n_features_in_)
    if hasattr(soft_tree, "feature_names_in_"):
        est.feature_names_in_ = soft_tree.feature_names_in_
    est.is_categorical_ = np.zeros(p, dtype=bool)  # a soft tree declares none
    est._feat_idx = np.tile(np.arange(p, dtype=np.intp), (n_inner, 1))
    est._feat_val = W
    est._bias = b
    est._tree_depth = depth
    est.inner_weights_ = W.copy()
    est.inner_bias_ = b.copy()
    importance = np.abs(W).sum(axis=0)
    est.feature_importances_ = importance / max(importance.sum(), 1e-300)
    est.n_iter_ = 0
    est.history_ = []
    return est
