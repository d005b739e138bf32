"""Generated editions: translations keyed by cell, code copied, staleness caught."""

import os
import pathlib

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


def translated_course(root):
    """A course of one English notebook in ``root`` whose .po file translates both its markdown cells:
    (the .po file's path, its catalog)."""
    (root / "notebooks").mkdir(exist_ok=True)
    english_notebook(root / "notebooks" / "01_demo.ipynb")
    translation.translate_course("zh", update=True, root=root, echo=lambda line: None)
    path = root / "translations" / "zh" / "01_demo.po"
    catalog = polib.pofile(str(path))
    for entry, text in zip(catalog, ["# 01 · 标题", "## 一节"]):
        entry.msgstr = text
    catalog.save(str(path))
    return path, catalog


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


def test_a_translation_must_keep_numbers_code_math_links_and_headings():
    english = "## 3. Results\n\nThe rate `lr` of 2e-4 gives $D(x)$ = 0.78 over 1,000 steps ([docs](https://x.org))."
    faithful = "## 3. 结果\n\n学习率 `lr` 取 2e-4 时，1,000 步内 $D(x)$ = 0.78（[文档](https://x.org)）。"
    assert translation.fidelity_problems(english, faithful) == []
    unfaithful = "### 3. 结果\n\n学习率 `learning_rate` 取 2e-4 时，一千步内 D(x) = 0.79（[文档](https://y.org)）。"
    found = " | ".join(translation.fidelity_problems(english, unfaithful))
    for expected in ("code spans differ", "math differ", "link targets differ", "headings differ",
                     "numbers differ: missing ['0.78', '1,000'], added ['0.79']"):
        assert expected in found
    assert translation.fidelity_problems("A sentence in English, untranslated.",
                                         "A sentence in English, untranslated.") == [
        "the translation has no Chinese prose"]


def test_the_glossary_term_is_required_and_its_variants_refused(tmp_path):
    glossary = tmp_path / "glossary.md"
    glossary.write_text("| English | 中文 | avoid · 不用 |\n|---|---|---|\n| mode collapse | 模式崩塌 | 模式坍塌, 模式崩溃 |\n"
                        "| learning rate | 学习率 | |\n", encoding="utf-8")
    terms = translation.glossary(glossary)
    assert [t.english for t in terms] == ["mode collapse", "learning rate"]
    english = "Mode-collapse appears when the learning rates differ; `learning rate` in code does not count."
    assert translation.glossary_problems(english, "学习率不同时会出现模式崩塌。", terms) == []
    assert translation.glossary_problems(english, "学习率不同时会出现模式坍塌。", terms) == [
        "the English says 'mode collapse'; the translation does not say '模式崩塌'",
        "the translation says '模式坍塌'; the glossary's term is '模式崩塌'"]
    assert translation.glossary_problems("The `learning rate` variable.", "变量。", terms) == []
    value = translation.Term("value function", "价值函数", ("值函数",))
    assert translation.glossary_problems("The value function.", "价值函数。", [value]) == []
    assert translation.glossary_problems("The value function.", "价值函数与值函数。", [value]) == [
        "the translation says '值函数'; the glossary's term is '价值函数'"]


