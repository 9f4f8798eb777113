"""Fixed, readable input features for students that read images.

:class:`ImageEdgeFeatures` appends to the pixels of each image eight maps of oriented
edges — where the image gets brighter to the right, to the left, downwards, upwards and
along the two diagonals — each max-pooled over small blocks. Nothing is learned: every
feature is a named, fixed function of the pixels ("a strong upward edge somewhere in
block (2, 3)"), so a linear test on them reads as nine small images, one of pixels and
one per edge direction. Put it in front of a soft decision tree in a ``Pipeline``;
``DistilledClassifier`` still hands the tree its teacher's soft targets.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["ImageEdgeFeatures"]

# 3 x 3 gradient filters (Sobel, and its two diagonal versions). Each is applied with
# both signs: the positive part is where brightness rises towards the first name, the
# negative part towards the second.
_GX = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 4
_DIAG = np.array([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]) / 4
_FILTERS = (
    (("right", "left"), _GX),
    (("down", "up"), _GX.T),
    (("up-right", "down-left"), _DIAG),
    (("down-right", "up-left"), _DIAG[::-1]),
)
# Output order: the four positive parts, then their four opposites.
_DIRECTIONS = tuple(p for (p, _), _ in _FILTERS) + tuple(n for (_, n), _ in _FILTERS)


class ImageEdgeFeatures(TransformerMixin, BaseEstimator):
    """Pixels plus max-pooled maps of oriented edges, for students that read images.

    Each row of ``X`` is an image flattened row by row. The transformer correlates it
    with four 3 x 3 gradient filters (horizontal, vertical and the two diagonals; zero
    padding), keeps each response's positive and negative parts apart — eight
    directions of increasing brightness — and takes the maximum of each over
    ``pool x pool`` blocks. The output is ``[pixels, edges]`` (or the edges alone), so a
    linear test on it is still a readable function of the image: one weight per pixel
    and one per (direction, block). Nothing is fitted but the input's shape.

    On Fashion-MNIST (28 x 28 images, ``pool=4``: 784 + 8 x 49 = 1,176 inputs) these
    features lift a distilled depth-8 soft decision tree by about two points over the
    pixels alone; ``docs/soft_tree.md`` gives the figures.

    Parameters
    ----------
    image_shape : tuple of int (height, width) or None, default=None
        Shape of each image. ``None``: square images when ``n_features`` is a square
        number, otherwise a single row of ``n_features`` pixels.
    pool : int, default=4
        Side of the blocks over which each edge map is max-pooled (the last block of a
        row or column may be smaller). 1 keeps every position.
    include_pixels : bool, default=True
        Put the pixels themselves before the edge features.

    Attributes
    ----------
    image_shape_ : tuple of int
        The image shape used.
    pooled_shape_ : tuple of int
        Shape of each pooled edge map.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from interpretkd.features import ImageEdgeFeatures
    >>> X = np.random.RandomState(0).rand(5, 28 * 28)
    >>> ImageEdgeFeatures(pool=4).fit_transform(X).shape
    (5, 1176)
    """

    _parameter_constraints: dict = {
        # Its content (two positive integers matching the width of X) is checked in
        # fit, where the message can say what the shape must hold.
        "image_shape": [tuple, list, None],
        "pool": [Interval(numbers.Integral, 1, None, closed="left")],
        "include_pixels": ["boolean"],
    }

    def __init__(self, image_shape=None, pool: int = 4, include_pixels: bool = True):
        self.image_shape = image_shape
        self.pool = pool
        self.include_pixels = include_pixels

    def _resolve_shape(self, n_features: int) -> tuple[int, int]:
        if self.image_shape is None:
            side = math.isqrt(n_features)
            return (side, side) if side * side == n_features else (1, n_features)
        shape = self.image_shape
        if len(shape) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
            for v in shape
        ):
            raise TypeError(
                "image_shape must be None or a pair of positive integers "
                f"(height, width), got {shape!r}."
            )
        height, width = int(shape[0]), int(shape[1])
        if height * width != n_features:
            raise ValueError(
                f"image_shape={tuple(shape)!r} holds {height * width} pixels but X has "
                f"{n_features} features. Pass the shape of one image (rows flattened "
                "row by row), or None for square images."
            )
        return height, width

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` and record the image shape; ``y`` is ignored."""
        X = validate_data(self, X, dtype=(np.float64, np.float32))
        pool = int(self.pool)
        self.image_shape_ = self._resolve_shape(X.shape[1])
        height, width = self.image_shape_
        self.pooled_shape_ = (-(-height // pool), -(-width // pool))
        return self

    def transform(self, X):
        """Pixels (if kept) followed by the pooled edge maps, direction by direction."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        n = X.shape[0]
        height, width = self.image_shape_
        images = X.reshape(n, height, width)
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
        k = int(self.pool)
        ph, pw = self.pooled_shape_
        # Rectified maps are >= 0, so zero padding up to whole blocks leaves the block
        # maxima alone. Layout (n, direction, row, column), directions in _DIRECTIONS
        # order.
        maps = np.zeros((n, len(_DIRECTIONS), ph * k, pw * k), dtype=X.dtype)
        for f, (_, kernel) in enumerate(_FILTERS):
            response = np.zeros_like(images)
            for di in range(3):
                for dj in range(3):
                    if kernel[di, dj]:
                        response += (
                            kernel[di, dj]
                            * padded[:, di : di + height, dj : dj + width]
                        )
            maps[:, f, :height, :width] = np.maximum(response, 0)
            maps[:, f + len(_FILTERS), :height, :width] = np.maximum(-response, 0)
        edges = maps.reshape(n, len(_DIRECTIONS), ph, k, pw, k).max(axis=(3, 5))
        edges = edges.reshape(n, -1)
        return np.concatenate([X, edges], axis=1) if self.include_pixels else edges

    def get_feature_names_out(self, input_features=None):
        """Pixel names (the input's, or ``pixel_<row>_<col>``) and
        ``edge_<direction>_<block row>_<block col>``."""
        check_is_fitted(self)
        height, width = self.image_shape_
        names = []
        if self.include_pixels:
            if input_features is not None:
                names += [str(f) for f in input_features]
            elif hasattr(self, "feature_names_in_"):
                names += [str(f) for f in self.feature_names_in_]
            else:
                names += [f"pixel_{r}_{c}" for r in range(height) for c in range(width)]
        ph, pw = self.pooled_shape_
        for direction in _DIRECTIONS:
            names += [f"edge_{direction}_{r}_{c}" for r in range(ph) for c in range(pw)]
        return np.asarray(names, dtype=object)
