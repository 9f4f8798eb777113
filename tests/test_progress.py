"""Progress output: it reaches the student, and logs get whole lines."""

import io

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from interpretkd import DistilledClassifier, SoftDecisionTreeClassifier
from interpretkd._progress import progress_bar


def test_progress_off_a_terminal_writes_a_few_whole_lines():
    out = io.StringIO()  # not a terminal, like a CI log
    bar = progress_bar(range(1000), desc="fit", unit="epoch", file=out, min_interval=0)
    for i in bar:
        bar.set_postfix({"loss": f"{1 / (i + 1):.3f}"})
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    # one line per tenth of the loop and a closing line, not one per item
    assert 2 <= len(lines) <= 11
    assert lines[-1].startswith("fit: 1000/1000 epoch (100%)")
    assert lines[-1].endswith("done") and "loss=" in lines[-1]


def test_progress_says_when_a_loop_stops_early():
    out = io.StringIO()
    bar = progress_bar(range(100), desc="fit", unit="epoch", file=out)
    for i in bar:
        if i == 36:
            break
    bar.close()
    (line,) = out.getvalue().splitlines()
    assert line.startswith("fit: 36/100 epoch (36%)") and line.endswith("stopped")


def test_distiller_verbose_reaches_the_soft_tree(capsys):
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    teacher = LogisticRegression().fit(X, y)
    student = SoftDecisionTreeClassifier(max_depth=2, max_epochs=3, random_state=0)
    DistilledClassifier(teacher, student, verbose=1, random_state=0).fit(X, y)
    err = capsys.readouterr().err
    assert "SoftDecisionTreeClassifier: " in err and " epoch (" in err
    assert "\r" not in err
    quiet = DistilledClassifier(teacher, student, random_state=0).fit(X, y)
    assert quiet.student_.verbose == 0 and not capsys.readouterr().err
    assert np.isfinite(quiet.predict_proba(X)).all()
