"""MkDocs hook: run every script in ``examples/`` and give each its own gallery page.

Each script runs in a fresh temporary directory (Python scripts with the repository's
``interpretkd`` first on the path, shell scripts with ``PYTHON`` set to this
interpreter and that directory as their argument). Its page shows what it is for (its
docstring or leading comment), its source, what it printed and the pictures it wrote.
A script that exits with an error fails the build, with the end of its output in the
message.

Why a hook and not mkdocs-gallery (measured with mkdocs-gallery 0.10.4, mkdocs 1.6.1,
mkdocs-material 9.8): the plugin builds with these versions, but it runs Python files
only (``examples/cli_walkthrough.sh`` is a shell walkthrough of the command line), it
captures matplotlib figures only (our scripts write Graphviz pictures to files, which
would need a custom scraper and argv juggling with the scripts run from
``examples/`` itself), it skips scripts whose own text is unchanged even when the
library changed, and it runs them one after another inside the build process. Here
they run as subprocesses, ``DOCS_GALLERY_JOBS`` (default 2) at a time: the nine
scripts take about 30 s of a two-core machine. No last release of mkdocs-gallery
since 2024 weighed in too.

``DOCS_GALLERY_SKIP=1`` leaves the examples out of a build while writing pages (it
logs a warning, so a strict build fails: the site itself is never built without
them).
"""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.gallery")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GALLERY = "gallery"  # where the pages go in the site
PICTURES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
LINKED = (".html", ".txt", ".csv")  # written files offered as links
# Against a script that hangs; generous, as a shared machine can run ten times slower.
TIMEOUT_S = int(os.environ.get("DOCS_GALLERY_TIMEOUT", "900"))
_CACHE: dict[str, list[Example]] = {}


@dataclass
class Example:
    path: Path
    title: str = ""
    intro: str = ""
    output: str = ""
    seconds: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.path.stem

    @property
    def language(self) -> str:
        return "python" if self.path.suffix == ".py" else "bash"


def _scripts() -> list[Path]:
    return sorted(
        p for p in EXAMPLES.iterdir() if p.suffix in (".py", ".sh") and p.is_file()
    )


def _describe(path: Path) -> tuple[str, str]:
    """Title and introduction: a Python script's docstring, a shell script's comment."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        doc = ast.get_docstring(ast.parse(text)) or ""
    else:
        lines = []
        for line in text.splitlines():
            if line.startswith("#!"):
                continue
            if not line.startswith("#"):
                break
            lines.append(line[1:].strip())
        doc = "\n".join(lines)
    first, _, rest = doc.strip().partition("\n\n")
    title = " ".join(first.split()).rstrip(".") or path.name
    return title, rest.strip()


def _code(path: Path) -> str:
    """The script without the docstring or leading comment shown above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".py":
        tree = ast.parse("\n".join(lines))
        first = tree.body[0] if tree.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            lines = lines[first.end_lineno :]
    else:
        keep = lines[:1] if lines and lines[0].startswith("#!") else []
        rest = lines[len(keep) :]
        while rest and rest[0].startswith("#"):
            rest = rest[1:]
        lines = keep + rest
    return "\n".join(lines).strip("\n")


