"""The TAO tree estimators: TAOTreeClassifier and TAOTreeRegressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from interpretkd._validation import (
    check_soft_targets,
    is_soft_target_array,
)
from interpretkd.tao._base import _BaseTAOTree


class TAOTreeClassifier(ClassifierMixin, _BaseTAOTree):
    """Depth-limited classification tree optimised by TAO, for faithful distillation.

    Starts from a tree of the requested size (see ``init``) and re-fits each node's
    split, deepest level first, to send each training row to the child subtree that
    predicts its target best; leaves take the class with the most target mass. A change
    is kept only when it lowers the training loss (the weighted expected disagreement
    ``1 - Y[i, predicted class]``, which for labels is the training error), so training
    fidelity never falls from one round to the next.

    Parameters
    ----------
    max_depth : int, default=5
        Depth of the (complete) tree; 1 to 16.
    max_leaf_nodes : int or None, default=None
        Leaf budget: the fitted tree never has more than this many leaves. The start
        is then a best-first CART tree with this many leaves (as scikit-learn grows
        it) within ``max_depth``, and a node pruned in the start stays pruned, so
        TAO can only keep or merge leaves. Set ``max_depth`` higher than a balanced
        tree needs (e.g. 12) so that the budget, not the depth, decides the shape.
        Measured on held-out rows (``docs/benchmarks/frontier.md``): oblique trees
        with 32 leaves are 0.5 to 0.7 points more faithful than oblique trees of
        depth 5 (which start from the rollout tree), 3 to 4 points more than
        depth-5 trees started from CART.
    min_samples_leaf : int, default=1
        Fewest training rows a split may leave on either side.
    split : {"axis", "oblique"}, default="axis"
        ``"axis"``: one feature and a threshold per node (exportable with
        :meth:`as_sklearn`). ``"oblique"``: a sparse linear split per node chosen by an
        L1-penalised logistic regression on the node's rows; an axis split is kept
        where it does at least as well.
    max_features_per_split : int or None, default=3
        Most features an oblique split uses (None: all). Ignored for axis splits.
    categorical_features : array-like of int, bool or str, default=None
        Columns that hold category codes (numbers without order), as in
        scikit-learn's ``HistGradientBoostingClassifier``: column indices, a boolean
        mask with one entry per feature, or column names (when ``X`` is a DataFrame
        with string column names); None for none. An oblique split never combines
        a categorical column with other columns: the linear splits use the other
        columns only, and a categorical column can split a node on its own (a
        one-feature threshold on its codes, as in any tree). Axis trees are
        unchanged. A distiller fit on a DataFrame with category columns sets this
        to those columns in its fitted ``student_`` when it was left None.
    tol : float, default=0.0
        Stop when a round lowers the training loss by at most ``tol`` times the loss.
        TAO also stops when a round changes no split.
    n_init : int, default=1
        Number of starting trees; the first is chosen by ``init``, the others are
        CART grown on random halves of the features. The one with the lowest final
        training loss is kept.
    init : {"auto", "rollout", "cart"}, default="auto"
        The first starting tree. ``"cart"``: CART of depth ``max_depth`` (best-first
        with ``max_leaf_nodes``). ``"rollout"``: the splits of the top two levels are
        chosen by lookahead (each candidate scored by the training error of the greedy
        subtrees grown below it); below them a split is chosen by a short lookahead
        (greedy subtrees of two levels) where it beats CART's subtree by a margin
        that grows with the node's rows (about one standard deviation of the
        difference), CART's split elsewhere; two to three times the fitting time of
        ``"cart"``; not with ``max_leaf_nodes``. ``"auto"``: ``"rollout"`` without
        ``max_leaf_nodes``, ``"cart"`` with it (measured on four datasets: the rollout
        start adds 1 to 4 points of held-out fidelity to axis trees of depth 3 to 8,
        and the short lookahead below the top levels 1 to 6 more on Letter at depth
        8; oblique trees, whose splits TAO then makes oblique, gain 2.4 to 3.1 points
        at depth 5 and 1.1 to 1.3 at depth 8).
    warm_start : bool, default=False
        When True and the estimator is fitted, ``fit`` continues TAO from the current
        tree (e.g. one made by :func:`to_hard_tree`) instead of a new start.
    random_state : int, RandomState instance or None, default=None
        Seeds CART's tie-breaking, the restarts and the row subsets of oblique fits
        and of the rollout start. A fixed value makes ``fit`` deterministic.
    verbose : int, default=0
        When positive, report each TAO round (training loss, splits changed) with
        the package's progress policy: a bar in a terminal or notebook, a few plain
        lines in a log. ``DistilledClassifier(verbose=...)`` passes its own value on.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``np.arange(n_classes)`` when fit on soft targets.
    inner_weights_ : ndarray of shape (2**max_depth - 1, n_features)
        Split weights in heap order; a row goes right when
        ``inner_weights_[i] @ x + inner_bias_[i] > 0``. All-zero rows are pruned nodes.
    inner_bias_ : ndarray of shape (2**max_depth - 1,)
    leaf_distributions_ : ndarray of shape (2**max_depth, n_classes)
        Class distribution of each leaf (mean target of its training rows).
    feature_importances_ : ndarray of shape (n_features,)
        Share of training weight routed by each feature (weighted by the size of the
        feature's coefficient times its standard deviation in oblique splits).
    feature_scale_ : ndarray of shape (n_features,)
        Standard deviation of each feature on the training rows (weighted by
        ``sample_weight``; 1.0 for a constant feature). Export writes an oblique
        split led by its term of largest ``|weight| * feature_scale_``.
    is_categorical_ : ndarray of shape (n_features,), dtype=bool
        The columns ``categorical_features`` declares: no oblique split gives
        them a weight alongside another column.
    n_iter_ : int
        TAO rounds run (at least 1).
    history_ : list of dict
        One entry per round with the training ``loss``, ``fidelity`` (weighted
        agreement of the tree with ``argmax`` of the targets) and ``n_changed``
        (splits replaced in that round). Round 0 is the starting tree (see
        ``init``, or the fitted tree when warm-starting) with its leaves fit to the
        data.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when ``X`` has string column names.

    See Also
    --------
    TAOTreeRegressor : the same for regression.
    to_hard_tree : oblique hard tree from a fitted soft decision tree.

    References
    ----------
    M. Á. Carreira-Perpiñán and P. Tavallali, "Alternating optimization of decision
    trees, with application to learning sparse oblique trees", NeurIPS 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from interpretkd.tao import TAOTreeClassifier
    >>> X, y = make_classification(n_samples=500, random_state=0)
    >>> tree = TAOTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    >>> tree.history_[-1]["fidelity"] >= tree.history_[0]["fidelity"]
    True

    A leaf budget instead of a depth:

    >>> small = TAOTreeClassifier(max_depth=12, max_leaf_nodes=6, random_state=0)
    >>> small.fit(X, y).get_n_leaves() <= 6
    True
    """

    accepts_soft_targets = True
    _rollout_by_default = True
    _rollout_deep_lookahead = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the tree to class labels or to soft targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or a 2-D float array of class probabilities per row
            (e.g. a teacher's soft targets); then ``classes_ = np.arange(n_classes)``.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TAOTreeClassifier
        """
        if y is not None and is_soft_target_array(y):
            X = validate_data(self, X, dtype=self._x_dtype())
            Y = check_soft_targets(y)
            if Y.shape[0] != X.shape[0]:
                raise ValueError(
                    f"X has {X.shape[0]} rows but the soft targets y have "
                    f"{Y.shape[0]}; pass one row of targets per row of X."
                )
            classes = np.arange(Y.shape[1])
        else:
            X, y = validate_data(self, X, y, dtype=self._x_dtype())
            check_classification_targets(y)
            classes, y_idx = np.unique(y, return_inverse=True)
            if classes.size < 2:
                raise ValueError(
                    "TAOTreeClassifier needs samples of at least two classes; got 1 "
                    f"class only ({classes[0]!r}). A tree that always predicts one "
                    "class has nothing to learn."
                )
            Y = np.zeros((y.shape[0], classes.size))
            Y[np.arange(y.shape[0]), y_idx] = 1.0
        if self.warm_start and hasattr(self, "classes_"):
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start=True needs the same classes as the fitted tree "
                    f"({self.classes_.tolist()}); got {classes.tolist()}."
                )
        self.classes_ = classes
        return self._fit(X, Y, sample_weight)

    # Hooks used by the shared machinery -----------------------------------------
    def _make_cart(self, depth, msl, max_features, seed, max_leaf_nodes=None):
        return DecisionTreeClassifier(
            max_depth=depth,
            min_samples_leaf=msl,
            max_features=max_features,
            random_state=seed,
            max_leaf_nodes=max_leaf_nodes,
        )

    def _greedy_target(self, T):
        return T.argmax(axis=1)

    def _constant_error(self, y, w):
        """Weight of the rows outside the heaviest class (0 for no rows)."""
        if y.size == 0:
            return 0.0
        return float(w.sum() - np.bincount(y, weights=w).max())

    def _prediction_error(self, pred, y, w):
        return float(w @ (pred != y))

    def _neutral_leaf_values(self, T, w, n_leaves):
        k = T.shape[1]
        return np.full((n_leaves, k), 1.0 / k)

    def _fit_cart(self, cart, X, T, w):
        cart.fit(X, T.argmax(axis=1), sample_weight=w)

    def _values_from_cart(self, cart, leaf_source):
        k = len(self.classes_)
        dist = np.zeros((cart.tree_.node_count, k))
        dist[:, cart.classes_.astype(np.intp)] = cart.tree_.value[:, 0, :]
        sums = dist.sum(axis=1, keepdims=True)
        dist = np.divide(dist, sums, out=np.full_like(dist, 1.0 / k), where=sums > 0)
        return dist[leaf_source]

    def _fit_leaves(self, T, w, leaf, old):
        mass = np.zeros_like(old)
        np.add.at(mass, leaf, w[:, None] * T)
        weight = mass.sum(axis=1)
        dist = old.copy()
        filled = weight > 0
        dist[filled] = mass[filled] / weight[filled, None]
        return dist

    def _row_loss(self, T, values, leaf):
        predicted = values.argmax(axis=1)[leaf]
        return 1.0 - T[np.arange(T.shape[0]), predicted]

    def _history_entry(self, round_, loss, total_weight, T, w, values, leaf, changed):
        agree = values.argmax(axis=1)[leaf] == T.argmax(axis=1)
        return {
            "round": round_,
            "loss": float(loss / total_weight),
            "fidelity": float(w @ agree / total_weight),
            "n_changed": changed,
        }

    def _set_leaf_values(self, values):
        self.leaf_distributions_ = values

    def _get_leaf_values(self):
        return self.leaf_distributions_

    def _leaf_value_matrix(self):
        return self.leaf_distributions_

    def _impurity(self, mean, mean_sq):
        """Gini impurity of each row of class distributions (shape (n, k))."""
        mean = np.atleast_2d(mean)
        return 1.0 - np.sum(mean**2, axis=1)

    def _empty_sklearn_tree(self):
        est = DecisionTreeClassifier(max_depth=self._tree_depth)
        est.classes_ = self.classes_
        est.n_classes_ = len(self.classes_)
        return est

    # Prediction -------------------------------------------------------------------
    def predict_proba(self, X):
        """Class distribution of the leaf each sample reaches.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        leaves = self.apply(X) - (2**self._tree_depth - 1)
        return self.leaf_distributions_[leaves]

    def predict(self, X):
        """Predicted class label of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_.take(proba.argmax(axis=1))


