"""Formatting shared by every export: numbers, terms, colours, visible nodes."""

from __future__ import annotations

import html
import numbers
from dataclasses import dataclass

import numpy as np

from interpretkd._validation import check_positive_int
from interpretkd.export._view import _ModelView

# Qualitative colours, one per class (cycled past ten classes).
_CLASS_COLOURS = [
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
]
_HIGHLIGHT = "#d62728"
_NEGATIVE = (33, 102, 172)  # blue: negative weights
_POSITIVE = (178, 24, 43)  # red: positive weights
_SOFT_MIN_SHARE = 1e-3
TIMES = "\u00d7"  # the multiplication sign of an oblique split's terms


# What a reader must know before the text of a soft tree: how it routes a sample.
ROUTING_HEADERS = {
    "greedy": (
        'prediction="greedy": at every node a sample takes the likelier branch '
        "(right when its inequality holds), so these if/else rules decide "
        "exactly as the tree does."
    ),
    "max_path": (
        'prediction="max_path": a sample goes to the leaf of greatest path '
        "probability. Each node sends it right with probability sigmoid(k * (sum "
        "- threshold)), in the data's units as written at the node, and left with "
        "the rest; a path's probability is the product of its branches'. These are "
        "not if/else rules: the leaf reached can lie "
        'behind a branch of probability below 1/2 (prediction="greedy" follows '
        "the likelier branch and reads as exact rules)."
    ),
    "mixture": (
        'prediction="mixture": the prediction is the average of all leaves, each '
        "weighted by its path probability. Each node sends a sample right with "
        "probability sigmoid(k * (sum - threshold)), as written at the node, and "
        "left with the rest; a path's probability is the product of its branches'. "
        "No single path decides."
    ),
}


# --------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------


def _num(v, precision: int) -> str:
    text = np.format_float_positional(
        np.float64(v), precision=precision, unique=True, trim="-"
    )
    return "0" if text in ("-0", "-0.") else text


def _threshold_digits(v: float, precision: int) -> int:
    """Digits after the point for a threshold: ``precision``, and at least
    ``precision`` significant digits (``-0.0212``, not ``-0.021``, for a feature
    whose values are all near zero)."""
    if v != 0.0 and np.isfinite(v):
        return max(precision, precision - 1 - int(np.floor(np.log10(abs(v)))))
    return precision


def _cut(v, precision: int) -> str:
    """A threshold to ``precision`` digits (see :func:`_threshold_digits`)."""
    v = float(v)
    return _num(v, _threshold_digits(v, precision))


def _threshold_test(
    t, precision: int, go_left: bool, flipped: bool = False, exact: bool = True
) -> str:
    """The test a row meets to take one branch of a one-feature split, ``"<= 0.1358"``.

    The model sends a value left when ``value <= t`` (``value >= t`` when
    ``flipped``). Rounding ``t`` to ``precision`` digits can move a value that lies
    between the two to the wrong side of what is written (``<= 0.142`` for a cut
    between 0.1423 and 0.1424). With ``exact``, the written test is the shortest
    one, to at least ``precision`` digits, that puts every float32 value (read as
    its shortest decimal) on the side the model does: ``<= 0.14235``, or the
    strict ``< 16.11`` when the cut lies just below 16.11. Axis-aligned trees
    compare float32 features, as scikit-learn's do; so do TAO trees, oblique ones
    included.
    """
    t = float(t)
    digits, strict = _threshold_digits(t, precision), False
    if exact and np.isfinite(t):
        # value >= t is -value <= -t; rounding is symmetric, so -t's digits serve t.
        digits, strict = _exact_digits(-t if flipped else t, digits)
    if flipped:
        op = (">" if strict else ">=") if go_left else ("<=" if strict else "<")
    else:
        op = ("<" if strict else "<=") if go_left else (">=" if strict else ">")
    return f"{op} {_num(t, digits)}"


def _exact_digits(t: float, digits: int) -> tuple[int, bool]:
    """The fewest digits (from ``digits``) for a decimal ``d`` of ``t``, and whether
    the test is strict, such that for every float32 ``v``: ``v <= t`` exactly when
    ``decimal(v) <= d`` (``< d`` if strict)."""
    below = np.float32(t)
    if float(below) > t:
        below = np.nextafter(below, np.float32(-np.inf))
    above = np.nextafter(below, np.float32(np.inf))
    low = float(np.format_float_positional(below, unique=True))
    high = float(np.format_float_positional(above, unique=True))
    # float32 carries about 7 significant digits: 9 more always suffice.
    for n in range(digits, digits + 10):
        shown = float(_num(t, n))
        if low <= shown < high:
            return n, False
        if low < shown <= high:
            return n, True
    return digits + 10, False


def _check_precision(precision) -> int:
    return check_positive_int(precision, "precision", minimum=0)


def _check_top_k(top_k) -> int | None:
    """None spells out every term."""
    return None if top_k is None else check_positive_int(top_k, "top_k", minimum=0)


def _check_depth(max_depth) -> int | None:
    """None draws the whole tree."""
    if max_depth is None:
        return None
    return check_positive_int(max_depth, "max_depth", minimum=0)


def _check_share(min_share, view: _ModelView) -> float:
    if min_share is None:
        return _SOFT_MIN_SHARE if view.kind == "oblique" else 0.0
    if isinstance(min_share, bool) or not isinstance(min_share, numbers.Real):
        raise TypeError(
            f"min_share must be a number in [0, 1) or None, got {min_share!r}."
        )
    if not 0.0 <= min_share < 1.0:
        raise ValueError(
            f"min_share must be in [0, 1) (the smallest share of training data a drawn "
            f"subtree must hold); got {min_share}."
        )
    return float(min_share)


def _top_terms(
    w: np.ndarray, top_k: int | None, scale: np.ndarray | None = None
) -> np.ndarray:
    """Indices of the non-zero weights, largest ``|w| * scale`` first, at most
    ``top_k`` (``scale`` is one per feature; None ranks by ``|w|``)."""
    nonzero = np.flatnonzero(w)
    strength = np.abs(w[nonzero])
    if scale is not None:
        strength = strength * scale[nonzero]
    order = nonzero[np.argsort(-strength, kind="stable")]
    return order if top_k is None else order[:top_k]


def _sig(v, digits: int) -> str:
    """``|v|`` to ``digits`` significant digits: never "0" for a non-zero weight."""
    return np.format_float_positional(
        abs(np.float64(v)),
        precision=max(int(digits), 1),
        unique=True,
        fractional=False,
        trim="-",
    )


@dataclass
class _Split:
    """An oblique split ``w @ x + b > 0`` (right) as an inequality in the data's
    units: ``lhs > threshold`` (``lhs < threshold`` when ``flipped``), where
    ``lhs = sum(coef[j] * x[j])`` over all non-zero terms, normalised so that the
    leading term (largest ``|w_j| * spread_j``) has coefficient 1.

    ``shown`` are the terms written (the lead first); ``hidden`` counts the
    non-zero terms left out. ``steepness`` is ``beta * |w_lead|``: a soft node
    sends a row right with probability ``sigmoid(steepness * (lhs - threshold))``
    (``threshold - lhs`` when flipped).
    """

    coef: np.ndarray
    shown: list[int]
    hidden: int
    threshold: float
    flipped: bool
    steepness: float

    def lhs(self, x: np.ndarray) -> float:
        return float(x @ self.coef)

    @property
    def one_term(self) -> bool:
        """A test of one feature: its threshold can be written exactly."""
        return len(self.shown) == 1 and self.hidden == 0

    def goes_right(self, value: float) -> bool:
        return value < self.threshold if self.flipped else value > self.threshold


# A term is written when its typical effect on the split, |w_j| times the spread of
# feature j in the training data (``feature_scale_``), is at least this share of
# the leading term's, to the power of the digits shown: with precision=3, terms
# below 0.1% of the leading one are left out (and counted), as they cannot move
# the printed threshold. Without a recorded spread every non-zero term is kept.
def _matters(strength: np.ndarray, precision: int) -> np.ndarray:
    top = strength.max(initial=0.0)
    return strength >= top * 10.0 ** (-precision)


def _split(view, node: int, precision: int, top_k: int | None) -> _Split | None:
    """The oblique split at ``node`` in the data's units; None if no weight."""
    w, b = view.weights[node], view.bias[node]
    beta = float(view.beta[node])
    if beta < 0:  # right when beta * score > 0, i.e. score < 0
        w, b = -w, -b
    nonzero = np.flatnonzero(w)
    if nonzero.size == 0:
        return None
    spread = view.feature_scale
    strength = np.abs(w) * (1.0 if spread is None else spread)
    order = nonzero[np.argsort(-strength[nonzero], kind="stable")]
    lead = int(order[0])
    kept = order if spread is None else order[_matters(strength[order], precision)]
    if top_k is not None:
        kept = kept[: max(top_k, 1)]
    scale = abs(float(w[lead]))
    flipped = bool(w[lead] < 0)
    sign = -1.0 if flipped else 1.0
    coef = sign * w / scale
    # w @ x + b > 0  <=>  sign * (coef @ x) > -b / scale
    return _Split(
        coef=coef,
        shown=[int(i) for i in kept],
        hidden=int(nonzero.size - len(kept)),
        threshold=-sign * float(b) / scale,
        flipped=flipped,
        steepness=abs(beta) * scale,
    )


def _lhs_terms(view, split: _Split, precision: int, times: str = TIMES) -> list[str]:
    """The written terms: the lead's name, then ``+ 0.9 × name`` each, then how
    many smaller terms are left out."""
    digits = max(precision, 1)
    out = []
    for k, i in enumerate(split.shown):
        c = split.coef[i]
        coef = _sig(c, digits)
        term = (
            view.feature_names[i]
            if coef == "1"
            else f"{coef} {times} " + (view.feature_names[i])
        )
        out.append(term if k == 0 else f"{'-' if c < 0 else '+'} {term}")
    if split.hidden:
        out.append(f"(+ {split.hidden} smaller term{'s' if split.hidden > 1 else ''})")
    return out


def _oblique_condition(view, node, go_left, precision, top_k) -> str:
    """``lead + 0.9 × other <= 1.25``: an oblique test in the data's units."""
    split = _split(view, node, precision, top_k)
    if split is None:  # the bias alone decides
        b = view.bias[node] * np.sign(view.beta[node])
        return f"{_num(b, precision)} {'<=' if go_left else '>'} 0"
    lhs = " ".join(_lhs_terms(view, split, precision))
    test = _threshold_test(
        split.threshold, precision, go_left, split.flipped, exact=split.one_term
    )
    return f"{lhs} {test}"


def _linear_text(view, w, b, precision, top_k, sep=" * ", scale=None) -> str:
    terms = _top_terms(w, top_k, scale)
    parts = []
    for i in terms:
        sign = "-" if w[i] < 0 else "+"
        weight = _sig(w[i], max(precision, 1))  # never "+ 0" for a small weight
        parts.append(f"{sign} {weight}{sep}{view.feature_names[i]}")
    hidden = np.count_nonzero(w) - len(terms)
    if hidden > 0:
        parts.append(f"+ ... ({hidden} more term{'s' if hidden > 1 else ''})")
    sign = "-" if b < 0 else "+"
    parts.append(f"{sign} {_num(abs(b), precision)}")
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _blend(rgb: tuple[int, int, int], alpha: float) -> str:
    alpha = float(np.clip(alpha, 0.0, 1.0))
    mixed = [round(255 - alpha * (255 - c)) for c in rgb]
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _node_fill(view: _ModelView, node: int, value_range) -> str:
    value = view.value[node]
    if np.isnan(value).any():
        return "#f2f2f2"
    if view.is_classifier:
        k = int(np.argmax(value))
        n = len(value)
        purity = (value[k] - 1.0 / n) / (1.0 - 1.0 / n) if n > 1 else 1.0
        rgb = _hex_to_rgb(_CLASS_COLOURS[k % len(_CLASS_COLOURS)])
        return _blend(rgb, 0.15 + 0.75 * purity)
    lo, hi = value_range
    alpha = 0.5 if hi <= lo else (value[0] - lo) / (hi - lo)
    return _blend((229, 129, 57), 0.1 + 0.8 * alpha)


def _weight_colour(w: float, scale: float) -> str:
    if scale <= 0:
        return "#ffffff"
    rgb = _POSITIVE if w > 0 else _NEGATIVE
    return _blend(rgb, abs(w) / scale)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


# --------------------------------------------------------------------------------------
# Which nodes to draw
# --------------------------------------------------------------------------------------


def _visible_nodes(view, max_depth, min_share, path_nodes):
    """Return (drawn, collapsed): nodes drawn in full, and cut-off stubs."""
    drawn: list[int] = []
    collapsed: list[int] = []
    stack = [0]
    on_path = set(path_nodes)
    while stack:
        node = stack.pop()
        # A leaf is one box: it is always drawn (a stub in its place would read as a
        # hidden subtree); only subtrees reached by few training rows are cut short.
        small = (
            min_share > 0
            and not view.is_leaf(node)
            and view.share is not None
            and node != 0
            and view.share[node] < min_share
        )
        deep = max_depth is not None and view.depth[node] > max_depth
        if (small or deep) and node not in on_path:
            collapsed.append(node)
            continue
        drawn.append(node)
        if not view.is_leaf(node):
            stack.append(int(view.children_right[node]))
            stack.append(int(view.children_left[node]))
    return drawn, collapsed
