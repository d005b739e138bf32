"""The command line's recipes build what notebooks 03 and 04 train at their default (and full) profile."""

import json
import re
from pathlib import Path

import keras
import pytest

from ganlib import course, recipes


ROOT = Path(__file__).resolve().parents[1]


def dense_units(model):
    return [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]


@pytest.mark.parametrize("recipe, notebook, critic_key", [
    ("dcgan", "03_dcgan", "hidden_units"),
    ("wgan-gp", "04_wgan_gp", "critic_hidden_units"),
])
def test_recipe_matches_the_notebook_default_profile(recipe, notebook, critic_key):
    settings = course.NOTEBOOKS[notebook].profiles["default"]
    gan = recipes.build(recipe, width=settings["width"], jit_compile=False)
    assert dense_units(gan.generator)[0] == settings["hidden_units"]
    assert dense_units(gan.discriminator) == [settings[critic_key], 1]
    assert gan.n_critic == settings.get("n_critic", 1)
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        assert float(optimizer.learning_rate) == pytest.approx(settings["learning_rate"])


@pytest.mark.parametrize("recipe, notebook", [("mlp", "02_article_gan"), ("dcgan", "03_dcgan"),
                                              ("wgan-gp", "04_wgan_gp"), ("conditional", "07_conditional_gan")])
def test_each_notebook_trains_with_its_recipes_rate_xla_and_steps_per_call(recipe, notebook):
    # The notebooks write their compile calls out; the recipes (command line, benchmarks, 06) must match them.
    default = course.NOTEBOOKS[notebook].profiles["default"]
    assert default["jit_compile"] is recipes.JIT_COMPILE[recipe]
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    code = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    calls = re.findall(r"steps_per_execution=(\d+)", code)
    assert calls and {int(n) for n in calls} == {recipes.STEPS_PER_EXECUTION[recipe]}
    if "learning_rate" in default:
        assert default["learning_rate"] == recipes.LEARNING_RATE[recipe]
    else:   # notebook 02 writes its rate into the compile call of its proper run
        assert f"Adam({recipes.LEARNING_RATE[recipe]:.0e}".replace("e-0", "e-") in code


def test_wgan_gp_recipe_uses_the_papers_penalty_and_betas_with_two_critic_steps():
    gan = recipes.build("wgan-gp", width=4, jit_compile=False)
    assert (gan.n_critic, gan.gp_weight) == (2, 10.0)   # the paper's 5 critic steps, measured slower to quality
    assert gan.penalty_every == 2                        # lazy: the penalty on the first of the two, counted twice
    assert (float(gan.g_optimizer.beta_1), float(gan.g_optimizer.beta_2)) == (0.0, 0.9)


def test_notebook_04_trains_with_the_recipes_critic_steps_and_lazy_penalty():
    # 06 and the command line build the recipe; 04 writes its GAN out with its profile's settings.
    for profile in course.NOTEBOOKS["04_wgan_gp"].profiles.values():
        assert profile["n_critic"] == recipes.WGAN_N_CRITIC
        assert profile["penalty_every"] == recipes.WGAN_PENALTY_EVERY
    cells = json.loads((ROOT / "notebooks" / "04_wgan_gp.ipynb").read_text())["cells"]
    code = "".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    assert "penalty_every=config.penalty_every" in code


@pytest.mark.parametrize("notebook, run_lengths", [
    ("03_dcgan", {"steps", "comparison_seconds"}),
    ("04_wgan_gp", {"steps", "comparison_seconds"}),
])
def test_full_profile_trains_the_default_model_longer(notebook, run_lengths):
    # The README's full-profile results compare the same model trained longer, so only run lengths differ.
    profiles = course.NOTEBOOKS[notebook].profiles
    default, full = profiles["default"], profiles["full"]
    assert {key for key in default if default[key] != full[key]} <= run_lengths
    assert all(full[key] > default[key] for key in run_lengths)


def test_hidden_units_changes_the_dense_layers_of_the_networks_that_have_them():
    dcgan = recipes.build("dcgan", width=4, jit_compile=False, hidden_units=512)
    assert dense_units(dcgan.generator)[0] == 512 and dense_units(dcgan.discriminator) == [512, 1]
    wgan = recipes.build("wgan-gp", width=4, jit_compile=False, hidden_units=0)
    assert dense_units(wgan.generator) == [7 * 7 * 2 * 4]   # no front layer: straight to the projection
    assert dense_units(wgan.discriminator) == [recipes.WGAN_CRITIC_HIDDEN_UNITS, 1]   # the critic keeps its own


