"""A rerun never hands back a model trained with other settings (issue 17).

The run key names a run's checkpoint folder; a rerun resumes only from the folder of its own key.
Each test here changes one setting between two runs into the same artifacts folder and checks
that the second run starts afresh, in a folder of its own, and says in one line what changed.
"""

import shutil

import keras
import numpy as np
import pytest
from conftest import stand_in_gan

from ganlib import checkpoints, recipes, training

STEPS = dict(steps=1, snapshots=1, batch_size=32, seed=0)


@pytest.fixture(scope="module")
def digits(bundled):
    return bundled.images[:256], bundled.labels[:256]


def state(gan):
    return [np.array(v) for v in checkpoints.training_variables(gan)]


def run_folders(artifacts):
    return sorted(p.parent.name for p in artifacts.glob(f"{checkpoints.FOLDER_NAME}/*/{checkpoints.FILE_NAME}"))


@pytest.mark.slow
def test_the_issues_scenario_a_new_learning_rate_trains_afresh_and_matches_a_fresh_run(bundled, tmp_path):
    # As reported: the mlp recipe, 40 steps at 2e-4, then 1e-2 into the same folder. The second call
    # used to print that it resumed, return at once with resumed_from = 40 and the old 2e-4 model.
    images = bundled.images
    settings = dict(steps=40, batch_size=64, snapshots=4, verbose=0)
    training.train(recipes.build("mlp", seed=0, learning_rate=2e-4, jit_compile=False), images,
                   artifacts_dir=tmp_path / "shared", **settings)
    rerun_gan = recipes.build("mlp", seed=0, learning_rate=1e-2, jit_compile=False)
    rerun = training.train(rerun_gan, images, artifacts_dir=tmp_path / "shared", **settings)
    assert rerun.resumed_from == 0 and rerun.steps == 40
    assert float(rerun_gan.g_optimizer.learning_rate) == pytest.approx(1e-2)
    assert rerun.notice.startswith("Starting a fresh run in ")
    assert "g_optimizer.learning_rate 0.0002 -> 0.01" in rerun.notice
    assert len(run_folders(tmp_path / "shared")) == 2

    fresh_gan = recipes.build("mlp", seed=0, learning_rate=1e-2, jit_compile=False)
    fresh = training.train(fresh_gan, images, artifacts_dir=tmp_path / "empty", **settings)
    assert fresh.notice == ""   # a first run into an empty folder has nothing to say
    for a, b in zip(state(rerun_gan), state(fresh_gan)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.stack(rerun.grid.frames), np.stack(fresh.grid.frames))


# Each case: (the change's name in the notice, the first run's settings, the second run's).
# Settings: "gan" (stand_in_gan's keywords), "train" (train's keywords), "data" (how to pick the images).
# The runs are eager (no train step to trace), except in the case that compares graph with XLA.
BASE = {"gan": {}, "train": {}, "data": "first"}
CASES = {
    "learning rate": ("g_optimizer.learning_rate", BASE, {"gan": {"learning_rate": 5e-4}}),
    "beta_1": ("g_optimizer.beta_1", BASE, {"gan": {"beta_1": 0.5}}),
    "optimizer class": ("g_optimizer.class", BASE, {"gan": {"optimizer": "RMSprop"}}),
    "generator architecture": ("generator", BASE, {"gan": {"hidden": 32}}),
    "discriminator architecture": ("discriminator", BASE,
                                   {"gan": {"discriminator": ("stand_in_discriminator", {"hidden": 8})}}),
    "data content": ("data.sha256", BASE, {"data": "shifted"}),
    "data count": ("data.count", BASE, {"data": "fewer"}),
    "ema decay": ("ema_decay", BASE, {"gan": {"ema_decay": 0.9}}),
    "loss": ("loss", BASE, {"gan": {"loss": "minimax"}}),
    "label smoothing": ("label_smoothing", BASE, {"gan": {"label_smoothing": 0.1}}),
    "n_critic": ("n_critic", BASE, {"gan": {"n_critic": 2}}),
    "gradient-penalty weight": ("gp_weight", {"gan": {"loss": "wasserstein", "gp_weight": 10.0}},
                                {"gan": {"loss": "wasserstein", "gp_weight": 5.0}}),
    "lazy penalty": ("penalty_every", {"gan": {"loss": "wasserstein", "gp_weight": 10.0, "n_critic": 2}},
                     {"gan": {"loss": "wasserstein", "gp_weight": 10.0, "n_critic": 2, "penalty_every": 2}}),
    "clip value": ("clip_value", {"gan": {"loss": "wasserstein", "clip_value": 0.01}},
                   {"gan": {"loss": "wasserstein", "clip_value": 0.02}}),
    "number of classes": ("num_classes", {"gan": {"num_classes": 5}, "data": "labels below 5"},
                          {"gan": {"num_classes": 6}, "data": "labels below 5"}),
    "noise seed": ("noise_seed", BASE, {"gan": {"seed": 1}}),
    "augmentation": ("augment", BASE, {"gan": {"augment": True}}),
    "XLA": ("execution", {"gan": {"run_eagerly": False}}, {"gan": {"run_eagerly": False, "jit_compile": True}}),
    "batch size": ("batch_size", BASE, {"train": {"batch_size": 16}}),
    "data-order seed": ("seed", BASE, {"train": {"seed": 1}}),
    "steps": ("steps", BASE, {"train": {"steps": 2}}),
    "snapshots": ("snapshots", {"train": {"steps": 2}}, {"train": {"steps": 2, "snapshots": 2}}),
    "time budget": ("time_budget", BASE, {"train": {"time_budget": 600.0}}),
}


