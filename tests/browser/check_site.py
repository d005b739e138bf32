"""Check the static site in headless Chromium: every page is there, its figures load, its math is
drawn as math, and the navigation works, all without a network.

    sudo apt-get install chromium          # Debian's Chromium (once; fonts-wqy-zenhei too for Chinese pages)
    .venv/bin/pip install -e '.[browser]'  # Playwright's Python client (no browser download)
    .venv/bin/python tests/browser/check_site.py [--site build/site] [--no-build]   (or: make site-check)

Builds the site from the committed notebooks into --site (unless --no-build), opens its pages from
disk (file:// URLs) and fails on any request that would leave the machine. Checks, per page: the
title, every <img> decoded (naturalWidth > 0), every <math> laid out by the browser's MathML engine
(computed display "math" or "block math") with a size; then clicks through the course: index to the
first notebook, "next" to the last, "previous" back to the first, a table-of-contents entry, the
link back to the index, and the language switch when a second edition exists. Screenshots go to
--out (default build/site-check/). Not part of ``make test``: it needs Chromium, which the course does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
HEADLESS_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]

PAGE_STATE = """() => ({
  title: document.title,
  images: [...document.images].map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
  math: [...document.querySelectorAll('math')].map(m => {
    const box = m.getBoundingClientRect();
    return {display: getComputedStyle(m).display, sized: box.width > 0 && box.height > 0};
  }),
  widgets: document.querySelectorAll('.widget').length,
})"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--no-build", action="store_true", help="check the site already in --site")
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks",
                        help="the notebooks to build from and to expect pages for (default: the course's)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site-check")
    args = parser.parse_args()
    chromium = next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)
    if chromium is None:
        raise SystemExit("no Chromium found; install Debian's: sudo apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("Playwright's Python client is missing: .venv/bin/pip install -e '.[browser]'") from None

    start = time.perf_counter()
    if not args.no_build:
        from ganlib import site

        report = site.build_site(args.notebooks, args.site)
        print(site.describe(report))
    built = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    site_dir = args.site.resolve()
    editions = {"en": sorted(site_dir.glob("[0-9][0-9]_*.html"))}
    if (site_dir / "zh").is_dir():
        editions["zh"] = sorted((site_dir / "zh").glob("[0-9][0-9]_*.html"))
    notebooks = sorted(args.notebooks.glob("[0-9][0-9]_*.ipynb"))

    checks: list[tuple[str, bool, str]] = []

    def check(name: str, passed: bool, detail: str = "") -> None:
        checks.append((name, bool(passed), detail))

    check("one page per notebook", [p.stem for p in editions["en"]] == [n.stem for n in notebooks],
          f"pages {[p.stem for p in editions['en']]}")
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=HEADLESS_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def refuse_network(route):  # a page must need nothing from outside the site's folder
            if not route.request.url.startswith("file://"):
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", refuse_network)
        page = context.new_page()

        # Every page: images decoded, math laid out as MathML.
        for edition, paths in editions.items():
            for path in [path.parent / "index.html" for path in paths[:1]] + paths:
                page.goto(path.as_uri(), wait_until="load")
                state = page.evaluate(PAGE_STATE)
                label = f"{edition}/{path.name}"
                broken = [i["src"] for i in state["images"] if not i["ok"]]
                check(f"{label}: titled", bool(state["title"].strip()))
                check(f"{label}: {len(state['images'])} images load", not broken, f"broken: {broken}")
                not_math = [m["display"] for m in state["math"] if m["display"] not in ("math", "block math")]
                unsized = sum(not m["sized"] for m in state["math"])
                check(f"{label}: {len(state['math'])} formulas drawn as MathML", not not_math and not unsized,
                      f"displays {set(not_math)}, {unsized} without a size")

        # Screenshots a reader would judge: the map, math, a figure, the widget's place.
        def shoot(url: str, name: str, selector: str | None = None) -> None:
            page.goto(url, wait_until="load")
            if selector and page.locator(selector).count():
                page.locator(selector).first.scroll_into_view_if_needed()
                page.locator(selector).first.screenshot(path=str(args.out / name))
            else:
                page.screenshot(path=str(args.out / name))

        en = {path.stem[:2]: path for path in editions["en"]}
        shoot((site_dir / "index.html").as_uri(), "1-index.png")
        if "01" in en:
            shoot(en["01"].as_uri(), "2-math.png", ".cell.markdown:has(.math-display)")
        if "03" in en:
            shoot(en["03"].as_uri(), "3-figure.png", ".output.image")
        widget_pages = [path for path in editions["en"] if '<div class="widget">' in path.read_text(encoding="utf-8")]
        for path in widget_pages:
            shoot(path.as_uri(), f"4-widget-{path.stem}.png", ".widget")

        # Navigation: index -> first notebook -> next ... last -> previous ... first -> index.
        order = editions["en"]
        page.goto((site_dir / "index.html").as_uri(), wait_until="load")
        page.locator(f'.map-entry h2 a[href="{order[0].name}"]').click()
        visited = [Path(page.url).name]
        for _ in order[1:]:
            page.locator("a.next").click()
            page.wait_for_load_state("load")
            visited.append(Path(page.url).name)
        check("index, then 'next' through every page, in order", visited == [p.name for p in order], f"{visited}")
        check("the last page has no 'next'", page.locator("a.next").count() == 0)
        back = [Path(page.url).name]
        for _ in order[1:]:
            page.locator("a.previous").click()
            page.wait_for_load_state("load")
            back.append(Path(page.url).name)
        check("'previous' back to the first page", back == [p.name for p in reversed(order)], f"{back}")
        entry = page.locator(".sidebar .toc a").nth(1)
        anchor = entry.get_attribute("href")
        entry.click()
        in_view = page.evaluate(f"""() => {{ const h = document.getElementById({anchor[1:]!r});
                                              const r = h && h.getBoundingClientRect();
                                              return !!r && r.top >= -2 && r.top < window.innerHeight; }}""")
        check("a table-of-contents entry scrolls to its heading", page.url.endswith(anchor) and in_view, page.url)
        page.locator(".sidebar a.map-link").click()
        check("the sidebar leads back to the course map", Path(page.url.split("#")[0]).name == "index.html", page.url)
        page.locator(".site-title").click()
        check("the site title leads to the course map", Path(page.url).name == "index.html", page.url)
        if "zh" in editions:
            page.goto(order[1].as_uri(), wait_until="load")
            page.locator("a.language").first.click()
            check("the language switch opens the same notebook in Chinese",
                  page.url.endswith(f"/zh/{order[1].name}"), page.url)
            page.screenshot(path=str(args.out / "5-zh.png"))
            page.locator("a.language").first.click()
            check("and back to English", page.url.endswith(f"/{order[1].name}") and "/zh/" not in page.url, page.url)

        # A narrow screen: the sidebar goes above the text instead of squeezing it.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        phone.route("**/*", refuse_network)
        small = phone.new_page()
        small.goto(order[min(3, len(order) - 1)].as_uri(), wait_until="load")
        overflow = small.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        check("a phone-width page does not scroll sideways", overflow <= 1, f"{overflow} px too wide")
        small.screenshot(path=str(args.out / "6-phone.png"))
        browser.close()
    check("no request left the site's folder", not outside, f"{outside[:5]}")

    for name, passed, detail in checks:
        print(f"{'ok  ' if passed else 'FAIL'} {name}" + ("" if passed or not detail else f"  ({detail})"))
    pages = sum(len(v) for v in editions.values())
    print(f"{pages} notebook pages checked; build {built - start:.1f} s, browser {time.perf_counter() - built:.1f} s; "
          f"screenshots in {args.out}")
    return 0 if all(passed for _, passed, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
