"""Depth-limited trees optimised against the teacher by tree alternating optimisation.

``TAOTreeClassifier`` and ``TAOTreeRegressor`` start from a tree of the requested size
(CART, or for axis-aligned classification trees a start whose top levels are chosen by
lookahead: ``init``) and then improve it by TAO (Carreira-Perpiñán & Tavallali, NeurIPS
2018): with the rest of the tree held fixed, every node is re-fit on the rows that reach
it so as to send each row to the child subtree that predicts its target best; nodes at
one depth touch disjoint rows and are updated together; leaves take the best value for
their rows. A node's new split is kept only when it lowers the training loss, so no
round ever makes the tree worse on the data it is fit on. Because the teacher can label
as many rows as wanted, fitting on teacher-labelled synthetic rows is what makes the
tree faithful.

Splits are axis-aligned (``split="axis"``, exportable as a plain scikit-learn tree with
:meth:`TAOTreeClassifier.as_sklearn`) or sparse oblique (``split="oblique"``, a few
weights per node). ``to_hard_tree`` turns a fitted soft decision tree into the oblique
hard tree that takes the likelier branch at every node — the soft tree read with
``prediction="greedy"``, row for row — ready to be refined by TAO.

Tree structure follows the package convention: nodes in heap order (root 0, children
of ``i`` are ``2i + 1`` left and ``2i + 2`` right), a tree of depth ``d`` has
``2**d - 1`` inner nodes and ``2**d`` leaves, and a row goes **right** at inner node
``i`` when ``inner_weights_[i] @ x + inner_bias_[i] > 0``. A node whose weights are
all zero is *pruned*: every row goes left (bias <= 0) or right (bias > 0), and the
other child's subtree is unreachable.

The size is a depth (``max_depth``) or a leaf budget (``max_leaf_nodes``, which the
fitted tree never exceeds).

Modules: ``_classes`` (the estimators), ``_base`` (what they share), ``_optimiser``
(the TAO rounds), ``_start`` (the rollout start), ``_splits`` (fitting one node's
split), ``_routing`` (routing rows), ``_convert`` (conversions).
"""

from interpretkd.tao._classes import TAOTreeClassifier, TAOTreeRegressor
from interpretkd.tao._convert import to_hard_tree

__all__ = ["TAOTreeClassifier", "TAOTreeRegressor", "to_hard_tree"]
