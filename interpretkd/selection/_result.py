"""The result of :func:`~interpretkd.fidelity_curve`: the table, the recommended
student, and its plot."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from interpretkd.selection._kinds import (
    LEAF_BUDGET_MAX_DEPTH,
    _same_kind,
    _size_params,
)

_EXTRA = "pip install 'interpretkd[explain]'"


def _is_tolerance(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and np.isfinite(value)
        and value >= 0
    )


class FidelityCurve:
    """Held-out fidelity of students by kind and size, from :func:`fidelity_curve`.

    Attributes
    ----------
    scores : DataFrame
        One row per fold, student and size: ``fidelity`` (held-out),
        ``train_fidelity``, ``score`` and ``teacher_score`` (accuracy or R² against
        ``y`` on the held-out rows), ``depth``, ``n_leaves``, ``n_terms`` (terms in
        the splits: features of axis splits, non-zero weights of oblique ones),
        ``n_test`` and ``fit_seconds``.
    students : dict
        The unfitted student of each name (its size is set per size: see
        :meth:`student_at`).
    task : {"classification", "regression"}
    tolerance : float or "1se"
        The rule of :attr:`recommended`.
    n_folds : int
    labeled : bool
        Whether true labels ``y`` were given (else the teacher's predictions
        stood in for them).
    size_by : {"depth", "leaves"}
        What the sizes are: depths (``max_depth``), or leaf budgets
        (``max_leaf_nodes``, under ``max_depth=12``). The ``size`` column, the
        recommendation, the plot and the messages say which.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from interpretkd import fidelity_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    >>> curve = fidelity_curve(forest, X, y, students=["cart"], sizes=[2, 4], cv=3)
    >>> curve.task, curve.n_folds, len(curve.scores)  # 2 sizes x 3 folds
    ('classification', 3, 6)
    >>> curve.recommended["student"], curve.recommended["size"] in (2, 4)
    ('cart', True)
    """

    def __init__(
        self,
        scores,
        students,
        task,
        tolerance,
        n_folds,
        labeled=True,
        size_by="depth",
    ):
        self.scores = scores
        self.students = students
        self.task = task
        self.tolerance = tolerance
        self.n_folds = n_folds
        self.labeled = labeled
        self.size_by = size_by

    def to_frame(self) -> pd.DataFrame:
        """Means over the folds: one row per student and size.

        Columns: ``student``, ``size`` (the depth, or the leaf budget when
        :attr:`size_by` is ``"leaves"``), ``fidelity`` (mean held-out),
        ``fidelity_se`` (its standard error: over folds, or binomial for one split),
        ``train_fidelity``, ``score``, ``teacher_score``, ``depth``, ``n_leaves``,
        ``n_terms``, ``fit_seconds``; without labels ``y``, no ``score`` and
        ``teacher_score`` (they would repeat the fidelity).
        """
        cols = [
            "fidelity",
            "train_fidelity",
            "score",
            "teacher_score",
            "depth",
            "n_leaves",
            "n_terms",
            "fit_seconds",
        ]
        order = {name: i for i, name in enumerate(self.students)}
        grouped = self.scores.groupby(["student", "size"], sort=False)
        frame = grouped[cols].mean().reset_index()
        frame.insert(3, "fidelity_se", grouped["fidelity"].apply(self._se).to_numpy())
        frame = frame.sort_values(
            ["student", "size"],
            key=lambda c: c.map(order) if c.name == "student" else c,
        )
        for col in ("depth", "n_leaves", "n_terms"):
            frame[col] = frame[col].astype(float)
        if not self.labeled:
            frame = frame.drop(columns=["score", "teacher_score"])
        return frame.reset_index(drop=True)

    def _se(self, values: pd.Series) -> float:
        values = values.to_numpy(dtype=float)
        if values.size > 1:
            return float(values.std(ddof=1) / np.sqrt(values.size))
        if self.task == "classification":
            n = float(self.scores["n_test"].iloc[0])
            f = float(values[0])
            return float(np.sqrt(max(f * (1 - f), 0.0) / n))
        return float("nan")  # one split of a regression: no error estimate

    @property
    def best(self) -> dict:
        """The student and size with the highest mean held-out fidelity (the keys
        of :meth:`recommend`'s dict but ``best_fidelity`` and ``rule``)."""
        frame = self.to_frame()
        row = frame.loc[frame["fidelity"].idxmax()]
        return self._entry(row)

    @property
    def recommended(self) -> dict:
        """The smallest student within :attr:`tolerance` of the best (see
        :meth:`recommend`)."""
        return self.recommend()

    def recommend(self, tolerance=None, *, student: str | None = None) -> dict:
        """The smallest size whose held-out fidelity is close enough to the best.

        Parameters
        ----------
        tolerance : float or "1se", default=None
            Fidelity that may be given up for a smaller student; None uses the
            curve's own. ``"1se"``: one standard error of the best.
        student : str, default=None
            Only this kind of student; None chooses among all kinds (at the chosen
            size, the most faithful kind).

        Returns
        -------
        choice : dict
            ``student``, ``size`` (a depth, or a leaf budget), ``size_by``,
            ``params`` (what sets the size: ``{"max_depth": 3}``, or
            ``{"max_depth": 12, "max_leaf_nodes": 16}`` for a budget),
            ``fidelity``, ``fidelity_se``, ``n_leaves`` (mean over the folds of
            the leaves the fitted students have), ``n_terms``, ``best_fidelity``
            and ``rule`` (the rule, in words).
        """
        tolerance = self.tolerance if tolerance is None else tolerance
        frame = self.to_frame()
        if student is not None:
            if student not in self.students:
                raise ValueError(
                    f"No student named {student!r} in this curve; it has "
                    f"{list(self.students)}."
                )
            frame = frame[frame["student"] == student]
        top = frame.loc[frame["fidelity"].idxmax()]
        if tolerance == "1se":
            margin = float(top["fidelity_se"])
            if not np.isfinite(margin):
                raise ValueError(
                    'tolerance="1se" needs a standard error: use cv with several '
                    "folds, or a number."
                )
            rule = f"within one standard error ({margin:.4f}) of the best"
        elif _is_tolerance(tolerance):
            margin = float(tolerance)
            rule = f"within {margin:g} of the best held-out fidelity"
        else:
            raise ValueError(
                f'tolerance must be a number >= 0 or "1se"; got {tolerance!r}.'
            )
        # A hair of slack so that a tie with the best is never lost to rounding.
        close = frame[frame["fidelity"] >= top["fidelity"] - margin - 1e-12]
        smallest = close[close["size"] == close["size"].min()]
        row = smallest.loc[smallest["fidelity"].idxmax()]
        choice = self._entry(row)
        choice["best_fidelity"] = float(top["fidelity"])
        what = "leaf budget" if self.size_by == "leaves" else "size"
        choice["rule"] = f"the smallest {what} {rule}"
        return choice

    def describe_size(self, size: int) -> str:
        """A size of this curve in words: ``"at depth 3"``, or ``"with at most 16
        leaves"`` when :attr:`size_by` is ``"leaves"``."""
        if self.size_by == "leaves":
            return f"with at most {int(size)} leaves"
        return f"at depth {int(size)}"

    def student_at(self, student: str | None = None, size: int | None = None):
        """The unfitted student of kind ``student`` at ``size``, ready to distill.

        Parameters
        ----------
        student : str, default=None
            A name in :attr:`students`; None: the recommended one.
        size : int, default=None
            A size of the curve (a depth, or a leaf budget); None: the recommended
            one (of ``student`` when it is given).

        Returns
        -------
        estimator : estimator
            A clone of the curve's student with its size set, as it was on the
            curve (``max_depth=size``, or ``max_leaf_nodes=size`` and
            ``max_depth=12``).
        """
        from sklearn.base import clone

        if student is None or size is None:
            rec = self.recommend(student=student)
            student = rec["student"] if student is None else student
            size = rec["size"] if size is None else size
        if student not in self.students:
            raise ValueError(
                f"No student named {student!r} in this curve; it has "
                f"{list(self.students)}."
            )
        sizes = sorted(int(v) for v in self.scores["size"].unique())
        if size not in sizes:
            kind = "leaf budgets" if self.size_by == "leaves" else "depths"
            raise ValueError(
                f"size={size!r} is not on the curve; its {kind} are {sizes}."
            )
        return clone(self.students[student]).set_params(
            **_size_params(size, self.size_by)
        )

    def locate(self, estimator) -> tuple[str, int] | None:
        """Where ``estimator`` stands on the curve: ``(student, size)``, or None.

        Its kind must be one of the curve's students (see :meth:`student_name`)
        and its size one of the curve's, set the way the curve sets it: the same
        ``max_depth`` and no other leaf budget than the student's for a curve by
        depth; the same ``max_leaf_nodes`` and ``max_depth=12`` for one by leaves.
        """
        name = self.student_name(estimator)
        if name is None:
            return None
        params = estimator.get_params(deep=False)
        own = self.students[name].get_params(deep=False)
        sizes = set(int(v) for v in self.scores["size"].unique())
        if self.size_by == "leaves":
            size = params.get("max_leaf_nodes")
            if size not in sizes or params.get("max_depth") != LEAF_BUDGET_MAX_DEPTH:
                return None
        else:
            size = params.get("max_depth")
            if size not in sizes or params.get("max_leaf_nodes") != own.get(
                "max_leaf_nodes"
            ):
                return None
        return name, int(size)

    def student_name(self, estimator) -> str | None:
        """The name of this curve's student of the same kind as ``estimator``.

        Same class and the same parameters apart from the size (``max_depth``,
        ``max_leaf_nodes``), ``random_state`` and ``verbose``; None when no student
        of the curve matches.
        """
        for name, candidate in self.students.items():
            if _same_kind(candidate, estimator):
                return name
        return None

    def plot(self, ax=None, *, x: str = "size", mark=None, title: str | None = None):
        """Draw held-out fidelity against size, one line per kind of student.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.
        x : {"size", "n_leaves", "n_terms"}, default="size"
            The horizontal axis: depth (the leaf budget when :attr:`size_by` is
            ``"leaves"``; then drawn on a log scale), mean number of leaves, or
            terms in the splits.
        mark : tuple of (str, int), default=None
            A ``(student, size)`` drawn as "chosen" (e.g. the model in a report).
            The recommended one is always marked.
        title : str, default=None

        Returns
        -------
        fig : matplotlib.figure.Figure
        """
        if x not in ("size", "n_leaves", "n_terms"):
            raise ValueError(f'x must be "size", "n_leaves" or "n_terms"; got {x!r}.')
        if ax is None:
            try:
                from matplotlib.figure import Figure
            except ImportError as exc:  # pragma: no cover - depends on the env
                raise ImportError(
                    f"FidelityCurve.plot needs matplotlib; install it with {_EXTRA}."
                ) from exc
            fig = Figure(figsize=(6.4, 3.8), layout="constrained")
            ax = fig.subplots()
        frame = self.to_frame()
        for name in self.students:
            part = frame[frame["student"] == name]
            ax.errorbar(
                part[x],
                part["fidelity"],
                yerr=part["fidelity_se"].fillna(0.0),
                marker="o",
                markersize=4,
                capsize=2,
                label=name,
            )
        rec = self.recommended
        rec_row = frame[
            (frame["student"] == rec["student"]) & (frame["size"] == rec["size"])
        ].iloc[0]
        ax.plot(
            rec_row[x],
            rec_row["fidelity"],
            marker="*",
            markersize=16,
            color="#222222",
            linestyle="none",
            label=f"recommended: {rec['student']}, {self._short(rec['size'])}",
        )
        if mark is not None:
            name, size = mark
            hit = frame[(frame["student"] == name) & (frame["size"] == size)]
            if hit.empty:
                raise ValueError(
                    f"mark={mark!r} is not on the curve: it has students "
                    f"{list(self.students)} at sizes "
                    f"{sorted(int(v) for v in frame['size'].unique())}."
                )
            ax.plot(
                hit[x].iloc[0],
                hit["fidelity"].iloc[0],
                marker="o",
                markersize=14,
                markerfacecolor="none",
                markeredgecolor="#d62728",
                markeredgewidth=2,
                linestyle="none",
                label=f"chosen: {name}, {self._short(size)}",
            )
        labels = {"size": "depth", "n_leaves": "leaves", "n_terms": "terms in splits"}
        if self.size_by == "leaves":
            labels["size"] = "leaf budget (max_leaf_nodes)"
        ax.set_xlabel(labels[x])
        what = "fidelity" if self.task == "classification" else "fidelity (R²)"
        folds = (
            f"{self.n_folds}-fold cross-validation"
            if self.n_folds > 1
            else "one held-out split"
        )
        ax.set_ylabel(f"held-out {what}")
        against = "leaf budget" if self.size_by == "leaves" else "size"
        ax.set_title(
            title or f"Held-out {what} against {against} ({folds})", fontsize=10
        )
        if x == "size":
            ticks = sorted(int(v) for v in frame["size"].unique())
            if self.size_by == "leaves":  # budgets double: equal steps on a log axis
                ax.set_xscale("log", base=2)
                ax.minorticks_off()
            ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")  # where it covers the fewest points
        return ax.figure

    def _phrase(self, size) -> str:
        if self.size_by == "leaves":
            return self.describe_size(size)
        return f"size {size}"

    def _short(self, size) -> str:
        return f"{int(size)} leaves" if self.size_by == "leaves" else f"size {size}"

    def _entry(self, row) -> dict:
        size = int(row["size"])
        return {
            "student": str(row["student"]),
            "size": size,
            "size_by": self.size_by,
            "params": _size_params(size, self.size_by),
            "fidelity": float(row["fidelity"]),
            "fidelity_se": float(row["fidelity_se"]),
            "n_leaves": float(row["n_leaves"]),
            "n_terms": float(row["n_terms"]),
        }

    def __repr__(self) -> str:
        rec = self.recommended
        kind = "leaf budgets" if self.size_by == "leaves" else "sizes"
        return (
            f"FidelityCurve({len(self.students)} students x "
            f"{self.scores['size'].nunique()} {kind} x {self.n_folds} folds; "
            f"recommended {rec['student']} {self._phrase(rec['size'])}, fidelity "
            f"{rec['fidelity']:.4f})"
        )
