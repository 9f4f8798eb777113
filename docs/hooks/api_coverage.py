"""MkDocs hook: fail the build when a public name has no entry in the API reference.

The public names are ``interpretkd.__all__`` and ``interpretkd.testing.__all__``; each
must appear in a ``::: interpretkd...NAME`` directive of a page under ``docs/api/``, so
a name added to the package without documentation is caught by ``make docs``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "interpretkd": ROOT / "interpretkd" / "__init__.py",
    "interpretkd.testing": ROOT / "interpretkd" / "testing" / "__init__.py",
}
NOT_DOCUMENTED = {"__version__"}
DIRECTIVE = re.compile(r"^:::\s+interpretkd(?:\.\w+)*\.(\w+)\s*$", re.MULTILINE)


def _public_names(init: Path) -> list[str]:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    raise PluginError(f"{init} has no __all__ list that the docs check can read.")


def on_pre_build(config):
    documented = set()
    for page in (Path(config.docs_dir) / "api").glob("*.md"):
        documented.update(DIRECTIVE.findall(page.read_text(encoding="utf-8")))
    missing = []
    for package, init in PACKAGES.items():
        missing += [
            f"{package}.{name}"
            for name in _public_names(init)
            if name not in documented and name not in NOT_DOCUMENTED
        ]
    if missing:
        raise PluginError(
            "Public names without an API reference entry: "
            + ", ".join(missing)
            + ". Add a '::: interpretkd.NAME' block to a page in docs/api/."
        )
