"""One prediction explained; SHAP side by side.

Explain one prediction of a distilled student, and compare its reasons with the
teacher's.

Distils a random forest into a depth-3 soft decision tree on the wine data, then:

1. prints the path one sample takes through the tree, with the probability of each
   step (``prediction_path``);
2. draws the tree with that path in red (``export_graphviz(..., highlight=x)``);
3. computes SHAP values of teacher and student and draws their global importances
   side by side (``compare_shap``; needs ``pip install 'interpretkd[explain]'``).

Run: ``python examples/explain_prediction.py [OUT_DIR]`` (writes
``prediction_path.png`` and ``shap_comparison.png``; well under a minute).
"""

import sys
from pathlib import Path

from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from interpretkd.distill import DistilledClassifier
from interpretkd.explain import compare_shap
from interpretkd.export import export_graphviz, prediction_path
from interpretkd.soft_tree import SoftDecisionTreeClassifier

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)

data = load_wine(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, random_state=0, stratify=data.target
)
teacher = RandomForestClassifier(n_estimators=200, random_state=0)
teacher.fit(X_train, y_train)
student = SoftDecisionTreeClassifier(
    max_depth=3, max_epochs=150, learning_rate=0.02, batch_size=32, random_state=0
)
model = DistilledClassifier(teacher, student, random_state=0).fit(X_train, y_train)
class_names = list(data.target_names)
print(f"teacher accuracy {teacher.score(X_test, y_test):.3f}")
print(f"student accuracy {model.score(X_test, y_test):.3f}")
print(f"fidelity         {model.fidelity(X_test):.3f}\n")

# 1. One sample's path, step by step.
x = X_test.iloc[0]
path = prediction_path(model, x, class_names=class_names)
print(f"Why the student predicts {path.prediction!r} for test row 0:")
print(path, "\n")

# 2. The same path drawn on the tree.
graph = export_graphviz(model, class_names=class_names, highlight=x, top_k=3)
(out / "prediction_path.png").write_bytes(graph.pipe(format="png"))

# 3. Teacher and student explained with SHAP, side by side.
comparison = compare_shap(model, X_test, n_background=50)
print(comparison.to_frame().round(4))
print(comparison.summary())
comparison.plot(max_features=13).savefig(out / "shap_comparison.png", dpi=110)
print(f"pictures written to {out.resolve()}")
