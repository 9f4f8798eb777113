"""Drawing a distilled tree.

Distill an XGBoost model into a depth-4 decision tree and draw the tree.

Run: ``python examples/render_distilled_tree.py [OUT_DIR]`` (writes
``distilled_tree.svg``, ``.png`` and ``.txt``; a few seconds).
"""

import sys
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from interpretkd.distill import DistilledClassifier
from interpretkd.export import export_graphviz, export_text

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)

data = load_breast_cancer(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, random_state=0, stratify=data.target
)
teacher = XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1)
teacher.fit(X_train, y_train)
model = DistilledClassifier(
    teacher,
    DecisionTreeClassifier(max_depth=4, random_state=0),
    augment="munge",
    n_synthetic=4.0,
    random_state=0,
).fit(X_train, y_train)

print(f"teacher accuracy {teacher.score(X_test, y_test):.3f}")
print(f"student accuracy {model.score(X_test, y_test):.3f}")
print(f"fidelity         {model.fidelity(X_test):.3f}")

class_names = list(data.target_names)  # ["malignant", "benign"]
graph = export_graphviz(model, class_names=class_names, max_depth=4)
(out / "distilled_tree.svg").write_bytes(graph.pipe(format="svg"))
(out / "distilled_tree.png").write_bytes(graph.pipe(format="png"))
rules = export_text(model, class_names=class_names)
(out / "distilled_tree.txt").write_text(rules)
print(rules)
print(f"pictures written to {out.resolve()}")
