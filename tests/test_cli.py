"""``python -m ganlib sample`` and ``generate``, run as a user runs them, in a subprocess (the refusals of bad
requests in this process)."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import stand_in_generator

from ganlib import cli, course, models


def ganlib(*args):
    return subprocess.run([sys.executable, "-m", "ganlib", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    keras.utils.set_random_seed(0)
    stand_in_generator(latent_dim=4).save(folder / "plain.keras")
    stand_in_generator(latent_dim=4, num_classes=10).save(folder / "conditional.keras")
    models.build_dcgan_discriminator(width=4).save(folder / "discriminator.keras")   # saved beside a generator
    return folder


def test_sample_writes_the_array_contract(models_dir, tmp_path):
    out = tmp_path / "digits.npy"
    result = ganlib("sample", "--model", models_dir / "plain.keras", "--n", 7, "--out", out, "--seed", 3)
    assert result.returncode == 0, result.stderr
    images = np.load(out)
    assert images.dtype == np.float32 and images.shape == (7, 28, 28, 1)
    assert images.min() >= -1 and images.max() <= 1
    again = tmp_path / "again.npy"
    ganlib("sample", "--model", models_dir / "plain.keras", "--n", 7, "--out", again, "--seed", 3)
    np.testing.assert_array_equal(images, np.load(again))   # same seed, same digits


def test_generate_writes_a_png_grid(models_dir, tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "grid.png"
    result = ganlib("generate", "--model", models_dir / "plain.keras", "--n", 16, "--out", out)
    assert result.returncode == 0, result.stderr
    picture = iio.imread(out)
    assert picture.dtype == np.uint8 and picture.shape == (4 * 30 + 2, 4 * 30 + 2)


def test_conditional_model_takes_a_digit(models_dir, tmp_path):
    out = tmp_path / "sevens.npy"
    result = ganlib("sample", "--model", models_dir / "conditional.keras", "--n", 3, "--digit", 7, "--out", out)
    assert result.returncode == 0, result.stderr
    assert np.load(out).shape == (3, 28, 28, 1)


@pytest.mark.parametrize("args, message", [
    (["--model", "missing.keras"], "no model at missing.keras"),
    (["--model", "{plain}", "--digit", "7"], "this generator is unconditional"),
    (["--model", "{plain}", "--digit", "12"], "12 is not allowed; allowed: an integer from 0 to 9"),
    (["--model", "{plain}", "--n", "0"], "0 is not allowed; allowed: an integer from 1 to 100000"),
    (["--model", "{plain}", "--n", "1000000000000"], "1000000000000 is not allowed; allowed: an integer from 1 to"),
    (["--model", "{plain}", "--seed", "-4"], "-4 is not allowed; allowed: an integer from 0 to 2147483647"),
    (["--model", "{plain}", "--out", "{tmp}/digits.png"], "should be a file name ending in .npy for 'sample'"),
    (["--model", "{tmp}"], "is a folder; allowed: a generator file"),
    (["--model", "{plain}", "--out", "{tmp}/folder.npy"], "is a folder; allowed: a file name ending in .npy"),
    (["--model", "{tmp}/weights.h5"], "neither a .keras nor a .npz file"),
    (["--model", "{discriminator}"], "is not a digit generator: it should take noise (and a digit) and draw "
                                     "(28, 28, 1) images; it takes 1 input(s), the first of shape (28, 28, 1), "
                                     "and draws (1,)"),
])
def test_bad_requests_get_a_one_line_error(models_dir, tmp_path, capsys, args, message):
    defaults = {"--n": "2", "--out": str(tmp_path / "out.npy")}
    (tmp_path / "folder.npy").mkdir()
    (tmp_path / "weights.h5").write_bytes(b"")
    args = [a.format(plain=models_dir / "plain.keras", discriminator=models_dir / "discriminator.keras", tmp=tmp_path)
            for a in args]
    for flag, value in defaults.items():
        if flag not in args:
            args += [flag, value]
    # In this process (a subprocess costs seconds of start-up each; test_a_file_that_is_not_a_model_is_refused
    # runs the command as a user does): argparse's refusals exit with status 2, the command's own return 2,
    # and anything else would raise here, traceback and all.
    try:
        status = cli.main(["sample", *args])
    except SystemExit as exit:
        status = exit.code
    assert status == 2
    said = capsys.readouterr().err
    assert message in said and said.count("\n") <= 3, said   # argparse: usage line(s), then the error


@pytest.mark.parametrize("option, parameter, value", [
    ("--steps", "steps", "0"),
    ("--batch-size", "batch_size", "5000"),
    ("--snapshots", "snapshots", "501"),
    ("--seed", "seed", "-1"),
    ("--learning-rate", "learning_rate", "2"),
])
def test_train_options_allow_what_the_notebook_parameters_allow(capsys, option, parameter, value):
    arguments = ["train", "--recipe", "mlp", "--steps", "10", "--artifacts-dir", "out"]
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(arguments + [option, value])
    # The words come from course.RULES, the notebooks' own validation.
    assert f"argument {option}: {value} is not allowed; allowed: {course.RULES[parameter].allowed}" in \
        capsys.readouterr().err


def test_train_options_parse_into_what_train_gets():
    args = cli.build_parser().parse_args(["train", "--recipe", "mlp", "--steps", "40", "--artifacts-dir", "out",
                                          "--learning-rate", "1e-2", "--no-jit-compile"])
    assert (args.steps, args.learning_rate, args.jit_compile, args.batch_size) == (40, 0.01, False, 64)
    assert cli.build_parser().parse_args(["train", "--recipe", "mlp", "--steps", "4", "--artifacts-dir",
                                          "o"]).jit_compile is None   # the recipe decides


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    fake = tmp_path / "generator.keras"
    fake.write_bytes(b"not a zip archive")
    result = ganlib("sample", "--model", fake, "--n", 1, "--out", tmp_path / "x.npy")
    assert result.returncode == 2 and "is damaged or not a .keras file" in result.stderr, result.stderr
    assert "not found" not in result.stderr   # Keras' words for a file that is there


@pytest.mark.slow
def test_sweep_runs_a_notebook_per_value_and_collects_its_records(tmp_path):
    # Run from outside the checkout: a relative --out must mean this folder, not one under notebooks/.
    result = subprocess.run([sys.executable, "-m", "ganlib", "sweep", "00", "-p", "images_per_class", "2", "3",
                             "--out", "sweeps"], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                            env={**os.environ, "GANLIB_PROFILE": "smoke"})
    assert result.returncode == 0, result.stderr[-2000:]
    for value in (2, 3):
        record = tmp_path / "sweeps" / "00_setup_and_data" / f"images_per_class={value}" / "metrics.json"
        assert json.loads(record.read_text())["parameters"]["images_per_class"] == value
    assert "images_per_class=2" in result.stdout and "digits loaded = 5000" in result.stdout


def test_sweep_refuses_an_unknown_parameter(tmp_path):
    result = ganlib("sweep", "00", "-p", "image_per_class", "2", "--out", tmp_path)
    assert result.returncode == 2 and "unknown parameter 'image_per_class'" in result.stderr


def test_a_sweep_checks_every_value_before_its_first_run(tmp_path, monkeypatch):
    from ganlib import runs

    started = []
    monkeypatch.setattr(runs, "run_notebook", lambda *args, **kwargs: started.append(args))
    for parameters, message in [({"vary": {"learning_rate": [1e-3, 5]}}, "'learning_rate' is 5; allowed"),
                                ({"vary": {"seed": [1, 1]}}, "repeats a value"),
                                ({"fixed": {"seed": 3}, "vary": {"seed": [1, 2]}}, "both one value and several"),
                                ({"fixed": {"artifacts_dir": str(tmp_path)}}, "its own artifacts_dir")]:
        with pytest.raises(course.ParameterError, match=message):
            runs.sweep(course.project_root() / "notebooks" / "03_dcgan.ipynb", tmp_path, **parameters)
    assert started == []


@pytest.mark.parametrize("args, message", [
    (["sweep", "03", "-p", "seed", "1", "-p", "seed", "2"], "-p seed is given twice"),
    (["course", "--only", "", "--out", "{tmp}"], "--only got an empty name"),
    (["site", "--notebooks", "{tmp}/none", "--out", "{tmp}/site"], "no notebooks named NN_*.ipynb"),
    (["sweep", "99", "-p", "seed", "1"], "'99' matches 0 notebooks; allowed: a prefix that names one of 00_setup_and_data"),
    (["train", "--recipe", "mlp", "--steps", "10", "--artifacts-dir", "{tmp}/file"], "is a file; allowed: a folder"),
])
def test_the_commands_own_refusals_are_one_error_line_with_status_2(tmp_path, capsys, args, message):
    (tmp_path / "file").write_text("not a folder")
    status = cli.main([a.format(tmp=tmp_path) for a in args])
    said = capsys.readouterr().err
    assert status == 2 and said.startswith("error: ") and message in said, said


def test_an_interrupted_write_leaves_the_old_file(models_dir, tmp_path, monkeypatch):
    # Ctrl-C while the array is written: the digits written before stay whole, and no partial file is left.
    out = tmp_path / "digits.npy"
    np.save(out, np.zeros(3, np.float32))
    before = out.read_bytes()

    def interrupted(path, array):
        open(path, "wb").write(b"half an array")
        raise KeyboardInterrupt
    monkeypatch.setattr(cli.np, "save", interrupted)
    # One line and status 130, as a shell reports Ctrl-C, not a traceback.
    assert cli.main(["sample", "--model", str(models_dir / "plain.keras"), "--n", "2", "--out", str(out)]) == 130
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["digits.npy"]


def test_a_shipped_compact_generator_can_be_sampled(tmp_path, capsys, monkeypatch):
    from ganlib import pretrained

    out = tmp_path / "digits.npy"
    assert cli.main(["sample", "--model", str(pretrained.generator_path("mlp")), "--n", "3", "--out", str(out)]) == 0
    images = np.load(out)
    assert images.shape == (3, 28, 28, 1) and images.min() >= -1 and images.max() <= 1 and images.std() > 0.1
    # A truncated copy is refused in one line; so is a shipped file that no longer matches SHA256SUMS.
    shipped = pretrained.generator_path("mlp")
    copy = tmp_path / shipped.name
    copy.write_bytes(shipped.read_bytes()[:-10])
    assert cli.main(["sample", "--model", str(copy), "--n", "3", "--out", str(out)]) == 2
    assert "could not load" in capsys.readouterr().err
    (tmp_path / "SHA256SUMS").write_text(pretrained.CHECKSUM_PATH.read_text())
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    monkeypatch.setattr(pretrained, "CHECKSUM_PATH", tmp_path / "SHA256SUMS")
    assert cli.main(["sample", "--model", str(copy), "--n", "3", "--out", str(out)]) == 2
    assert "fails its checksum" in capsys.readouterr().err


@pytest.mark.parametrize("command, words", [
    ("train", ["generator steps; allowed: an integer >= 1 --artifacts-dir", "allowed: an integer from 1 to the "
               "training digits (4,000 of the bundled set; 2,000 for wgan-gp", "at most 4096; default 64",
               "allowed: an integer from 1 to 500; default 20", "default: the recipe's (mlp 0.0008"]),
    ("sample", ["allowed: an integer from 1 to 100000", "which digit, 0-9", "data/pretrained/<name>.generator.npz"]),
    ("sweep", ["default: build/sweeps", "a wrong name is answered with the list"]),
    ("check", ["ends with READY or NOT READY (exit status 0 when ready"]),
])
def test_each_commands_help_says_what_is_allowed(capsys, command, words):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    said = " ".join(capsys.readouterr().out.split())   # argparse wraps lines
    for word in words:
        assert word in said, (word, said)


def test_train_says_it_rounds_to_whole_chunks_and_ctrl_c_is_one_line(tmp_path, capsys, monkeypatch):
    from ganlib import training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(training, "train", interrupted)
    status = cli.main(["train", "--recipe", "mlp", "--steps", "21", "--artifacts-dir", str(tmp_path / "run")])
    said = capsys.readouterr()
    # 21 steps in 20 chunks used to train 40 steps, recorded as 21, without a word.
    assert "training 40 steps in 20 chunks of 2 (asked: 21 steps, 20 chunks" in said.out
    assert status == 130 and said.err.startswith("interrupted; the checkpoint of the last finished chunk")
    assert "Traceback" not in said.err and len(said.err.strip().splitlines()) == 1


def test_an_empty_compact_file_is_one_error_line(tmp_path, capsys):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")   # ended in NumPy's EOFError traceback
    assert cli.main(["sample", "--model", str(empty), "--n", "1", "--out", str(tmp_path / "x.npy")]) == 2
    assert "could not load" in capsys.readouterr().err
