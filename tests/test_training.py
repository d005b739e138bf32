"""The train step trains both networks (the bug the article's recipe has under Keras 3), and a run
leaves the artifacts the design promises."""

import json

import keras
import numpy as np
import pytest
from conftest import LATENT, garbage_left_behind, stand_in_discriminator, stand_in_gan, stand_in_generator

from ganlib import data, models, records, training


def tiny_gan(loss="non_saturating", **kwargs):
    keras.utils.set_random_seed(0)
    critic = models.build_wgan_critic(width=4) if loss == "wasserstein" else models.build_mlp_discriminator()
    return stand_in_gan(discriminator=critic, hidden=0, loss=loss, **kwargs)


def weights_of(model):
    return [np.array(w) for w in model.trainable_weights]


def changed(before, model):
    return all(not np.allclose(b, np.array(a)) for b, a in zip(before, model.trainable_weights))


@pytest.fixture(scope="module")
def batches(bundled):
    return data.make_dataset(bundled.images[:256], batch_size=32, seed=0)


@pytest.mark.parametrize("loss", ["non_saturating", "minimax"])
def test_one_fit_changes_every_weight_of_both_networks(loss, batches):
    gan = tiny_gan(loss)
    g_before, d_before = weights_of(gan.generator), weights_of(gan.discriminator)
    history = gan.fit(batches, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False).history
    assert changed(g_before, gan.generator), "the generator did not train"
    assert changed(d_before, gan.discriminator), "the discriminator did not train"
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(v[-1]) for v in history.values())


@pytest.mark.parametrize("loss", ["non_saturating", "minimax"])
def test_the_reported_probabilities_are_the_discriminators_on_this_batch(loss, bundled):
    # d_real and d_fake are mean sigmoid scores of the batch the step trained on, before its update.
    gan = tiny_gan(loss)
    real = bundled.images[:32]
    expected_real = float(np.mean(keras.ops.sigmoid(gan.discriminator(real, training=True))))
    stats = gan._discriminator_step(real, None)
    assert float(stats["d_real"]) == pytest.approx(expected_real, rel=1e-5)
    assert float(np.mean(keras.ops.sigmoid(gan.discriminator(real)))) != pytest.approx(expected_real, rel=1e-5)


