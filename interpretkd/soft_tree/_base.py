"""What both soft trees share: parameters, fitting, routing and introspection."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from interpretkd.soft_tree._routing import (
    _PREDICT_ELEMENTS,
    _greedy_leaves,
    _log_path_numpy,
)
from interpretkd.soft_tree._torch_ops import _resolve_device, _torch_threads
from interpretkd.soft_tree._trainer import _TrainConfig, _Trainer

# Below this many multiply-adds per batch (batch x features x nodes) torch trains on
# a single thread.
_SMALL_BATCH_WORK = 1 << 22
# Deeper trees have more leaves than anyone reads or memory holds.
_MAX_DEPTH = 16


class _BaseSoftDecisionTree(BaseEstimator):
    """Shared fitting, introspection and prediction code of the soft trees."""

    _is_classifier = False
    # interpretkd.distill passes the teacher's outputs to fit() as they are.
    accepts_soft_targets = True

    _parameter_constraints: dict = {
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "learn_beta": ["boolean"],
        "loss": [StrOptions({"expected", "mixture"})],
        "penalty": [Interval(Real, 0, None, closed="left")],
        "penalty_average": [StrOptions({"batch", "running"})],
        "learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            StrOptions({"auto"}),
        ],
        "learning_rate_schedule": [StrOptions({"auto", "constant", "cosine"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "scale_floor": [Interval(Real, 0, None, closed="left")],
        "prediction": [StrOptions({"max_path", "greedy", "mixture"})],
        # A string or a torch.device: _resolve_device checks it without importing
        # torch at module import.
        "device": "no_validation",
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        *,
        max_depth: int = 6,
        beta: float = 1.0,
        learn_beta: bool = False,
        loss: str = "expected",
        penalty: float = 0.1,
        penalty_average: str = "batch",
        learning_rate: float | str = "auto",
        learning_rate_schedule: str = "auto",
        batch_size: int = 128,
        max_epochs: int = 100,
        validation_fraction: float | None = None,
        n_iter_no_change: int | None = 10,
        tol: float = 1e-4,
        scale_floor: float = 0.0,
        prediction: str = "max_path",
        device: Any = "cpu",
        random_state=None,
        verbose: int = 0,
        warm_start: bool = False,
    ):
        self.max_depth = max_depth
        self.beta = beta
        self.learn_beta = learn_beta
        self.loss = loss
        self.penalty = penalty
        self.penalty_average = penalty_average
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.scale_floor = scale_floor
        self.prediction = prediction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _check_depth(self):
        """What the constraint on max_depth cannot say: why 16 is the limit."""
        if self.max_depth > _MAX_DEPTH:
            raise ValueError(
                f"max_depth={self.max_depth} would build 2**{self.max_depth} leaves; "
                f"a soft tree deeper than {_MAX_DEPTH} is neither readable nor "
                f"trainable in memory. Use max_depth <= {_MAX_DEPTH} (6 to 10 is "
                "typical)."
            )

    def _train_config(self, learning_rate: float) -> _TrainConfig:
        schedule = self.learning_rate_schedule
        if schedule == "auto":
            schedule = "cosine" if self._is_classifier else "constant"
        return _TrainConfig(
            max_depth=int(self.max_depth),
            is_classifier=self._is_classifier,
            loss=self.loss,
            penalty=float(self.penalty),
            penalty_average=self.penalty_average,
            beta=float(self.beta),
            learn_beta=bool(self.learn_beta),
            learning_rate=learning_rate,
            cosine=schedule == "cosine",
            batch_size=int(self.batch_size),
            n_iter_no_change=self.n_iter_no_change,
            tol=float(self.tol),
            prediction=self.prediction,
            progress_label=type(self).__name__ if self.verbose else None,
        )

    # -- fitting ----------------------------------------------------------------------
    def _fit_epochs(self, X, y, sample_weight, **prepare):
        """What ``fit`` does: up to ``max_epochs`` passes over the data, from a new
        tree unless ``warm_start`` continues the current one."""
        self._check_depth()
        incremental = bool(self.warm_start) and hasattr(self, "_state")
        X, T = self._prepare(X, y, first=not incremental, **prepare)
        return self._fit(
            X, T, sample_weight, n_epochs=self.max_epochs, incremental=incremental
        )

    def _fit_one_epoch(self, X, y, sample_weight, **prepare):
        """What ``partial_fit`` does: one pass over a chunk, keeping the tree."""
        self._check_depth()
        first = not hasattr(self, "_state")
        X, T = self._prepare(X, y, first=first, **prepare)
        return self._fit(
            X, T, sample_weight, n_epochs=1, incremental=not first, partial=True
        )

    def _fit(self, X, T, sample_weight, *, n_epochs, incremental, partial=False):
        """Train on validated X (float array) and targets T (n_samples, n_outputs)."""
        import torch

        device = _resolve_device(self.device)
        rng = check_random_state(self.random_state)
        resume = incremental and hasattr(self, "_state")
        if not resume:
            self._rng_seed = int(rng.randint(np.iinfo(np.int32).max))
        gen = torch.Generator().manual_seed(
            self._rng_seed + (len(self.loss_curve_) if resume else 0)
        )
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        w = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.any(w > 0):
            raise ValueError(
                "sample_weight must have at least one positive entry; all weights "
                "are zero."
            )
        if not resume:
            mean = np.average(X, axis=0, weights=w)
            var = np.average((X - mean) ** 2, axis=0, weights=w)
            scale = np.sqrt(var + float(self.scale_floor) ** 2)
            scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
            self._x_mean, self._x_scale = mean, scale
        Xs = ((X - self._x_mean) / self._x_scale).astype(X.dtype, copy=False)
        T = self._transform_targets(T, w, fit_scaler=not resume)

        X_val = T_val = w_val = None
        if self.validation_fraction is not None and not partial:
            stratify = None
            if self._is_classifier and getattr(self, "_hard_labels", None) is not None:
                labels = self._hard_labels
                if np.bincount(labels).min() >= 2:
                    stratify = labels
            n_val = int(math.ceil(self.validation_fraction * X.shape[0]))
            if n_val < 1 or X.shape[0] - n_val < 1:
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no data "
                    f"for training or validation with {X.shape[0]} samples; use a "
                    "smaller fraction or validation_fraction=None."
                )
            idx_tr, idx_val = train_test_split(
                np.arange(X.shape[0]),
                test_size=self.validation_fraction,
                random_state=rng.randint(np.iinfo(np.int32).max),
                stratify=stratify,
            )
            X_val, T_val, w_val = Xs[idx_val], T[idx_val], w[idx_val]
            Xs, T, w = Xs[idx_tr], T[idx_tr], w[idx_tr]

        def to_t(a):
            if a is None:
                return None
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

        # Adam moves every weight by about the step size, so a node's logit moves by
        # about step * sqrt(n_features) on standardised inputs: "auto" keeps that
        # constant. 0.1 / sqrt(d) was best or near best on breast_cancer, digits,
        # wine, Letter and Fashion-MNIST (docs/soft_tree.md).
        self.learning_rate_ = (
            0.1 / math.sqrt(X.shape[1])
            if self.learning_rate == "auto"
            else float(self.learning_rate)
        )
        trainer = _Trainer(
            self._train_config(self.learning_rate_),
            self._state if resume else None,
            X.shape[1],
            T.shape[1],
            dtype,
            device,
            gen,
        )
        # Small batches run faster on one thread: the synchronisation of a thread
        # pool costs more than the arithmetic it shares out.
        work = min(self.batch_size, X.shape[0]) * X.shape[1] * 2**self.max_depth
        n_threads = 1 if device.type == "cpu" and work < _SMALL_BATCH_WORK else None
        with _torch_threads(torch, n_threads):
            losses, scores = trainer.run_epochs(
                to_t(Xs),
                to_t(T),
                to_t(w),
                n_epochs,
                to_t(X_val),
                to_t(T_val),
                to_t(w_val),
                gen,
            )
        self._state = trainer.state()
        if not resume:
            self.loss_curve_, self.validation_scores_ = [], None
        self.loss_curve_ = list(self.loss_curve_) + losses
        if scores:
            self.validation_scores_ = list(self.validation_scores_ or []) + scores
            self.best_validation_score_ = max(self.validation_scores_)
        self.n_iter_ = len(self.loss_curve_)
        self._publish_state(Xs if X_val is None else np.vstack([Xs, X_val]))
        self._hard_labels = None
        if not np.all(np.isfinite(self.inner_weights_)) or not np.isfinite(
            self.loss_curve_[-1]
        ):
            raise FloatingPointError(
                "Training diverged (NaN or infinite parameters); lower "
                "learning_rate or beta."
            )
        return self

    def _publish_state(self, Xs_train):
        """Set the public fitted attributes from the standardised torch state."""
        s = self._state
        d = self.max_depth
        beta = np.exp(s["log_beta"])
        w_raw = s["weight"] / self._x_scale
        self.inner_weights_ = w_raw
        self.inner_bias_ = s["bias"] - w_raw @ self._x_mean
        self.feature_scale_ = np.array(self._x_scale, dtype=np.float64)
        self.beta_ = beta if self.learn_beta else float(beta)
        self._set_leaves(s["leaf"])
        self.n_leaves_ = 2**d
        # Mean path probability of the training data at every node.
        share = np.zeros(2 ** (d + 1) - 1)
        chunk = max(1, _PREDICT_ELEMENTS // share.size)
        for start in range(0, Xs_train.shape[0], chunk):
            part = Xs_train[start : start + chunk].astype(np.float64)
            share += np.exp(_log_path_numpy(part, s["weight"], s["bias"], beta, d)).sum(
                0
            )
        self.node_sample_share_ = share / Xs_train.shape[0]
        # Importance: |standardised weight| * beta, weighted by the share of data
        # reaching the node, so it does not depend on the features' units.
        strength = np.abs(s["weight"]) * np.broadcast_to(beta, (2**d - 1,))[:, None]
        imp = self.node_sample_share_[: 2**d - 1] @ strength
        total = imp.sum()
        self.feature_importances_ = imp / total if total > 0 else imp

    # -- introspection ----------------------------------------------------------------
    def _log_path(self, X):
        beta = np.asarray(self.beta_, dtype=np.float64)
        return _log_path_numpy(
            X,
            self.inner_weights_,
            self.inner_bias_,
            beta,
            self.max_depth,
        )

    def _chunks(self, X):
        """Validated X in chunks of rows that bound the memory of the node arrays."""
        X = self._validate_predict(X)
        n_nodes = 2 ** (self.max_depth + 1) - 1
        chunk = max(1, _PREDICT_ELEMENTS // n_nodes)
        for start in range(0, X.shape[0], chunk):
            yield X[start : start + chunk].astype(np.float64, copy=False)

    def _iter_leaf_log_paths(self, X):
        first_leaf = 2**self.max_depth - 1
        for part in self._chunks(X):
            yield self._log_path(part)[:, first_leaf:]

    def _validate_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=(np.float64, np.float32))

    def path_probability(self, X) -> np.ndarray:
        """Probability of reaching every leaf.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_leaves)
            ``proba[i, l]`` is the product of the decisions on the way to leaf ``l``;
            each row sums to one.
        """
        parts = [np.exp(lp) for lp in self._iter_leaf_log_paths(X)]
        return np.concatenate(parts) if parts else np.zeros((0, self.n_leaves_))

    def apply(self, X) -> np.ndarray:
        """Node id of the leaf each sample reaches under the tree's ``prediction``.

        With ``prediction="greedy"``, the leaf reached by taking the likelier branch
        at every node (right when ``inner_weights_[i] @ x + inner_bias_[i] > 0``);
        otherwise the leaf of greatest path probability (for ``"mixture"`` the most
        probable leaf, although the prediction averages all of them). This is the
        one definition of the tree's routing: :meth:`decision_path`, ``predict`` and
        :mod:`interpretkd.export` all follow it. As in scikit-learn's trees and
        :class:`~interpretkd.tao.TAOTreeClassifier`, the ids index the columns of
        :meth:`decision_path`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        leaves : ndarray of shape (n_samples,), dtype int64
            Heap node id of each sample's leaf, in
            ``[2**max_depth - 1, 2**(max_depth + 1) - 1)``: leaf ``l`` (the column
            ``l`` of :meth:`path_probability`, the row ``l`` of the leaf tables) is
            node ``2**max_depth - 1 + l``.
        """
        d = self.max_depth
        if self.prediction == "greedy":
            parts = [
                _greedy_leaves(part @ self.inner_weights_.T + self.inner_bias_, d)
                for part in self._chunks(X)
            ]
        else:
            parts = [
                lp.argmax(axis=1) + (2**d - 1) for lp in self._iter_leaf_log_paths(X)
            ]
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, int)

    def decision_path(self, X) -> sp.csr_matrix:
        """Nodes on the way to the leaf :meth:`apply` reports.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        indicator : scipy.sparse.csr_matrix of shape (n_samples, n_nodes)
            ``indicator[i, j]`` is 1 when node ``j`` (heap order, leaves included) lies
            on the path of sample ``i``, as in scikit-learn's
            ``DecisionTreeClassifier.decision_path``.
        """
        leaves = self.apply(X)
        d = self.max_depth
        n = leaves.shape[0]
        nodes = np.empty((n, d + 1), dtype=np.int64)
        nodes[:, d] = leaves
        for k in range(d - 1, -1, -1):
            nodes[:, k] = (nodes[:, k + 1] - 1) // 2
        data = np.ones(n * (d + 1), dtype=np.int64)
        indptr = np.arange(0, n * (d + 1) + 1, d + 1)
        return sp.csr_matrix((data, nodes.ravel(), indptr), shape=(n, 2 ** (d + 1) - 1))

    def get_depth(self) -> int:
        """Return the depth of the tree (every leaf sits at ``max_depth``)."""
        check_is_fitted(self)
        return int(self.max_depth)

    def get_n_leaves(self) -> int:
        """Return the number of leaves, ``2**max_depth``."""
        check_is_fitted(self)
        return int(self.n_leaves_)

    def _leaf_outputs(self, X, table_name):
        """Per-sample output: the table's row of the leaf :meth:`apply` reports, or
        with ``prediction="mixture"`` the path-weighted mixture of its rows."""
        check_is_fitted(self)
        table = getattr(self, table_name)
        if self.prediction != "mixture":
            return table[self.apply(X) - (2**self.max_depth - 1)]
        parts = [np.exp(lp) @ table for lp in self._iter_leaf_log_paths(X)]
        return np.concatenate(parts) if parts else np.zeros((0,) + table.shape[1:])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags
