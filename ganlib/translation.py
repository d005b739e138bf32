"""Editions of the course in other languages, generated from the English notebooks so they cannot drift.

The English notebook is the one source of code and outputs. A translation file holds only prose:

    notebooks/NN_name.ipynb          English: code, outputs, English markdown
    translations/zh/NN_name.po       one gettext entry per markdown cell (msgctxt: the cell's id,
                                     msgid: its English text, msgstr: the translation)
    notebooks/zh/NN_name.ipynb       generated: every cell of the English notebook, code, tags and
                                     outputs copied; each markdown cell replaced by its translation

Gettext's .po format (read and written with ``polib``) is what translation tools (Poedit, Weblate,
Crowdin) edit. Keeping the English text itself in ``msgid`` makes staleness exact: when an English
cell changes, its entry no longer matches. ``--update`` then writes the new English into ``msgid``,
keeps the old translation, marks it ``fuzzy`` and records the previous English (``#| msgid``), so
the translator sees exactly what changed. A generated edition refuses to build while any cell is
missing, empty, fuzzy or stale; ``tests/test_translation_zh.py`` fails in the same cases (and
``tests/test_translation.py`` tests this module on small notebooks).

    python -m ganlib translate --lang zh --update   # sync the .po files with the English notebooks
    python -m ganlib translate --lang zh --check    # list what is missing or out of date
    python -m ganlib translate --lang zh            # write notebooks/zh/ (fails if anything is)
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import polib

from ganlib.records import atomic_path

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = {"zh": "中文 (简体)"}


class TranslationError(RuntimeError):
    """An edition cannot be built: some markdown cell has no up-to-date translation."""


@dataclass(frozen=True)
class Problem:
    notebook: str
    cell_id: str
    kind: str      # "missing", "empty", "fuzzy", "stale" or "obsolete"
    english: str   # the start of the English text it concerns

    def __str__(self) -> str:
        what = {"missing": "has no translation entry", "empty": "has an empty translation",
                "fuzzy": "is marked fuzzy (the English changed; check the translation, then drop the flag)",
                "stale": "was translated from other English text (run --update, then revise it)",
                "obsolete": "is translated but no longer in the English notebook (run --update)"}[self.kind]
        return f"{self.notebook}: cell {self.cell_id} {what}: {self.english[:60]!r}"


def english_hash(text: str) -> str:
    """A short fingerprint of a cell's English text (shown in reports)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise TranslationError(f"language is {lang!r}; allowed: " + ", ".join(repr(code) for code in LANGUAGES))


