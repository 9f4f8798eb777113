"""Griffe extension: numpydoc's Sphinx roles as links in the MkDocs API reference.

The docstrings follow numpydoc and cross-reference with Sphinx roles
(``:func:`~interpretkd.teachers.as_teacher```, ``:class:`DistilledClassifier```),
which Markdown would print as they are. A role whose target is a public name of
``interpretkd`` (or ``interpretkd.testing``) becomes a link to its entry in the API
reference; any other target (a private helper, a method, scikit-learn) becomes code.
The docstrings themselves stay plain numpydoc.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]
ROLE = re.compile(r":(?:func|class|meth|mod|attr|obj|data|exc):`(~?)([\w.]+)`")


def _public() -> dict[str, str]:
    """Public name -> the identifier its API entry is registered under."""
    names = {}
    for package in ("interpretkd.testing", "interpretkd"):  # top level wins
        init = ROOT.joinpath(*package.split("."), "__init__.py")
        for node in ast.parse(init.read_text(encoding="utf-8")).body:
            targets = getattr(node, "targets", [])
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                for name in ast.literal_eval(node.value):
                    names[name] = f"{package}.{name}"
    return names


class SphinxRoles(griffe.Extension):
    def __init__(self) -> None:
        super().__init__()
        self.public = _public()

    def _replace(self, match: re.Match) -> str:
        tilde, target = match.groups()
        parts = target.split(".")
        text = parts[-1] if tilde else target
        # "interpretkd.teachers.as_teacher", "as_teacher", "DistillationReport.to_html"
        candidates = [parts[-1]] if parts[0] == "interpretkd" else parts[:1]
        for name in candidates:
            if name in self.public and not name.startswith("_"):
                return f"[`{text}`][{self.public[name]}]"
        return f"`{text}`"

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = ROLE.sub(self._replace, obj.docstring.value)
