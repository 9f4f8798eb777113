"""Soft decision trees (Frosst & Hinton, 2017) as scikit-learn estimators.

A soft decision tree of depth ``d`` has ``2**d - 1`` inner nodes, each a logistic
"filter" ``p_i(x) = sigmoid(beta_i * (x @ w_i + b_i))`` giving the probability of going
**right**, and ``2**d`` leaves, each a fixed class distribution (classifier) or a fixed
value (regressor). Nodes are numbered in heap order (root 0, children of ``i`` are
``2i + 1`` and ``2i + 2``; leaf ``l`` is node ``2**d - 1 + l``).

Training is done with PyTorch: one matrix product evaluates every inner node of a batch,
path probabilities are accumulated level by level in log space (so depth 12 does not
underflow), and the loss is the path-weighted cross-entropy of the paper plus its
balance penalty. The fitted state is plain NumPy, so a fitted estimator pickles, loads
and predicts without torch device state; prediction runs in NumPy.

A fitted tree routes a sample by its ``prediction`` mode: the leaf of greatest path
probability (``"max_path"``), the likelier branch at every node (``"greedy"``, a hard
oblique tree and exactly its text rules) or all leaves weighted (``"mixture"``).
``apply`` and ``decision_path`` report that route, and export draws it.

Modules: ``_classes`` (the estimators), ``_base`` (what they share), ``_trainer`` (the
torch training loop), ``_torch_ops`` (torch path algebra), ``_routing`` (NumPy
routing of a fitted tree).
"""

from interpretkd.soft_tree._classes import (
    SoftDecisionTreeClassifier,
    SoftDecisionTreeRegressor,
)

__all__ = ["SoftDecisionTreeClassifier", "SoftDecisionTreeRegressor"]
