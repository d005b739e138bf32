"""The course as a static web site, for readers without a kernel: the notebooks as committed, in HTML.

    python -m ganlib site [--out build/site]        (or: make site)

One page per notebook (``notebooks/NN_*.ipynb``; when a Chinese edition exists in ``notebooks/zh/``,
its pages go under ``zh/`` and every page links to its counterpart), an index page that maps the
course, a table of contents beside each page, previous / next links, and the figures written as
files beside the pages. Nothing is executed: the site shows the outputs the notebooks were saved with.

Everything is built offline from installed packages and the pages need no script and no network:
markdown by mistune, code colours by Pygments, and TeX (``$...$``, ``$$...$$``) turned into MathML
by latex2mathml at build time, which browsers draw natively. An interactive widget needs a running
kernel, so where one stands the page shows a short note and, from the widget state the notebook was
saved with, the pictures and control values the widget showed at that moment (controls inert).
"""

from __future__ import annotations

import base64
import fnmatch
import html
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import mistune
import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# The order in which JupyterLab picks one representation of an output (scripts are left out:
# the site runs none).
MIME_ORDER = (WIDGET_VIEW, "text/html", "text/markdown", "text/latex", "image/svg+xml", "image/png",
              "image/jpeg", "image/gif", "text/plain")
IMAGE_SUFFIX = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/svg+xml": "svg"}
NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
SITE_MARKER = ".ganlib-site"   # in every site built here: the one kind of folder a build replaces

# Each edition: where its notebooks are (under the notebooks folder), where its pages go (under the
# site), and the words of the page around the notebooks.
EDITIONS = {
    "en": {
        "folder": "", "html_lang": "en", "name": "English",
        "site_title": "Generative adversarial networks, from the minimax game to a digit generator",
        "intro": ("A notebook-first course that teaches GANs by building a handwritten-digit generator. "
                  "These pages show the notebooks as they were last run and committed, with their "
                  "figures and printed results; to run them yourself, see the README's two commands."),
        "map": "Course map", "contents": "Notebooks", "previous": "Previous", "next": "Next",
        "sections": "Sections",
        "widget_note": ("Interactive widget: it needs a running Python kernel, so open this notebook in "
                        "JupyterLab to use it. Shown here as it was when the notebook was saved; its "
                        "controls do nothing on this page."),
        "widget_missing": ("Interactive widget: it needs a running Python kernel, so open this notebook in "
                           "JupyterLab to use it. The notebook was saved without its state, so there is "
                           "nothing to show here."),
    },
    "zh": {
        "folder": "zh", "html_lang": "zh-Hans", "name": "中文",
        "site_title": "生成对抗网络：从极小极大博弈到手写数字生成器",
        "intro": ("以笔记本为主的 GAN 课程：一步步搭建一个手写数字生成器。这些页面展示笔记本最近一次运行并提交时的"
                  "样子，包括图和打印的结果；想自己运行，请看 README 里的两条命令。"),
        "map": "课程地图", "contents": "笔记本", "previous": "上一篇", "next": "下一篇", "sections": "章节",
        "widget_note": "交互式控件：需要运行中的 Python 内核，请在 JupyterLab 中打开本笔记本使用。"
                       "这里显示的是保存笔记本时它的样子；本页上的控件不起作用。",
        "widget_missing": "交互式控件：需要运行中的 Python 内核，请在 JupyterLab 中打开本笔记本使用。"
                          "笔记本保存时没有保存控件状态，这里没有可显示的内容。",
    },
}


@dataclass
class Section:
    level: int
    anchor: str
    html: str


@dataclass
class Page:
    stem: str                      # "03_dcgan": the notebook's name, and the page's (03_dcgan.html)
    title: str                     # plain text of the notebook's first heading
    summary: str                   # HTML of its first paragraph, for the course map
    body: str                      # HTML of the cells
    sections: list[Section]
    assets: dict[str, bytes]       # file name beside the page -> content


@dataclass
class SiteReport:
    out: Path
    pages: dict[str, list[Path]]   # edition -> its notebook pages
    files: list[Path]
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files)


# Markdown and math ---------------------------------------------------------------------------


# Standard LaTeX commands that latex2mathml 3.81 does not know, written with ones it does.
SUBSTITUTES = {r"\arg": r"\operatorname{arg}"}


