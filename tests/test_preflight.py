"""The workshop preflight (`make check`) and the notebooks' version report."""

import functools
import json
import re
from pathlib import Path

import pytest

from ganlib import judge, preflight


@pytest.mark.parametrize("version, supported", [((3, 9, 18), False), ((3, 10, 0), True), ((3, 11, 7), True),
                                                ((3, 12, 1), True), ((3, 13, 0), True), ((3, 14, 0), False)])
def test_python_range_is_310_to_313(version, supported):
    assert preflight.python_supported(version) is supported


def test_a_ready_machine_says_ready_once_at_the_end(monkeypatch):
    import keras

    fitted = []   # the DCGAN trial's calls of fit: their steps
    real_fit = keras.Model.fit
    monkeypatch.setattr(keras.Model, "fit", lambda self, *args, **kwargs: fitted.append(kwargs["steps_per_epoch"])
                        or real_fit(self, *args, **kwargs))
    # One short timed round rather than three of 50 steps: what is tested is that it trains and reports.
    monkeypatch.setattr(preflight, "dcgan_trial", functools.partial(preflight.dcgan_trial, steps=20, rounds=1))
    lines = []
    assert preflight.run_checks(echo=lines.append) is True
    assert lines[-1].startswith("READY")
    names = [line[5:21].strip() for line in lines[:-1]]
    assert names == ["versions", "notebook tools", "bundled digits", "digit judge", "shipped models", "training",
                     "speed", "GPU"]
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * len(names)
    assert re.search(r"10 steps of the DCGAN recipe in [\d.]+ s \(compiling included\), losses finite", lines[5])
    assert "DCGAN recipe trains" in lines[6]
    assert fitted == [10, 20]   # one call compiles, then the timed round


@pytest.mark.parametrize("losses", [{"d_loss": float("nan"), "g_loss": 1.0}, {}])
def test_losses_not_finite_or_missing_fail_the_training_check_and_the_speed_is_still_said(monkeypatch, losses):
    monkeypatch.setattr(preflight, "dcgan_trial", lambda: preflight.DCGANTrial(10, 9.0, losses, 20.0))
    lines = []
    assert preflight.run_checks(checks=(preflight._training_and_speed,), echo=lines.append) is False
    assert lines[0].startswith("FAIL training") and f"losses not finite: {losses}" in lines[0]
    assert lines[1].startswith("ok   speed") and "20.0 steps/s" in lines[1]
    assert lines[-1].startswith("NOT READY: 1 check(s) failed (training)")


def test_the_speed_probe_measures_something():
    assert preflight.speed_probe(seconds=0.2, size=256) > 0


def test_the_speed_line_scales_only_the_runs_of_fixed_steps():
    at_reference = preflight.speed_report(preflight.REFERENCE_DCGAN_STEPS_PER_SECOND)
    assert f"about {preflight.REFERENCE_COURSE_MINUTES:.0f} minutes (" in at_reference and "1.0 times" in at_reference
    budgeted = preflight.budgeted_training_seconds() / 60
    at_half = preflight.speed_report(preflight.REFERENCE_DCGAN_STEPS_PER_SECOND / 2)
    assert "2.0 times as long" in at_half and "with fewer steps here" in at_half
    assert f"about {2 * preflight.REFERENCE_COURSE_MINUTES - budgeted:.0f} minutes (" in at_half
    at_double = preflight.speed_report(preflight.REFERENCE_DCGAN_STEPS_PER_SECOND * 2)
    assert "0.5 times as long" in at_double and "with more steps here" in at_double
    assert f"about {(preflight.REFERENCE_COURSE_MINUTES + budgeted) / 2:.0f} minutes (a rough lower bound" in at_double


def test_the_budgeted_seconds_count_the_runs_the_committed_notebooks_made():
    """03 and 04 print one line per setting of their comparison, 06 its runs and their budget."""
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"

    def printed(name, cell_id):
        cell = next(c for c in json.loads((notebooks / name).read_text())["cells"] if c.get("id") == cell_id)
        return "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")

    from ganlib import course

    seconds = 0
    for name, cell_id in (("03_dcgan", "20cf0127"), ("04_wgan_gp", "f0b2417d")):
        default = course.NOTEBOOKS[name].profiles["default"]
        settings = re.findall(r"seeds 1-3: (?:generator )?steps", printed(f"{name}.ipynb", cell_id))
        assert settings, f"{name}'s comparison printed no settings"
        seconds += len(settings) * default["comparison_seeds"] * default["comparison_seconds"]
    runs, budget = re.search(r"this profile: (\d+) runs of (\d+) s", printed("06_leaderboard.ipynb", "a96ccf5f")).groups()
    seconds += int(runs) * int(budget)
    assert preflight.budgeted_training_seconds() == seconds


def test_the_reference_speed_is_the_recorded_one():
    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    levers = json.loads((results / "levers-cpu2.json").read_text())["throughput"]["dcgan_recipe_b64"]
    assert preflight.REFERENCE_DCGAN_STEPS_PER_SECOND == round(levers["steps_per_second"], 1)
    times = json.loads((results / "notebook-times-default.json").read_text())["notebooks"]
    assert preflight.REFERENCE_COURSE_MINUTES == round(sum(entry["seconds"] for entry in times.values()) / 60, 1)


def test_a_damaged_shipped_generator_makes_the_machine_not_ready(tmp_path, monkeypatch):
    from ganlib import pretrained

    sums = tmp_path / "SHA256SUMS"
    sums.write_text(pretrained.CHECKSUM_PATH.read_text().replace(
        pretrained.sha256_of(pretrained.generator_path("dcgan")), "0" * 64))
    monkeypatch.setattr(pretrained, "CHECKSUM_PATH", sums)
    lines = []
    ready = preflight.run_checks(checks=(preflight._shipped_models,), echo=lines.append)
    assert ready is False
    assert lines[0].startswith("FAIL") and "dcgan.generator.npz fails its checksum" in lines[0], lines
    assert lines[-1].startswith("NOT READY: 1 check(s) failed (shipped models)")


def test_a_damaged_judge_makes_the_machine_not_ready(tmp_path, monkeypatch):
    damaged = tmp_path / "judge.sha256"
    damaged.write_text("0" * 64 + "  judge.keras\n")
    monkeypatch.setattr(judge, "CHECKSUM_PATH", damaged)
    judge.load_judge.cache_clear()
    lines = []
    try:
        ready = preflight.run_checks(checks=(preflight._versions, preflight._judge), echo=lines.append)
    finally:
        judge.load_judge.cache_clear()
    assert ready is False
    assert lines[1].startswith("FAIL") and "fails its checksum" in lines[1]
    assert lines[-1].startswith("NOT READY: 1 check(s) failed (judge)")


def test_the_notebooks_version_report_names_a_wrong_python(monkeypatch, capsys):
    monkeypatch.setattr(preflight, "python_supported", lambda version_info=None: False)
    preflight.check_environment()
    said = capsys.readouterr().out
    assert "MISMATCH: the course needs 3.10 to 3.13" in said
    assert "Reinstall with `make clean-venv check`" in said
