"""A soft tree distilled from a network.

Distill a neural network into a soft decision tree (runs in seconds).

A scikit-learn MLP learns the digits; a depth-5 soft decision tree then learns the MLP's
class probabilities (its soft targets) on the training images and on noisy copies of
them that only the teacher labels. We compare it with the same tree trained on the
labels, and read one prediction's path through the tree.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from interpretkd.soft_tree import SoftDecisionTreeClassifier

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32) / 16.0  # float32 trains about twice as fast as float64
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

teacher = MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0)
with warnings.catch_warnings():
    # 200 epochs leave the teacher a hair short of sklearn's convergence tolerance.
    warnings.simplefilter("ignore", ConvergenceWarning)
    teacher.fit(X_train, y_train)
teacher_test = teacher.predict(X_test)

# The teacher labels more inputs than the training set: noisy copies of the images.
rng = np.random.RandomState(0)
X_noisy = np.clip(X_train + rng.normal(0, 0.1, X_train.shape), 0, 1)
X_student = np.vstack([X_train, X_noisy]).astype(np.float32)
soft_targets = teacher.predict_proba(X_student)  # columns follow teacher.classes_

params = dict(max_depth=5, max_epochs=30, batch_size=64, random_state=0)
on_labels = SoftDecisionTreeClassifier(**params).fit(X_train, y_train)
distilled = SoftDecisionTreeClassifier(**params).fit(X_student, soft_targets)
# Soft targets give classes_ = 0..9 here; map back through the teacher's classes_.
distilled_test = teacher.classes_[distilled.predict(X_test)]

print(f"teacher (MLP) accuracy:        {np.mean(teacher_test == y_test):.3f}")
print(
    f"soft tree on labels, accuracy: {np.mean(on_labels.predict(X_test) == y_test):.3f}"
)
print(f"distilled soft tree, accuracy: {np.mean(distilled_test == y_test):.3f}")
print(f"distilled soft tree, fidelity: {np.mean(distilled_test == teacher_test):.3f}")

# One prediction, read as a path: which nodes it visits and how sure each turn is.
x = X_test[:1]
nodes = distilled.decision_path(x).indices
z = distilled.beta_ * (x @ distilled.inner_weights_.T + distilled.inner_bias_)[0]
for parent, child in zip(nodes[:-1], nodes[1:]):
    p_right = 1 / (1 + np.exp(-z[parent]))
    turn = "right" if child == 2 * parent + 2 else "left"
    sure = p_right if turn == "right" else 1 - p_right
    print(f"node {parent:2d} -> {turn:5s} (p = {sure:.2f})")
leaf = distilled.apply(x)[0]  # a node id, like the last node of the path above
dist = distilled.leaf_distributions_[leaf - (2**distilled.max_depth - 1)]
print(
    f"leaf node {leaf}: predicts {teacher.classes_[dist.argmax()]} "
    f"with p = {dist.max():.2f}"
)
print(f"true label {y_test[0]}, teacher says {teacher_test[0]}")
