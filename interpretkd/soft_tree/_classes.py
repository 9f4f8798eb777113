"""The soft decision tree estimators: SoftDecisionTreeClassifier and -Regressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from interpretkd._validation import (
    check_soft_targets,
    is_soft_target_array,
    one_hot,
)
from interpretkd.soft_tree._base import _BaseSoftDecisionTree


class SoftDecisionTreeClassifier(ClassifierMixin, _BaseSoftDecisionTree):
    """Soft decision tree classifier (Frosst & Hinton, 2017).

    Every inner node ``i`` sends a sample right with probability
    ``p_i(x) = sigmoid(beta * (x @ inner_weights_[i] + inner_bias_[i]))``; each leaf
    holds a fixed class distribution (a "bigot"). The tree is trained with Adam on the
    path-weighted cross-entropy ``sum_l P_l(x) * CE(target(x), Q_l)`` — the expected
    cross-entropy the paper intends; its printed equation wraps the sum in a
    ``log``, which ``loss="mixture"`` keeps — plus the paper's balance penalty.

    ``y`` may be class labels or a 2-D array of soft targets (one probability column
    per class, e.g. a teacher's ``predict_proba``), which is what makes the tree a
    distillation student.

    Parameters
    ----------
    max_depth : int, default=6
        Depth of the tree: ``2**max_depth - 1`` inner nodes and ``2**max_depth``
        leaves.
    beta : float, default=1.0
        Inverse temperature of the inner-node sigmoids. Larger values give harder
        decisions. With ``learn_beta=True`` this is the initial value.
    learn_beta : bool, default=False
        Learn one inverse temperature per inner node (``beta_`` is then an array of
        shape ``(n_inner,)``), parametrised by its logarithm so it stays positive.
    loss : {"expected", "mixture"}, default="expected"
        ``"expected"``: the expected cross-entropy over leaves,
        ``sum_l P_l(x) * CE(target(x), Q_l)`` — the paper's intent; every leaf
        becomes a bigot that learns the mean target of the data reaching it.
        ``"mixture"``: the cross-entropy of the
        mixture, ``CE(target(x), sum_l P_l(x) Q_l)`` — the paper's printed equation
        with its ``log``, a hierarchical mixture of experts' likelihood. It often
        trains better trees, max path included (measured in ``docs/soft_tree.md``);
        worth trying against the default on held-out data.
    penalty : float, default=0.1
        Strength ``lambda`` of the balance penalty
        ``-lambda * sum_i 2**-depth(i) * (log(alpha_i) + log(1 - alpha_i)) / 2``,
        ``alpha_i`` the path-weighted share of the data that node ``i`` sends
        right. 0 disables it.
    penalty_average : {"batch", "running"}, default="batch"
        How ``alpha_i`` is measured. ``"running"`` is the paper's: a running
        average over a window of ``2**depth(i)`` batches (running sums of the
        path mass sent right and reaching the node, this batch's terms carrying
        the gradient). ``"batch"`` uses each batch's share alone; it trained
        markedly better trees (``docs/soft_tree.md``), because through the running
        ratio a deep node's penalty gradient is divided by its window.
    learning_rate : float or "auto", default="auto"
        Adam step size (the initial one under the cosine schedule). ``"auto"`` is
        ``0.1 / sqrt(n_features)``: Adam moves each weight by about the step, so a
        node's logit moves by about ``step * sqrt(n_features)``; this keeps that
        constant across input widths (0.0036 for 784 pixels, 0.025 for 16 features).
        The value used is ``learning_rate_``.
    learning_rate_schedule : {"auto", "cosine", "constant"}, default="auto"
        ``"cosine"``: the step size decays from ``learning_rate`` to 0 along a
        half cosine over the ``max_epochs`` of each ``fit`` call (``partial_fit``
        uses ``learning_rate``). ``"constant"``: no decay. ``"auto"``: cosine for
        this classifier, constant for the regressor (``docs/soft_tree.md``).
    batch_size : int, default=128
        Minibatch size (capped at the number of samples).
    max_epochs : int, default=100
        Maximum number of passes over the data (per call to ``fit``).
    validation_fraction : float or None, default=None
        Fraction of the data held out (stratified on labels) to choose the best epoch
        and stop early; the parameters of the best epoch are kept. ``None``: stop on
        the training loss instead.
    n_iter_no_change : int or None, default=10
        Stop when the validation score (or the training loss) has not improved by
        ``tol`` for this many epochs. ``None`` trains for ``max_epochs``.
    tol : float, default=1e-4
        Minimum improvement counted by ``n_iter_no_change``.
    scale_floor : float, default=0.0
        Inputs are standardised for training by ``sqrt(variance + scale_floor**2)``
        per feature. The default divides by the standard deviation. When all features
        share one unit (pixels), a floor of about a tenth of a typical feature's
        spread stops rare, nearly constant features (border pixels) from being
        amplified hundreds of times (``0.05`` for pixels in [0, 1]; measured in
        ``docs/soft_tree.md``). In the units of ``X``, so leave it at 0 for
        features of mixed units.
    prediction : {"max_path", "greedy", "mixture"}, default="max_path"
        How a sample is routed and predicted; :meth:`apply`, :meth:`decision_path`
        and the exports follow the same rule.
        ``"max_path"``: the distribution of the leaf of greatest path probability
        (one path, one leaf). ``"greedy"``: the leaf reached by taking the likelier
        branch at every node (right when ``x @ inner_weights_[i] + inner_bias_[i]
        > 0``), so the tree *is* the hard oblique tree its text rules spell out;
        it agrees with max path on most samples (``docs/soft_tree.md``).
        ``"mixture"``: the average of all leaf distributions weighted by path
        probability (no single rule decides). The mode can be changed after
        fitting with ``set_params``.
    device : str or torch.device, default="cpu"
        Where to train: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"`` (a GPU when
        there is one). The fitted state is NumPy in any case.
    random_state : int, RandomState instance or None, default=None
        Seeds a private ``torch.Generator`` (initial weights, batch order) and the
        validation split. The same value gives the same tree.
    verbose : int, default=0
        Show a tqdm progress bar over epochs when > 0.
    warm_start : bool, default=False
        Continue training the current tree (and its optimizer state) on the next
        call to ``fit`` instead of starting afresh.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``np.arange(n_classes)`` when fitted on soft targets.
    inner_weights_ : ndarray of shape (n_inner, n_features)
        Filter of every inner node, in the units of the input features.
    inner_bias_ : ndarray of shape (n_inner,)
        Bias of every inner node.
    beta_ : float or ndarray of shape (n_inner,)
        Inverse temperature (an array when ``learn_beta=True``).
    leaf_distributions_ : ndarray of shape (n_leaves, n_classes)
        Class distribution of every leaf.
    node_sample_share_ : ndarray of shape (n_nodes,)
        Mean path probability of the training data at every node (heap order, leaves
        included); the root's share is 1.
    feature_importances_ : ndarray of shape (n_features,)
        Sum over inner nodes of ``node_sample_share_ * beta * |standardised weight|``,
        normalised to sum to one.
    feature_scale_ : ndarray of shape (n_features,)
        Spread of each feature in the training data (the ``sample_weight``-weighted
        standard deviation, or ``sqrt(variance + scale_floor**2)``; 1.0 for a
        constant feature without a floor), used to standardise the inputs;
        export ranks a node's terms by ``|w| * feature_scale_``. Set by the first
        ``fit`` (or ``partial_fit``) and kept while training continues.
    learning_rate_ : float
        The Adam step size used (``learning_rate`` resolved).
    loss_curve_ : list of float
        Training loss (cross-entropy plus penalty) of every epoch.
    validation_scores_ : list of float or None
        Agreement of the chosen ``prediction`` with the held-out targets' argmax per
        epoch, when ``validation_fraction`` is set.
    best_validation_score_ : float
        The best of ``validation_scores_``, when ``validation_fraction`` is set.
    n_iter_ : int
        Number of epochs run.
    n_leaves_ : int
        ``2**max_depth``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Inputs are standardised internally for training; the filters are stored back in
    the input's units. Training runs in the floating precision of ``X``: pass
    ``float32`` data for about twice the speed of ``float64``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from interpretkd.soft_tree import SoftDecisionTreeClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> tree = SoftDecisionTreeClassifier(max_depth=4, max_epochs=5, random_state=0)
    >>> tree.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    _is_classifier = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the tree on labels or soft targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, or soft targets: a float array whose rows are probability
            distributions over the classes (then ``classes_ = np.arange(n_classes)``).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeClassifier
        """
        return self._fit_epochs(X, y, sample_weight, classes=None)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on a chunk of data, keeping the current tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels or soft targets, as in :meth:`fit`.
        classes : array-like of shape (n_classes,), default=None
            All class labels; required on the first call when ``y`` holds labels.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeClassifier
        """
        return self._fit_one_epoch(X, y, sample_weight, classes=classes)

    def _prepare(self, X, y, *, classes, first):
        """Validate X and y; return X and the targets as an (n, n_classes) array."""
        if y is None:
            raise ValueError(
                "SoftDecisionTreeClassifier requires y to be passed, but the target y "
                "is None; pass class labels or soft targets."
            )
        self._hard_labels = None
        if is_soft_target_array(y):
            X, Y = validate_data(
                self,
                X,
                y,
                reset=first,
                dtype=(np.float64, np.float32),
                multi_output=True,
                y_numeric=True,
            )
            expected = None if first else len(self.classes_)
            T = check_soft_targets(Y, n_classes=expected)
            if first:
                self.classes_ = np.arange(T.shape[1])
            elif not np.array_equal(self.classes_, np.arange(T.shape[1])):
                raise ValueError(
                    "This tree was fitted on labels; continue training it with labels "
                    f"from classes_={self.classes_!r}, not with soft targets."
                )
            return X, T
        try:
            X, y = validate_data(
                self, X, y, reset=first, dtype=(np.float64, np.float32)
            )
        except ValueError as exc:
            if "1d array" not in str(exc):
                raise
            raise ValueError(
                "y has several columns but is not a float array of probabilities. "
                "Pass class labels as a 1-D array, or soft targets as a float array "
                "of shape (n_samples, n_classes) whose rows sum to 1."
            ) from exc
        check_classification_targets(y)
        if first:
            if classes is not None:
                self.classes_ = np.unique(np.asarray(classes))
            else:
                self.classes_ = np.unique(y)
            if self.classes_.shape[0] < 2:
                raise ValueError(
                    "SoftDecisionTreeClassifier needs samples of at least two classes; "
                    f"got 1 class only ({self.classes_[0]!r})."
                )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()!r} not in classes_="
                f"{self.classes_.tolist()!r}; pass all classes to the first "
                "partial_fit call with classes=."
            )
        labels = np.searchsorted(self.classes_, y)
        self._hard_labels = labels
        return X, one_hot(labels, self.classes_.shape[0])

    def _transform_targets(self, T, w, *, fit_scaler):
        return T

    def _set_leaves(self, leaf_logits):
        z = leaf_logits - leaf_logits.max(axis=1, keepdims=True)
        q = np.exp(z)
        self.leaf_distributions_ = q / q.sum(axis=1, keepdims=True)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities under the chosen ``prediction`` rule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The distribution of the leaf :meth:`apply` reports (``"max_path"``,
            ``"greedy"``) or the path-weighted average of all leaf distributions
            (``"mixture"``).
        """
        return self._leaf_outputs(X, "leaf_distributions_")

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class label of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_.take(proba.argmax(axis=1))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class SoftDecisionTreeRegressor(RegressorMixin, _BaseSoftDecisionTree):
    """Soft decision tree regressor (Frosst & Hinton, 2017, with value leaves).

    Inner nodes are those of :class:`SoftDecisionTreeClassifier`; each leaf holds a
    fixed value (one per output) and the tree is trained on the path-weighted squared
    error ``sum_l P_l(x) * |y - v_l|**2`` plus the balance penalty. Targets are
    standardised internally; ``leaf_values_`` are in the units of ``y``.

    Parameters
    ----------
    max_depth : int, default=6
        Depth of the tree: ``2**max_depth`` leaves.
    beta : float, default=1.0
        Inverse temperature of the inner-node sigmoids.
    learn_beta : bool, default=False
        Learn one inverse temperature per inner node.
    loss : {"expected", "mixture"}, default="expected"
        ``"expected"``: the path-weighted squared error ``sum_l P_l(x) |y - v_l|**2``
        (each leaf learns the mean target of the data reaching it). ``"mixture"``:
        the squared error of the mixture, ``|y - sum_l P_l(x) v_l|**2``, which makes
        ``prediction="mixture"`` more accurate and the leaf values less readable on
        their own.
    penalty : float, default=0.1
        Strength of the balance penalty (see :class:`SoftDecisionTreeClassifier`).
    penalty_average : {"batch", "running"}, default="batch"
        As in :class:`SoftDecisionTreeClassifier`.
    learning_rate : float or "auto", default="auto"
        As in :class:`SoftDecisionTreeClassifier` (``0.1 / sqrt(n_features)``).
    learning_rate_schedule : {"auto", "cosine", "constant"}, default="auto"
        As in :class:`SoftDecisionTreeClassifier`; ``"auto"`` is ``"constant"`` here
        (cosine decay under-trained small regression problems).
    batch_size : int, default=128
        Minibatch size.
    max_epochs : int, default=100
        Maximum number of passes over the data per call to ``fit``.
    validation_fraction : float or None, default=None
        Fraction held out to pick the best epoch and stop early (score: minus the
        mean squared error of the chosen ``prediction`` in standardised units).
    n_iter_no_change : int or None, default=10
        Patience of early stopping; ``None`` trains for ``max_epochs``.
    tol : float, default=1e-4
        Minimum improvement counted by ``n_iter_no_change``.
    scale_floor : float, default=0.0
        Floor on each feature's spread when inputs are standardised, in the units
        of ``X`` (see :class:`SoftDecisionTreeClassifier`).
    prediction : {"max_path", "greedy", "mixture"}, default="max_path"
        Value of the leaf of greatest path probability, of the leaf reached by the
        likelier branch at every node, or the path-weighted average (see
        :class:`SoftDecisionTreeClassifier`).
    device : str or torch.device, default="cpu"
        Where to train.
    random_state : int, RandomState instance or None, default=None
        Seeds the private ``torch.Generator`` and the validation split.
    verbose : int, default=0
        Show a tqdm progress bar when > 0.
    warm_start : bool, default=False
        Continue training the current tree on the next ``fit``.

    Attributes
    ----------
    inner_weights_, inner_bias_, beta_, node_sample_share_, feature_importances_, \
