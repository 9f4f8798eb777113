"""MkDocs hook: every page a benchmark script writes appears under "Benchmarks".

Benchmark scripts write ``docs/benchmarks/<script>.md`` themselves; a new script's
page is added to the nav's "Benchmarks" section (titled by its first heading) when
``mkdocs.yml`` does not list it, so the strict build's check for pages left out of
the nav does not fail on it. Every other page must be listed by hand.
"""

from __future__ import annotations

from pathlib import Path


def _title(page: Path) -> str:
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem.replace("_", " ")


def on_config(config):
    folder = Path(config.docs_dir) / "benchmarks"
    for item in config.nav or []:
        if isinstance(item, dict) and isinstance(item.get("Benchmarks"), list):
            section = item["Benchmarks"]
            listed = {
                value
                for entry in section
                if isinstance(entry, dict)
                for value in entry.values()
            }
            for page in sorted(folder.glob("*.md")):
                uri = f"benchmarks/{page.name}"
                if uri not in listed:
                    section.append({_title(page): uri})
    return config
