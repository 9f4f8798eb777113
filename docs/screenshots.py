"""Screenshots for the documentation, taken with headless Chromium and Graphviz.

- ``cli_demo_tree.png``: the tree ``interpretkd demo`` draws (the README shows it).
- ``report_depth4.png``, ``report_depth6.png``: the top of the HTML report of a
  breast-cancer distillation into a TAO oblique tree of depth 4 and 6 (figures on
  held-out and training rows, the fidelity curve, the tree at full size).
- ``site_home.png``, ``site_gallery.png``, ``site_api.png``: the documentation site
  (built unless ``--no-build``, served on a local port).

Run: ``python docs/screenshots.py [--no-build] [--only demo|report|site]`` from the
repository root; needs ``chromium`` (``apt-get install chromium``), Graphviz's ``dot``
and the ``docs`` extra.
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


def _shoot(browser: str, profile: str, url: str, target: Path, width, height) -> None:
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
            url,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"{url} -> {target.relative_to(ROOT)}")


def demo_tree(out: Path) -> None:
    """The tree of ``interpretkd demo``, drawn from the student it writes."""
    from interpretkd import io
    from interpretkd.cli import main as cli
    from interpretkd.export import export_graphviz

    with tempfile.TemporaryDirectory() as tmp:
        cli(["demo", "--out", tmp, "--quiet"], standalone_mode=False)
        student = io.load(Path(tmp) / "student.skops")
    graph = export_graphviz(student, class_names={0: "malignant", 1: "benign"})
    (out / "cli_demo_tree.png").write_bytes(graph.pipe(format="png"))
    print(f"interpretkd demo -> {(out / 'cli_demo_tree.png').relative_to(ROOT)}")


def reports(browser: str, out: Path) -> None:
    """Reports of TAO oblique students of depth 4 and 6, as a browser shows them."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from xgboost import XGBClassifier

    from interpretkd import DistilledClassifier, distillation_report
    from interpretkd.tao import TAOTreeClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    teacher = XGBClassifier(n_estimators=100, max_depth=3, random_state=0)
    teacher.fit(X_train, y_train)
    with tempfile.TemporaryDirectory() as tmp:
        for depth in (4, 6):
            student = TAOTreeClassifier(
                split="oblique", max_features_per_split=3, max_depth=depth
            )
            model = DistilledClassifier(teacher, student, random_state=0)
            model.fit(X_train, y_train)
            report = distillation_report(
                model,
                X_test,
                y_test,
                teacher_trained_on_X=False,
                X_train=X_train,
                y_train=y_train,
                curve={"sizes": range(2, 7), "cv": 3},
                class_names=["malignant", "benign"],
            )
            page = Path(tmp) / f"report_depth{depth}.html"
            report.to_html(page, shap=False)
            _shoot(
                browser,
                tmp,
                page.as_uri(),
                out / f"report_depth{depth}.png",
                1280,
                2400,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="use site/ as it is")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", choices=("demo", "report", "site"))
    args = parser.parse_args()
    browser = _chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "demo"):
        demo_tree(args.out)
    if args.only in (None, "report"):
        reports(browser, args.out)
    if args.only not in (None, "site"):
        return
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
                _shoot(browser, profile, base + page, args.out / name, width, height)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
