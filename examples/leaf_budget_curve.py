"""Choosing by number of leaves: how faithful can a tree be that I can read?

A reader reads leaves, not levels. ``fidelity_curve(..., size_by="leaves")`` gives
each kind of student a leaf budget (``max_leaf_nodes``, with the depth only a cap)
and measures its held-out fidelity to the teacher on cross-validation folds; the
recommendation is the smallest budget within a point of the best.

The same kinds limited by depth instead (depths 3, 4, 5: at most 8, 16, 32 leaves)
are measured beside them, at the number of leaves each tree actually has. The data
are synthetic (4 classes, 8 features, 900 rows) and hard enough that a tree of 8 to
32 leaves does not agree with the teacher everywhere. The chosen student is then
distilled on all the training rows and checked on test rows that no choice saw. Runs
in about ten seconds.
"""

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from xgboost import XGBClassifier

from interpretkd import DistilledClassifier, fidelity_curve, student_complexity

X, y = make_classification(
    n_samples=900, n_features=8, n_informative=6, n_classes=4, random_state=0
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)
teacher = XGBClassifier(n_estimators=100, max_depth=4).fit(X_train, y_train)

# The choice is made on the training rows (3 folds), never on the test rows.
by_leaves = fidelity_curve(
    teacher, X_train, y_train, sizes=[8, 16, 32], size_by="leaves", cv=3
)
by_depth = fidelity_curve(teacher, X_train, y_train, sizes=[3, 4, 5], cv=3)

columns = ["student", "size", "fidelity", "fidelity_se", "depth", "n_leaves"]
print("By leaf budget (size = at most this many leaves):")
print(by_leaves.to_frame()[columns].to_string(index=False, float_format="%.3f"))
print("\nBy depth (size = depth):")
print(by_depth.to_frame()[columns].to_string(index=False, float_format="%.3f"))

rec = by_leaves.recommended
print(
    f"\nRecommended: {rec['student']} {by_leaves.describe_size(rec['size'])} "
    f"(held-out fidelity {rec['fidelity']:.3f}; {rec['rule']})"
)

# The recommended student, distilled on every training row, on the untouched rows.
student = by_leaves.student_at()  # the recommended kind, with its budget set
print(f"Its parameters: {rec['params']}")
model = DistilledClassifier(teacher, student, random_state=0).fit(X_train, y_train)
leaves = student_complexity(model)["n_leaves"]
fidelity = np.mean(model.predict(X_test) == teacher.predict(X_test))
print(f"On {len(X_test)} test rows: fidelity {fidelity:.3f} with {leaves} leaves")

fig = Figure(figsize=(10, 3.8), layout="constrained")
left, right = fig.subplots(1, 2, sharey=True)
by_leaves.plot(ax=left, x="n_leaves", title="Leaf budgets (x: leaves used)")
by_depth.plot(ax=right, x="n_leaves", title="Depths 3-5 (x: leaves used)")
fig.savefig("leaf_budget_curve.png", dpi=110)