def build_and_train(settings, digits, artifacts):
    import conftest

    gan_settings = dict(settings.get("gan", {}))
    if "discriminator" in gan_settings:
        builder, keywords = gan_settings.pop("discriminator")
        num_classes = gan_settings.get("num_classes")
        keras.utils.set_random_seed(0)
        gan_settings["discriminator"] = getattr(conftest, builder)(num_classes=num_classes, **keywords)
    gan = stand_in_gan(**{"run_eagerly": True, **gan_settings})
    images, labels = digits
    choice = settings.get("data", "first")
    if choice == "shifted":
        images = np.roll(images, 1, axis=0)          # the same digits, another one first: other content
    elif choice == "fewer":
        images = images[:-1]
    elif choice == "labels below 5":
        images = images[labels < 5]
    labels = labels[labels < 5] if gan.conditional else None
    return training.train(gan, images, labels=labels, artifacts_dir=artifacts, verbose=0,
                          **{**STEPS, **settings.get("train", {})})


@pytest.fixture(scope="module")
def base_run(digits, tmp_path_factory):
    """One run with the base settings, trained once; each case copies its folder."""
    folder = tmp_path_factory.mktemp("base")
    build_and_train(BASE, digits, folder)
    return folder


SLOW_CASES = {"XLA"}   # traces the train step twice and compiles it with XLA


@pytest.mark.parametrize("change", [pytest.param(c, marks=pytest.mark.slow) if c in SLOW_CASES else c for c in CASES])
def test_a_rerun_with_one_setting_changed_starts_afresh_and_says_what_changed(change, digits, base_run, tmp_path):
    field, first, second = CASES[change]
    if first is BASE:
        shutil.copytree(base_run, tmp_path, dirs_exist_ok=True)
    else:
        build_and_train(first, digits, tmp_path)
    rerun = build_and_train(second, digits, tmp_path)
    assert rerun.resumed_from == 0
    assert len(run_folders(tmp_path)) == 2, "the second run should keep its own checkpoint folder"
    assert rerun.notice.startswith("Starting a fresh run in "), rerun.notice
    named = [words.split(" ")[0] for words in rerun.notice.split("other settings (")[1].split(", ")]
    assert field in named, rerun.notice


def test_the_same_settings_built_again_resume(digits, base_run, tmp_path):
    # Keras numbers layer and optimizer names per process (dense_7, adam_3): a network built a second
    # time in the same kernel must still find its run.
    shutil.copytree(base_run, tmp_path, dirs_exist_ok=True)
    run = build_and_train(BASE, digits, tmp_path)
    assert run.resumed_from == 1
    assert run.notice == "Found the finished run's checkpoint (step 1 of 1): nothing left to train."
    assert len(run_folders(tmp_path)) == 1


def test_the_run_key_lists_its_settings_readably(digits):
    images, _ = digits
    key = checkpoints.run_key(stand_in_gan(learning_rate=5e-4), images, steps=4, snapshots=2, batch_size=32, seed=3)
    assert key["g_optimizer"]["learning_rate"] == pytest.approx(5e-4)
    assert key["g_optimizer"]["class"].endswith("Adam") and "name" not in key["g_optimizer"]
    assert key["data"]["count"] == 256 and key["data"]["shape"] == [28, 28, 1]
    assert (key["steps"], key["snapshots"], key["batch_size"], key["seed"]) == (4, 2, 32, 3)
    assert key["execution"] == "graph"
    assert checkpoints.run_key(stand_in_gan(run_eagerly=True), images, **STEPS)["execution"] == "eager"


def test_a_checkpoint_from_before_run_keys_covered_everything_is_not_resumed(digits, tmp_path):
    # A folder written by the older key (steps, batch, seed, loss ...) is left alone, and the line says why.
    old = tmp_path / checkpoints.FOLDER_NAME / "run-0123456789ab"
    checkpoints.save(old, stand_in_gan(), {"run": {"steps_per_epoch": 1, "snapshots": 1}, "step": 1})
    run = build_and_train(BASE, digits, tmp_path)
    assert run.resumed_from == 0
    assert "written by another version of ganlib" in run.notice


def test_the_key_says_xla_whenever_keras_compiles_with_it(digits):
    # Keras compiles with XLA for any true value; the key used to say "graph" unless it was exactly True.
    images, _ = digits
    gan = stand_in_gan(jit_compile=1)
    assert bool(gan.jit_compile) and checkpoints.run_key(gan, images, **STEPS)["execution"] == "xla"