def tex_to_mathml(tex: str, display: bool) -> str:
    """MathML for one TeX formula; raises ValueError with the formula when it cannot be converted."""
    from latex2mathml.converter import convert

    source = tex.strip()
    for command, replacement in SUBSTITUTES.items():
        source = re.sub(re.escape(command) + r"(?![A-Za-z])", lambda _: replacement, source)
    try:
        mathml = convert(source, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises its own types, and IndexError on some input
        raise ValueError(f"cannot convert ${tex}$ to MathML: {type(error).__name__} {error}".rstrip()) from error
    # A command latex2mathml does not know comes out as its own name (<mi>\foo</mi>): a reader
    # would see the backslash, so it counts as a failure too.
    unknown = re.search(r">(\\[A-Za-z]+)<", mathml)
    if unknown:
        raise ValueError(f"cannot convert ${tex}$ to MathML: unknown command {unknown.group(1)}")
    return mathml


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment (tags dropped, entities decoded), for titles and anchors."""
    fragment = re.sub(r"<math\b.*?</math>", lambda m: _math_alt(m.group(0)), fragment, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def _math_alt(mathml: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", mathml))


def slug(text: str) -> str:
    """An anchor from a heading's text: lower case, words joined by hyphens (any script)."""
    words = re.findall(r"\w+", text.lower())
    return "-".join(words) or "section"


class PageRenderer(mistune.HTMLRenderer):
    """mistune's HTML renderer, plus: MathML for TeX, heading anchors, links to notebooks made links
    to their pages, and pictures that a markdown cell shows copied beside the page."""

    def __init__(self, page: str, page_names: set[str], notebook_dir: Path, assets: dict[str, bytes],
                 attachments: dict, used_anchors: set[str], warnings: list[str]):
        super().__init__(escape=False)
        self.page, self.page_names, self.notebook_dir = page, page_names, notebook_dir
        self.assets, self.attachments = assets, attachments
        self.used_anchors, self.warnings = used_anchors, warnings
        self.sections: list[Section] = []

    def inline_math(self, text):
        return self._math(text, display=False)

    def block_math(self, text):
        # A span shown as a block: display math may stand inside a paragraph, where a div may not.
        return f'<span class="math-display">{self._math(text, display=True)}</span>\n'

    def _math(self, tex, display):
        try:
            return tex_to_mathml(tex, display)
        except ValueError as error:
            self.warnings.append(str(error))
            return f'<code class="math-error">{html.escape(tex)}</code>'

    def heading(self, text, level, **attrs):
        anchor = base = slug(plain_text(text))
        n = 1
        while anchor in self.used_anchors:
            n += 1
            anchor = f"{base}-{n}"
        self.used_anchors.add(anchor)
        # The table of contents links to the heading, so a link inside it would nest: keep its text.
        self.sections.append(Section(level, anchor, re.sub(r"</?a\b[^>]*>", "", text)))
        return (f'<h{level} id="{anchor}">{text}'
                f'<a class="anchor" href="#{anchor}" aria-hidden="true">#</a></h{level}>\n')

    def link(self, text, url, title=None):
        target = _link_target(url, self.page_names)
        if target is None:
            # A file of the repository (ganlib/..., data/...): the site does not carry it.
            hint = html.escape(f"in the repository: {url}", quote=True)
            return f'<span class="repo-link" title="{hint}">{text}</span>'
        title_attr = f' title="{html.escape(title, quote=True)}"' if title else ""
        return f'<a href="{html.escape(target, quote=True)}"{title_attr}>{text}</a>'

    def image(self, text, url, title=None):
        alt = html.escape(text, quote=True)
        if url.startswith(("http:", "https:", "data:")):
            return f'<img src="{html.escape(url, quote=True)}" alt="{alt}">'
        name = url.removeprefix("attachment:")
        if url.startswith("attachment:") and name in self.attachments:
            content = base64.b64decode(next(iter(self.attachments[name].values())))
        elif (self.notebook_dir / url).is_file():
            content = (self.notebook_dir / url).read_bytes()
        else:
            self.warnings.append(f"a markdown cell shows {url}, which is neither an attachment nor a file")
            return f'<span class="missing-image">{alt}</span>'
        stored = "md-" + Path(name).name
        self.assets[stored] = content
        return f'<img src="{html.escape(self.page + "/" + stored, quote=True)}" alt="{alt}">'


def _link_target(url: str, page_names: set[str]) -> str | None:
    """Where a markdown link points on the site; None for a repository file the site lacks."""
    if url.startswith(("http:", "https:", "mailto:", "#")):
        return url
    path, _, anchor = url.partition("#")
    name = Path(path).name
    if name.endswith(".ipynb") and Path(name).stem in page_names:
        return Path(name).stem + ".html" + (f"#{anchor}" if anchor else "")
    return None


def markdown_to_html(source: str, renderer: PageRenderer) -> str:
    convert = mistune.create_markdown(renderer=renderer, plugins=["math", "table", "strikethrough"])
    return convert(source)


# Cells and outputs ---------------------------------------------------------------------------


def highlight(source: str) -> str:
    from pygments import highlight as pygmentize
    from pygments.formatters import HtmlFormatter

    try:  # IPython's lexer knows %magics and !shell lines; plain Python's otherwise
        from ipython_pygments_lexers import IPython3Lexer as Lexer
    except ImportError:
        from pygments.lexers import PythonLexer as Lexer
    return pygmentize(source, Lexer(), HtmlFormatter(nowrap=True))


def terminal_text(text: str) -> str:
    """A stream as a terminal would leave it: a carriage return rewrites its line; ANSI colours kept."""
    from nbconvert.filters import ansi2html

    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    return ansi2html("\n".join(lines))


def _without_scripts(fragment: str) -> str:
    return re.sub(r"<script\b.*?</script\s*>", "", fragment, flags=re.S | re.I)


class _OutputRenderer:
    """Turns one notebook's outputs into HTML, collecting the pictures as files beside the page."""

    def __init__(self, page: str, assets: dict[str, bytes], widget_state: dict, words: dict, markdown):
        self.page, self.assets, self.widget_state = page, assets, widget_state
        self.words, self.markdown = words, markdown
        self._count = 0

    def asset(self, stem: str, mime: str, data) -> str:
        if mime == "image/svg+xml":
            content = (data if isinstance(data, str) else "".join(data)).encode()
        else:
            content = base64.b64decode(data)
        name = f"{stem}.{IMAGE_SUFFIX[mime]}"
        self.assets[name] = content
        return f"{self.page}/{name}"   # the folder beside the page that holds its pictures

    def output(self, output, stem: str) -> str:
        kind = output.get("output_type")
        if kind == "stream":
            css = "stderr" if output.get("name") == "stderr" else "stdout"
            return f'<pre class="output stream {css}">{terminal_text(output.get("text", ""))}</pre>\n'
        if kind == "error":
            return f'<pre class="output error">{terminal_text(chr(10).join(output.get("traceback", [])))}</pre>\n'
        data, metadata = output.get("data", {}), output.get("metadata", {})
        mime = next((m for m in MIME_ORDER if m in data), None)
        if mime is None:
            return ""
        value = data[mime]
        if mime == WIDGET_VIEW:
            return self.widget(value.get("model_id", ""), stem)
        if mime in IMAGE_SUFFIX:
            source = self.asset(stem, mime, value)
            size = metadata.get(mime, {}) if isinstance(metadata.get(mime), dict) else {}
            width = f' width="{int(size["width"])}"' if "width" in size else ""
            return f'<div class="output image"><img src="{source}" alt="figure"{width}></div>\n'
        text = value if isinstance(value, str) else "".join(value)
        if mime == "text/html":
            return f'<div class="output html">{_without_scripts(text)}</div>\n'
        if mime == "text/markdown":
            return f'<div class="output markdown">{self.markdown(text)}</div>\n'
        if mime == "text/latex":
            return f'<div class="output markdown">{self.markdown(text)}</div>\n'
        return f'<pre class="output text">{terminal_text(text)}</pre>\n'

    # A widget as it was saved: boxes, pictures, text, and each control's description and value.
    def widget(self, model_id: str, stem: str) -> str:
        if model_id not in self.widget_state:
            return f'<div class="widget"><p class="widget-note">{self.words["widget_missing"]}</p></div>\n'
        snapshot = self._widget_part(model_id, stem, depth=0)
        return (f'<div class="widget"><p class="widget-note">{self.words["widget_note"]}</p>'
                f'<div class="widget-snapshot">{snapshot}</div></div>\n')

    def _widget_part(self, model_id: str, stem: str, depth: int) -> str:
        model = self.widget_state.get(model_id)
        if model is None or depth > 20:
            return ""
        name, state = model.get("model_name", ""), model.get("state", {})
        if "children" in state:
            children = "".join(self._widget_part(child.removeprefix("IPY_MODEL_"), stem, depth + 1)
                               for child in state["children"])
            direction = "row" if name in ("HBoxModel", "GridBoxModel") else "column"
            return f'<div class="w-box w-{direction}">{children}</div>'
        if name == "ImageModel":
            buffer = next((b for b in model.get("buffers", []) if b.get("path") == ["value"]), None)
            if buffer is None:
                return ""
            self._count += 1
            mime = "image/" + {"jpg": "jpeg"}.get(state.get("format", "png"), state.get("format", "png"))
            if mime not in IMAGE_SUFFIX:
                return ""
            source = self.asset(f"{stem}-widget{self._count}", mime, buffer["data"])
            return f'<img class="w-image" src="{source}" alt="the widget\'s picture when saved">'
        if name in ("HTMLModel", "HTMLMathModel"):
            return f'<div class="w-text">{_without_scripts(state.get("value", ""))}</div>'
        if name == "LabelModel":
            return f'<div class="w-text">{html.escape(str(state.get("value", "")))}</div>'
        if name == "OutputModel":
            return "".join(self.output(o, f"{stem}-out{i}") for i, o in enumerate(state.get("outputs", [])))
        if "value" in state or "index" in state:
            value = state.get("value")
            labels, index = state.get("_options_labels"), state.get("index")
            if labels is not None and isinstance(index, int) and 0 <= index < len(labels):
                value = labels[index]
            if value is None or value == "":
                return ""
            label = html.escape(str(state.get("description", "")))
            return (f'<div class="w-control">{label + ": " if label else ""}'
                    f'<b>{html.escape(str(value))}</b></div>')
        return ""


# Pages ---------------------------------------------------------------------------------------


def render_notebook(path: Path, page_names: set[str], words: dict, warnings: list[str]) -> Page:
    """One notebook as the body of a page, its sections, and the pictures to write beside it."""
    notebook = nbformat.read(path, as_version=4)
    stem, assets = path.stem, {}
    widget_state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    sections: list[Section] = []
    used_anchors: set[str] = set()   # anchors are unique across the page, not per cell

    def markdown(source: str, attachments=None) -> str:
        renderer = PageRenderer(stem, page_names, path.parent, assets, attachments or {}, used_anchors, warnings)
        rendered = markdown_to_html(source, renderer)
        sections.extend(renderer.sections)
        return rendered

    outputs = _OutputRenderer(stem, assets, widget_state, words, markdown)
    parts = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            parts.append(f'<div class="cell markdown">{markdown(cell.source, cell.get("attachments"))}</div>\n')
        elif cell.cell_type == "code":
            shown = "".join(outputs.output(o, f"cell{index:02d}-{k}") for k, o in enumerate(cell.get("outputs", [])))
            tags = "".join(f" tag-{t}" for t in cell.get("metadata", {}).get("tags", []))
            parts.append(f'<div class="cell code{tags}" id="cell-{index}">'
                         f'<pre class="source highlight"><code>{highlight(cell.source)}</code></pre>'
                         + (f'<div class="outputs">{shown}</div>' if shown else "") + "</div>\n")
    body = "".join(parts)
    title_section = next((s for s in sections if s.level == 1), None)
    title = plain_text(title_section.html) if title_section else stem
    first_paragraph = re.search(r"<p>(.*?)</p>", body, flags=re.S)
    summary = first_paragraph.group(1).strip() if first_paragraph else ""
    if summary and not plain_text(summary).endswith((".", "!", "?", "。", "！", "？", ":", "：")):
        summary += " …"   # the paragraph goes on past what the map shows (a formula, a list)
    return Page(stem, title, summary, body, sections, assets)


def _relative(path: str, depth: int) -> str:
    return "../" * depth + path


def page_html(page: Page, pages: list[Page], edition: str, editions: dict[str, list[Page]]) -> str:
    words, depth = EDITIONS[edition], 1 if EDITIONS[edition]["folder"] else 0
    position = pages.index(page)
    nav = []
    for other in pages:
        current = ' aria-current="page"' if other is page else ""
        item = f'<li><a href="{other.stem}.html"{current}>{html.escape(other.title)}</a>'
        if other is page:
            item += _toc(page.sections)
        nav.append(item + "</li>")
    pager = []
    if position > 0:
        before = pages[position - 1]
        pager.append(f'<a class="previous" rel="prev" href="{before.stem}.html">&larr; {words["previous"]}: '
                     f'{html.escape(before.title)}</a>')
    if position < len(pages) - 1:
        after = pages[position + 1]
        pager.append(f'<a class="next" rel="next" href="{after.stem}.html">{words["next"]}: '
                     f'{html.escape(after.title)} &rarr;</a>')
    return _document(
        title=f"{page.title} · {words['site_title']}", edition=edition, depth=depth,
        switch=_language_switch(page.stem, edition, editions),
        sidebar=(f'<p class="sidebar-map"><a class="map-link" href="index.html">{words["map"]}</a></p>'
                 f'<ol class="course">{"".join(nav)}</ol>'),
        main=f'{page.body}<nav class="pager" aria-label="{words["previous"]} / {words["next"]}">{"".join(pager)}</nav>')


def _toc(sections: list[Section]) -> str:
    """The page's sections (level 2, with their level 3 inside) as nested lists of links."""
    groups: list[tuple[Section, list[Section]]] = []
    for section in sections:
        if section.level == 2 or (section.level == 3 and not groups):
            groups.append((section, []))
        elif section.level == 3:
            groups[-1][1].append(section)
    items = []
    for top, subs in groups:
        inner = "".join(f'<li><a href="#{s.anchor}">{s.html}</a></li>' for s in subs)
        items.append(f'<li><a href="#{top.anchor}">{top.html}</a>{f"<ol>{inner}</ol>" if inner else ""}</li>')
    return f'<ol class="toc">{"".join(items)}</ol>' if items else ""


def _language_switch(stem: str | None, edition: str, editions: dict[str, list[Page]]) -> str:
    links = []
    here_depth = 1 if EDITIONS[edition]["folder"] else 0
    for other, pages in editions.items():
        if other == edition or not pages:
            continue
        folder = EDITIONS[other]["folder"]
        target = f"{stem}.html" if stem and any(p.stem == stem for p in pages) else "index.html"
        href = _relative((folder + "/" if folder else "") + target, here_depth)
        links.append(f'<a class="language" hreflang="{EDITIONS[other]["html_lang"]}" '
                     f'lang="{EDITIONS[other]["html_lang"]}" href="{href}">{EDITIONS[other]["name"]}</a>')
    return " ".join(links)


def index_html(pages: list[Page], edition: str, editions: dict[str, list[Page]]) -> str:
    words, depth = EDITIONS[edition], 1 if EDITIONS[edition]["folder"] else 0
    entries = []
    for page in pages:
        sections = "".join(f'<li><a href="{page.stem}.html#{s.anchor}">{s.html}</a></li>'
                           for s in page.sections if s.level == 2)
        entries.append(f'<li class="map-entry"><h2><a href="{page.stem}.html">{html.escape(page.title)}</a></h2>'
                       f'<p>{page.summary}</p>'
                       f'<details><summary>{words["sections"]}</summary><ol>{sections}</ol></details></li>')
    nav = "".join(f'<li><a href="{p.stem}.html">{html.escape(p.title)}</a></li>' for p in pages)
    return _document(
        title=words["site_title"], edition=edition, depth=depth, switch=_language_switch(None, edition, editions),
        sidebar=f'<p class="sidebar-map"><strong>{words["map"]}</strong></p><ol class="course">{nav}</ol>',
        main=(f'<h1>{html.escape(words["site_title"])}</h1><p class="intro">{words["intro"]}</p>'
              f'<ol class="map">{"".join(entries)}</ol>'))


def _document(title: str, edition: str, depth: int, switch: str, sidebar: str, main: str) -> str:
    words = EDITIONS[edition]
    return f"""<!DOCTYPE html>
<html lang="{words['html_lang']}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{_relative('style.css', depth)}">
</head>
<body>
<header class="site-header"><a class="site-title" href="index.html">{html.escape(words['site_title'])}</a>
<span class="languages">{switch}</span></header>
<div class="layout">
<nav class="sidebar" aria-label="{words['contents']}">{sidebar}</nav>
<main>
{main}
</main>
</div>
</body>
</html>
"""


def stylesheet() -> str:
    from pygments.formatters import HtmlFormatter

    return STYLE + HtmlFormatter(style="default").get_style_defs(".highlight") + "\n"


STYLE = """
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #e2e4e8; --code-bg: #f6f8fa; --accent: #1a5fb4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", "Noto Sans",
       "Noto Sans CJK SC", "PingFang SC", sans-serif; }
a { color: var(--accent); }
.site-header { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
               padding: .6rem 1.2rem; border-bottom: 1px solid var(--rule); background: #fafbfc; }
.site-title { font-weight: 600; text-decoration: none; color: var(--ink); }
.layout { display: grid; grid-template-columns: 18rem minmax(0, 1fr); }
.sidebar { border-right: 1px solid var(--rule); padding: 1rem; font-size: .9rem; position: sticky; top: 0;
           align-self: start; max-height: 100vh; overflow-y: auto; }
.sidebar ol { padding-left: 1.1rem; margin: .2rem 0; }
.sidebar a[aria-current] { font-weight: 600; color: var(--ink); }
.sidebar .toc { font-size: .85rem; }
main { padding: 1rem 2rem 3rem; max-width: 58rem; }
h1, h2, h3 { line-height: 1.25; overflow-wrap: anywhere; }
h1 .anchor, h2 .anchor, h3 .anchor { margin-left: .4rem; color: var(--rule); text-decoration: none; }
pre { overflow-x: auto; padding: .6rem .8rem; margin: .4rem 0; font-size: .85rem; line-height: 1.45; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.cell.code .source { background: var(--code-bg); border-left: 3px solid #9bb6d8; }
.outputs { border-left: 3px solid var(--rule); padding-left: .6rem; margin-bottom: 1rem; }
.output.stream, .output.text { background: none; padding: .2rem 0; }
.output.stderr { color: #8a4b00; }
.output.error { background: #fdecea; }
.output.image img, .w-image { max-width: 100%; height: auto; }
.output.html pre { padding: 0 .2rem; margin: 0; }
.output.html table, .markdown table { border-collapse: collapse; margin: .6rem 0; display: block;
                                      max-width: 100%; overflow-x: auto; }
.markdown code { overflow-wrap: anywhere; }
.output.html th, .output.html td, .markdown th, .markdown td { border: 1px solid var(--rule); padding: .2rem .5rem; }
.math-display { display: block; overflow-x: auto; margin: .8rem 0; }
math { font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", math; }
math[display="block"] { font-size: 1.1em; }
.math-error { color: #b00020; }
.repo-link { border-bottom: 1px dotted var(--muted); }
.widget { border: 1px dashed #9bb6d8; border-radius: 6px; padding: .6rem .8rem; background: #f7faff; }
.widget-note { margin: 0 0 .6rem; color: var(--muted); font-size: .9rem; }
.w-box { display: flex; gap: .8rem; align-items: flex-start; }
.w-row { flex-direction: row; flex-wrap: wrap; }
.w-column { flex-direction: column; }
.w-control { font-size: .85rem; color: var(--muted); }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 3rem; padding-top: 1rem;
         border-top: 1px solid var(--rule); }
.pager .next { margin-left: auto; text-align: right; }
.map { list-style: none; padding: 0; }
.map-entry h2 { margin-bottom: .2rem; }
.intro { font-size: 1.05rem; }
@media (max-width: 50rem) {
  .layout { grid-template-columns: minmax(0, 1fr); }
  .sidebar { position: static; max-height: none; border-right: none; border-bottom: 1px solid var(--rule); }
  main { padding: 1rem; }
}
"""


# The whole site ------------------------------------------------------------------------------


def editions_in(notebooks_dir: Path) -> dict[str, list[Path]]:
    """Each edition's notebooks in reading order; an edition whose folder is missing or empty is left out."""
    found = {}
    for code, words in EDITIONS.items():
        folder = notebooks_dir / words["folder"] if words["folder"] else notebooks_dir
        paths = sorted(folder.glob(NOTEBOOK_PATTERN)) if folder.is_dir() else []
        if paths:
            found[code] = paths
    return found


def _built_here(folder: Path) -> bool:
    """Whether ``build_site`` may replace ``folder``: empty, marked as a site it built, or (sites built
    before the marker) holding nothing at its top but what a build writes. Anything else may be a
    reader's own files, which replacing the folder would delete."""
    entries = list(folder.iterdir())
    if not entries or (folder / SITE_MARKER).is_file():
        return True
    editions = {edition["folder"] for edition in EDITIONS.values() if edition["folder"]}

    def written_by_a_build(path: Path, top: bool) -> bool:
        if path.is_dir():
            if top and path.name in editions:
                return (path / "index.html").is_file() and all(written_by_a_build(p, False) for p in path.iterdir())
            # A page's pictures sit in a folder named after its page, beside it; a folder without its page
            # (a reader's "01_photos") is not the build's.
            return (fnmatch.fnmatch(path.name, "[0-9][0-9]_*") and path.with_suffix(".html").is_file()
                    and all(p.is_file() for p in path.iterdir()))
        return path.name in ("index.html", "style.css") or fnmatch.fnmatch(path.name, "[0-9][0-9]_*.html")
    return (folder / "index.html").is_file() and all(written_by_a_build(path, True) for path in entries)


def build_site(notebooks_dir, out_dir) -> SiteReport:
    """Render every edition's notebooks into ``out_dir`` (replaced whole: no stale page survives)."""
    start = time.perf_counter()
    notebooks_dir, out_dir = Path(notebooks_dir), Path(out_dir)
    sources = editions_in(notebooks_dir)
    if "en" not in sources:
        raise FileNotFoundError(f"no notebooks named NN_*.ipynb in {notebooks_dir}")
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} is a file; allowed: a folder for the site (new, empty, or a site built here)")
    if out_dir.exists() and not _built_here(out_dir):
        raise FileExistsError(f"{out_dir} exists and is not a site built here (it holds other files, such as "
                              f"{', '.join(sorted(p.name for p in out_dir.iterdir())[:3])}); it is replaced whole, so "
                              "name an empty or new folder with --out")
    warnings: list[str] = []
    rendered: dict[str, list[Page]] = {}
    for edition, paths in sources.items():
        names = {p.stem for p in paths}
        pages = []
        for path in paths:
            page_warnings: list[str] = []
            pages.append(render_notebook(path, names, EDITIONS[edition], page_warnings))
            warnings += [f"{path.relative_to(notebooks_dir)}: {w}" for w in page_warnings]
        rendered[edition] = pages

    # Write beside the target, then swap: an interrupted build leaves the previous site whole.
    # A folder of the build's own, never a fixed name that a reader's folder might have.
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    staging.chmod(0o755)   # mkdtemp's folder is private; a site is for reading
    (staging / "style.css").write_text(stylesheet(), encoding="utf-8")
    (staging / SITE_MARKER).write_text("a site built by python -m ganlib site: the next build replaces this folder\n",
                                       encoding="utf-8")
    page_paths: dict[str, list[Path]] = {}
    for edition, pages in rendered.items():
        folder = staging / EDITIONS[edition]["folder"]
        folder.mkdir(exist_ok=True)
        (folder / "index.html").write_text(index_html(pages, edition, rendered), encoding="utf-8")
        page_paths[edition] = []
        for page in pages:
            (folder / f"{page.stem}.html").write_text(page_html(page, pages, edition, rendered), encoding="utf-8")
            if page.assets:
                (folder / page.stem).mkdir()
                for name, content in page.assets.items():
                    (folder / page.stem / name).write_bytes(content)
            page_paths[edition].append(out_dir / EDITIONS[edition]["folder"] / f"{page.stem}.html")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    files = sorted(p for p in out_dir.rglob("*") if p.is_file())
    return SiteReport(out_dir, page_paths, files, time.perf_counter() - start, warnings)


def describe(report: SiteReport) -> str:
    """A few lines on what was built: pages per edition, sizes, time, and any warning."""
    lines = []
    for edition, paths in report.pages.items():
        html_bytes = sum(p.stat().st_size for p in paths)
        lines.append(f"{EDITIONS[edition]['name']}: {len(paths)} notebook pages + index, "
                     f"{html_bytes / 1e6:.2f} MB of HTML")
    lines.append(f"{len(report.files)} files, {report.total_bytes / 1e6:.1f} MB in all, "
                 f"built in {report.seconds:.1f} s; open {report.out / 'index.html'}")
    lines += [f"warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def main(out: str = "build/site", notebooks: str | None = None) -> int:
    from ganlib import course

    notebooks_dir = Path(notebooks) if notebooks else course.project_root() / "notebooks"
    report = build_site(notebooks_dir, Path(out))
    print(describe(report))
    return 1 if report.warnings else 0
