"""The language of the exercise checks' messages: from the folder a notebook runs in, or GANLIB_LANG."""

import numpy as np
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


def test_the_exercise_checks_speak_the_readers_language(tmp_path, monkeypatch, capsys):
    from ganlib import exercises

    def unattempted(values):
        raise NotImplementedError

    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path / "zh")
    exercises.check_to_model_range(unattempted)
    exercises.check_to_model_range(lambda values: (values / 127.5 - 1.0).astype(np.float32))
    assert capsys.readouterr().out == ("to_model_range：尚未作答。请在上面的单元格里写出这个函数，运行它，再运行本单元格。\n"
                                       "to_model_range：全部 3 个用例正确。\n")
    with pytest.raises(exercises.ExerciseError, match="to_model_range：第 1 个用例.*应为"):
        exercises.check_to_model_range(lambda values: values / 255.0)
    with pytest.raises(exercises.ExerciseError, match="to_model_range：第 1 个用例的数值正确，但数据类型是 float64，应为 float32"):
        exercises.check_to_model_range(lambda values: values / 127.5 - 1.0)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(exercises.ExerciseError, match="to_model_range: case 1 .* expected"):
        exercises.check_to_model_range(lambda values: values / 255.0)
