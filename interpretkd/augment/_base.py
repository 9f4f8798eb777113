"""What the generators share: scikit-learn style parameters and their checks, and
the way a generator reads its data and returns its rows."""

from __future__ import annotations

import inspect
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    validate_parameter_constraints,
)

from interpretkd._tabular import Table

AUGMENT_CHOICES = ("munge", "noise", "active")


# --------------------------------------------------------------------------------------
# Parameters: get_params / set_params without being a scikit-learn estimator
# --------------------------------------------------------------------------------------


class _Params:
    """``get_params``/``set_params``/``repr`` from the ``__init__`` signature.

    The generators are configured like scikit-learn estimators (so ``clone`` and
    ``GridSearchCV`` over a distiller's ``augment`` parameter work) but they are not
    estimators: they have no ``fit``. Deriving from ``BaseEstimator`` would make the
    package-wide ``check_estimator`` walk pick them up, hence this small mixin.

    Parameters are declared once, as data, in ``_parameter_constraints`` (the
    scikit-learn way) and checked by :meth:`_validate_params` when a generator
    runs.
    """

    _parameter_constraints: dict = {}

    def _validate_params(self) -> None:
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            name
            for name, p in sig.parameters.items()
            if name != "self" and p.kind != p.VAR_KEYWORD
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters of this object.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of nested objects that have ``get_params``,
            as ``<name>__<param>``.

        Returns
        -------
        params : dict
        """
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for key, sub in value.get_params().items():
                    out[f"{name}__{key}"] = sub
            out[name] = value
        return out

    def set_params(self, **params):
        """Set constructor parameters (``name`` or ``<name>__<param>``); return self."""
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for {type(self).__name__}; valid "
                    f"parameters are {sorted(valid)}."
                )
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = []
        for name in self._param_names():
            value = getattr(self, name)
            default = sig.parameters[name].default
            same = value is default
            if not same:
                try:
                    same = bool(value == default)
                except Exception:  # arrays and the like: show them
                    same = False
            if not same:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class _TableSampler(_Params):
    """A generator of rows that imitate a table: :meth:`sample` checks the
    arguments, reads the data into one :class:`~interpretkd._tabular.Table` (the
    column model every generator shares) and returns the rows that ``_draw`` makes
    from it in the container and dtypes of the data.

    Subclasses take the parameters ``categorical_features``, ``clip`` and
    ``random_state`` (their constraints are declared here) and implement
    ``_draw(table, n_samples, rng)``, which returns the new rows as a matrix of the
    table's codes.
    """

    _parameter_constraints: dict = {
        "categorical_features": [None, "array-like", str, Integral],
        "clip": ["boolean"],
        "random_state": ["random_state"],
    }

    def sample(self, X, n_samples: int):
        """Return ``n_samples`` new synthetic rows that imitate ``X``.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_rows, n_features)
            The data to imitate (training and unlabeled rows, no labels).
        n_samples : int
            Number of synthetic rows to return.

        Returns
        -------
        X_synthetic : ndarray or DataFrame of shape (n_samples, n_features)
            Only the new rows, in the container and dtypes of ``X``.
        """
        self._validate_params()
        name = type(self).__name__
        n_samples = _check_n_samples(n_samples, f"{name}.sample")
        table = Table(X, self.categorical_features, who=name)
        if n_samples == 0:
            return table.empty()
        rng = check_random_state(self.random_state)
        return table.decode(self._draw(table, n_samples, rng))

    def _draw(self, table: Table, n_samples: int, rng) -> np.ndarray:
        raise NotImplementedError  # pragma: no cover - each generator has its own


def _check_n_samples(n_samples, caller: str) -> int:
    """The number of rows asked of a generator, as an int >= 0."""
    validate_parameter_constraints(
        {"n_samples": [Interval(Integral, 0, None, closed="left")]},
        {"n_samples": n_samples},
        caller_name=caller,
    )
    return int(n_samples)


# A probability parameter of a generator.
PROBABILITY = [Interval(Real, 0, 1, closed="both")]
