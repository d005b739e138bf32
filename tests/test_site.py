"""The static site (ganlib.site): built from the committed notebooks, every page is there, every
picture and internal link resolves, TeX became MathML, and nothing is fetched from outside.

The browser check (tests/browser/check_site.py, `make site-check`) opens the same pages in Chromium.
"""

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from ganlib import site

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# A one-pixel PNG, for the synthetic notebooks below.
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()


class Links(HTMLParser):
    """Every src and href, every id, and the text outside code, pre and math, of one page."""

    def __init__(self):
        super().__init__()
        self.sources, self.hrefs, self.ids, self.text, self.scripts = [], [], set(), [], 0
        self.maths, self._inside = 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in ("img", "script", "source", "iframe") and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag in ("a", "link") and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        self.scripts += tag == "script"
        self.maths += tag == "math"
        if tag in ("code", "pre", "math"):
            self._inside.append(tag)

    def handle_endtag(self, tag):
        if self._inside and self._inside[-1] == tag:
            self._inside.pop()

    def handle_data(self, data):
        if not self._inside:
            self.text.append(data)


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return site.build_site(ROOT / "notebooks", tmp_path_factory.mktemp("site") / "site")


def all_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_notebook_has_a_page_and_the_index_lists_them(built):
    assert [p.stem for p in built.pages["en"]] == [n.stem for n in NOTEBOOKS]
    assert all(p.is_file() for p in built.pages["en"])
    index = parse(built.out / "index.html")
    assert [h for h in index.hrefs if re.fullmatch(r"\d\d_\w+\.html", h)][:len(NOTEBOOKS)] == \
        [f"{n.stem}.html" for n in NOTEBOOKS]
    if (ROOT / "notebooks" / "zh").is_dir() and any((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb")):
        assert [p.stem for p in built.pages["zh"]] == \
            [n.stem for n in sorted((ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))]


def test_every_picture_is_a_file_beside_the_page_or_a_data_uri(built):
    pictures = 0
    for page in all_pages(built.out):
        for source in parse(page).sources:
            pictures += 1
            assert source.startswith("data:") or (page.parent / source).is_file(), f"{page.name}: {source} is missing"
    stored = sum(1 for n in NOTEBOOKS for c in nbformat.read(n, 4).cells for o in c.get("outputs", [])
                 if any(m.startswith("image/") for m in o.get("data", {})))
    assert pictures >= stored, "every picture a notebook shows has a place on its page"


def test_every_internal_link_resolves_to_a_page_and_an_anchor(built):
    ids = {page.resolve(): parse(page).ids for page in all_pages(built.out)}
    for page in all_pages(built.out):
        for href in parse(page).hrefs:
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            path, _, anchor = href.partition("#")
            target = (page.parent / path).resolve() if path else page.resolve()
            assert target.is_file(), f"{page.name}: link {href} leads to no file"
            if anchor and target.suffix == ".html":
                assert anchor in ids[target], f"{page.name}: link {href} names no anchor of {target.name}"


def test_tex_became_mathml_and_none_is_left_as_dollars(built):
    assert built.warnings == []
    for page in all_pages(built.out):
        links = parse(page)
        prose = "".join(links.text)
        assert not re.search(r"\$\$|\$[^\s$][^$\n]*\$", prose), f"{page.name} shows TeX as text"
    notebook_with_math = next(n for n in NOTEBOOKS if "$" in "".join(
        c.source for c in nbformat.read(n, 4).cells if c.cell_type == "markdown"))
    assert parse(built.out / f"{notebook_with_math.stem}.html").maths > 0


def test_pages_need_no_script_and_nothing_from_outside(built):
    for page in all_pages(built.out):
        links = parse(page)
        assert links.scripts == 0, f"{page.name} has a script"
        assert not [s for s in links.sources if s.startswith(("http:", "https:", "//"))]
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), f"{page.name} loads a stylesheet from outside"
    assert built.seconds < 60


def test_where_a_notebook_shows_a_widget_its_page_says_it_needs_a_kernel(built):
    for path in NOTEBOOKS:
        widgets = sum(site.WIDGET_VIEW in o.get("data", {}) for c in nbformat.read(path, 4).cells
                      for o in c.get("outputs", []))
        page = (built.out / f"{path.stem}.html").read_text(encoding="utf-8")
        assert page.count('<div class="widget">') == widgets, path.name
        assert page.count("it needs a running Python kernel") == widgets, path.name


def test_tex_to_mathml():
    assert "<mfrac>" in site.tex_to_mathml(r"\frac{p_\text{data}}{p_\text{data} + p_g}", display=True)
    assert 'display="inline"' in site.tex_to_mathml("x^2", display=False)
    with pytest.raises(ValueError, match="cannot convert"):
        site.tex_to_mathml(r"\left( x", display=False)
    with pytest.raises(ValueError, match=r"unknown command \\operatornam"):
        site.tex_to_mathml(r"\operatornam{JSD}", display=False)


# A synthetic course: two notebooks, a Chinese edition, a widget, links and a broken formula.

def widget_notebook(title: str, with_state: bool) -> nbformat.NotebookNode:
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# {title}\n\nSee [the next one](01_b.ipynb#more) and "
                                      "[the models](../ganlib/models.py); $a^2$.\n\n## Explore"),
        nbformat.v4.new_code_cell("explorer", outputs=[nbformat.v4.new_output(
            "display_data", data={site.WIDGET_VIEW: view, "text/plain": "VBox(...)"})]),
    ])
    if with_state:
        notebook.metadata["widgets"] = {site.WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {
            "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_picture", "IPY_MODEL_slider"]}},
            "picture": {"model_name": "ImageModel", "state": {"format": "png"},
                        "buffers": [{"path": ["value"], "encoding": "base64", "data": PIXEL}]},
            "slider": {"model_name": "FloatSliderModel", "state": {"description": "truncation", "value": 0.7}},
        }}}
    return notebook


