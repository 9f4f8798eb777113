"""ONNX teacher files, run with onnxruntime: what the graph's outputs mean."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from interpretkd.io._common import ModelFormatError

_PROBABILITY_WORDS = ("prob", "softmax")
_LOGIT_WORDS = ("logit",)


class _OnnxModel:
    """A callable over an onnxruntime session: rows in, one output of the graph out.

    ``kind`` says what that output holds: "values" (a regressor), "probabilities",
    "logits", or None when the graph does not say; such an output is read as logits
    unless its first batch holds probability distributions (every row >= 0 and
    summing to 1), which are then given as log-probabilities, the logits they are
    the softmax of.
    """

    def __init__(self, session, output: str, kind: str | None):
        self.session = session
        self.output = output
        self.kind = kind
        inp = session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float64 if "double" in inp.type else np.float32
        width = inp.shape[1] if len(inp.shape) == 2 else None
        self.n_features_in_ = width if isinstance(width, int) else None
        self.classes_ = None
        self._read_as_probabilities = None

    def _run(self, X):
        X = np.asarray(X, dtype=self.input_dtype)
        names = [o.name for o in self.session.get_outputs()]
        outputs = self.session.run(None, {self.input_name: X})
        return outputs[names.index(self.output)]

    def __call__(self, X) -> np.ndarray:
        out = self._run(X)
        if isinstance(out, list):  # ZipMap: one {class: probability} dict per row
            keys = list(out[0].keys()) if out else []
            if self.classes_ is None:
                self.classes_ = np.asarray(keys)
            return np.array([[row[k] for k in keys] for row in out], dtype=np.float64)
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out.reshape(-1)
        if self.kind is not None or out.ndim != 2:
            return out
        return self._as_logits(out)

    def _as_logits(self, out: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            distributions = bool(
                np.all(out >= 0) and np.allclose(out.sum(axis=1), 1.0, atol=1e-4)
            )
        if self._read_as_probabilities is None:
            self._read_as_probabilities = distributions
        elif self._read_as_probabilities and not distributions:
            raise ValueError(
                f"The ONNX output {self.output!r} held probabilities in its first "
                "batch and other values now; name the output 'probabilities' or "
                "'logits' when exporting so that it is read one way."
            )
        if self._read_as_probabilities:
            return np.log(np.clip(out, 1e-300, None))
        return out


def _width(output) -> int | None:
    """Columns of a graph output (1 for a vector); None when the graph leaves it."""
    width = output.shape[-1] if len(output.shape) >= 2 else 1
    return width if isinstance(width, int) else None


def _describe(outputs) -> tuple[str | None, str | None, str | None]:
    """The task the outputs declare, the output to read, and what it holds."""
    for out in outputs:
        name = out.name.lower()
        if out.type.startswith("seq(map") or any(w in name for w in _PROBABILITY_WORDS):
            return "classification", out.name, "probabilities"
    if len(outputs) >= 2:
        # Converted classifiers (skl2onnx, onnxmltools) give labels, then scores.
        return "classification", outputs[1].name, "probabilities"
    out = outputs[0]
    if any(w in out.name.lower() for w in _LOGIT_WORDS):
        return "classification", out.name, "logits"
    width = _width(out)
    if width is None:
        return None, out.name, None
    if width == 1:
        return "regression", out.name, "values"
    # Several columns: interpretkd distills one target at a time, so they can
    # only be class scores (logits or probabilities: read from their values).
    return "classification", out.name, None


def load_onnx(path: Path, task: str | None):
    """A teacher adapter over an ONNX graph; an explicit ``task`` overrides what the
    outputs suggest, except for a graph that gives class probabilities by name or as
    a map of labels, which cannot be read as a regressor."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"{path} is an ONNX model, and reading it needs onnxruntime: "
            "pip install 'interpretkd[onnx]'."
        ) from exc
    from interpretkd.teachers import CallableTeacher

    try:
        session = onnxruntime.InferenceSession(
            str(path), providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ModelFormatError(
            f"{path} could not be read as an ONNX model ({exc})."
        ) from exc
    outputs = session.get_outputs()
    inferred, output, kind = _describe(outputs)
    if task is None and inferred is None:
        raise ModelFormatError(
            f"Cannot tell whether the ONNX model {path} is a classifier or a "
            f"regressor from its output {output!r}; pass task='classification' or "
            "'regression' (--task)."
        )
    if task == "regression" and kind == "probabilities":
        raise ValueError(
            f"{path} gives class probabilities (output {output!r}) but "
            "task='regression' was asked for; leave task unset or pass "
            "'classification'."
        )
    task = task or inferred
    if task == "regression":
        width = _width(outputs[0])
        if width is not None and width > 1:
            raise ValueError(
                f"{path} gives {width} numbers a row (output {outputs[0].name!r}) but "
                "task='regression' was asked for; interpretkd distills one target at "
                "a time. If they are class scores, pass task='classification'."
            )
        model = _OnnxModel(session, outputs[0].name, "values")
        return CallableTeacher(model, output="values")
    if kind == "values":  # one column asked to be read as a classifier: a margin
        kind = "logits"
    model = _OnnxModel(session, output, kind)
    if kind != "probabilities":
        return CallableTeacher(model, output="logits")
    teacher = CallableTeacher(model, output="probabilities")
    # Learn the class labels from one row when the graph gives them (ZipMap).
    if model.n_features_in_ is not None:
        with contextlib.suppress(Exception):
            model(np.zeros((1, model.n_features_in_)))
    teacher.classes_ = (
        np.asarray(model.classes_) if model.classes_ is not None else None
    )
    return teacher
