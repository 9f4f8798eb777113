#!/usr/bin/env bash
# The command line, step by step.
#
# Distill an XGBoost model with the interpretkd command, step by step.
#
# Run from anywhere: `bash examples/cli_walkthrough.sh [DIR]` works in DIR (by
# default a fresh temporary directory) and prints where.
set -euo pipefail

PYTHON=${PYTHON:-python}
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"
echo "Working in $work"

# 1. A teacher and its data: XGBoost on scikit-learn's wine data, saved as JSON.
"$PYTHON" - <<'PY'
import xgboost
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

frame = load_wine(as_frame=True).frame
train, test = train_test_split(frame, test_size=0.3, random_state=0)
train.to_csv("train.csv", index=False)
test.to_csv("test.csv", index=False)
teacher = xgboost.XGBClassifier(n_estimators=100, max_depth=3, random_state=0)
teacher.fit(train.drop(columns="target"), train["target"])
teacher.save_model("teacher.json")
PY

# 2. Distill it into a depth-3 TAO tree with sparse oblique splits (the default
#    student); print fidelity on a held-out split, and held-out fidelity at depths
#    2 to 5 to choose the size with evidence.
"$PYTHON" -m interpretkd distill teacher.json --data train.csv --target target \
    --max-depth 3 --sizes 2..5 --out student.skops --render tree.svg

# 3. Measure the student against its teacher on the test set.
"$PYTHON" -m interpretkd report student.skops --data test.csv --target target \
    --teacher teacher.json --out report.html

# 4. Predict with the student alone.
"$PYTHON" -m interpretkd predict student.skops --data test.csv --out predictions.csv --proba
head -3 predictions.csv

# 5. Outputs are never replaced silently: this fails with exit code 2.
status=0
"$PYTHON" -m interpretkd render student.skops --out tree.svg || status=$?
if [ "$status" -ne 2 ]; then
    echo "unexpected: exit code $status, expected 2 (output exists)" >&2
    exit 1
fi
"$PYTHON" -m interpretkd render student.skops --out tree.svg --force
ls -l "$work"