feature_scale_, loss_curve_, validation_scores_, n_iter_, n_leaves_, n_features_in_, \
feature_names_in_
        As in :class:`SoftDecisionTreeClassifier`.
    leaf_values_ : ndarray of shape (n_leaves,) or (n_leaves, n_outputs)
        Value of every leaf (2-D when ``y`` was 2-D).
    n_outputs_ : int
        Number of targets.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from interpretkd.soft_tree import SoftDecisionTreeRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> tree = SoftDecisionTreeRegressor(max_depth=3, max_epochs=5, random_state=0)
    >>> tree.fit(X, y).predict(X[:2]).shape
    (2,)
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, e.g. a teacher's predictions when distilling.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeRegressor
        """
        return self._fit_epochs(X, y, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on a chunk of data, keeping the current tree.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : SoftDecisionTreeRegressor
        """
        return self._fit_one_epoch(X, y, sample_weight)

    def _prepare(self, X, y, *, first):
        if y is None:
            raise ValueError(
                "SoftDecisionTreeRegressor requires y to be passed, but the target y "
                "is None."
            )
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=True,
        )
        y = np.asarray(y, dtype=np.float64)
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._y_ndim = y.ndim
            self.n_outputs_ = n_outputs
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} outputs but the tree was fitted with "
                f"{self.n_outputs_}."
            )
        return X, y.reshape(y.shape[0], -1)

    def _transform_targets(self, T, w, *, fit_scaler):
        if fit_scaler:
            mean = np.average(T, axis=0, weights=w)
            scale = np.sqrt(np.average((T - mean) ** 2, axis=0, weights=w))
            scale[~(scale > 0)] = 1.0
            self._y_mean, self._y_scale = mean, scale
        return (T - self._y_mean) / self._y_scale

    def _set_leaves(self, leaf):
        values = leaf * self._y_scale + self._y_mean
        self.leaf_values_ = values[:, 0] if self._y_ndim == 1 else values

    def predict(self, X) -> np.ndarray:
        """Predicted value(s) of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._leaf_outputs(X, "leaf_values_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