@pytest.mark.parametrize("recipe, value, message", [
    ("mlp", 512, "'dcgan' and 'wgan-gp'"),
    ("dcgan", -1, "an integer >= 0"),
    ("dcgan", 2.5, "an integer >= 0"),
])
def test_hidden_units_rejects_what_does_not_apply(recipe, value, message):
    with pytest.raises(ValueError, match=message):
        recipes.build(recipe, width=4, jit_compile=False, hidden_units=value)


def test_the_dcgan_discriminator_can_get_a_dense_layer_of_its_own_size():
    dcgan = recipes.build("dcgan", width=4, jit_compile=False, discriminator_hidden_units=128)
    assert dense_units(dcgan.generator)[0] == recipes.DCGAN_HIDDEN_UNITS and dense_units(dcgan.discriminator) == [128, 1]
    assert dense_units(recipes.build("dcgan", width=4, jit_compile=False, discriminator_hidden_units=0).discriminator) == [1]
    with pytest.raises(ValueError, match="'dcgan' recipe"):
        recipes.build("wgan-gp", width=4, jit_compile=False, discriminator_hidden_units=128)
    with pytest.raises(ValueError, match="an integer >= 0"):
        recipes.build("dcgan", width=4, jit_compile=False, discriminator_hidden_units=-1)


def test_n_critic_belongs_to_wgan_gp():
    assert recipes.build("wgan-gp", width=4, jit_compile=False, n_critic=2).n_critic == 2
    with pytest.raises(ValueError, match="'wgan-gp' recipe"):
        recipes.build("dcgan", width=4, jit_compile=False, n_critic=2)
    with pytest.raises(ValueError, match="an integer >= 1"):
        recipes.build("wgan-gp", width=4, jit_compile=False, n_critic=0)


def test_penalty_every_belongs_to_wgan_gp():
    assert recipes.build("wgan-gp", width=4, jit_compile=False).penalty_every == recipes.WGAN_PENALTY_EVERY
    assert recipes.build("wgan-gp", width=4, jit_compile=False, penalty_every=1).penalty_every == 1
    with pytest.raises(ValueError, match="'wgan-gp' recipe"):
        recipes.build("dcgan", width=4, jit_compile=False, penalty_every=2)


def test_the_dcgan_discriminator_can_be_sngans_for_screens():
    plain = recipes.build("dcgan", width=4, jit_compile=False)
    normalized = recipes.build("dcgan", width=4, jit_compile=False, discriminator_spectral_norm=True)
    kinds = lambda gan: [type(layer).__name__ for layer in gan.discriminator.layers]  # noqa: E731
    assert "BatchNormalization" in kinds(plain) and "SpectralNormalization" not in kinds(plain)
    assert "BatchNormalization" not in kinds(normalized)
    assert kinds(normalized).count("SpectralNormalization") == 4   # two convolutions, the dense layer, the logit
    with pytest.raises(ValueError, match="'dcgan' recipe"):
        recipes.build("wgan-gp", width=4, jit_compile=False, discriminator_spectral_norm=True)


def test_the_dcgan_generator_can_be_wider_than_its_discriminator_for_screens():
    plain = recipes.build("dcgan", width=4, jit_compile=False)
    wider = recipes.build("dcgan", width=4, jit_compile=False, generator_width=8)
    assert wider.generator.count_params() > plain.generator.count_params()
    assert wider.discriminator.count_params() == plain.discriminator.count_params()
    with pytest.raises(ValueError, match="'dcgan' recipe"):
        recipes.build("mlp", jit_compile=False, generator_width=8)
    with pytest.raises(ValueError, match="an integer >= 1"):
        recipes.build("dcgan", width=4, jit_compile=False, generator_width=0)


def test_the_dcgan_discriminator_can_get_dropout_for_screens():
    plain = recipes.build("dcgan", width=4, jit_compile=False)
    dropped = recipes.build("dcgan", width=4, jit_compile=False, discriminator_dropout=0.3)
    rates = [layer.rate for layer in dropped.discriminator.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.3, 0.3]   # after each of the two convolutions
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in plain.discriminator.layers)
    with pytest.raises(ValueError, match="'dcgan' recipe"):
        recipes.build("wgan-gp", width=4, jit_compile=False, discriminator_dropout=0.3)
    with pytest.raises(ValueError, match="up to"):
        recipes.build("dcgan", width=4, jit_compile=False, discriminator_dropout=1.0)


