"""A soft tree's filters on digits.

Distill a neural network into a soft decision tree on 8x8 digits; draw its filters.

Each inner node of a soft decision tree is a linear filter over the pixels; drawn as a
small picture (red: weights pushing right, blue: pushing left) as in Frosst & Hinton,
"Distilling a Neural Network Into a Soft Decision Tree" (2017).

Run: ``python examples/render_soft_tree_digits.py [OUT_DIR]`` (writes
``soft_tree_digits.png`` and ``.svg``; under a minute on a laptop CPU).
"""

import sys
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from interpretkd.distill import DistilledClassifier
from interpretkd.export import export_graphviz
from interpretkd.soft_tree import SoftDecisionTreeClassifier

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
out.mkdir(parents=True, exist_ok=True)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)
teacher = MLPClassifier(hidden_layer_sizes=(128,), max_iter=300, random_state=0)
teacher.fit(X_train, y_train)
student = SoftDecisionTreeClassifier(
    max_depth=4, max_epochs=60, learning_rate=0.02, batch_size=64, random_state=0
)
model = DistilledClassifier(teacher, student, temperature=2.0, random_state=0)
model.fit(X_train, y_train)

print(f"teacher accuracy {teacher.score(X_test, y_test):.3f}")
print(f"student accuracy {model.score(X_test, y_test):.3f}")
print(f"fidelity         {model.fidelity(X_test):.3f}")

# One test image's path through the tree, drawn in red with each step's probability.
graph = export_graphviz(
    model, image_shape=(8, 8), top_k=0, highlight=X_test[0], min_share=0.0
)
(out / "soft_tree_digits.svg").write_bytes(graph.pipe(format="svg"))
(out / "soft_tree_digits.png").write_bytes(graph.pipe(format="png"))
print(f"pictures written to {out.resolve()}")
