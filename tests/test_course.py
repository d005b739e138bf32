"""Profiles and parameter validation: every bad value stops with an error naming it."""

import pytest

from ganlib import course
from ganlib.course import ParameterError

NOTEBOOK = "00_setup_and_data"


def params(**overrides):
    values = {"profile": "default", "data_source": "bundled", "seed": 0, "images_per_class": None,
              "artifacts_dir": None}
    values.update(overrides)
    return values


@pytest.fixture(autouse=True)
def no_profile_override(monkeypatch):
    monkeypatch.delenv(course.PROFILE_ENV, raising=False)


def test_none_knobs_take_the_profiles_values():
    config = course.configure(NOTEBOOK, params())
    assert config.profile == "default"
    assert config.images_per_class == course.NOTEBOOKS[NOTEBOOK].profiles["default"]["images_per_class"]
    assert config.artifacts_dir.endswith("artifacts/00_setup_and_data")


def test_explicit_values_win_over_the_profile():
    config = course.configure(NOTEBOOK, params(images_per_class=7, artifacts_dir="/tmp/x"))
    assert config.images_per_class == 7 and config.artifacts_dir == "/tmp/x"


def test_environment_variable_overrides_the_profile(monkeypatch):
    monkeypatch.setenv(course.PROFILE_ENV, "smoke")
    assert course.configure(NOTEBOOK, params(profile="full")).profile == "smoke"


@pytest.mark.parametrize("overrides, message", [
    ({"profile": "fast"}, "parameter 'profile' is 'fast'; allowed: one of 'smoke', 'default', 'full'"),
    ({"seed": -1}, "parameter 'seed' is -1; allowed: an integer from 0"),
    ({"seed": 1.5}, "parameter 'seed' is 1.5"),
    ({"images_per_class": True}, "parameter 'images_per_class' is True; allowed: an integer"),
    ({"data_source": "internet"}, "parameter 'data_source' is 'internet'; allowed: one of 'bundled'"),
    ({"artifacts_dir": ""}, "parameter 'artifacts_dir' is ''"),
])
def test_bad_values_name_the_parameter_and_what_is_allowed(overrides, message):
    with pytest.raises(ParameterError) as error:
        course.configure(NOTEBOOK, params(**overrides))
    assert message in str(error.value)


def test_a_typo_in_a_parameter_name_is_caught_with_a_suggestion():
    with pytest.raises(ParameterError, match="unknown parameter 'sed' .*did you mean 'seed'"):
        course.configure(NOTEBOOK, params(sed=3))


def test_modules_functions_and_private_names_are_not_parameters():
    import os
    namespace = params(os=os, configure=course.configure, _private=3, In=[], Out={})
    assert course.configure(NOTEBOOK, namespace).seed == 0


def test_a_previous_config_is_not_mistaken_for_a_parameter():
    namespace = params()
    namespace["config"] = course.configure(NOTEBOOK, namespace)
    assert course.configure(NOTEBOOK, namespace).seed == 0


def test_bad_environment_profile_is_named(monkeypatch):
    monkeypatch.setenv(course.PROFILE_ENV, "quick")
    with pytest.raises(ParameterError, match="GANLIB_PROFILE is 'quick'"):
        course.configure(NOTEBOOK, params())


def test_unknown_notebook_and_unknown_injected_name():
    with pytest.raises(ParameterError, match="unknown notebook '99_nothing'"):
        course.check_names("99_nothing", [])
    with pytest.raises(ParameterError, match="unknown parameter 'n_critic' for notebook 00_setup_and_data"):
        course.check_names(NOTEBOOK, ["n_critic"])


def test_every_profile_value_is_itself_allowed():
    for name, spec in course.NOTEBOOKS.items():
        assert set(spec.profiles) == set(course.PROFILE_NAMES), name
        for profile, values in spec.profiles.items():
            for parameter, value in values.items():
                assert parameter in spec.parameters, (name, parameter)
                course.check_parameter(parameter, value)
