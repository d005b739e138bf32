"""benchmarks/levers.py builds each variant with the settings it names, and refuses the ones it does not know."""

import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def levers():
    load_script("benchmarks/time_to_quality.py")   # levers.py imports its helpers as a sibling module
    return load_script("benchmarks/levers.py")


def test_a_variant_changes_only_the_settings_it_names(levers):
    gan = levers.build({"recipe": "wgan-gp", "width": 4, "jit_compile": False, "n_critic": 2,
                        "learning_rate": 1e-4, "discriminator_learning_rate": 3e-4, "steps_per_execution": 5})
    assert gan.n_critic == 2 and gan.gp_weight == 10.0        # the penalty is the recipe's own
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(3e-4)
    assert gan.steps_per_execution == 5


def test_a_variant_may_set_any_of_recipes_builds_settings_even_the_newest(levers):
    # generator_width and discriminator_spectral_norm came after levers.py's own list of settings did.
    gan = levers.build({"recipe": "dcgan", "width": 4, "generator_width": 8, "discriminator_spectral_norm": True,
                        "jit_compile": False})
    assert [layer.filters for layer in gan.generator.layers if hasattr(layer, "filters")] == [8, 1]
    assert not any("BatchNormalization" in type(layer).__name__ for layer in gan.discriminator.layers)


def test_mixed_bfloat16_applies_to_the_variant_only(levers):
    import keras

    gan = levers.build({"recipe": "dcgan", "width": 4, "jit_compile": False, "mixed_bfloat16": True})
    assert gan.generator.dtype_policy.compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"   # restored for what is built next


@pytest.mark.parametrize("variant", [{"hidden_units": 512}, {"recipe": "dcgan", "hiden_units": 512}])
def test_a_variant_without_a_recipe_or_with_an_unknown_key_is_refused(levers, variant):
    with pytest.raises(ValueError, match="allowed keys"):
        levers.build(variant)


def test_the_table_reads_each_threshold_at_the_first_judgement_that_meets_it(levers):
    stored = {"quality": {"a": {"variant": {"recipe": "mlp", "steps": 500}, "curve": [
        {"step": 250, "train_seconds": 5.0, "recognized_share": 0.70},
        {"step": 500, "train_seconds": 10.0, "recognized_share": 0.85}]}}, "throughput": {}}
    row = levers.markdown(stored).splitlines()[2]
    assert row == "| a | recipe mlp | 50.0 | step 250 (5 s) | step 500 (10 s) |  | 0.850 at step 500 |"
