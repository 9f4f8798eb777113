"""Unlabeled and synthetic rows.

Distill a random forest into a depth-4 tree with extra rows.

The teacher can label any input, so the student learns from the training rows, from
unlabeled rows (here read in chunks, as from a large file) and from synthetic rows
made by MUNGE or placed actively where the tree disagrees with the teacher. The
script prints the student's held-out fidelity (agreement with the teacher) for each
choice. Runs in a few seconds.
"""

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from interpretkd.augment import ActiveSampler, Munge, iter_chunks
from interpretkd.distill import DistilledClassifier

X, y = make_classification(
    n_samples=6000, n_features=8, n_informative=6, n_classes=3, random_state=0
)
# Few labeled rows, many unlabeled ones, and a held-out set to measure fidelity.
X_lab, X_rest, y_lab, _ = train_test_split(X, y, train_size=800, random_state=0)
X_unlabeled, X_test = X_rest[:3000], X_rest[3000:]

teacher = RandomForestClassifier(n_estimators=100, random_state=0)
teacher.fit(X_lab, y_lab)
reference = teacher.predict(X_test)


def fidelity(model) -> float:
    return float(np.mean(model.predict(X_test) == reference))


student = DecisionTreeClassifier(max_depth=4, random_state=0)
baseline = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X_lab, y_lab)
print(f"tree on the labels:                fidelity {fidelity(baseline):.3f}")

runs = {
    "distilled, training rows only": dict(fit={}),
    "+ unlabeled rows, in chunks": dict(
        fit={"X_unlabeled": iter_chunks(X_unlabeled, 1000)}
    ),
    "+ 2x MUNGE rows": dict(augment=Munge(p=0.5, s=10.0, random_state=0), fit={}),
    "+ 2x active rows": dict(
        augment=ActiveSampler(n_rounds=2, n_proposals=4, random_state=0), fit={}
    ),
}
for name, run in runs.items():
    fit_kwargs = run.pop("fit")
    model = DistilledClassifier(
        teacher=teacher,
        student=student,
        targets="hard",
        n_synthetic=2.0,
        random_state=0,
        **run,
    ).fit(X_lab, y_lab, **fit_kwargs)
    print(f"{name + ':':34s} fidelity {fidelity(model):.3f}")
