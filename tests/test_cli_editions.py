"""The command line's language options: which edition `course` runs, and `translate`."""

from ganlib import cli


def test_the_chinese_edition_is_never_rendered_in_place(capsys):
    assert cli.main(["course", "--lang", "zh", "--in-place"]) == 2
    assert "generated, outputs included, from the English notebooks" in capsys.readouterr().err


def test_translate_check_lists_what_lacks_a_translation(tmp_path, monkeypatch, capsys):
    import nbformat

    from ganlib import translation

    (tmp_path / "notebooks").mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · A title")]),
                   tmp_path / "notebooks" / "01_demo.ipynb")
    monkeypatch.setattr(translation, "ROOT", tmp_path)
    assert cli.main(["translate", "--lang", "zh", "--check"]) == 1
    assert "01_demo: 1 of 1 markdown cells need a zh translation" in capsys.readouterr().out
