"""How often a soft tree's max path and its greedy descent agree, and what each costs.

A fitted soft decision tree can route a sample in two single-leaf ways:
``prediction="max_path"`` takes the leaf of greatest path probability;
``prediction="greedy"`` takes the likelier branch at every node, which is exactly the
hard oblique tree its text rules (and ``to_hard_tree``) spell out. Both read the same
fitted tree; this script fits each tree once and measures, on held-out rows, the
accuracy of the two modes and of ``prediction="mixture"``, how often max path and
greedy reach the same leaf and predict the same class, and checks that
``to_hard_tree`` predicts as the greedy mode on every row.

Data: digits and breast_cancer (70/30 stratified split; depths 4, 6 and 8; the
default parameters) and a Fashion-MNIST subset (the first 20,000 training images, the
10,000 test images; depth 8, 40 epochs, learning rate 0.05 / sqrt(784),
``scale_floor=0.05``; the default loss and ``loss="mixture", penalty=0.03``). Seeds
0, 1 and 2. Prints the figures and writes ``docs/benchmarks/soft_tree_routing.md``.
About 10 minutes on two cores.

Usage::

    nice python benchmarks/soft_tree_routing.py [--seeds 0 1 2] [--fashion-rows 20000]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DOCS, load_dataset, markdown_table  # noqa: E402
from soft_tree import load_fashion_mnist  # noqa: E402

from interpretkd.soft_tree import SoftDecisionTreeClassifier  # noqa: E402
from interpretkd.tao import to_hard_tree  # noqa: E402


def measure(tree, X_test, y_test):
    """Held-out figures of one fitted tree under its three prediction modes."""
    # The prediction mode is read at prediction time: one fit, three routing rules.
    max_path, greedy, mixture = (
        copy.deepcopy(tree).set_params(prediction=m)
        for m in ("max_path", "greedy", "mixture")
    )
    pred_max, pred_greedy = max_path.predict(X_test), greedy.predict(X_test)
    hard = to_hard_tree(greedy)
    return {
        "max-path acc": 100 * np.mean(pred_max == y_test),
        "greedy acc": 100 * np.mean(pred_greedy == y_test),
        "mixture acc": 100 * np.mean(mixture.predict(X_test) == y_test),
        "same leaf": 100 * np.mean(max_path.apply(X_test) == greedy.apply(X_test)),
        "same class": 100 * np.mean(pred_max == pred_greedy),
        "to_hard_tree != greedy (rows)": int(
            np.sum(hard.predict(X_test) != pred_greedy)
        ),
    }


def small_sets(seeds, rows):
    for name in ("digits", "breast_cancer"):
        X, y = load_dataset(name)
        for depth in (4, 6, 8):
            for seed in seeds:
                X_tr, X_te, y_tr, y_te = train_test_split(
                    X, y, test_size=0.3, stratify=y, random_state=seed
                )
                start = time.perf_counter()
                tree = SoftDecisionTreeClassifier(max_depth=depth, random_state=seed)
                tree.fit(X_tr, y_tr)
                row = measure(tree, X_te, y_te)
                row["seconds"] = time.perf_counter() - start
                rows.append({"data": name, "tree": f"depth {depth}", **row})
                print(rows[-1], flush=True)


def fashion(seeds, n_rows, rows):
    data = load_fashion_mnist()
    if data is None:
        return
    X_tr, y_tr, X_te, y_te = data
    X_tr, y_tr = X_tr[:n_rows], y_tr[:n_rows]
    variants = {
        "depth 8, expected loss": {},
        "depth 8, loss='mixture', penalty 0.03": dict(loss="mixture", penalty=0.03),
    }
    for label, params in variants.items():
        for seed in seeds:
            start = time.perf_counter()
            tree = SoftDecisionTreeClassifier(
                max_depth=8,
                max_epochs=40,
                n_iter_no_change=None,
                learning_rate=0.05 / np.sqrt(784),
                scale_floor=0.05,
                random_state=seed,
                **params,
            ).fit(X_tr, y_tr)
            row = measure(tree, X_te, y_te)
            row["seconds"] = time.perf_counter() - start
            rows.append({"data": f"Fashion-MNIST {n_rows // 1000}k", "tree": label})
            rows[-1].update(row)
            print(rows[-1], flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fashion-rows", type=int, default=20000)
    parser.add_argument("--no-fashion", action="store_true")
    args = parser.parse_args()
    rows = []
    small_sets(args.seeds, rows)
    if not args.no_fashion:
        fashion(args.seeds, args.fashion_rows, rows)
    write_table(rows, args.seeds)


def write_table(rows, seeds):
    """Print the means per data set and tree; write them (timings left out: the
    machine is shared) to docs/benchmarks/soft_tree_routing.md."""
    frame = pd.DataFrame(rows)
    groups = frame.groupby(["data", "tree"], sort=False)
    table = groups.mean(numeric_only=True)
    count = "to_hard_tree != greedy (rows)"
    table[count] = groups[count].sum()
    print(table.to_string())
    DOCS.mkdir(parents=True, exist_ok=True)
    text = (
        "# Soft tree routing: max path against greedy descent\n\n"
        "`python benchmarks/soft_tree_routing.py`: held-out rows, means over seeds "
        f"{', '.join(map(str, seeds))} (percentages: test accuracy of each "
        "prediction mode of the same fitted tree; rows where max path and greedy "
        "reach the same leaf, and predict the same class). The last column counts "
        "the held-out rows, over all seeds, where `to_hard_tree` and "
        '`prediction="greedy"` predict differently.\n\n'
        + markdown_table(table.drop(columns="seconds"))
        + "\n"
    )
    (DOCS / "soft_tree_routing.md").write_text(text)


if __name__ == "__main__":
    main()
