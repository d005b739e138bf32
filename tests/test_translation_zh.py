"""The Chinese edition, notebooks/zh/: complete, in step with the English notebooks, same code, faithful.

How an English edit flows into the Chinese notebooks (each test below names the step it guards):
1. an English markdown cell changes -> its entry in translations/zh/NN.po is stale, the first test fails;
   `python -m ganlib translate --lang zh --update` marks it fuzzy (keeping the old Chinese and the old
   English beside the new), a translator revises it and drops the flag;
2. `make zh` writes notebooks/zh/ again; until then the second test fails (it also fails after an
   English re-render, whose new outputs the Chinese notebook must carry);
3. the translation keeps the English cell's numbers, code, math and links, and uses the glossary.
"""

import nbformat
import pytest

from ganlib import i18n, translation

ENGLISH = translation.english_notebooks()


def catalog_of(notebook):
    return translation.load_catalog(translation.catalog_path(notebook, "zh"))


@pytest.mark.parametrize("notebook", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_every_markdown_cell_has_an_up_to_date_translation(notebook):
    problems = translation.problems(notebook, catalog_of(notebook))
    assert not problems, ("\n".join(map(str, problems)) + "\nRun `python -m ganlib translate --lang zh --update`, "
                          "revise the entries in " + str(translation.catalog_path(notebook, "zh")) + ", then `make zh`.")


@pytest.mark.parametrize("notebook", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_the_committed_chinese_notebook_is_what_the_translation_builds(notebook):
    built = translation.build_edition(notebook, catalog_of(notebook), "zh", i18n.translate_output)
    committed = nbformat.read(translation.edition_path(notebook, "zh"), as_version=4)
    def cells(edition):
        return [(cell.cell_type, cell.source, cell.get("outputs")) for cell in edition.cells]
    assert cells(committed) == cells(built), f"notebooks/zh/{notebook.name} is out of date: run `make zh`"


@pytest.mark.parametrize("notebook", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_the_chinese_notebook_runs_the_english_code(notebook):
    english = nbformat.read(notebook, as_version=4)
    chinese = nbformat.read(translation.edition_path(notebook, "zh"), as_version=4)
    assert translation.same_code(english, chinese) == []


@pytest.mark.parametrize("notebook", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_the_translation_keeps_numbers_code_and_math_and_uses_the_glossary(notebook):
    problems = translation.review(notebook, catalog_of(notebook))
    assert not problems, "\n".join(problems)


def test_every_english_notebook_has_a_chinese_twin_and_no_other_is_there():
    chinese = sorted(p.name for p in (translation.ROOT / "notebooks" / "zh").glob("*.ipynb"))
    assert chinese == [p.name for p in ENGLISH]


def test_a_changed_english_sentence_fails_the_staleness_check(tmp_path):
    """The first test above on a copy of a real notebook, one English sentence changed."""
    notebook = nbformat.read(ENGLISH[0], as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "markdown")
    cell.source = cell.source.replace(".", ", changed.", 1)
    copy = tmp_path / ENGLISH[0].name
    nbformat.write(notebook, copy)
    assert [(p.cell_id, p.kind) for p in translation.problems(copy, catalog_of(ENGLISH[0]))] == [(cell.id, "stale")]
