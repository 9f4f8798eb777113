"""The package keeps its layers (DESIGN.md, "Layout"): imports flow one way, and no
module reaches into another package's private names.

Read from the source with ``ast``, so the rules hold for imports inside functions
too. A *unit* is a top-level module or subpackage of ``interpretkd``
(``interpretkd.teachers``, ``interpretkd.metrics``, ...); modules of one unit may use
each other's private names, other units may not.
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import interpretkd

ROOT = Path(interpretkd.__file__).parent

# From the top of the stack to the bottom: a unit may import units of its own layer
# or below, never above. A new unit must be placed here (DESIGN.md says where).
LAYERS = [
    {"__main__", "cli", "testing"},
    {"distill", "report", "io", "selection"},
    {"targets", "augment", "metrics", "export", "explain"},
    {"teachers", "soft_tree", "tao", "features"},
    # The Dask engine (the dask branch) is called from every layer above it.
    {"_tabular", "_validation", "_version", "_progress", "_dask", "_dask_scores"},
]
RANK = {unit: rank for rank, layer in enumerate(LAYERS) for unit in layer}


def _unit(module: str) -> str:
    """``interpretkd.teachers._base`` -> ``teachers``; the package root -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        yield name, is_package, path, ast.parse(path.read_text(encoding="utf-8"))


MODULES = list(_modules())


def _imports(name: str, is_package: bool, tree: ast.AST):
    """(imported module, imported name or None) for every interpretkd import."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "interpretkd":
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "interpretkd":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if any(m == submodule for m, *_ in MODULES):
                    yield submodule, None, node.lineno  # a module, not a name
                else:
                    yield target, alias.name, node.lineno


def upward_imports(modules):
    """Imports of a unit above the importer's, and pairs of units that import each
    other (a cycle within a layer)."""
    upward = []
    edges = defaultdict(set)
    for name, is_package, _, tree in modules:
        here = _unit(name)
        if here == "":
            continue  # the package root re-exports the public names
        for target, _, line in _imports(name, is_package, tree):
            there = _unit(target)
            if there in ("", here) or here not in RANK or there not in RANK:
                continue
            edges[here].add(there)
            if RANK[there] < RANK[here]:
                upward.append(f"{name}:{line} imports {target} ({there} is above)")

    def cycle_from(start, node, seen):
        for nxt in edges[node]:
            if nxt == start:
                return [node, nxt]
            if nxt not in seen:
                seen.add(nxt)
                rest = cycle_from(start, nxt, seen)
                if rest:
                    return [node, *rest]
        return None

    cycles = [f"cycle: {c}" for u in sorted(edges) if (c := cycle_from(u, u, {u}))]
    return upward + cycles


def private_imports(modules):
    """Imports, across units, of private names or from private modules."""
    bad = []
    for name, is_package, _, tree in modules:
        here = _unit(name)
        if here == "":
            continue
        for target, imported, line in _imports(name, is_package, tree):
            there = _unit(target)
            if there == here:
                continue
            inner = target.split(".")[2:]  # below the unit: its private modules
            if any(part.startswith("_") for part in inner):
                bad.append(
                    f"{name}:{line} imports from {target}; use {there}'s package"
                )
            if imported is not None and _is_private(imported):
                bad.append(f"{name}:{line} imports {target}.{imported}")
    return bad


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_attributes(tree):
    """The names a module defines, and (name, line) of each private attribute it
    reads or writes on an object other than ``self`` / ``cls`` (``obj._name``,
    ``getattr(obj, "_name")``)."""
    defined, used = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("self", "cls") and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif owner not in ("self", "cls"):
                used.append((node.attr, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            used.append((node.args[1].value, node.lineno))
    return defined, [(a, line) for a, line in used if _is_private(a)]


def private_attributes(modules):
    """Private attributes one unit defines and another reads or writes."""
    defined, used = defaultdict(set), []
    for name, _, _, tree in modules:
        names, private = _private_attributes(tree)
        defined[_unit(name)] |= names
        used += [(name, attr, line) for attr, line in private]
    owners = defaultdict(set)
    for unit, names in defined.items():
        for attr in names:
            owners[attr].add(unit)
    return [
        f"{name}:{line} uses {attr}, private to {sorted(owners[attr])}"
        for name, attr, line in used
        if owners[attr] and _unit(name) not in owners[attr]
    ]


def test_every_unit_has_a_layer():
    units = {_unit(name) for name, *_ in MODULES} - {""}
    missing = sorted(units - set(RANK))
    assert not missing, (
        f"interpretkd units {missing} are in no layer of tests/test_layout.py: add "
        "each to the layer DESIGN.md gives it (a unit imports only its own layer "
        "and those below)."
    )


def test_imports_flow_one_way():
    bad = upward_imports(MODULES)
    assert not bad, "imports against the layers:\n" + "\n".join(bad)


def test_no_import_of_another_units_private_names():
    bad = private_imports(MODULES)
    assert not bad, "private names imported across units:\n" + "\n".join(bad)


def test_no_module_reaches_into_another_units_private_attributes():
    bad = private_attributes(MODULES)
    assert not bad, "private attributes reached across units:\n" + "\n".join(bad)


def _module(name, source):
    return (name, False, None, ast.parse(source))


@pytest.mark.parametrize(
    "check, modules",
    [
        (
            upward_imports,
            [_module("interpretkd.teachers._x", "import interpretkd.distill")],
        ),
        (
            upward_imports,
            [
                _module("interpretkd.io._x", "from interpretkd.report import a"),
                _module("interpretkd.report._y", "from interpretkd.io import b"),
            ],
        ),
        (
            private_imports,
            [
                _module(
                    "interpretkd.distill._x", "from interpretkd.teachers._base import T"
                )
            ],
        ),
        (
            private_imports,
            [
                _module(
                    "interpretkd.augment._x", "from interpretkd._tabular import _Table"
                )
            ],
        ),
        (
            private_attributes,
            [
                _module("interpretkd.distill._x", "class D:\n def _matrix(self): pass"),
                _module("interpretkd.export._y", "def f(est):\n    est._matrix()"),
            ],
        ),
    ],
)
def test_the_checks_catch_what_they_are_for(check, modules):
    # The checks above would pass on a package they cannot read; make sure each
    # finds the fault it is for.
    assert check(modules)