def test_discriminator_takes_n_critic_steps_per_generator_step(bundled):
    gan = tiny_gan("wasserstein", n_critic=3, gp_weight=10.0)
    training.train(gan, bundled.images[:256], steps=2, batch_size=16, snapshots=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2
    assert int(gan.d_optimizer.iterations) == 6


def test_each_critic_step_sees_its_own_real_images(bundled):
    # WGAN's algorithm draws a fresh real batch for every critic step, not one batch n_critic times.
    gan = tiny_gan("wasserstein", n_critic=3, gp_weight=10.0)
    gan.run_eagerly = True
    seen, generator_batches = [], []
    critic_step, generator_step = gan._discriminator_step, gan._generator_step
    gan._discriminator_step = lambda real, labels, **kw: seen.append(np.array(real)) or critic_step(real, labels, **kw)
    gan._generator_step = lambda size: generator_batches.append(int(size)) or generator_step(size)
    training.train(gan, bundled.images[:256], steps=1, batch_size=16, snapshots=1, verbose=0)
    assert [batch.shape for batch in seen] == [(16, 28, 28, 1)] * 3
    assert generator_batches == [16]
    assert not np.allclose(seen[0], seen[1]) and not np.allclose(seen[1], seen[2])


def test_too_few_images_for_n_critic_batches_is_a_clear_error(bundled):
    gan = tiny_gan("wasserstein", n_critic=5, gp_weight=10.0)
    with pytest.raises(ValueError, match="with n_critic=5, one generator step needs 320 real images and there are 256"):
        training.train(gan, bundled.images[:256], steps=1, batch_size=64, snapshots=1, verbose=0)


def test_wgan_gp_reports_penalty_and_gradient_norm(batches, bundled):
    gan = tiny_gan("wasserstein", gp_weight=10.0)
    history = gan.fit(batches, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False).history
    assert set(history) == {"d_loss", "g_loss", "w_distance", "gp", "grad_norm"}
    # The critic's loss is -W plus gp_weight times the penalty, and the penalty, a mean of
    # (norm - 1)^2, is at least (mean norm - 1)^2.
    stats = {name: float(value) for name, value in gan._discriminator_step(bundled.images[:32], None).items()}
    assert stats["d_loss"] == pytest.approx(-stats["w_distance"] + 10.0 * stats["gp"], rel=1e-4, abs=1e-5)
    assert stats["gp"] >= (stats["grad_norm"] - 1.0) ** 2 - 1e-6
    assert stats["gp"] > 1e-3   # an untrained critic's gradient norms are far from 1


def test_lazy_penalty_falls_on_the_first_of_every_k_critic_steps_weighted_k_times(bundled):
    gan = tiny_gan("wasserstein", n_critic=4, gp_weight=10.0, penalty_every=2)
    gan.run_eagerly = True
    penalized = []
    critic_step = gan._discriminator_step
    gan._discriminator_step = lambda real, labels, penalize: penalized.append(penalize) or critic_step(
        real, labels, penalize=penalize)
    training.train(gan, bundled.images[:256], steps=2, batch_size=16, snapshots=1, verbose=0)
    assert penalized == [True, False, True, False] * 2
    # A penalized step's loss carries the penalty k = 2 times; an unpenalized one is -W alone.
    with_penalty = {name: float(value) for name, value in critic_step(bundled.images[:32], None, penalize=True).items()}
    assert with_penalty["d_loss"] == pytest.approx(-with_penalty["w_distance"] + 2 * 10.0 * with_penalty["gp"],
                                                   rel=1e-4, abs=1e-5)
    without = {name: float(value) for name, value in critic_step(bundled.images[:32], None, penalize=False).items()}
    assert "gp" not in without and without["d_loss"] == pytest.approx(-without["w_distance"], rel=1e-5)


def test_weight_clipping_keeps_critic_weights_inside_the_bound(batches):
    gan = tiny_gan("wasserstein", clip_value=0.01)
    gan.fit(batches, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    assert max(float(np.abs(np.array(w)).max()) for w in gan.discriminator.trainable_weights) <= 0.01 + 1e-7


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "hinge"}, "loss is 'hinge'; allowed"),
    ({"n_critic": 0}, "n_critic is 0"),
    ({"loss": "non_saturating", "gp_weight": 10.0}, "belong to loss='wasserstein'"),
    ({"loss": "wasserstein", "label_smoothing": 0.1}, "label_smoothing belongs to loss='non_saturating'"),
    ({"loss": "wasserstein", "gp_weight": 10.0, "n_critic": 2, "penalty_every": 3},
     r"penalty_every is 3; allowed: an integer >= 1 that divides n_critic \(2\)"),
    ({"loss": "wasserstein", "gp_weight": 10.0, "penalty_every": 0}, "penalty_every is 0; allowed"),
    ({"loss": "wasserstein", "gp_weight": 10.0, "penalty_every": "x"}, "penalty_every is 'x'; allowed"),
    ({"num_classes": "ten"}, "num_classes is 'ten'; allowed: an integer >= 2"),   # both raised int()'s ValueError
    ({"loss": "wasserstein", "n_critic": 2, "penalty_every": 2}, "penalty_every belongs to a gradient penalty"),
    # n_critic is checked first: 1.5 used to be blamed on penalty_every, "2" to raise a raw TypeError.
    ({"n_critic": 1.5}, r"n_critic is 1.5; allowed: an integer >= 1"),
    ({"n_critic": "2"}, r"n_critic is '2'; allowed: an integer >= 1"),
    ({"label_smoothing": 2.0}, r"label_smoothing is 2.0; allowed: a number from 0 up to \(not including\) 1"),
    ({"label_smoothing": -0.1}, r"label_smoothing is -0.1; allowed"),
    ({"label_smoothing": 1.0}, r"label_smoothing is 1.0; allowed"),
])
def test_bad_settings_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        training.GAN(None, None, latent_dim=LATENT, **kwargs)


@pytest.mark.parametrize("num_classes", [None, 10])
def test_a_latent_dim_other_than_the_generators_noise_size_is_refused(num_classes):
    # It used to be accepted and to fail only in the first train step. A conditional generator's
    # noise is its first input; its second, the digit, has no size to compare.
    generator = stand_in_generator(num_classes=num_classes)
    discriminator = stand_in_discriminator(num_classes=num_classes)
    with pytest.raises(ValueError, match=f"latent_dim is 5; allowed: {LATENT}, the size of the generator's noise input"):
        training.GAN(generator, discriminator, latent_dim=5, num_classes=num_classes)
    assert training.GAN(generator, discriminator, latent_dim=LATENT, num_classes=num_classes).latent_dim == LATENT


