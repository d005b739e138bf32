"""The language of the exercise checks' messages: from the folder a notebook runs in, or GANLIB_LANG."""

import pytest

from ganlib import i18n


def test_the_language_follows_the_notebooks_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"
    monkeypatch.chdir(tmp_path / "zh")
    assert i18n.language() == "zh"
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "en")
    assert i18n.language() == "en"


def test_a_bad_language_is_named(monkeypatch):
    monkeypatch.setenv(i18n.LANGUAGE_ENV, "fr")
    with pytest.raises(ValueError, match="GANLIB_LANG is 'fr'; allowed: 'en', 'zh'"):
        i18n.language()


def test_every_message_has_every_language_with_the_same_fields():
    import string
    for key, texts in i18n.MESSAGES.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        fields = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in texts.items()}
        assert fields["zh"] == fields["en"], key


def test_stored_english_messages_are_translated_and_other_text_is_kept():
    english = (i18n.message("not_attempted", "en", name="jsd_slope") + "\n"
               + "some other output\n"
               + i18n.message("correct", "en", name="lerp", count=4) + "\n")
    chinese = i18n.translate_output(english, "zh")
    assert chinese == (i18n.message("not_attempted", "zh", name="jsd_slope") + "\n" + "some other output\n"
                       + i18n.message("correct", "zh", name="lerp", count=4) + "\n")
    assert i18n.translate_output(english, "en") == english
