"""benchmarks/time_to_quality.py reads each seed's quality curve and summarizes the seeds honestly."""

import json
import math
import os

import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def ttq():
    return load_script("benchmarks/time_to_quality.py")


def test_a_threshold_is_reached_at_the_first_judgement_that_meets_it(ttq):
    records = [{"train_seconds": 0.0, "recognized_share": 0.0, "frechet_ratio": 60.0, "label_agreement": math.nan},
               {"train_seconds": 5.0, "recognized_share": 0.66, "frechet_ratio": 9.0, "label_agreement": 0.96},
               {"train_seconds": 10.0, "recognized_share": 0.64, "frechet_ratio": 7.5, "label_agreement": 0.97}]
    assert ttq.first_time(records, "recognized_share", 0.65, max) == 5.0
    assert ttq.first_time(records, "frechet_ratio", 8.0, min) == 10.0       # lower is better
    assert ttq.first_time(records, "recognized_share", 0.90, max) is None
    assert ttq.first_time(records, "label_agreement", 0.95, max) == 5.0     # NaN (nothing judged) is skipped
    assert ttq.first_time(records[:1], "missing_measure", 0.5, max) is None


def test_a_seed_that_never_reached_the_threshold_counts_as_the_slowest(ttq):
    assert ttq.summarize([30.0, None, 10.0]) == {"median": 30.0, "lowest": 10.0, "highest": None,
                                                 "seeds_reached": 2, "seeds": 3}
    assert ttq.summarize([None, 5.0, None])["median"] is None
    assert ttq.summarize([40.0, 20.0])["median"] == 30.0
    assert ttq.summarize([12.0, 8.0, 10.0]) == {"median": 10.0, "lowest": 8.0, "highest": 12.0,
                                                "seeds_reached": 3, "seeds": 3}


def test_every_target_row_names_a_recipe_and_a_threshold(ttq):
    from ganlib import recipes

    assert {recipe for recipe, _, _ in ttq.TARGETS} == set(recipes.RECIPES) == set(ttq.NAMES)
    assert all(threshold in ttq.THRESHOLDS for _, threshold, _ in ttq.TARGETS)
    assert set(ttq.BUDGETS) == set(ttq.JUDGE_EVERY) == set(recipes.RECIPES)


def results_file(folder, label, seconds_by_seed, recipe="mlp"):
    """A results file whose seeds reached 65% recognized at the given training seconds (None: never)."""
    seeds = {}
    for seed, seconds in seconds_by_seed.items():
        records = [{"step": 0, "train_seconds": 0.0, "recognized_share": 0.0}]
        if seconds is not None:
            records.append({"step": int(seconds * 50), "train_seconds": seconds, "recognized_share": 0.7})
        seeds[str(seed)] = {"budget_seconds": 90.0, "records": records}
    results = {"label": label, "batch_size": 64, "cpu_count": 2, "gpus": [], "models": {recipe: {"seeds": seeds}}}
    (folder / f"time-to-quality-cpu2-{label}.json").write_text(json.dumps(results))


def test_the_readme_table_has_a_column_per_labelled_run_before_first(ttq, tmp_path):
    results_file(tmp_path, "after", {0: 20.0, 1: 30.0, 2: 25.0})
    results_file(tmp_path, "before", {0: 80.0, 1: None, 2: 85.0})
    (tmp_path / "time-to-quality-cpu2.json").write_text(json.dumps({"models": {}}))   # an unlabelled old file
    labelled = ttq.load_labelled(tmp_path)
    assert list(labelled) == ["before (2 CPUs)", "after (2 CPUs)"]
    lines = ttq.markdown_table(labelled).splitlines()
    assert lines[0] == "| model (notebook) | quality | target | before (2 CPUs) | after (2 CPUs) |"
    assert lines[2] == ("| MLP GAN (02) | 65% recognized | <= 30 s | 85 s (80-85 s; 1 of 3 not in 90 s), 4,250 steps "
                        "| 25 s (20-30 s), 1,250 steps |")
    assert lines[3].endswith("| not measured | not measured |")


def test_a_setting_is_changed_by_name_and_a_bad_one_is_refused_with_what_is_allowed(ttq):
    assert ttq.parse_overrides(["learning_rate=4e-4", "ema_decay=None", "jit_compile=False"]) == {
        "learning_rate": 4e-4, "ema_decay": None, "jit_compile": False}
    with pytest.raises(ValueError, match="KEY one of width, learning_rate, jit_compile"):
        ttq.parse_overrides(["gp_weight=5"])
    assert ttq.parse_overrides(["generator_width=64"]) == {"generator_width": 64}   # read from recipes.build
    for own_argument in ("recipe", "seed", "augment", "label_smoothing"):
        with pytest.raises(ValueError, match="KEY one of"):
            ttq.parse_overrides([f"{own_argument}=1"])
    with pytest.raises(ValueError, match="'fast' is not a Python literal"):
        ttq.parse_overrides(["learning_rate=fast"])
    assert ttq.parse_overrides(["adam_betas=(0.0, 0.99)"]) == {"adam_betas": (0.0, 0.99)}   # a tuple of numbers


def test_a_screen_run_is_appended_to_its_machines_results_file(ttq, tmp_path, monkeypatch):
    monkeypatch.setattr(ttq, "RESULTS", tmp_path)
    first = ttq.append_run("a-screen", {"label": "one"})
    second = ttq.append_run("a-screen", {"label": "two"})
    assert ttq.machine_tag() in ("gpu", f"cpu{os.cpu_count()}")
    assert first == second == tmp_path / f"a-screen-{ttq.machine_tag()}.json"
    assert json.loads(first.read_text()) == {"runs": [{"label": "one"}, {"label": "two"}]}