def test_train_records_grids_and_saves_the_artifacts(bundled, tmp_path):
    gan = tiny_gan()
    run = training.train(gan, bundled.images[:256], steps=6, batch_size=32, snapshots=3, verbose=0)
    assert run.steps == 6 and run.steps_per_epoch == 2
    assert run.grid.steps == [0, 2, 4, 6]
    assert len(run.grid.frames) == 4 and run.grid.frames[0].shape == (16, 28, 28, 1)
    # The generator learned between the first and the last picture of the same noise.
    assert not np.allclose(run.grid.frames[0], run.grid.frames[-1])
    config = {"notebook": "test", "profile": "smoke", "steps": 6}
    records.save_run(tmp_path, gan.generator, config, run, metrics={"score": np.float32(0.5)},
                     headline=("score", 0.5))
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["steps"] == 6 and record["wall_seconds"] > 0
    assert record["parameters"]["steps"] == 6 and record["metrics"]["score"] == 0.5
    assert set(record["final_losses"]) == {"d_loss", "g_loss", "d_real", "d_fake"}
    reloaded = keras.models.load_model(tmp_path / "generator.keras", safe_mode=True)
    z = np.ones((2, LATENT), np.float32)
    np.testing.assert_allclose(reloaded(z), gan.generator(z), atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generator.keras", "metrics.json"]


def test_same_seed_gives_the_same_training_on_cpu(bundled):
    results = []
    for _ in range(2):
        gan = tiny_gan()
        dataset = data.make_dataset(bundled.images[:128], batch_size=16, seed=5)
        gan.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False)
        results.append(np.asarray(gan.generator(np.ones((1, LATENT), np.float32))))
    np.testing.assert_array_equal(results[0], results[1])


def test_ema_generator_is_the_running_average_of_the_generator(batches):
    gan = tiny_gan(ema_decay=0.1)
    start = weights_of(gan.generator)
    np.testing.assert_array_equal(weights_of(gan.ema_generator)[0], start[0])
    gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    after_one = weights_of(gan.generator)
    # After the first step the warm-up decay is (1 + 1) / (10 + 1) = 0.18 > 0.1, so 0.1 applies.
    for average, w0, w1 in zip(weights_of(gan.ema_generator), start, after_one):
        np.testing.assert_allclose(average, 0.1 * w0 + 0.9 * w1, rtol=1e-5, atol=1e-6)
    gan.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    gan_slow = tiny_gan(ema_decay=0.999)
    gan_slow.fit(batches, epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    # With decay 0.999 the warm-up value (1 + 1) / (10 + 1) applies instead.
    warm = 2.0 / 11.0
    for average, w0, w1 in zip(weights_of(gan_slow.ema_generator), start, weights_of(gan_slow.generator)):
        np.testing.assert_allclose(average, warm * w0 + (1 - warm) * w1, rtol=1e-4, atol=1e-6)
    assert gan.sampler is gan.ema_generator


def test_ema_decay_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="ema_decay is 1.5"):
        training.GAN(None, None, latent_dim=LATENT, ema_decay=1.5)


def test_a_time_budget_stops_training_early(bundled):
    gan = tiny_gan()
    run = training.train(gan, bundled.images[:256], steps=100_000, batch_size=32, snapshots=2,
                         time_budget=1.5, verbose=0)
    assert run.stopped_by_budget
    assert 0 < run.steps < 100_000 and run.steps == int(gan.g_optimizer.iterations)
    assert 1.5 <= run.wall_seconds < 15


def test_a_time_budgeted_run_collects_earlier_garbage_before_its_clock_starts(bundled, monkeypatch):
    """A full collection of earlier runs' networks and graphs can pause for seconds; not inside a budget."""
    class Stop(Exception):
        pass

    gan = tiny_gan()
    with garbage_left_behind() as freed:
        def budget(*args, **kwargs):
            raise Stop(bool(freed))   # whether it had been collected by the time the budget's clock is made

        monkeypatch.setattr(training, "TimeBudget", budget)
        with pytest.raises(Stop) as stopped:
            training.train(gan, bundled.images[:256], steps=10, batch_size=32, time_budget=1.0, verbose=0)
    assert stopped.value.args == (True,)


@pytest.mark.parametrize("snapshots", [1, 2])
def test_several_steps_per_execution_train_the_same_steps_on_the_same_data(bundled, snapshots):
    # steps_per_execution only changes how many steps one compiled call runs. train() lowers it to a
    # divisor of the chunk length, at most half of it (4 -> 3 for chunks of 6 steps, 1 for chunks of
    # 3), so no chunk trains extra steps and every chunk has at least two calls.
    outputs = []
    for steps_per_execution in (1, 4):
        gan = tiny_gan(ema_decay=0.9)
        gan.compile(g_optimizer=gan.g_optimizer, d_optimizer=gan.d_optimizer, steps_per_execution=steps_per_execution)
        run = training.train(gan, bundled.images[:256], steps=6, batch_size=16, snapshots=snapshots, verbose=0)
        assert run.steps == 6 == int(gan.g_optimizer.iterations) == int(gan.d_optimizer.iterations)
        assert gan.steps_per_execution == min(steps_per_execution, 6 // snapshots // 2)
        outputs.append(np.asarray(gan.sampler(np.ones((1, LATENT), np.float32))))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)
    # A later call with longer chunks starts again from the value compiled with.
    training.train(gan, bundled.images[:256], steps=20, batch_size=16, snapshots=1, verbose=0)
    assert gan.steps_per_execution == 4 and int(gan.g_optimizer.iterations) == 26