def english_notebooks(root: Path | None = None) -> list[Path]:
    return sorted(((root or ROOT) / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def catalog_path(notebook: Path, lang: str, root: Path | None = None) -> Path:
    return (root or ROOT) / "translations" / lang / f"{notebook.stem}.po"


def edition_path(notebook: Path, lang: str) -> Path:
    return notebook.parent / lang / notebook.name


def markdown_cells(notebook) -> list[tuple[str, str]]:
    """(cell id, English text) of every markdown cell, in order."""
    return [(cell.id, cell.source) for cell in notebook.cells if cell.cell_type == "markdown"]


def load_catalog(path: Path) -> polib.POFile:
    if not path.is_file():
        catalog = polib.POFile(wrapwidth=0)
        catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
        return catalog
    try:
        catalog = polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError) as error:
        raise TranslationError(f"{path} cannot be read as a gettext .po file: {error}") from error
    # polib reads some broken files leniently (an unterminated msgid becomes an entry without msgctxt);
    # every entry this module writes has one, so an entry without it is damage, not an obsolete cell.
    for entry in catalog:
        if entry.msgctxt is None:
            where = f" at line {entry.linenum}" if entry.linenum else ""
            raise TranslationError(f"{path} cannot be read as a gettext .po file: the entry{where} has no msgctxt "
                                   f"(its cell id), so the file is damaged (an unterminated quote?): "
                                   f"msgid {entry.msgid[:40]!r}")
    # Two live entries for one cell: every reader keys entries by cell id, so one would vanish unseen.
    seen = set()
    for entry in catalog:
        if entry.obsolete:
            continue
        if entry.msgctxt in seen:
            raise TranslationError(f"{path} has a second entry for cell {entry.msgctxt!r} at line {entry.linenum}; "
                                   "allowed: one entry per cell: delete the one to drop")
        seen.add(entry.msgctxt)
    return catalog


def problems(notebook_path: Path, catalog: polib.POFile) -> list[Problem]:
    """Every markdown cell whose translation is missing, empty, fuzzy or stale, and obsolete entries."""
    notebook = nbformat.read(notebook_path, as_version=4)
    entries = {entry.msgctxt: entry for entry in catalog if not entry.obsolete}
    found = []
    for cell_id, english in markdown_cells(notebook):
        entry = entries.pop(cell_id, None)
        if entry is None:
            kind = "missing"
        elif entry.msgid != english:
            kind = "stale"
        elif "fuzzy" in entry.flags:
            kind = "fuzzy"
        elif not entry.msgstr.strip():
            kind = "empty"
        else:
            continue
        found.append(Problem(notebook_path.stem, cell_id, kind, english))
    found += [Problem(notebook_path.stem, cell_id, "obsolete", entry.msgid) for cell_id, entry in entries.items()]
    return found


def update_catalog(notebook_path: Path, catalog: polib.POFile) -> polib.POFile:
    """Bring ``catalog`` in line with the notebook: new cells added untranslated, changed cells marked
    fuzzy (old translation and previous English kept), cells that are gone marked obsolete."""
    notebook = nbformat.read(notebook_path, as_version=4)
    old = {entry.msgctxt: entry for entry in catalog if not entry.obsolete}
    updated = polib.POFile(wrapwidth=0)
    updated.metadata = catalog.metadata or {"Content-Type": "text/plain; charset=UTF-8"}
    for cell_id, english in markdown_cells(notebook):
        entry = old.pop(cell_id, None)
        if entry is None:
            entry = polib.POEntry(msgctxt=cell_id, msgid=english, msgstr="")
        elif entry.msgid != english:
            entry.previous_msgid = entry.msgid
            entry.msgid = english
            if "fuzzy" not in entry.flags:
                entry.flags.append("fuzzy")
        entry.comment = f"English sha256 {english_hash(english)}"
        updated.append(entry)
    for entry in old.values():
        entry.obsolete = True
        updated.append(entry)
    return updated


def build_edition(notebook_path: Path, catalog: polib.POFile, lang: str,
                  translate_output: Callable[[str, str], str] | None = None):
    """The translated notebook: the English one with each markdown cell's text replaced.

    Code cells, their tags and their stored outputs are copied unchanged (the same code gives the
    same outputs, so the prose's numbers stay true); ``translate_output(text, lang)``, if given,
    may rewrite the text of stream outputs (the exercise checks' messages, say).
    """
    check_language(lang)
    found = problems(notebook_path, catalog)
    blocking = [p for p in found if p.kind != "obsolete"]
    if blocking:
        raise TranslationError(f"{len(blocking)} cell(s) of {notebook_path.name} lack an up-to-date {lang} "
                               "translation:\n  " + "\n  ".join(str(p) for p in blocking))
    translations = {entry.msgctxt: entry.msgstr for entry in catalog if not entry.obsolete}
    edition = copy.deepcopy(nbformat.read(notebook_path, as_version=4))
    for cell in edition.cells:
        if cell.cell_type == "markdown":
            cell.source = translations[cell.id]
        elif cell.cell_type == "code" and translate_output is not None:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    output["text"] = translate_output(output["text"], lang)
    edition.metadata["ganlib_edition"] = {"language": lang, "source": f"../{notebook_path.name}",
                                          "generated_by": "python -m ganlib translate"}
    return edition


# What a translation must carry over unchanged, and the words it must use ----------------------

GLOSSARY = ROOT / "docs" / "glossary.md"
_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?", re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _spans(pattern: re.Pattern, text: str) -> list[str]:
    return sorted(match.group(0) for match in pattern.finditer(text))


def _prose(text: str) -> str:
    """The text with code spans, math and link targets removed (what a translator rewrites)."""
    return _LINK_TARGET.sub("]", _MATH.sub(" ", _CODE.sub(" ", text)))


def _numbers(text: str) -> list[str]:
    return sorted(_NUMBER.findall(_prose(text)))


def fidelity_problems(english: str, translated: str) -> list[str]:
    """What a translated cell changed that it must keep: code spans, math, link targets, numbers and
    heading levels are copied exactly, and the prose is in Chinese (the numbers are the cells' own
    outputs, so a translation may neither drop nor add one)."""
    found = []
    for what, pattern in (("code spans", _CODE), ("math", _MATH), ("link targets", _LINK_TARGET)):
        source, target = _spans(pattern, english), _spans(pattern, translated)
        if source != target:
            missing = sorted(set(source) - set(target)) or source
            added = sorted(set(target) - set(source)) or target
            found.append(f"{what} differ: English has {missing[:3]}, translation has {added[:3]}")
    source, target = _numbers(english), _numbers(translated)
    if source != target:
        missing = [n for n in source if source.count(n) > target.count(n)]
        added = [n for n in target if target.count(n) > source.count(n)]
        found.append(f"numbers differ: missing {sorted(set(missing))}, added {sorted(set(added))}")
    headings = [line.split(" ")[0] for line in english.splitlines() if re.match(r"#+ ", line)]
    if headings != [line.split(" ")[0] for line in translated.splitlines() if re.match(r"#+ ", line)]:
        found.append(f"headings differ: English has levels {headings}")
    if len(re.findall(r"[A-Za-z]{3,}", _prose(english))) >= 3 and not _CJK.search(_prose(translated)):
        found.append("the translation has no Chinese prose")
    return found


@dataclass(frozen=True)
class Term:
    english: str
    chinese: str
    avoid: tuple[str, ...]

    def used_in(self, english_text: str) -> bool:
        words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", self.english))
        return re.search(rf"\b{words}(?:s|es)?\b", _prose(english_text), re.I) is not None


def glossary(path: Path = GLOSSARY) -> list[Term]:
    """The rows of docs/glossary.md's table: English | 中文 | avoid · 不用 (comma-separated)."""
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("English", "") or set(cells[0]) <= {"-"}:
            continue
        terms.append(Term(cells[0], cells[1], tuple(v.strip() for v in cells[2].split(",") if v.strip())))
    return terms


def glossary_problems(english: str, translated: str, terms: list[Term]) -> list[str]:
    """A cell's translation must use the glossary's term for every idea the cell's English names, and
    none of the variants the glossary rules out. Checked cell by cell: a term used elsewhere in the
    notebook does not excuse a cell that says the idea another way."""
    found = []
    for term in terms:
        if term.used_in(english) and term.chinese not in translated:
            found.append(f"the English says {term.english!r}; the translation does not say {term.chinese!r}")
        # A variant inside the right term (值函数 in 价值函数) is not a use of the variant.
        without_term = translated.replace(term.chinese, "\0")
        for variant in term.avoid:
            if variant in without_term:
                found.append(f"the translation says {variant!r}; the glossary's term is {term.chinese!r}")
    return found


def review(notebook_path: Path, catalog: polib.POFile, terms: list[Term] | None = None) -> list[str]:
    """Fidelity and glossary problems of every translated cell, one line each."""
    notebook = nbformat.read(notebook_path, as_version=4)
    entries = {entry.msgctxt: entry for entry in catalog if not entry.obsolete and entry.msgstr.strip()}
    terms = glossary() if terms is None else terms
    found = []
    for cell_id, english in markdown_cells(notebook):
        entry = entries.get(cell_id)
        if entry is None or entry.msgid != english:
            continue
        found += [f"{notebook_path.stem}: cell {cell_id}: {p}"
                  for p in fidelity_problems(english, entry.msgstr) + glossary_problems(english, entry.msgstr, terms)]
    return found


def same_code(english, edition) -> list[str]:
    """Where two notebooks' code differs (cell count, order, source or tags); empty when they agree."""
    def code(notebook):
        return [(cell.source, sorted(cell.metadata.get("tags", []))) for cell in notebook.cells
                if cell.cell_type == "code"]
    a, b = code(english), code(edition)
    if len(a) != len(b):
        return [f"{len(a)} code cells in English, {len(b)} in the edition"]
    return [f"code cell {i + 1} differs" for i, (x, y) in enumerate(zip(a, b)) if x != y]


def translate_course(lang: str, update: bool = False, check_only: bool = False, root: Path | None = None,
                     translate_output: Callable[[str, str], str] | None = None, echo=print) -> int:
    """``python -m ganlib translate``: update the catalogs, report problems, or write the edition.

    Returns 0 when every notebook's edition is (or could be) written, 1 otherwise.
    """
    check_language(lang)
    root = root or ROOT
    notebooks = english_notebooks(root)
    if not notebooks:
        # Otherwise an empty loop would read as "everything up to date".
        echo(f"error: no English notebooks (NN_*.ipynb) were found in {root / 'notebooks'}; "
             "nothing to translate or check")
        return 1
    status = 0
    for notebook in notebooks:
        path = catalog_path(notebook, lang, root)
        catalog = load_catalog(path)
        if update:
            catalog = update_catalog(notebook, catalog)
            # Atomic: a Ctrl-C while saving must not truncate a translator's work.
            with atomic_path(path) as partial:
                catalog.save(str(partial))
        found = problems(notebook, catalog)
        blocking = [p for p in found if p.kind != "obsolete"]
        for problem in found:
            echo(f"  {problem}")
        if blocking:
            status = 1
            echo(f"{notebook.stem}: {len(blocking)} of {len(markdown_cells(nbformat.read(notebook, as_version=4)))} "
                 f"markdown cells need a {lang} translation ({path.relative_to(root)})")
            continue
        if check_only or update:
            echo(f"{notebook.stem}: up to date")
            continue
        target = edition_path(notebook, lang)
        text = nbformat.writes(build_edition(notebook, catalog, lang, translate_output))
        text += "" if text.endswith("\n") else "\n"   # as nbformat.write ends a file
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            # Rewriting an identical file would only touch its time stamp (and make's, and an editor's).
            echo(f"{notebook.stem}: {target.relative_to(root)} unchanged")
            continue
        with atomic_path(target) as partial:
            partial.write_text(text, encoding="utf-8")
        echo(f"{notebook.stem}: wrote {target.relative_to(root)}")
    return status
