"""Check in a real JupyterLab, in headless Chromium, that the generator explorer renders and responds.

    sudo apt-get install chromium          # Debian's Chromium (once)
    .venv/bin/pip install -e '.[browser]'  # Playwright's Python client (no browser download)
    .venv/bin/python tests/browser/check_explorer.py [--model artifacts/07_conditional_gan/generator.keras]
    .venv/bin/python tests/browser/check_explorer.py --model shipped     # the course's shipped generator
    .venv/bin/python tests/browser/check_explorer.py --saved notebooks/07_conditional_gan.ipynb

Starts JupyterLab on a free local port in a scratch folder holding one notebook that shows
``widgets.GeneratorExplorer``, opens it in Chromium, runs all cells, then clicks the digit 7 and
moves the seed, and checks that the picture changes each time and that the widget's status line
answers the truncation slider (the sliders redraw when let go: ``continuous_update=False``).
Screenshots go to --out (default build/browser-check/). ``--model`` opens a saved generator by its
path with ``GeneratorExplorer.open``, as notebook 07 does (``shipped``: the course's shipped
conditional generator). Without it, a small untrained conditional generator: the check is about the
widget, not the digits. ``--saved`` checks instead what a reader who opens the executed notebook
in JupyterLab without running it sees: a line of text while the notebook is untrusted (as a cloned
one is), the saved controls, frozen, once it is trusted. Not part of ``make test``: it needs Chromium, which the course does not require.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def notebook_source(model: str | None) -> str:
    if model is None:
        return ("import ganlib\nfrom ganlib import models, widgets\n"
                "generator = models.build_conditional_generator(latent_dim=100, width=8)\n"
                "explorer = widgets.GeneratorExplorer(generator, directions=3, seed=0)\nexplorer")
    path = ("pretrained.generator_path('conditional')" if model == "shipped"
            else repr(str(Path(model).resolve())))
    return ("import ganlib\nfrom ganlib import pretrained, widgets\n"
            f"explorer = widgets.GeneratorExplorer.open({path}, directions=3, seed=0)\nexplorer")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, seconds: float = 60) -> None:
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"JupyterLab did not answer at {url} within {seconds:.0f} s")


def jupyter_env(scratch: Path) -> dict:
    """The environment with a data folder of the check's own: a fresh record of trusted notebooks."""
    return dict(os.environ, JUPYTER_DATA_DIR=str(scratch / "jupyter-data"))


def check_saved(page, checks, out: Path, notebook: Path) -> None:
    """A notebook opened, not run. JupyterLab does not trust a notebook it did not run itself (one
    cloned or downloaded), so it shows the widget's text form; once trusted, it draws the saved
    controls, and they are frozen: nothing redraws until the cells run."""
    time.sleep(15)   # let every output render
    checks.append(("untrusted: a line of text where the explorer stands, no controls",
                   page.locator("text=VBox(children=").count() > 0 and page.locator(".widget-image").count() == 0))
    page.screenshot(path=str(out / "saved-untrusted.png"))
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(notebook)], check=True, capture_output=True,
                   env=jupyter_env(notebook.parent))
    page.reload()
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    picture = page.locator(".widget-image").first
    try:
        picture.wait_for(state="attached", timeout=120_000)
    except Exception:
        page.screenshot(path=str(out / "failed-to-render.png"))
        checks.append(("trusted: the saved controls are drawn without running the notebook", False))
        return
    picture.scroll_into_view_if_needed()
    checks.append(("trusted: the saved controls are drawn without running the notebook", True))
    before = picture.get_attribute("src")
    page.locator(".widget-toggle-buttons button", has_text="7").first.click()
    time.sleep(5)
    checks.append(("trusted: the controls are frozen, clicking a digit redraws nothing",
                   picture.get_attribute("src") == before))
    page.screenshot(path=str(out / "saved-trusted-frozen.png"))


def check_live(page, checks, out: Path) -> None:
    """Run the cell, then use the controls: each one redraws what it says."""
    page.locator(".jp-Cell").first.click()
    page.keyboard.press("Shift+Enter")
    picture = page.locator(".widget-image").first
    try:
        picture.wait_for(timeout=180_000)
    except Exception:
        page.screenshot(path=str(out / "failed-to-render.png"))
        raise
    checks.append(("explorer renders its picture", True))
    page.screenshot(path=str(out / "1-rendered.png"))

    def source():
        return picture.get_attribute("src")

    def changed_from(before, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if source() != before:
                return True
            time.sleep(0.2)
        return False

    before = source()
    page.locator(".widget-toggle-buttons button", has_text="7").first.click()
    checks.append(("clicking digit 7 redraws the picture", changed_from(before)))
    page.screenshot(path=str(out / "2-digit-7.png"))

    before = source()
    seed_box = page.locator(".widget-inline-hbox", has_text="seed").locator("input").first
    seed_box.fill("5")
    seed_box.press("Enter")
    checks.append(("a new seed redraws the picture", changed_from(before)))

    slider = page.locator(".widget-hslider", has_text="truncation").locator(".noUi-handle").first
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    status = page.locator(".widget-label", has_text="noise length").first
    deadline, answered = time.time() + 30, False
    while time.time() < deadline and not answered:
        answered = "truncated at" in status.inner_text()
        time.sleep(0.2)
    checks.append(("the truncation slider updates the status line", answered))
    page.screenshot(path=str(out / "3-truncated.png"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None,
                        help="a saved conditional generator (.keras, or a shipped .npz) to explore, or 'shipped'")
    parser.add_argument("--saved", type=Path, default=None,
                        help="instead: open this executed notebook (e.g. notebooks/07_conditional_gan.ipynb) "
                             "without running it, and check that its saved explorer shows frozen controls")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "browser-check")
    args = parser.parse_args()
    chromium = next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)
    if chromium is None:
        raise SystemExit("no Chromium found; install Debian's: sudo apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("Playwright's Python client is missing: .venv/bin/pip install -e '.[browser]'") from None
    args.out.mkdir(parents=True, exist_ok=True)

    scratch = Path(tempfile.mkdtemp(prefix="explorer-check-"))
    if args.saved is not None:
        shutil.copy(args.saved, scratch / "explorer.ipynb")
    else:
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(notebook_source(args.model))])
        notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
        nbformat.write(notebook, scratch / "explorer.ipynb")
    # Draw every cell, not only those in view (JupyterLab's default), so a saved notebook's explorer is drawn.
    settings = scratch / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = free_port(), "explorer-check"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={scratch}", "--ServerApp.open_browser=False", "--LabApp.news_url=",
         "--LabServerApp.workspaces_dir=" + str(scratch / "workspaces"),
         "--LabServerApp.user_settings_dir=" + str(scratch / "settings")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=jupyter_env(scratch))
    checks = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status?token={token}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/explorer.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # JupyterLab may ask which kernel to start: take the one it proposes (Python 3).
            try:
                page.locator(".jp-Dialog .jp-mod-accept").click(timeout=10_000)
            except Exception:
                pass
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            if args.saved is not None:
                check_saved(page, checks, args.out, scratch / "explorer.ipynb")
            else:
                check_live(page, checks, args.out)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    for name, passed in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {name}")
    print(f"screenshots in {args.out}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