def test_a_critic_trained_without_xla_logs_no_remapper_error(bundled, capfd):
    """Grappler's remapper cannot fuse the critic's convolution, bias and activation when its gradient
    needs them apart, and says so on stderr, which lands in a notebook (04 at smoke did): train() turns
    the remapper off for a critic's run without XLA. (With this small critic only the clipped run makes
    the remapper fail; the penalized one did with 04's critic.)"""
    gan = tiny_gan("wasserstein", n_critic=2, ema_decay=0.999, clip_value=0.01)
    capfd.readouterr()
    training.train(gan, bundled.images[:256], steps=20, batch_size=32, snapshots=1, verbose=0)
    assert "remapper failed" not in capfd.readouterr().err


@pytest.mark.parametrize("settings, message", [
    ({"steps": 0}, "steps is 0; allowed: an integer >= 1"),
    ({"steps": -3}, "steps is -3; allowed: an integer >= 1"),
    ({"steps": 2.5}, "steps is 2.5; allowed: an integer >= 1"),
    ({"snapshots": 0}, "snapshots is 0; allowed: an integer >= 1"),
    ({"time_budget": -5}, "time_budget is -5; allowed: a number of seconds greater than 0, or None"),
    ({"time_budget": float("inf")}, "time_budget is inf; allowed"),
])
def test_run_lengths_that_would_never_end_or_never_start_are_refused(bundled, settings, message):
    # steps 0 used to hand Keras steps_per_epoch 0, "until the data runs out", and the data never does.
    arguments = {"steps": 1, "batch_size": 16, "snapshots": 1, "verbose": 0, **settings}
    with pytest.raises(ValueError, match=message):
        training.train(tiny_gan("non_saturating"), bundled.images[:64], **arguments)


def test_labels_for_an_unconditional_gan_are_refused(bundled):
    # They used to be ignored in training, yet to enter the run key.
    with pytest.raises(ValueError, match="unconditional .* allowed: labels=None"):
        training.train(tiny_gan(), bundled.images[:64], labels=bundled.labels[:64], steps=1, batch_size=16,
                       snapshots=1, verbose=0)


@pytest.mark.parametrize("labels, message", [
    (lambda digits: digits[:63], r"labels have shape \(63,\); allowed: one digit per image, shape \(64,\)"),
    (lambda digits: digits[:64, None], r"labels have shape \(64, 1\); allowed"),
    (lambda digits: np.where(np.arange(64) == 5, 10, digits[:64]), r"labels hold \[10\]; allowed: whole numbers "
                                                                   "0 to 9$"),
    (lambda digits: np.where(np.arange(64) == 5, -1, digits[:64]), r"labels hold \[-1\]; allowed"),
    (lambda digits: digits[:64] + 0.5, r"labels hold \[0.5, 1.5, .*9.5\]; allowed: whole numbers"),
])
def test_labels_that_do_not_fit_the_images_or_the_classes_are_refused_before_training(bundled, labels, message):
    # A wrong length or an unknown digit used to reach TensorFlow as an InvalidArgumentError in tf.data.
    gan = stand_in_gan(num_classes=10, run_eagerly=True)
    with pytest.raises(ValueError, match=message):
        training.train(gan, bundled.images[:64], labels=labels(np.arange(64) % 10), steps=1, batch_size=16,
                       snapshots=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 0


def test_pixel_images_and_a_missing_seed_are_refused_before_any_step(bundled):
    # 0-255 pixels used to train (d_real 1.0) and save checkpoints of a useless model, without a word.
    with pytest.raises(ValueError, match=r"images range from 0 to 255; allowed: float images of shape "
                                         r"\(N, 28, 28, 1\) in \[-1, 1\] \(data.to_model_range"):
        training.train(tiny_gan(), data.to_pixels(bundled.images[:64]).astype(np.float32), steps=2, batch_size=16,
                       verbose=0)
    with pytest.raises(ValueError, match=r"images have shape \(64, 784\)"):
        training.train(tiny_gan(), bundled.images[:64].reshape(64, 784), steps=2, batch_size=16, verbose=0)
    with pytest.raises(ValueError, match=r"seed is None; allowed: an integer from 0"):
        training.train(tiny_gan(), bundled.images[:64], steps=2, batch_size=16, seed=None, verbose=0)