def _run(path: Path) -> Example:
    title, intro = _describe(path)
    example = Example(path, title, intro)
    with tempfile.TemporaryDirectory(prefix=f"gallery-{path.stem}-") as work:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        env.update(PYTHON=sys.executable, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
        env.setdefault("NO_COLOR", "1")
        if path.suffix == ".py":
            command = [sys.executable, str(path)]
        else:
            command = ["bash", str(path), work]
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command,
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PluginError(
                f"examples/{path.name} ran longer than {TIMEOUT_S} s; make it faster "
                "(the gallery runs every example on each docs build), or raise "
                "DOCS_GALLERY_TIMEOUT on a machine that is this busy."
            ) from exc
        example.seconds = time.perf_counter() - start
        example.output = done.stdout.replace(work, "<work>")
        if done.returncode != 0:
            tail = "\n".join(done.stdout.splitlines()[-30:])
            raise PluginError(
                f"examples/{path.name} failed with exit code {done.returncode}; "
                f"the end of its output:\n{tail}"
            )
        for file in sorted(Path(work).rglob("*")):
            if file.is_file() and file.suffix.lower() in PICTURES + LINKED:
                example.files[file.relative_to(work).as_posix()] = file.read_bytes()
    return example


def _run_all() -> list[Example]:
    scripts = _scripts()
    if os.environ.get("DOCS_GALLERY_SKIP") == "1":  # quick builds while writing
        log.warning("gallery: DOCS_GALLERY_SKIP=1, the examples are not run")
        return [Example(p, *_describe(p), output="(not run)") for p in scripts]
    key = "|".join(f"{p.name}:{p.stat().st_mtime_ns}" for p in scripts)
    if key in _CACHE and os.environ.get("DOCS_GALLERY_RERUN") != "1":
        return _CACHE[key]  # `mkdocs serve` rebuilds: scripts unchanged, reuse
    jobs = max(1, int(os.environ.get("DOCS_GALLERY_JOBS", "2")))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        examples = list(pool.map(_run, scripts))
    for ex in examples:
        log.info("gallery: examples/%s ran in %.1f s", ex.path.name, ex.seconds)
    log.info(
        "gallery: %d examples in %.1f s (%d at a time)",
        len(examples),
        time.perf_counter() - start,
        jobs,
    )
    _CACHE.clear()
    _CACHE[key] = examples
    return examples


def _pictures(example: Example) -> list[str]:
    """Pictures to show: a PNG where the script wrote the same picture as SVG too."""
    names = [n for n in example.files if n.lower().endswith(PICTURES)]
    stems = {Path(n).with_suffix("").as_posix() for n in names if not n.endswith("svg")}
    return [n for n in names if not (n.endswith(".svg") and n[: -len(".svg")] in stems)]


def _page(example: Example) -> str:
    """What the script is for, what it drew, what it printed, then the script."""
    lines = [f"# {example.title}", "", example.intro, ""]
    for name in _pictures(example):
        # A link to the picture itself: a wide tree is shrunk to the page's width.
        picture = f"{example.slug}/{name}"
        lines += [f"[![{name}]({picture})]({picture})", "", f"*{name}*", ""]
    lines += [
        "## Output",
        "",
        "```text",
        example.output.rstrip() or "(nothing printed)",
        "```",
        "",
    ]
    linked = [n for n in example.files if n.lower().endswith(LINKED)]
    if linked:
        lines += ["Files it wrote: "]
        lines[-1] += ", ".join(f"[{name}]({example.slug}/{name})" for name in linked)
        lines.append("")
    lines += [
        "## The script",
        "",
        f"`examples/{example.path.name}` (ran in {example.seconds:.1f} s when these "
        "docs were built):",
        "",
        f"```{example.language}",
        _code(example.path),
        "```",
        "",
    ]
    return "\n".join(lines)


def _index(examples: list[Example]) -> str:
    lines = [
        "# Gallery",
        "",
        "Every script in `examples/` runs each time these docs are built; a script "
        "that fails fails the build. Each page shows the script, what it printed and "
        "the pictures it wrote. Run one yourself with `python examples/NAME.py` "
        "(`bash examples/cli_walkthrough.sh` for the command line).",
        "",
    ]
    for ex in examples:
        pictures = _pictures(ex)
        lines += [f"## [{ex.title}]({ex.slug}.md)", ""]
        if ex.intro:
            lines += [ex.intro.split("\n\n")[0], ""]
        if pictures:
            lines += [
                f"[![{ex.title}]({ex.slug}/{pictures[0]}){{ width=360 }}]"
                f"({ex.slug}.md)",
                "",
            ]
    return "\n".join(lines)


def on_config(config):
    """Fill the nav's "Gallery" section with one page per example."""
    pages = [{"Overview": f"{GALLERY}/index.md"}]
    for path in _scripts():
        pages.append({_describe(path)[0]: f"{GALLERY}/{path.stem}.md"})
    for i, item in enumerate(config.nav or []):
        if isinstance(item, dict) and "Gallery" in item:
            config.nav[i] = {"Gallery": pages}
    return config


def on_files(files, config):
    examples = _run_all()
    files.append(
        File.generated(config, f"{GALLERY}/index.md", content=_index(examples))
    )
    for ex in examples:
        files.append(
            File.generated(config, f"{GALLERY}/{ex.slug}.md", content=_page(ex))
        )
        for name, data in ex.files.items():
            files.append(
                File.generated(config, f"{GALLERY}/{ex.slug}/{name}", content=data)
            )
    return files
