"""The workshop preflight (`make check`) and the notebooks' version report."""

import pytest

from ganlib import judge, preflight


@pytest.mark.parametrize("version, supported", [((3, 9, 18), False), ((3, 10, 0), True), ((3, 11, 7), True),
                                                ((3, 12, 1), True), ((3, 13, 0), True), ((3, 14, 0), False)])
def test_python_range_is_310_to_313(version, supported):
    assert preflight.python_supported(version) is supported


def test_a_ready_machine_says_ready_once_at_the_end(capsys):
    lines = []
    assert preflight.run_checks(echo=lines.append) is True
    assert lines[-1].startswith("READY")
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * len(preflight.CHECKS)
    assert any("steps of the MLP GAN" in line for line in lines)
    assert any(line.split()[1] == "speed" and "GFLOP/s" in line for line in lines)


def test_the_speed_probe_measures_something():
    assert preflight.speed_probe(seconds=0.2, size=256) > 0


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
