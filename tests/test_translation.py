"""Generated editions: translations keyed by cell, code copied, staleness caught."""

import nbformat
import polib
import pytest

from ganlib import translation


def english_notebook(path, prose=("# 01 · Title\n\nIntro.", "## A section\n\nA sentence with $x^2$.")):
    cells = [nbformat.v4.new_markdown_cell(prose[0]),
             nbformat.v4.new_code_cell("profile = 'default'", metadata={"tags": ["parameters"]}),
             nbformat.v4.new_markdown_cell(prose[1]),
             nbformat.v4.new_code_cell("print(1 + 1)")]
    cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    cells[3].execution_count = 1
    notebook = nbformat.v4.new_notebook(cells=cells)
    nbformat.write(notebook, path)
    return notebook


def translated(path, texts):
    catalog = translation.update_catalog(path, polib.POFile())
    for entry, text in zip(catalog, texts):
        entry.msgstr = text
    return catalog


@pytest.fixture
def english(tmp_path):
    path = tmp_path / "01_demo.ipynb"
    english_notebook(path)
    return path


def test_an_edition_has_translated_prose_and_the_english_code_and_outputs(english):
    catalog = translated(english, ["# 01 · 标题\n\n简介。", "## 一节\n\n含 $x^2$ 的一句话。"])
    assert translation.problems(english, catalog) == []
    edition = translation.build_edition(english, catalog, "zh")
    source = nbformat.read(english, as_version=4)
    assert [c.source for c in edition.cells if c.cell_type == "markdown"] == ["# 01 · 标题\n\n简介。",
                                                                               "## 一节\n\n含 $x^2$ 的一句话。"]
    assert translation.same_code(source, edition) == []
    assert edition.cells[3].outputs == source.cells[3].outputs
    assert edition.cells[1].metadata["tags"] == ["parameters"]


def test_a_changed_english_sentence_makes_its_translation_stale(english, tmp_path):
    catalog = translated(english, ["# 01 · 标题", "## 一节"])
    notebook = nbformat.read(english, as_version=4)
    notebook.cells[2].source = notebook.cells[2].source.replace("A sentence", "A changed sentence")
    nbformat.write(notebook, english)
    found = translation.problems(english, catalog)
    assert [(p.cell_id, p.kind) for p in found] == [(notebook.cells[2].id, "stale")]
    with pytest.raises(translation.TranslationError, match="(?s)1 cell.*was translated from other English"):
        translation.build_edition(english, catalog, "zh")
    # --update keeps the old translation, marks it fuzzy and records the previous English.
    updated = translation.update_catalog(english, catalog)
    entry = updated.find(notebook.cells[2].id, by="msgctxt")
    assert "fuzzy" in entry.flags and entry.msgstr == "## 一节"
    assert entry.previous_msgid.startswith("## A section\n\nA sentence") and "changed" in entry.msgid
    assert [p.kind for p in translation.problems(english, updated)] == ["fuzzy"]
    entry.flags.remove("fuzzy")
    assert translation.problems(english, updated) == []


def test_missing_and_empty_translations_are_named(english):
    catalog = translated(english, ["# 01 · 标题", ""])
    catalog.remove(catalog[0])
    kinds = [p.kind for p in translation.problems(english, catalog)]
    assert kinds == ["missing", "empty"]


def test_a_removed_cell_leaves_an_obsolete_entry_that_does_not_block(english):
    catalog = translated(english, ["# 01 · 标题", "## 一节"])
    notebook = nbformat.read(english, as_version=4)
    gone = notebook.cells.pop(2)
    nbformat.write(notebook, english)
    assert [(p.cell_id, p.kind) for p in translation.problems(english, catalog)] == [(gone.id, "obsolete")]
    translation.build_edition(english, catalog, "zh")
    assert translation.problems(english, translation.update_catalog(english, catalog)) == []


def test_same_code_notices_a_forked_code_cell(english):
    source = nbformat.read(english, as_version=4)
    forked = nbformat.read(english, as_version=4)
    forked.cells[3].source = "print('一加一', 1 + 1)"
    assert translation.same_code(source, forked) == ["code cell 2 differs"]


def test_the_course_command_writes_editions_and_reports_gaps(tmp_path):
    (tmp_path / "notebooks").mkdir()
    english_notebook(tmp_path / "notebooks" / "01_demo.ipynb")
    said = []
    assert translation.translate_course("zh", update=True, root=tmp_path, echo=said.append) == 1
    assert any("2 of 2 markdown cells need a zh translation" in line for line in said)
    path = tmp_path / "translations" / "zh" / "01_demo.po"
    catalog = polib.pofile(str(path))
    for entry, text in zip(catalog, ["# 01 · 标题", "## 一节"]):
        entry.msgstr = text
    catalog.save(str(path))
    assert translation.translate_course("zh", root=tmp_path, echo=said.append) == 0
    edition = nbformat.read(tmp_path / "notebooks" / "zh" / "01_demo.ipynb", as_version=4)
    assert edition.cells[0].source == "# 01 · 标题"
    with pytest.raises(translation.TranslationError, match="allowed: 'zh'"):
        translation.translate_course("fr", root=tmp_path)
