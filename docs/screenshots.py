"""Screenshots of the documentation site, taken with headless Chromium.

Builds the site (unless ``--no-build``), serves ``site/`` on a local port and saves
the home page, a gallery page and an API reference page as PNGs in ``docs/img/``
(``site_home.png``, ``site_gallery.png``, ``site_api.png``).

Run: ``python docs/screenshots.py [--no-build]`` from the repository root; needs
``chromium`` (``apt-get install chromium``) and the ``docs`` extra.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "site_home.png": ("", 1280, 1100),
    "site_gallery.png": ("gallery/render_distilled_tree/", 1280, 1400),
    "site_api.png": ("api/metrics/", 1280, 1400),
}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    sys.exit("No Chromium found: install it (apt-get install chromium) and run again.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="use site/ as it is")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    args = parser.parse_args()
    browser = _chromium()
    if not args.no_build:
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=ROOT, check=True
        )
    site = ROOT / "site"
    if not (site / "index.html").exists():
        sys.exit("site/ has no index.html: build the site first (make docs).")

    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as profile:
            for name, (page, width, height) in PAGES.items():
                target = args.out / name
                subprocess.run(
                    [
                        browser,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--hide-scrollbars",
                        f"--user-data-dir={profile}",
                        f"--window-size={width},{height}",
                        "--virtual-time-budget=4000",
                        f"--screenshot={target}",
                        base + page,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
                print(f"{base + page} -> {target.relative_to(ROOT)}")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
