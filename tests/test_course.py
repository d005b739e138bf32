"""Profiles and parameter validation: every bad value stops with an error naming it."""

from pathlib import Path

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
    # `make test` sets both for the notebooks it runs; these tests are about the defaults without them.
    monkeypatch.delenv(course.PROFILE_ENV, raising=False)
    monkeypatch.delenv(course.ARTIFACTS_ENV, raising=False)


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


# In a notebook, configure sees IPython's input history `In`: the cells as they ran, in order.
PARAMETERS_CELL = ('profile = "default"\ndata_source = "bundled"\nseed = 0\nimages_per_class = None\n'
                   'artifacts_dir = None\n')
CONFIGURE_CELL = 'config = course.configure("00_setup_and_data", globals())\nconfig\n'


def notebook_namespace(*later_cells, injected=None, **values):
    """globals() of notebook 00 after its parameters cell, papermill's injected cell (if any), later cells."""
    history = ["", "from ganlib import course", PARAMETERS_CELL]
    namespace = params()
    if injected is not None:
        history.append("# Parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in injected.items()))
        namespace.update(injected)
    history += [CONFIGURE_CELL, *later_cells, CONFIGURE_CELL]
    namespace.update(values, In=history, Out={})
    return namespace


@pytest.mark.parametrize("environment, injected, said", [
    (None, None, "Profile 'default', from the parameters cell."),
    (None, {"profile": "smoke"}, "Profile 'smoke', from papermill's injected parameters."),
    (None, {"seed": 3}, "Profile 'default', from the parameters cell."),
    ("smoke", None, "Profile 'smoke', from GANLIB_PROFILE, which overrides 'default' from the parameters cell."),
    ("full", {"profile": "smoke"},
     "Profile 'full', from GANLIB_PROFILE, which overrides 'smoke' from papermill's injected parameters."),
    ("smoke", {"profile": "smoke"},
     "Profile 'smoke', from GANLIB_PROFILE (and papermill's injected parameters, which say the same)."),
])
def test_the_profile_in_force_is_printed_with_where_it_came_from(monkeypatch, capsys, environment, injected, said):
    if environment:
        monkeypatch.setenv(course.PROFILE_ENV, environment)
    config = course.configure(NOTEBOOK, notebook_namespace(injected=injected))
    assert capsys.readouterr().out.strip() == said
    assert said == f"Profile {config.profile!r}, from {config.profile_source}."


def test_without_a_notebook_history_the_words_say_so(capsys):
    course.configure(NOTEBOOK, params())
    assert capsys.readouterr().out.strip() == "Profile 'default', from the notebook's parameters."


def test_rerunning_configure_after_later_cells_defined_their_own_names_works():
    # Notebook 03 sets `snapshots = 20` after configure; rerunning the configure cell used to stop with
    # "unknown parameter 'snapshots'".
    namespace = notebook_namespace("snapshots = 20\njudge_every = max(1, snapshots // 10)",
                                   snapshots=20, judge_every=2)
    assert course.configure(NOTEBOOK, namespace, echo=None).seed == 0


def test_a_typo_papermill_injected_is_still_caught_on_a_rerun():
    namespace = notebook_namespace("snapshots = 20", injected={"image_per_class": 3}, snapshots=20)
    with pytest.raises(ParameterError, match="unknown parameter 'image_per_class' .*did you mean 'images_per_class'"):
        course.configure(NOTEBOOK, namespace, echo=None)


def test_a_typo_in_an_edited_parameters_cell_is_caught():
    namespace = notebook_namespace(sed=3)
    namespace["In"][2] = PARAMETERS_CELL + "sed = 3\n"
    with pytest.raises(ParameterError, match="unknown parameter 'sed' .*did you mean 'seed'.*parameters cell"):
        course.configure(NOTEBOOK, namespace, echo=None)


def test_only_the_last_run_of_the_parameters_cell_counts():
    # A reader typed `sed = 3`, saw the error, fixed the cell and ran it again: `sed` still lingers in
    # globals(), but the parameters cell no longer assigns it.
    namespace = notebook_namespace(sed=3)
    namespace["In"][2:2] = [PARAMETERS_CELL + "sed = 3\n", CONFIGURE_CELL]
    assert course.configure(NOTEBOOK, namespace, echo=None).seed == 0


@pytest.mark.slow
def test_papermill_says_when_the_environment_overrides_its_profile(tmp_path, monkeypatch):
    # Cheap case: papermill asks for `full`, GANLIB_PROFILE=smoke wins, so notebook 00 runs at smoke.
    import papermill

    monkeypatch.setenv(course.PROFILE_ENV, "smoke")
    notebooks = course.project_root() / "notebooks"
    executed = papermill.execute_notebook(
        str(notebooks / "00_setup_and_data.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False,
        parameters={"profile": "full", "artifacts_dir": str(tmp_path / "artifacts")}, cwd=str(notebooks))
    said = [output.get("text", "") for cell in executed.cells if "course.configure(" in cell.source
            for output in cell.get("outputs", [])]
    expected = "Profile 'smoke', from GANLIB_PROFILE, which overrides 'full' from papermill's injected parameters."
    assert expected in "".join(said)
    from ganlib import records

    record = records.load(tmp_path / "artifacts")
    assert record.profile == "smoke" and record.profile_source == expected[len("Profile 'smoke', from "):-1]


def test_the_artifacts_folder_can_be_moved_with_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(course.ARTIFACTS_ENV, raising=False)
    assert (Path.cwd() / course.default_artifacts_dir("03_dcgan")).resolve() == \
        course.project_root() / "artifacts" / "03_dcgan"
    monkeypatch.setenv(course.ARTIFACTS_ENV, str(tmp_path / "elsewhere"))
    assert (Path.cwd() / course.default_artifacts_dir("03_dcgan")).resolve() == tmp_path / "elsewhere" / "03_dcgan"


def test_a_relative_artifacts_variable_means_one_folder_from_the_top_and_from_notebooks(monkeypatch):
    # The course command runs in the top folder and the kernels in notebooks/: both must find the same folder.
    monkeypatch.setenv(course.ARTIFACTS_ENV, "build/my-artifacts")
    seen = []
    for where in (course.project_root(), course.project_root() / "notebooks"):
        monkeypatch.chdir(where)
        seen.append((where / course.default_artifacts_dir("03_dcgan")).resolve())
    assert seen == [course.project_root() / "build" / "my-artifacts" / "03_dcgan"] * 2


@pytest.mark.parametrize("value", [float("inf"), 0, -5, True])
def test_a_time_budget_must_be_a_finite_number_of_seconds(value):
    # inf used to pass, and notebook 06 then trained each run towards ten million steps.
    with pytest.raises(ParameterError, match=r"'time_budget' is .*; allowed: a finite number of seconds greater "
                                             r"than 0, or None \(02, 03, 04, 07: no limit; 06: its profile's budget\)"):
        course.check_parameter("time_budget", value)
    course.check_parameter("time_budget", None)
    course.check_parameter("time_budget", 12.5)


def notebook_parameters(notebook, **overrides):
    """``notebook``'s parameters as its parameters cell gives them (None: the profile's value), then ``overrides``."""
    values = {name: None for name in course.NOTEBOOKS[notebook].parameters}
    values.update(profile="default", seed=0, data_source="bundled", pretrained=False)
    values = {name: value for name, value in values.items() if name in course.NOTEBOOKS[notebook].parameters}
    return {**values, **overrides}


@pytest.mark.parametrize("notebook, overrides, message", [
    ("04_wgan_gp", {"n_critic": 3, "penalty_every": 2},
     r"'penalty_every' is 2; allowed: an integer that divides n_critic \(3\)"),
    ("08_applications", {"generator_path": "nowhere/generator.keras"},
     r"'generator_path' is 'nowhere/generator.keras', which is not a file"),
    ("03_dcgan", {"artifacts_dir": "{a file}"}, r"'artifacts_dir' is .*, which is a file; allowed: a folder"),
    ("03_dcgan", {"batch_size": 4096},
     r"'batch_size' is 4096: one step needs 4,096 training digits and the bundled set has 4,000; allowed: at most 4,000"),
    ("04_wgan_gp", {"batch_size": 2500},
     r"'batch_size' is 2500 \(x 2 critic steps\): one step needs 5,000 .* allowed: at most 2,000"),
])
def test_values_allowed_alone_but_not_together_stop_the_notebook_at_once(tmp_path, notebook, overrides, message):
    # Each used to pass configure and fail a training or loading cell minutes later.
    a_file = tmp_path / "metrics.json"
    a_file.write_text("{}")
    overrides = {name: str(a_file) if value == "{a file}" else value for name, value in overrides.items()}
    with pytest.raises(ParameterError, match=message):
        course.configure(notebook, notebook_parameters(notebook, **overrides), echo=None)


def test_the_largest_batch_the_bundled_digits_hold_is_allowed():
    values = course.configure("04_wgan_gp", notebook_parameters("04_wgan_gp", batch_size=2000), echo=None)
    assert values["batch_size"] == 2000
    # 05 trains on min(batch_size, its images): any batch the rule allows fits there.
    assert course.configure("05_failure_modes", notebook_parameters("05_failure_modes", batch_size=4096),
                            echo=None)["batch_size"] == 4096


def test_numpy_numbers_are_taken_as_the_python_numbers_they_stand_for():
    # `steps = counts[2]` gives an np.int64, which used to be refused as "not an integer".
    import numpy as np

    values = course.configure("03_dcgan", notebook_parameters("03_dcgan", steps=np.int64(50),
                                                              learning_rate=np.float32(1e-3)), echo=None)
    assert values["steps"] == 50 and type(values["steps"]) is int and type(values["learning_rate"]) is float
    with pytest.raises(ParameterError, match="'steps' is 0"):
        course.configure("03_dcgan", notebook_parameters("03_dcgan", steps=np.int64(0)), echo=None)
