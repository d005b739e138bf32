"""metrics.json: one writer, one reader, a documented schema, and writes that never leave debris."""

import dataclasses
import json
import stat

import keras
import numpy as np
import pytest
from conftest import stand_in_gan

from ganlib import course, records, runs, training


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def trained(bundled, tmp_path_factory):
    """A short run with checkpoints, as a notebook does it."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    gan = stand_in_gan(run_eagerly=True)
    run = training.train(gan, bundled.images[:128], steps=2, batch_size=32, snapshots=1, verbose=0,
                         artifacts_dir=artifacts)
    return gan, run


def test_the_record_written_is_the_record_read(trained, tmp_path, monkeypatch):
    gan, run = trained
    monkeypatch.delenv(course.PROFILE_ENV, raising=False)
    config = course.configure("00_setup_and_data", {"profile": "smoke", "data_source": "bundled", "seed": 0,
                                                    "images_per_class": None, "artifacts_dir": str(tmp_path)},
                              echo=None)
    records.save_run(tmp_path, gan.generator, config, run, metrics={"score": np.float32(0.5)}, headline=("score", 0.5))
    assert listing(tmp_path) == [records.GENERATOR_NAME, records.RECORD_NAME]
    record = records.load(tmp_path / records.RECORD_NAME)
    assert (record.notebook, record.profile, record.steps) == ("00_setup_and_data", "smoke", 2)
    assert record.profile_source == "the notebook's parameters"
    assert record.parameters["images_per_class"] == 4 and "notebook" not in record.parameters
    assert record.metrics == {"score": 0.5} and record.headline == {"name": "score", "value": 0.5}
    assert record.checkpoint == run.checkpoint_dir.name and record.checkpoint.startswith("run-")
    assert set(record.final_losses) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert record.record_format == records.RECORD_FORMAT
    # The file holds exactly the documented fields, each documented in RunRecord's docstring.
    on_disk = json.loads((tmp_path / records.RECORD_NAME).read_text())
    assert set(on_disk) == {f.name for f in dataclasses.fields(records.RunRecord)}
    assert all(f"``{name}``" in records.RunRecord.__doc__ for name in on_disk)
    assert records.load(tmp_path) == record       # the folder is enough
    reloaded = keras.models.load_model(tmp_path / records.GENERATOR_NAME, safe_mode=True)
    z = np.ones((2, 8), np.float32)
    np.testing.assert_allclose(reloaded(z), gan.generator(z), atol=1e-6)


def test_a_record_of_the_layout_before_issue_17_still_reads(tmp_path):
    older = {"notebook": "07_conditional_gan", "profile": "default", "parameters": {"steps": 6000}, "steps": 6000,
             "wall_seconds": 812.5, "final_losses": {"d_loss": 1.2}, "metrics": {"label_agreement": 0.98},
             "headline": {"name": "agreement", "value": 0.98}, "versions": {"python": "3.12.3"}}
    (tmp_path / "metrics.json").write_text(json.dumps(older))
    record = records.load(tmp_path / "metrics.json")
    assert record.metrics["label_agreement"] == 0.98 and record.checkpoint is None
    assert record.profile == "default" and record.steps == 6000


@pytest.mark.parametrize("content, message", [
    ('{"notebook": "03_dcgan", "steps": ', "is damaged (not valid JSON"),
    ("\x00\x01binary", "is damaged (not valid JSON"),
    ('[1, 2, 3]', "is not a run record: it holds a JSON list"),
    ('{"accuracy": 0.9}', "lacks the field(s) notebook, profile"),
    ('{"record_format": 9}', "record format 9 by a newer ganlib"),
    ('{"record_format": 2, "notebook": null, "profile": null, "profile_source": null, "parameters": {}, '
     '"steps": "forty", "wall_seconds": null, "final_losses": {}, "metrics": {}, "headline": null, '
     '"checkpoint": null, "versions": {}}', "field 'steps' is 'forty'; allowed: an integer or null"),
    ('{"record_format": 2, "notebook": null, "profile": null, "profile_source": null, "parameters": {}, '
     '"steps": 1, "wall_seconds": null, "final_losses": {}, "metrics": {}, "headline": null, '
     '"checkpoint": null, "versions": {}, "extra": 1}', "unknown field(s) extra"),
])
def test_a_damaged_or_foreign_record_is_a_clear_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "metrics.json"
    path.write_text(content)
    with pytest.raises(records.RecordError) as error:
        records.load(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_missing_record_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"no run record at {tmp_path / 'metrics.json'}"):
        records.load(tmp_path)


def test_a_failed_serialization_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = records.write_json(tmp_path / "metrics.json", {"steps": 1})
    with pytest.raises(TypeError, match="cannot write object to JSON"):
        records.write_json(path, {"steps": object()})
    assert listing(tmp_path) == ["metrics.json"]
    assert json.loads(path.read_text()) == {"steps": 1}


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(b"the good one")
    with pytest.raises(OSError, match="simulated"):
        with records.atomic_path(path) as partial:
            partial.write_bytes(b"half of the new one")
            raise OSError("disk full (simulated)")
    assert listing(tmp_path) == ["checkpoint.npz"] and path.read_bytes() == b"the good one"


def test_a_generator_that_fails_to_save_keeps_the_previous_one(trained, tmp_path, monkeypatch):
    gan, run = trained
    records.save_run(tmp_path, gan.generator, {"notebook": "x"}, run)
    before = (tmp_path / records.GENERATOR_NAME).read_bytes()

    def fail(path, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"PK half a zip")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(gan.generator, "save", fail)
    with pytest.raises(OSError, match="simulated"):
        records.save_run(tmp_path, gan.generator, {"notebook": "x"}, run)
    assert listing(tmp_path) == [records.GENERATOR_NAME, records.RECORD_NAME]
    assert (tmp_path / records.GENERATOR_NAME).read_bytes() == before


def test_a_record_without_a_generator_removes_the_one_an_earlier_run_left(trained, tmp_path):
    # Notebooks 03 and 04 with pretrained = True record their measurements but train no generator:
    # the earlier run's generator.keras and progress.gif must not stay beside a record of another run.
    gan, run = trained
    records.save_run(tmp_path, gan.generator, {"notebook": "03_dcgan", "pretrained": False}, run)
    (tmp_path / records.PROGRESS_NAME).write_bytes(b"GIF89a, the earlier run's animation")
    records.save_run(tmp_path, None, {"notebook": "03_dcgan", "pretrained": True}, None,
                     headline=("recognized share", 0.9))
    assert listing(tmp_path) == [records.RECORD_NAME]
    assert records.load(tmp_path).parameters["pretrained"] is True


def test_what_a_killed_save_left_is_cleared_by_the_next_save(trained, tmp_path):
    gan, run = trained
    for name in (records.GENERATOR_NAME, records.RECORD_NAME):
        suffix = name.rsplit(".", 1)[1]
        (tmp_path / f".{name}.4242-0badcafe{records.PARTIAL_MARK}.{suffix}").write_bytes(b"half")
    records.save_run(tmp_path, gan.generator, {"notebook": "x"}, run)
    assert listing(tmp_path) == [records.GENERATOR_NAME, records.RECORD_NAME]


def test_the_course_table_reads_headlines_through_the_loader(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"headline": ')
    assert runs._headline(path, written_after=0) == "unreadable metrics.json"
    records.save_run(tmp_path, None, {"notebook": "x"}, headline=("digits loaded", 5000))
    assert runs._headline(path, written_after=0) == "digits loaded = 5000"
    assert runs._headline(tmp_path / "none.json", written_after=0) == "-"


def test_a_sweep_row_holds_the_record_or_says_why_it_cannot(tmp_path, monkeypatch):
    # The notebook runs are faked here: a first one writes a good record, a second a damaged one.
    written = iter([lambda folder: records.save_run(folder, None, {"notebook": "00_setup_and_data"},
                                                    headline=("digits loaded", 5000)),
                    lambda folder: (folder / "metrics.json").write_text("{")])

    def fake_run(path, output_path, parameters):
        next(written)(tmp_path / "00_setup_and_data" / output_path.parent.name)
        return runs.NotebookResult(path.stem, 1.0, "ok", "-")
    monkeypatch.setattr(runs, "run_notebook", fake_run)
    (tmp_path / "00_setup_and_data" / "seed=1").mkdir(parents=True)
    (tmp_path / "00_setup_and_data" / "seed=2").mkdir(parents=True)
    rows = runs.sweep(course.project_root() / "notebooks" / "00_setup_and_data.ipynb", tmp_path, vary={"seed": [1, 2]})
    assert rows[0]["status"] == "ok" and rows[0]["record"].headline["value"] == 5000
    assert rows[1]["record"] is None
    assert rows[1]["status"].startswith("failed: ") and "seed=2/metrics.json is damaged" in rows[1]["status"]


def test_a_save_stopped_after_the_new_generator_leaves_no_old_record_beside_it(trained, tmp_path, monkeypatch):
    # The old run's record must never describe the new run's generator (pretrained.course_generator reads
    # the two as one run): stopped between the writes, the folder holds the new generator and no record.
    gan, run = trained
    records.save_run(tmp_path, gan.generator, {"notebook": "x", "learning_rate": 1e-4}, run)

    def interrupted(path, data):
        raise KeyboardInterrupt("Ctrl-C between the two writes (simulated)")
    monkeypatch.setattr(records, "write_json", interrupted)
    with pytest.raises(KeyboardInterrupt):
        records.save_run(tmp_path, gan.generator, {"notebook": "x", "learning_rate": 8e-4}, run)
    assert listing(tmp_path) == [records.GENERATOR_NAME]


def test_an_atomic_write_keeps_the_files_permissions_and_writes_through_a_link(tmp_path):
    # os.replace used to give the file the umask's mode, and to put a regular file in a link's place.
    target = tmp_path / "digits.npy"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "link.npy"
    link.symlink_to(target)
    with records.atomic_path(link) as partial:
        partial.write_bytes(b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