def second_notebook(title: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(f"# {title}\n\n## More\n\n$$\\frac{{1}}{{2}}$$"),
        nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": PIXEL, "text/plain": "<Figure>"}),
            nbformat.v4.new_output("stream", name="stdout", text="10%\r50%\r100%\ndone\n")]),
    ])


@pytest.fixture()
def course(tmp_path):
    notebooks = tmp_path / "notebooks"
    (notebooks / "zh").mkdir(parents=True)
    nbformat.write(widget_notebook("00 · A", with_state=True), notebooks / "00_a.ipynb")
    nbformat.write(second_notebook("01 · B"), notebooks / "01_b.ipynb")
    nbformat.write(widget_notebook("00 · 甲", with_state=False), notebooks / "zh" / "00_a.ipynb")
    nbformat.write(second_notebook("01 · 乙"), notebooks / "zh" / "01_b.ipynb")
    return notebooks


def test_a_second_language_gets_its_pages_and_a_switch_both_ways(course, tmp_path):
    report = site.build_site(course, tmp_path / "site")
    assert set(report.pages) == {"en", "zh"}
    english, chinese = tmp_path / "site" / "01_b.html", tmp_path / "site" / "zh" / "01_b.html"
    assert 'href="zh/01_b.html"' in english.read_text() and 'href="../01_b.html"' in chinese.read_text()
    assert '<html lang="zh-Hans">' in chinese.read_text()
    assert 'href="../style.css"' in chinese.read_text()
    assert "上一篇" in chinese.read_text()


def test_notebook_links_become_page_links_and_repository_files_plain_text(course, tmp_path):
    site.build_site(course, tmp_path / "site")
    page = (tmp_path / "site" / "00_a.html").read_text()
    assert '<a href="01_b.html#more">the next one</a>' in page
    assert 'title="in the repository: ../ganlib/models.py">the models</span>' in page


