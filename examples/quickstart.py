"""Quickstart: a distilled TAO tree with sparse oblique splits.

Distill an XGBoost teacher into a depth-5 TAO tree whose splits each combine at most
three features — the most faithful kind of student at every depth measured
(docs/cli.md, "Choosing a student") — and measure its fidelity.

Fidelity is how often the tree decides as the teacher does on rows neither was trained
on. A single split of a small dataset moves it by several points, so the comparison
with a decision tree trained on the labels is averaged over three splits.

Run: python examples/quickstart.py  (under a minute)
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from interpretkd import DistilledClassifier, distillation_report, export_text
from interpretkd.tao import TAOTreeClassifier

X, y = load_digits(return_X_y=True, as_frame=True)  # 8x8 images, 10 classes

distilled, labels_only = [], []
for split in range(3):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=split
    )
    teacher = XGBClassifier(n_estimators=200, max_depth=4).fit(X_train, y_train)
    student = TAOTreeClassifier(split="oblique", max_features_per_split=3, max_depth=5)
    model = DistilledClassifier(teacher, student, random_state=0).fit(X_train, y_train)
    tree = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_train, y_train)
    distilled.append(model.fidelity(X_test))
    labels_only.append(np.mean(tree.predict(X_test) == teacher.predict(X_test)))
    print(f"split {split}: distilled {distilled[-1]:.3f}, labels {labels_only[-1]:.3f}")

print(f"mean fidelity of the distilled TAO tree: {np.mean(distilled):.3f}")
print(f"mean fidelity of a tree on the labels:   {np.mean(labels_only):.3f}")
print(distillation_report(model, X_test, y_test).to_frame())
# Each split is an inequality in the pixels' own units (0-16), led by its strongest
# pixel with coefficient 1.
print(export_text(model, max_depth=2))