class TAOTreeRegressor(RegressorMixin, _BaseTAOTree):
    """Depth-limited regression tree optimised by TAO, for faithful distillation.

    Starts from CART (see ``init``) and re-fits each node's split, deepest level first,
    to send each training row to the child subtree whose prediction is closest to its
    target; leaves take the weighted mean of their rows. A change is kept only when it
    lowers the training squared error, so no round makes the tree worse on its training
    data.

    Parameters
    ----------
    max_depth : int, default=5
        Depth of the (complete) tree; 1 to 16.
    max_leaf_nodes : int or None, default=None
        Leaf budget: the fitted tree never has more leaves. The start is a
        best-first CART tree with this many leaves within ``max_depth``, and a node
        pruned in the start stays pruned. Set ``max_depth`` high (e.g. 12).
    min_samples_leaf : int, default=1
        Fewest training rows a split may leave on either side.
    split : {"axis", "oblique"}, default="axis"
        ``"axis"``: one feature and a threshold per node (exportable with
        :meth:`as_sklearn`); ``"oblique"``: a sparse linear split per node.
    max_features_per_split : int or None, default=3
        Most features an oblique split uses (None: all). Ignored for axis splits.
    categorical_features : array-like of int, bool or str, default=None
        Columns that hold category codes: indices, a boolean mask or column names.
        Oblique splits never combine them with other columns (see
        :class:`TAOTreeClassifier`); axis trees are unchanged.
    max_iter : int, default=10
        Most TAO rounds.
    tol : float, default=0.0
        Stop when a round lowers the training loss by at most ``tol`` times the loss.
    n_init : int, default=1
        Number of starting trees (the ``init`` one, then CART on random halves of
        the features).
    init : {"auto", "rollout", "cart"}, default="auto"
        The first starting tree: ``"cart"``, or ``"rollout"`` (top two levels
        chosen by lookahead over greedy subtrees, CART below: the classifier's
        short lookahead below the top levels is for classification errors only;
        see :class:`TAOTreeClassifier`; not with ``max_leaf_nodes``). ``"auto"``
        is ``"cart"`` for regression (the rollout start was measured on
        classification only).
    warm_start : bool, default=False
        Continue TAO from the fitted tree instead of a new start.
    random_state : int, RandomState instance or None, default=None
        Seeds CART's tie-breaking, the restarts and the row subsets of oblique fits
        and of the rollout start.
    verbose : int, default=0
        When positive, report each TAO round with the package's progress policy.

    Attributes
    ----------
    inner_weights_ : ndarray of shape (2**max_depth - 1, n_features)
        Split weights in heap order; right when ``w @ x + b > 0``.
    inner_bias_ : ndarray of shape (2**max_depth - 1,)
    leaf_values_ : ndarray of shape (2**max_depth,)
        Prediction of each leaf.
    feature_importances_ : ndarray of shape (n_features,)
    feature_scale_ : ndarray of shape (n_features,)
        Standard deviation of each feature on the training rows, as for the
        classifier.
    is_categorical_ : ndarray of shape (n_features,), dtype=bool
        The columns ``categorical_features`` declares.
    n_iter_ : int
    history_ : list of dict
        Per round: training ``loss`` (weighted mean squared error) and ``n_changed``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    See Also
    --------
    TAOTreeClassifier

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from interpretkd.tao import TAOTreeRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, random_state=0)
    >>> tree = TAOTreeRegressor(max_depth=3, random_state=0).fit(X, y)
    >>> tree.history_[-1]["loss"] <= tree.history_[0]["loss"]
    True
    """

    accepts_soft_targets = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Targets, e.g. a teacher's predictions.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : TAOTreeRegressor
        """
        X, y = validate_data(self, X, y, dtype=self._x_dtype(), y_numeric=True)
        return self._fit(X, np.asarray(y, dtype=np.float64), sample_weight)

    def _make_cart(self, depth, msl, max_features, seed, max_leaf_nodes=None):
        return DecisionTreeRegressor(
            max_depth=depth,
            min_samples_leaf=msl,
            max_features=max_features,
            random_state=seed,
            max_leaf_nodes=max_leaf_nodes,
        )

    def _greedy_target(self, T):
        return T

    def _constant_error(self, y, w):
        """Weighted squared error around the weighted mean (0 for no rows)."""
        total = w.sum()
        if total <= 0:
            return 0.0
        return float(w @ (y - (w @ y) / total) ** 2)

    def _prediction_error(self, pred, y, w):
        return float(w @ (pred - y) ** 2)

    def _neutral_leaf_values(self, T, w, n_leaves):
        return np.full(n_leaves, float(np.average(T, weights=w)) if w.sum() else 0.0)

    def _fit_cart(self, cart, X, T, w):
        cart.fit(X, T, sample_weight=w)

    def _values_from_cart(self, cart, leaf_source):
        return cart.tree_.value[:, 0, 0][leaf_source].astype(np.float64)

    def _fit_leaves(self, T, w, leaf, old):
        n_leaves = old.shape[0]
        weight = np.bincount(leaf, weights=w, minlength=n_leaves)
        total = np.bincount(leaf, weights=w * T, minlength=n_leaves)
        values = old.copy()
        filled = weight > 0
        values[filled] = total[filled] / weight[filled]
        return values

    def _row_loss(self, T, values, leaf):
        return (T - values[leaf]) ** 2

    def _set_leaf_values(self, values):
        self.leaf_values_ = values

    def _get_leaf_values(self):
        return self.leaf_values_

    def _leaf_value_matrix(self):
        return self.leaf_values_[:, None]

    def _impurity(self, mean, mean_sq):
        """Weighted variance from the weighted means of y and of y**2 (shape (n, 1))."""
        mean, mean_sq = np.atleast_2d(mean), np.atleast_2d(mean_sq)
        return np.maximum(mean_sq - mean**2, 0.0)[:, 0]

    def _empty_sklearn_tree(self):
        return DecisionTreeRegressor(max_depth=self._tree_depth)

    def predict(self, X):
        """Predicted value of each sample (the value of the leaf it reaches).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        leaves = self.apply(X) - (2**self._tree_depth - 1)
        return self.leaf_values_[leaves]