def test_the_discriminator_can_get_its_own_learning_rate_for_screens():
    same = recipes.build("dcgan", width=4, jit_compile=False)
    faster = recipes.build("dcgan", width=4, jit_compile=False, discriminator_learning_rate=4e-3)
    rate = float(same.g_optimizer.learning_rate.numpy())
    assert float(same.d_optimizer.learning_rate.numpy()) == pytest.approx(rate)
    assert float(faster.d_optimizer.learning_rate.numpy()) == pytest.approx(4e-3)
    assert float(faster.g_optimizer.learning_rate.numpy()) == pytest.approx(rate)
    with pytest.raises(ValueError, match="discriminator_learning_rate is -1"):
        recipes.build("dcgan", width=4, jit_compile=False, discriminator_learning_rate=-1)


def test_adams_betas_can_be_changed_for_screens_and_a_bad_pair_is_refused():
    own = recipes.build("dcgan", width=4, jit_compile=False)
    changed = recipes.build("dcgan", width=4, jit_compile=False, adam_betas=(0.0, 0.99))
    assert (float(own.g_optimizer.beta_1), float(own.g_optimizer.beta_2)) == (0.5, 0.999)
    for optimizer in (changed.g_optimizer, changed.d_optimizer):
        assert (float(optimizer.beta_1), float(optimizer.beta_2)) == (0.0, 0.99)
    for bad in ((0.5,), (0.5, 1.0), "0.5, 0.9"):
        with pytest.raises(ValueError, match="adam_betas is .*two numbers from 0 up to"):
            recipes.build("dcgan", width=4, jit_compile=False, adam_betas=bad)


@pytest.mark.parametrize("name, value", [("learning_rate", 0), ("learning_rate", -1e-3),
                                         ("learning_rate", float("nan")), ("learning_rate", 5.0),
                                         ("discriminator_learning_rate", 0.0)])
def test_a_learning_rate_that_cannot_train_is_refused_not_replaced(name, value):
    # 0 used to mean "the recipe's own rate" silently; None is the way to ask for that.
    with pytest.raises(ValueError, match=f"{name} is {value!r}; allowed: a number greater than 0 and at most 1"):
        recipes.build("mlp", jit_compile=False, **{name: value})
    assert recipes.build("mlp", jit_compile=False, learning_rate=None).g_optimizer.learning_rate.numpy() == \
        pytest.approx(recipes.LEARNING_RATE["mlp"])


def test_width_is_refused_where_it_does_not_apply_and_checked_where_it_does():
    # The MLP has no convolutions: width=7 used to be ignored silently. Its default, 32, passes
    # (data/train_pretrained.py gives it to every recipe).
    with pytest.raises(ValueError, match="width is 7; allowed for 'mlp', which has no convolutions: only the default, 32"):
        recipes.build("mlp", jit_compile=False, width=7)
    assert recipes.build("mlp", jit_compile=False, width=32).generator.count_params() == \
        recipes.build("mlp", jit_compile=False).generator.count_params()
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"width is {bad!r}; allowed: an integer >= 1"):
            recipes.build("dcgan", jit_compile=False, width=bad)


@pytest.mark.parametrize("value", [2.0, 1.0, -0.1, float("nan")])
def test_a_label_smoothing_outside_zero_to_one_is_refused(value):
    # 2.0 used to be accepted: a real target of -1.
    with pytest.raises(ValueError, match=f"label_smoothing is {value!r}; allowed: a number from 0 up to"):
        recipes.build("mlp", jit_compile=False, label_smoothing=value)
    assert recipes.build("mlp", jit_compile=False, label_smoothing=0.1).label_smoothing == 0.1


@pytest.mark.parametrize("setting, value", [("jit_compile", 1), ("jit_compile", "no"), ("augment", "yes"),
                                            ("learning_rate", True)])
def test_settings_keras_reads_by_truthiness_must_be_what_they_say(setting, value):
    # jit_compile="no" compiled with XLA while the run's key said "graph": a rerun could resume the wrong run.
    with pytest.raises(ValueError, match=rf"{setting} is {re.escape(repr(value))}; allowed:"):
        recipes.build("mlp", **{setting: value})
