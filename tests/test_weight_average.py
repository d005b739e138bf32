"""benchmarks/weight_average.py: more weight averages kept beside the GAN's own, in the same run."""

import numpy as np
import pytest

from conftest import load_script, stand_in_gan


@pytest.fixture(scope="module")
def screen():
    load_script("benchmarks/time_to_quality.py")   # the screen imports its helpers as a sibling module
    return load_script("benchmarks/weight_average.py")


def test_an_added_average_with_the_gans_own_settings_matches_its_average_and_another_does_not(screen, bundled):
    from ganlib import training

    gan = stand_in_gan(ema_decay=0.999)
    same, longer = screen.add_averages(gan, [(10.0, 0.999), (2.0, 0.999)])
    training.train(gan, bundled.images[:256], steps=12, batch_size=32, snapshots=2, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 12
    for own, copy in zip(gan.ema_generator.get_weights(), same.get_weights()):
        np.testing.assert_allclose(copy, own, rtol=1e-5, atol=1e-6)
    # Warmup 2 averages every step so far equally; warmup 10 leans on the latest ones.
    differences = [np.abs(a - b).max() for a, b in zip(gan.ema_generator.get_weights(), longer.get_weights())]
    assert max(differences) > 1e-4


def test_average_decay_follows_its_warmup_until_the_cap():
    from ganlib import training

    assert float(training.average_decay(0.0, 0.999)) == pytest.approx(0.1)          # (1 + 0) / (10 + 0)
    assert float(training.average_decay(90.0, 0.999)) == pytest.approx(0.91)
    assert float(training.average_decay(100_000.0, 0.999)) == pytest.approx(0.999)   # the cap binds
    assert float(training.average_decay(1.0, 0.999, warmup=2.0)) == pytest.approx(2 / 3)


@pytest.mark.parametrize("text", ["4", "1:0.999", "4:1.5", "a:b"])
def test_a_malformed_average_is_refused_with_what_is_allowed(screen, text):
    with pytest.raises(ValueError, match="WARMUP:CAP|warmup must be greater than 1"):
        screen.parse_average(text)
