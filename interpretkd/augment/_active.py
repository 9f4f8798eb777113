"""Active sampling: new rows in the leaves where the student disagrees with the
teacher.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from interpretkd._tabular import concat_rows, take_rows
from interpretkd.augment._base import PROBABILITY, _check_n_samples, _Params
from interpretkd.augment._munge import Munge
from interpretkd.augment._noise import NoiseSampler
from interpretkd.targets import hard_targets

# --------------------------------------------------------------------------------------
# Active sampling, per leaf of the current student
# --------------------------------------------------------------------------------------


class ActiveSampler(_Params):
    """Synthetic rows chosen, round by round, for how much they help the student.

    The teacher can label any input, so it can also judge a student on as many rows
    as needed. Each round proposes ``n_proposals`` batches of new rows, refits the
    student with each, and keeps the batch whose student agrees best with the
    teacher on a validation set of teacher-labeled ``base`` rows drawn apart from the
    rest. Proposals alternate between two kinds:

    - rows drawn with ``base`` from all the data, which keep its distribution;
    - rows drawn per leaf of the current student (when it has ``apply``, as trees
      do) from the leaf's own rows, each leaf getting a share of the batch in
      proportion to the rows there the student decides unlike the teacher, plus a
      floor (``min_leaf_share``) in proportion to its size so that no leaf, deep
      ones included, is short of data. ``candidate_ratio`` times more candidates
      than needed are drawn, labeled, and those the student gets wrong are kept
      first, then those the teacher is least sure of.

    Where new rows go changes the splits a greedy tree picks, for better or worse,
    by more than the noise between draws; judging each batch on the teacher's
    decisions keeps the better ones. This follows TREPAN (Craven & Shavlik, 1996)
    and Bastani et al. (2017), which draw new rows where a tree needs them, and adds
    the check that they help.

    It needs the teacher and a way to fit the student, so it has no
    ``sample(X, n_samples)`` method like :class:`Munge` and :class:`NoiseSampler`
    but :meth:`run`, which the distillers call with ``augment="active"``.

    Parameters
    ----------
    base : {"munge", "noise"} or object with a ``sample(X, n_samples)`` method, \
