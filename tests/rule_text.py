"""Reading the conditions of ``export_text(style="rules")`` lines in tests.

Shared by the tests that evaluate written rules against the model (one reader, so
that both read intervals the same way). Written independently of the export code.
"""

from __future__ import annotations

import re

INTERVAL = re.compile(r"^(\S+) (<=|<) (.+) (<=|<) (\S+)$")


def split_conditions(rule: str) -> list[tuple[str, str]]:
    """``(condition, feature)`` for each condition of a rule, an interval
    ``0.7 < x <= 3.1`` read as its two bounds ``x > 0.7`` and ``x <= 3.1``."""
    out = []
    for cond in rule.split(" and "):
        m = INTERVAL.match(cond)
        if m:
            low, op, name, op_high, high = m.groups()
            out += [
                (f"{name} {op.replace('<', '>')} {low}", name),
                (f"{name} {op_high} {high}", name),
            ]
        else:
            out.append((cond, cond.split(" ")[0]))
    return out


def features_tested(rule: str) -> list[str]:
    """The feature each condition of a rule tests (an interval counts once)."""
    out = []
    for cond in rule.split(" and "):
        m = INTERVAL.match(cond)
        out.append(m.group(3) if m else cond.split(" ")[0])
    return out
