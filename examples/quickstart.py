"""Distill an XGBoost teacher into a depth-4 decision tree and measure its fidelity.

Run: python examples/quickstart.py  (a few seconds)
"""

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

from interpretkd import DistilledClassifier, distillation_report, export_text

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)

teacher = XGBClassifier(n_estimators=200, max_depth=4).fit(X_train, y_train)
model = DistilledClassifier(
    teacher, DecisionTreeClassifier(max_depth=4), targets="hard", random_state=0
)
model.fit(X_train, y_train)

labels_only = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X_train, y_train)
agree = (labels_only.predict(X_test) == teacher.predict(X_test)).mean()
print(f"fidelity of the distilled tree:   {model.fidelity(X_test):.3f}")
print(f"fidelity of a tree on the labels: {agree:.3f}")
print(distillation_report(model, X_test, y_test).to_frame())
print(export_text(model))