default="munge"
        Generator of candidates and of the validation rows.
    n_rounds : int, default=2
        Number of propose-fit-keep rounds; each adds ``n_samples / n_rounds`` rows.
    n_proposals : int, default=6
        Batches proposed per round; each costs one student fit and teacher labels.
    candidate_ratio : float, default=2.0
        Candidates drawn per row kept in a per-leaf batch.
    min_leaf_share : float, default=0.5
        Part of a per-leaf batch spread over the leaves in proportion to their rows;
        the rest follows the student's errors.
    n_validation : int, default=None
        Teacher-labeled rows to judge batches on; None means twice the number of
        rows, at least 2,000 and at most 50,000.
    hard_targets : bool, default=False
        Replace the targets ``label`` returns by their argmax, one-hot
        (classification only). By default the synthetic rows get the targets
        ``label`` gives, so a distiller's ``temperature`` and ``targets`` apply to
        them as to every other row; ``docs/augmentation.md`` compares the two.
    random_state : int, RandomState instance or None, default=None
        Seed for all draws.

    Notes
    -----
    The distiller fits its final student on the real rows followed by the returned
    rows, which is the data of the best student seen in the last round when
    ``fit`` is the same procedure with a fixed seed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from interpretkd.augment import ActiveSampler
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
    >>> teacher = RandomForestClassifier(50, random_state=0).fit(X, y)
    >>> def fit(X, T):
    ...     return DecisionTreeClassifier(max_depth=3, random_state=0).fit(
    ...         X, T.argmax(1))
    >>> X_new, T_new = ActiveSampler(random_state=0).run(
    ...     X, 200, label=teacher.predict_proba, fit=fit)
    >>> X_new.shape, T_new.shape
    ((200, 4), (200, 2))
    """

    _parameter_constraints: dict = {
        "base": [StrOptions({"munge", "noise"}), HasMethods(["sample"])],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "n_proposals": [Interval(Integral, 1, None, closed="left")],
        "candidate_ratio": [Interval(Real, 1, None, closed="left")],
        "min_leaf_share": PROBABILITY,
        "n_validation": [Interval(Integral, 1, None, closed="left"), None],
        "hard_targets": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        base="munge",
        n_rounds=2,
        n_proposals=6,
        candidate_ratio=2.0,
        min_leaf_share=0.5,
        n_validation=None,
        hard_targets=False,
        random_state=None,
    ):
        self.base = base
        self.n_rounds = n_rounds
        self.n_proposals = n_proposals
        self.candidate_ratio = candidate_ratio
        self.min_leaf_share = min_leaf_share
        self.n_validation = n_validation
        self.hard_targets = hard_targets
        self.random_state = random_state

    def run(
        self,
        X,
        n_samples: int,
        *,
        label: Callable[[Any], np.ndarray],
        fit: Callable[[Any, np.ndarray], Any],
    ):
        """Draw ``n_samples`` synthetic rows and their teacher targets.

        Parameters
        ----------
        X : ndarray or DataFrame of shape (n_rows, n_features)
            The real rows (training and unlabeled).
        n_samples : int
            Number of synthetic rows to return, spread over the rounds.
        label : callable
            ``label(X)`` returns the teacher's targets for rows ``X``: an array of
            shape (n, n_classes) of probabilities for classification, of shape (n,)
            for regression.
        fit : callable
            ``fit(X, targets)`` returns a freshly fitted student. For
            classification its ``predict`` must return column indices of the
            targets (0 … n_classes - 1), as a student fit on ``targets.argmax(1)``
            or on sample-weight-expanded class indices does. If it has ``apply``
            (a tree), rows are also proposed per leaf.

        Returns
        -------
        X_synthetic : ndarray or DataFrame of shape (n_samples, n_features)
            The new rows, in the container and dtypes of ``X``.
        targets_synthetic : ndarray of shape (n_samples, n_classes) or (n_samples,)
            The targets ``label`` gives them (one-hot argmax when
            ``hard_targets``).
        """
        if not callable(label) or not callable(fit):
            raise TypeError(
                "ActiveSampler.run needs callables label(X) -> teacher targets and "
                "fit(X, targets) -> fitted student."
            )
        self._validate_params()
        n_samples = _check_n_samples(n_samples, "ActiveSampler.run")
        n_rounds, n_proposals = int(self.n_rounds), int(self.n_proposals)
        ratio, floor = float(self.candidate_ratio), float(self.min_leaf_share)
        rng = check_random_state(self.random_state)
        base = _make_base(self.base)
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X)
        targets = np.asarray(label(X))
        classify = targets.ndim == 2
        if classify:
            targets = self._post(targets)
        if n_samples == 0:
            return take_rows(X, np.arange(0)), targets[:0]
        n_val = self.n_validation
        if n_val is None:
            n_val = int(np.clip(2 * len(X), 2000, 50000))
        X_val = _sample_with(base, X, n_val, rng)
        T_val = np.asarray(label(X_val))
        val_class = T_val.argmax(1) if classify else None

        def score(student) -> float:
            if classify:
                return float(np.mean(_predicted_index(student, X_val) == val_class))
            pred = np.asarray(student.predict(X_val), dtype=np.float64)
            return -float(np.mean((pred - T_val) ** 2))

        per_round = np.diff(np.linspace(0, n_samples, n_rounds + 1).round())
        X_all, T_all = X, targets
        new_X, new_T = [], []
        student = fit(X_all, T_all)
        for budget in per_round.astype(int):
            if budget == 0:
                continue
            best = None
            for k in range(n_proposals):
                per_leaf = k % 2 == 1 and hasattr(student, "apply")
                if per_leaf:
                    cand = self._leaf_candidates(
                        base, student, X, targets, budget, ratio, floor, rng, classify
                    )
                else:
                    cand = _sample_with(base, X, budget, rng)
                T_cand = np.asarray(label(cand))
                if classify:
                    T_cand = self._post(T_cand)
                if per_leaf and len(cand) > budget:
                    keep = self._select(student, cand, T_cand, budget, rng, classify)
                    cand, T_cand = take_rows(cand, keep), T_cand[keep]
                trial = fit(concat_rows([X_all, cand]), np.concatenate([T_all, T_cand]))
                value = score(trial)
                if best is None or value > best[0]:
                    best = (value, cand, T_cand, trial)
            _, cand, T_cand, student = best
            new_X.append(cand)
            new_T.append(T_cand)
            X_all = concat_rows([X_all, cand])
            T_all = np.concatenate([T_all, T_cand])
        return concat_rows(new_X), np.concatenate(new_T)

    def _post(self, T: np.ndarray) -> np.ndarray:
        T = np.asarray(T, dtype=np.float64)
        return hard_targets(T) if self.hard_targets else T

    def _errors(self, student, X, T, classify: bool) -> np.ndarray:
        """Per row: 1 where the student decides unlike the teacher (classification),
        else the absolute error scaled to [0, 1]."""
        if classify:
            return (_predicted_index(student, X) != T.argmax(1)).astype(np.float64)
        pred = np.asarray(student.predict(X))
        err = np.abs(pred.astype(np.float64) - T)
        top = err.max()
        return err / top if top > 0 else err

    def _leaf_candidates(self, base, student, X, T, budget, ratio, floor, rng, clf):
        n_cand = int(np.ceil(budget * ratio))
        errors = self._errors(student, X, T, clf)
        leaves = np.asarray(student.apply(X))
        ids, leaf_of = np.unique(leaves, return_inverse=True)
        size = np.bincount(leaf_of, minlength=ids.size).astype(np.float64)
        wrong = np.bincount(leaf_of, weights=errors, minlength=ids.size)
        share = floor * size / size.sum()
        if wrong.sum() > 0:
            share += (1 - floor) * wrong / wrong.sum()
        else:
            share += (1 - floor) * size / size.sum()
        counts = _apportion(share, n_cand, rng)
        order = np.argsort(leaf_of, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(size.astype(int))])
        groups = [order[bounds[k] : bounds[k + 1]] for k in range(ids.size)]
        if type(base) is Munge:
            return base._sample_in_groups(X, groups, counts, rng)
        parts = [
            _sample_with(base, take_rows(X, groups[k]), int(counts[k]), rng)
            for k in np.flatnonzero(counts)
        ]
        return concat_rows(parts)

    def _select(self, student, cand, T_cand, budget, rng, classify):
        errors = self._errors(student, cand, T_cand, classify)
        if classify:
            srt = np.sort(T_cand, axis=1)
            doubt = 1.0 - (srt[:, -1] - srt[:, -2])
        else:
            doubt = np.zeros(errors.shape[0])
        # Errors first, then the teacher's doubt; random order breaks ties.
        score = 2.0 * errors + doubt + 1e-6 * rng.random_sample(errors.shape[0])
        return np.sort(np.argsort(-score, kind="stable")[:budget])


def _predicted_index(student, X) -> np.ndarray:
    """The student's predicted class, as a column index of the teacher's targets."""
    pred = np.asarray(student.predict(X))
    if pred.dtype.kind not in "iub" and not (
        pred.dtype.kind == "f" and np.all(pred == np.round(pred))
    ):
        raise TypeError(
            "ActiveSampler: for classification the fitted student's predict must "
            "return column indices of the targets (0 … n_classes - 1); it returned "
            f"values of dtype {pred.dtype}. Fit the student on targets.argmax(1) (or "
            "on class indices) in the fit callback."
        )
    return pred.astype(np.intp)


def _make_base(base):
    if base == "munge":
        return Munge()
    if base == "noise":
        return NoiseSampler()
    return base


def _sample_with(base, X, n: int, rng):
    """Draw ``n`` rows with ``base``, seeded from ``rng`` when it takes a seed."""
    if hasattr(base, "set_params") and "random_state" in base.get_params(deep=False):
        base = type(base)(**base.get_params(deep=False))
        base.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
    return base.sample(X, n)


def _apportion(share: np.ndarray, total: int, rng) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``share``."""
    exact = share / share.sum() * total
    counts = np.floor(exact).astype(int)
    left = total - counts.sum()
    if left > 0:
        frac = exact - counts
        extra = rng.choice(share.size, size=left, replace=False, p=frac / frac.sum())
        counts[extra] += 1
    return counts