def test_a_widget_shows_the_note_and_its_saved_picture_or_only_the_note(course, tmp_path):
    site.build_site(course, tmp_path / "site")
    english = (tmp_path / "site" / "00_a.html").read_text()
    assert site.EDITIONS["en"]["widget_note"] in english
    assert 'src="00_a/cell01-0-widget1.png"' in english and (tmp_path / "site" / "00_a" / "cell01-0-widget1.png").is_file()
    assert "truncation: <b>0.7</b>" in english
    chinese = (tmp_path / "site" / "zh" / "00_a.html").read_text()   # saved without widget state
    assert site.EDITIONS["zh"]["widget_missing"] in chinese and "<img" not in chinese


def test_a_stream_keeps_what_a_terminal_would_show(course, tmp_path):
    site.build_site(course, tmp_path / "site")
    page = (tmp_path / "site" / "01_b.html").read_text()
    assert "100%\ndone" in page and "50%" not in page


def test_a_formula_that_cannot_be_converted_is_reported_not_hidden(course, tmp_path):
    notebook = second_notebook("01 · B")
    notebook.cells[0].source += "\n\nand $\\left( x$ here"
    nbformat.write(notebook, course / "01_b.ipynb")
    report = site.build_site(course, tmp_path / "site")
    assert len(report.warnings) == 1 and "01_b.ipynb" in report.warnings[0] and "\\left( x" in report.warnings[0]
    assert 'class="math-error"' in (tmp_path / "site" / "01_b.html").read_text()


def test_a_rebuild_replaces_the_site_and_will_not_overwrite_another_folder(course, tmp_path):
    site.build_site(course, tmp_path / "site")
    (course / "01_b.ipynb").unlink()
    (course / "zh" / "01_b.ipynb").unlink()
    site.build_site(course, tmp_path / "site")
    assert not (tmp_path / "site" / "01_b.html").exists(), "a page whose notebook is gone must go too"
    other = tmp_path / "papers"
    other.mkdir()
    (other / "thesis.tex").write_text("precious")
    with pytest.raises(FileExistsError, match="not a site"):
        site.build_site(course, other)
    assert (other / "thesis.tex").read_text() == "precious"
    # A page of one's own beside other files is not a site built here either (an index.html alone used to
    # be taken for one, and the folder, photos and all, was replaced).
    (other / "index.html").write_text("my own page")
    (other / "photos").mkdir()
    with pytest.raises(FileExistsError, match="thesis.tex"):
        site.build_site(course, other)
    assert sorted(p.name for p in other.iterdir()) == ["index.html", "photos", "thesis.tex"]


def test_a_site_built_before_the_marker_is_still_replaced(course, tmp_path):
    built = site.build_site(course, tmp_path / "site").out
    (built / site.SITE_MARKER).unlink()   # as a build before the marker left it: only what a build writes
    site.build_site(course, tmp_path / "site")
    assert (built / site.SITE_MARKER).is_file()


def test_a_readers_folder_shaped_like_an_old_site_and_a_sibling_named_building_survive(course, tmp_path):
    # A folder of one's own with an index page, a stylesheet and "01_photos" passed for a site built before
    # the marker, and was replaced; a folder named "<out>.building" beside the target was deleted.
    mine = tmp_path / "mine"
    (mine / "01_photos").mkdir(parents=True)
    (mine / "01_photos" / "cat.jpg").write_bytes(b"a cat")
    for name in ("index.html", "style.css"):
        (mine / name).write_text("my own")
    with pytest.raises(FileExistsError, match="not a site built here"):
        site.build_site(course, mine)
    assert (mine / "01_photos" / "cat.jpg").read_bytes() == b"a cat"
    notes = tmp_path / "site.building"
    notes.mkdir()
    (notes / "notes.txt").write_text("mine too")
    site.build_site(course, tmp_path / "site")
    assert (notes / "notes.txt").read_text() == "mine too"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.building")]   # the build's own, gone
    with pytest.raises(FileExistsError, match="is a file; allowed: a folder"):
        site.build_site(course, notes / "notes.txt")


def test_the_command_line_builds_the_site(course, tmp_path, capsys):
    from ganlib import cli

    assert cli.main(["site", "--out", str(tmp_path / "out"), "--notebooks", str(course)]) == 0
    assert "2 notebook pages" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").glob("*.html")) == ["00_a.html", "01_b.html", "index.html"]
