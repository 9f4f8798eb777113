"""Boosted-tree teacher files: XGBoost JSON / UBJ and LightGBM text models.

Both are read from their bytes, whatever their names say, and checked before their
library parses them: a LightGBM file cut short would otherwise abort the process.
"""

from __future__ import annotations

import contextlib
import io as _stdio
import json
import os
import sys
import tempfile
from pathlib import Path

from interpretkd.io._common import ModelFormatError
from interpretkd.teachers import LightGBMBoosterTeacher, booster_task

_XGBOOST_TYPES = {"classification": "classifier", "regression": "regressor"}


def _resolve_task(path: Path, objective: str, inferred: str | None, task: str | None):
    if inferred is None:
        if task is None:
            raise ModelFormatError(
                f"{path} has objective {objective!r}, which is neither classification "
                "nor regression. Pass task='regression' (--task regression) to "
                "distill its scores as a regression target."
            )
        return task
    if task is not None and task != inferred:
        raise ValueError(
            f"{path} is a {inferred} model (objective {objective!r}) but task="
            f"{task!r} was asked for. Leave task unset to use the model's own task."
        )
    return inferred


# --------------------------------------------------------------------------------------
# XGBoost
# --------------------------------------------------------------------------------------


def load_xgboost(path: Path, task: str | None):
    """An ``XGBClassifier`` or ``XGBRegressor`` from a JSON or UBJ model file."""
    import xgboost

    # XGBoost picks its parser from a file's suffix but from the content of a
    # buffer: a buffer reads a UBJ model named .json (and the reverse) correctly.
    raw = bytearray(path.read_bytes())
    booster = xgboost.Booster()
    try:
        booster.load_model(raw)
    except xgboost.core.XGBoostError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelFormatError(
            f"{path} could not be read as an XGBoost model ({first}). Expected a "
            "file written by Booster.save_model or XGBModel.save_model (.json/.ubj)."
        ) from exc
    config = json.loads(booster.save_config())
    learner = config["learner"]
    objective = learner["objective"]["name"]
    params = learner["learner_model_param"]
    if int(params.get("num_target", "1")) > 1:
        raise ModelFormatError(
            f"{path} is a multi-output XGBoost model ({params['num_target']} targets); "
            "interpretkd distills one target at a time."
        )
    task = _resolve_task(path, objective, booster_task("xgboost", objective), task)
    # A model saved by XGBoost's scikit-learn wrapper names its wrapper type, and the
    # wrapper refuses to load another type: a ranker read as a regressor (its scores
    # distilled as values) is given the booster without that note.
    saved_type = json.loads(booster.attr("scikit_learn") or "{}").get("_estimator_type")
    if saved_type is not None and saved_type != _XGBOOST_TYPES[task]:
        booster.set_attr(scikit_learn=None)
        raw = booster.save_raw("ubj")
    model = (
        xgboost.XGBClassifier() if task == "classification" else xgboost.XGBRegressor()
    )
    model.load_model(raw)
    return model


# --------------------------------------------------------------------------------------
# LightGBM
# --------------------------------------------------------------------------------------


def _lightgbm_header(text: bytes) -> tuple[dict, int]:
    """The ``key=value`` lines before the first tree, and where the first tree starts
    (-1 when the file has no tree)."""
    first = text.find(b"\nTree=")
    start = -1 if first < 0 else first + 1
    header = {}
    for line in text[: start if start >= 0 else len(text)].splitlines():
        line = line.decode("utf-8", errors="replace").strip()
        if "=" in line:
            key, value = line.split("=", 1)
            header.setdefault(key, value)
    return header, start


class _Broken(Exception):
    """What is wrong with a LightGBM text model, said in a few words."""


def _numbers(fields: dict, key: str, count: int, kind=float) -> list:
    values = fields.get(key, "").split()
    if len(values) != count:
        raise _Broken(f"{len(values)} {key} value(s) where {count} are due")
    try:
        return [kind(v) for v in values]
    except ValueError:
        raise _Broken(f"a {key} value that is not a number") from None


