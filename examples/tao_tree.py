"""A TAO tree against CART.

Distill a random forest into a depth-5 tree that agrees with it most often.

A CART tree grown on the teacher's labels is greedy; TAO (tree alternating
optimisation) re-fits every split of the same-depth tree to agree with the teacher on
training rows and on synthetic rows the teacher labels. The result is still a plain
scikit-learn tree, printed at the end. Runs in a few seconds.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier, export_text

from interpretkd.augment import Munge
from interpretkd.tao import TAOTreeClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

teacher = RandomForestClassifier(n_estimators=200, random_state=0)
teacher.fit(X_train, y_train)

# The teacher labels as many rows as we like: add 4 synthetic rows per training row.
X_synthetic = Munge(p=0.5, s=10.0, random_state=0).sample(X_train, 4 * len(X_train))
X_fit = np.vstack([X_train, X_synthetic])
teacher_labels = teacher.predict(X_fit)

cart = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X_fit, teacher_labels)
tao = TAOTreeClassifier(max_depth=5, random_state=0)
tao.fit(X_fit, teacher_labels)


def fidelity(student):
    return np.mean(student.predict(X_test) == teacher.predict(X_test))


print(f"teacher accuracy        {teacher.score(X_test, y_test):.3f}")
print(f"CART depth 5, fidelity  {fidelity(cart):.3f}")
print(f"TAO  depth 5, fidelity  {fidelity(tao):.3f}  ({tao.n_iter_} TAO rounds)")
print("training fidelity per round:", [round(h["fidelity"], 3) for h in tao.history_])

# The TAO tree is an ordinary scikit-learn tree: export_text, export_graphviz, SHAP.
tree = tao.as_sklearn()
names = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
print(export_text(tree, feature_names=names, max_depth=2))