def test_the_glossary_is_checked_cell_by_cell(tmp_path):
    """A term the notebook uses in one cell does not excuse another cell that says the idea another way."""
    path = tmp_path / "01_demo.ipynb"
    notebook = english_notebook(path, prose=("# 01 · Title\n\nThe learning rate is 2e-4.",
                                             "## A section\n\nA higher learning rate."))
    terms = [translation.Term("learning rate", "学习率", ())]
    consistent = translated(path, ["# 01 · 标题\n\n学习率为 2e-4。", "## 一节\n\n更高的学习率。"])
    assert translation.review(path, consistent, terms) == []
    one_cell_off = translated(path, ["# 01 · 标题\n\n学习率为 2e-4。", "## 一节\n\n更大的步长。"])
    assert translation.review(path, one_cell_off, terms) == [
        f"01_demo: cell {notebook.cells[2].id}: the English says 'learning rate'; the translation does not say '学习率'"]


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def test_an_interrupted_update_leaves_the_translators_po_file_as_it_was(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    english_notebook(tmp_path / "notebooks" / "01_demo.ipynb")
    translation.translate_course("zh", update=True, root=tmp_path, echo=lambda line: None)
    path = tmp_path / "translations" / "zh" / "01_demo.po"
    catalog = polib.pofile(str(path))
    catalog[0].msgstr = "# 01 · 标题"
    catalog.save(str(path))
    before = path.read_bytes()

    def interrupted(self, fpath=None, *args, **kwargs):   # half the file written, then Ctrl-C
        with open(fpath, "w", encoding="utf-8") as file:
            file.write('msgctxt "x"\nmsgid "')
        raise KeyboardInterrupt

    monkeypatch.setattr(polib.POFile, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        translation.translate_course("zh", update=True, root=tmp_path, echo=lambda line: None)
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []


def test_an_interrupted_edition_write_leaves_the_previous_edition(tmp_path, monkeypatch):
    path, catalog = translated_course(tmp_path)
    assert translation.translate_course("zh", root=tmp_path, echo=lambda line: None) == 0
    edition = tmp_path / "notebooks" / "zh" / "01_demo.ipynb"
    before = edition.read_bytes()

    catalog[0].msgstr = "# 01 · 新标题"   # a new translation, so the edition is written again
    catalog.save(str(path))

    def interrupted(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as file:
            file.write(text[:20])
        raise KeyboardInterrupt

    monkeypatch.setattr(pathlib.Path, "write_text", interrupted)
    with pytest.raises(KeyboardInterrupt):
        translation.translate_course("zh", root=tmp_path, echo=lambda line: None)
    monkeypatch.undo()
    assert edition.read_bytes() == before
    assert leftovers(edition.parent) == []


def test_an_entry_without_a_cell_id_is_reported_as_a_damaged_file(tmp_path):
    """polib reads `msgid "unterminated` leniently, as an entry with no msgctxt: that is damage, not an
    obsolete cell "None"."""
    (tmp_path / "notebooks").mkdir()
    english_notebook(tmp_path / "notebooks" / "01_demo.ipynb")
    path = tmp_path / "translations" / "zh" / "01_demo.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid "unterminated\n', encoding="utf-8")
    said = []
    with pytest.raises(translation.TranslationError, match="01_demo.po cannot be read.*no msgctxt") as error:
        translation.translate_course("zh", check_only=True, root=tmp_path, echo=said.append)
    assert "cell None" not in str(error.value) and not any("cell None" in line for line in said)
    path.write_text('msgctxt "a1"\nmsgid "x"\nmsgstr "y"\n\nmsgid "unterminated\n', encoding="utf-8")
    with pytest.raises(translation.TranslationError, match=r"01_demo.po .* at line 5 has no msgctxt"):
        translation.load_catalog(path)


def test_a_folder_without_english_notebooks_is_not_reported_as_up_to_date(tmp_path):
    said = []
    assert translation.translate_course("zh", check_only=True, root=tmp_path, echo=said.append) == 1
    assert said == [f"error: no English notebooks (NN_*.ipynb) were found in {tmp_path / 'notebooks'}; "
                    "nothing to translate or check"]


def test_an_unchanged_edition_is_not_rewritten(tmp_path):
    translated_course(tmp_path)
    said = []
    assert translation.translate_course("zh", root=tmp_path, echo=said.append) == 0
    edition = tmp_path / "notebooks" / "zh" / "01_demo.ipynb"
    assert said == ["01_demo: wrote notebooks/zh/01_demo.ipynb"]
    os.utime(edition, (0, 0))
    assert translation.translate_course("zh", root=tmp_path, echo=said.append) == 0
    assert said[-1] == "01_demo: notebooks/zh/01_demo.ipynb unchanged" and edition.stat().st_mtime == 0
    # What it writes is what nbformat.write would have written.
    assert edition.read_text(encoding="utf-8") == nbformat.writes(nbformat.read(edition, as_version=4)) + "\n"


def test_two_entries_for_one_cell_are_named(tmp_path):
    path = tmp_path / "01_demo.po"
    path.write_text('msgctxt "a1"\nmsgid "x"\nmsgstr "y"\n\nmsgctxt "a1"\nmsgid "x2"\nmsgstr "z"\n', encoding="utf-8")
    with pytest.raises(translation.TranslationError, match="a second entry for cell 'a1' at line 5; allowed: one entry per cell"):
        translation.load_catalog(path)