def _check_lightgbm_tree(block: bytes, n_features: int) -> None:
    lines = block.decode("utf-8", errors="replace").splitlines()[1:]
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    (n_leaves,) = _numbers(fields, "num_leaves", 1, int)
    if n_leaves < 1:
        raise _Broken(f"{n_leaves} leaves")
    _numbers(fields, "leaf_value", n_leaves)
    if n_leaves == 1:
        return
    _numbers(fields, "threshold", n_leaves - 1)
    features = _numbers(fields, "split_feature", n_leaves - 1, int)
    if any(not 0 <= f < n_features for f in features):
        raise _Broken(f"a split on a feature outside the model's {n_features}")
    for key in ("left_child", "right_child"):
        children = _numbers(fields, key, n_leaves - 1, int)
        if any(not -n_leaves <= c < n_leaves - 1 for c in children):
            raise _Broken(f"a {key} that points outside the tree")


def _check_lightgbm_text(path: Path, text: bytes, header: dict, start: int) -> None:
    """Refuse a LightGBM text model that LightGBM would misread.

    LightGBM does not check the files it reads: a file cut short, or a tree whose
    arrays disagree, makes it read outside its buffers and abort or crash the whole
    process (no Python error to catch). So the structure is checked here first:
    the header, every tree at the byte offset its ``tree_sizes`` line gives, with
    arrays of the lengths its number of leaves implies, and the closing lines.
    """
    try:
        try:
            _numbers(header, "num_class", 1, int)
            (n_features,) = _numbers(header, "max_feature_idx", 1, int)
            n_features += 1
            if len(header.get("feature_names", "").split()) != n_features:
                raise _Broken(f"no names for its {n_features} features")
            n_trees = len(header.get("tree_sizes", "").split())
            sizes = _numbers(header, "tree_sizes", n_trees, int)
        except _Broken as exc:
            raise _Broken(f"its header has {exc}") from None
        if b"end of trees" not in text:
            raise _Broken("it has no 'end of trees' line")
        if b"\nparameters:" in text and b"end of parameters" not in text:
            raise _Broken("its parameters section has no end")
        offset = start
        for i, size in enumerate(sizes):
            block = text[offset : offset + size] if offset >= 0 else b""
            if len(block) != size or not block.startswith(b"Tree="):
                raise _Broken(f"tree {i} is not where tree_sizes puts it")
            try:
                _check_lightgbm_tree(block, n_features)
            except _Broken as exc:
                raise _Broken(f"tree {i} has {exc}") from None
            offset += size
        if sizes and not text[offset:].lstrip().startswith(b"end of trees"):
            raise _Broken("its trees do not end where tree_sizes says")
    except _Broken as exc:
        raise ModelFormatError(
            f"{path} is not a complete LightGBM model: {exc}. The file may have "
            "been cut short (an interrupted copy or download) or edited; save the "
            "model again with Booster.save_model."
        ) from None


@contextlib.contextmanager
def _silenced():
    """Keep LightGBM's own messages ("[LightGBM] [Fatal] ...") out of the user's
    terminal: it prints them through Python's stdout and, for fatal errors, straight
    to the process's standard error. What went wrong reaches the user as the error
    raised instead."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error to keep quiet
        saved = None
    with (
        tempfile.TemporaryFile() as sink,
        contextlib.redirect_stdout(_stdio.StringIO()),
    ):
        if saved is not None:
            os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            if saved is not None:
                os.dup2(saved, 2)
                os.close(saved)


def load_lightgbm(path: Path, task: str | None):
    """A LightGBM teacher adapter from a text model file."""
    try:
        import lightgbm
    except ImportError as exc:
        raise ImportError(
            f"{path} is a LightGBM model, and reading it needs lightgbm: "
            "pip install 'interpretkd[lightgbm]'."
        ) from exc
    text = path.read_bytes()
    header, start = _lightgbm_header(text)
    _check_lightgbm_text(path, text, header, start)
    try:
        with _silenced():
            booster = lightgbm.Booster(model_str=text.decode("utf-8", "replace"))
    except Exception as exc:
        raise ModelFormatError(
            f"{path} could not be read as a LightGBM model ({exc}). Expected a text "
            "model written by Booster.save_model."
        ) from exc
    objective = header.get("objective", "").split(" ")[0]
    inferred = booster_task("lightgbm", objective)
    task = _resolve_task(path, objective or "<none>", inferred, task)
    return LightGBMBoosterTeacher(booster, task=task)
