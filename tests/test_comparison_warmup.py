"""benchmarks/comparison_warmup.py: one comparison run as notebooks 03 and 04 make it, with or without the warm-up call."""

import pytest

from conftest import load_script, stand_in_gan


@pytest.fixture(scope="module")
def warmup():
    return load_script("benchmarks/comparison_warmup.py")


def test_the_warm_up_trains_one_step_outside_the_budget_and_the_run_fills_it(warmup, bundled, monkeypatch):
    from ganlib import recipes

    def build(recipe, seed):
        gan = stand_in_gan()
        gan.requested_steps_per_execution = 10   # as the recipes compile it; train() fits each call to it
        return gan
    monkeypatch.setattr(recipes, "build", build)
    images = bundled.images[:512]
    plain = warmup.one_run("dcgan", 0.5, warm_up=False, seed=1, images=images)
    warmed = warmup.one_run("dcgan", 0.5, warm_up=True, seed=1, images=images)
    for result in (plain, warmed):
        assert result["wall_seconds"] > 0 and result["steps"] >= 10   # at least one 10-step call
    assert warmed["steps"] % 10 == 1 and plain["steps"] % 10 == 0      # the warm-up's one step is counted


def test_zero_rounds_are_refused(warmup, capsys):
    with pytest.raises(SystemExit):
        warmup.main(["--rounds", "0"])
    assert "--rounds is 0; allowed: 1 or more" in capsys.readouterr().err
