"""docs/instructors.md and the README's time column are what docs/build_instructors.py writes from the
notebooks, ganlib/exercises.py, docs/answers/ and benchmarks/results/: they cannot drift."""

import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import load_script
from ganlib import exercises

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "run `.venv/bin/python docs/build_instructors.py` and commit docs/instructors.md and README.md"


guide = load_script("docs/build_instructors.py")
times = load_script("benchmarks/notebook_times.py")


# The English guide, and the Chinese one built the same way from notebooks/zh/, docs/answers/zh/ and
# docs/instructors.zh.in.md: (file, builder, where its written answers go, a phrase only it has).
GUIDES = [("instructors.md", "build_guide", "a '## Exercise N' section of docs/answers/NN.md", "**Exercise 1.**"),
          ("instructors.zh.md", "build_guide_zh", "a '## 练习 N' section of docs/answers/zh/NN.md", "**练习 1.**")]


@pytest.mark.parametrize("name, builder, answers, phrase", GUIDES, ids=[g[0] for g in GUIDES])
def test_the_instructors_guide_is_up_to_date(name, builder, answers, phrase):
    try:
        expected = getattr(guide, builder)()
    except guide.MissingAnswers as error:
        pytest.fail(f"{error}. Write each as {answers}, then {REGENERATE}")
    actual = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert actual == expected, f"docs/{name} is out of date: {REGENERATE}"
    assert phrase in actual


def test_the_readme_time_column_matches_the_recorded_timings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == guide.readme_with_times(readme, times.load_results(), times), \
        f"the README's notebook map is out of date: {REGENERATE}"


def test_the_readme_time_to_quality_table_matches_the_recorded_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert guide.QUALITY_START in readme and guide.QUALITY_END in readme
    assert readme == guide.readme_with_time_to_quality(readme), \
        f"the README's time-to-quality table is out of date: {REGENERATE}"


# The parts, on synthetic notebooks ------------------------------------------------------------


def notebook(*cells) -> nbformat.NotebookNode:
    made = [nbformat.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbformat.v4.new_code_cell(c)
            for c in cells]
    return nbformat.v4.new_notebook(cells=made)


@pytest.fixture()
def course(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(notebook(
        "md:# 00 · Start\n\nSome text.",
        "def lerp(z0, z1, t):\n    raise NotImplementedError",      # an exercise cell above the section
        "exercises.check_lerp(lerp)",
        "md:## Summary\n\n- a point\n\n## Exercises\n\nThe checked ones come first.\n\n"
        "1. Write `lerp` above, then compare its midpoint\n   with slerp's.\n2. Write the penalty.",
        "def penalty_from_norms(norms):\n    raise NotImplementedError",
        "exercises.check_penalty_from_norms(penalty_from_norms)",
        "md:3. Train longer. What changes?\n4. Why $D^*$?",
    ), notebooks / "00_start.ipynb")
    nbformat.write(notebook("md:# 01 · Next", "md:## Exercises\n\n### Exercise 1: think\n\nArgue it.\n\n"
                            "## Appendix\n\n1. not an exercise"), notebooks / "01_next.ipynb")
    answers = tmp_path / "answers"
    answers.mkdir()
    (answers / "00.md").write_text("# 00\n\n## Exercise 1\n\nThe midpoint is shorter.\n\n## 3.\n"
                                   "    longer = train(steps=2 * steps)\nIt improves.\n")
    template = tmp_path / "guide.in.md"
    template.write_text("# Guide\n\n{{time_table}}\n\nGive {{exercises 00}}.\n\n{{answers}}\n")
    return notebooks, answers, template


def test_exercises_are_read_across_cells_with_the_checks_that_test_them(course):
    notebooks, _, _ = course
    found = guide.exercises_of(notebooks / "00_start.ipynb")
    assert [e.number for e in found] == [1, 2, 3, 4]
    assert found[0].text == "Write `lerp` above, then compare its midpoint\nwith slerp's."
    assert found[0].checked == [("lerp", "check_lerp")]                 # named in the text
    assert found[1].checked == [("penalty_from_norms", "check_penalty_from_norms")]   # the exercise above
    assert found[3].text == "Why $D^*$?" and not found[3].checked
    headed = guide.exercises_of(notebooks / "01_next.ipynb")
    assert [(e.number, e.text) for e in headed] == [(1, "think\n\nArgue it.")]   # the appendix is not read


def test_a_check_that_belongs_to_no_exercise_is_an_error(tmp_path):
    path = tmp_path / "02_x.ipynb"
    nbformat.write(notebook("md:# 02", "exercises.check_lerp(lerp)", "md:## Exercises\n\n1. Think."), path)
    with pytest.raises(ValueError, match="name `lerp`"):
        guide.exercises_of(path)


def doubled(values):
    """The solution a check below points to."""
    return 2 * values


def check_doubled(candidate):
    # The reference solution is test_instructors.doubled.
    reference = lambda values: doubled(np.float32(values))  # noqa: E731
    exercises.check_function("doubled", candidate, reference, [(np.array([1.0, 2.5]),), (np.arange(12.0),)])


def check_named(candidate):
    exercises.check_function("doubled", candidate, doubled, [(np.array([1.0]),)], atol=1e-6)


def test_a_reference_is_read_from_the_check_itself(monkeypatch):
    monkeypatch.setattr(exercises, "check_doubled", check_doubled, raising=False)
    monkeypatch.setattr(exercises, "check_named", check_named, raising=False)
    wrapped = guide.reference_of("check_doubled")        # a lambda around a function: the function's source
    assert wrapped.source.startswith("def doubled(values):") and wrapped.where == "test_instructors.py: doubled"
    assert wrapped.cases == ["([1. , 2.5]) → [2., 5.]",
                             "(float64 array of shape (12,): [0, 1, 2, …]) → float32 array of shape (12,): [0, 2, 4, …]"]
    named = guide.reference_of("check_named")
    assert named.source.startswith("def doubled(") and named.tolerance == "atol 1e-06, rtol 0.0001"
    real = [name for name in dir(exercises) if name.startswith("check_") and name != "check_function"]
    assert real and all(guide.reference_of(name).source.startswith("def ") for name in real)


def test_open_exercises_need_written_answers_unless_drafting(course):
    notebooks, answers, template = course
    with pytest.raises(guide.MissingAnswers, match="00_start exercise 4, 01_next exercise 1"):
        guide.build_guide(notebooks, answers_dir=answers, template=template, results_dir=answers)
    draft = guide.build_guide(notebooks, answers_dir=answers, template=template, results_dir=answers, draft=True)
    assert draft.count("Answer pending") == 2
    assert "Discussion:\n\nThe midpoint is shorter." in draft
    assert "Answer:\n\n    longer = train(steps=2 * steps)\nIt improves." in draft   # the code block keeps its indent
    assert "def reference_lerp(" in draft and "def penalty_from_norms(" in draft
    assert "Give 1 (`lerp`, checked), 2 (`penalty_from_norms`, checked); open: 3, 4." in draft
    assert "No timings are recorded yet" in draft
    (answers / "00.md").write_text("## Exercise 3\n\nIt improves.\n\n## Exercise 4\n\nBecause.\n")
    (answers / "01.md").write_text("## Exercise 1\n\nSo.\n")
    assert "Answer pending" not in guide.build_guide(notebooks, answers_dir=answers, template=template,
                                                     results_dir=answers)


def results(tmp_path, variant, entries, cpu="Test CPU"):
    record = {"variant": variant, "machine": {"cpu": cpu, "cpus": 2, "python": "3.11.7",
                                               "packages": {"tensorflow": "2.21.0"}},
              "notebooks": {name: {"seconds": s, "status": "ok" if s else "failed: Boom", "peak_memory_mib": 1536,
                                   "measured": "2026-11-28 10:00"} for name, s in entries.items()}}
    (tmp_path / f"notebook-times-{variant}.json").write_text(json.dumps(record))


def test_the_machine_line_names_each_setup_once_and_its_columns_when_they_differ(tmp_path):
    results(tmp_path, "default", {"00_start": 42.0})
    results(tmp_path, "smoke", {"00_start": 20.0})
    assert times.machines_line(times.load_results(tmp_path)).count("Test CPU") == 1
    results(tmp_path, "pretrained", {"00_start": 30.0}, cpu="Other CPU")
    line = times.machines_line(times.load_results(tmp_path))
    assert "smoke, default: 2 CPUs (Test CPU)" in line and "shipped generators: 2 CPUs (Other CPU)" in line


def test_the_machine_line_gives_the_speed_measured_before_each_notebook(tmp_path):
    results(tmp_path, "full", {"00_start": 42.0, "01_next": 312.0})
    assert "GFLOP/s" not in times.machines_line(times.load_results(tmp_path))   # older records have no probe
    record = json.loads((tmp_path / "notebook-times-full.json").read_text())
    record["notebooks"]["01_next"]["speed_probe_gflops"] = 250.0
    (tmp_path / "notebook-times-full.json").write_text(json.dumps(record))
    line = times.machines_line(times.load_results(tmp_path))   # only the newer timing has one
    assert "NumPy float32 matmul probe 250 GFLOP/s before 01 (the older timings recorded none)" in line
    record["notebooks"]["00_start"]["speed_probe_gflops"] = 480.5
    (tmp_path / "notebook-times-full.json").write_text(json.dumps(record))
    line = times.machines_line(times.load_results(tmp_path))
    assert "NumPy float32 matmul probe 250-480.5 GFLOP/s before each notebook" in line



def test_the_time_table_shows_each_measured_profile_and_nothing_guessed(tmp_path):
    results(tmp_path, "default", {"00_start": 42.0, "01_next": 312.0})
    results(tmp_path, "smoke", {"00_start": 20.0, "01_next": None})
    table = times.time_table(times.load_results(tmp_path), ["00_start", "01_next", "02_new"])
    lines = table.splitlines()
    assert lines[0] == "| notebook | smoke | default | peak memory (default) |"
    assert lines[2] == "| 00_start | 20 s | 42 s | 1.5 GiB |"
    assert lines[3] == "| 01_next | failed | 5.2 min | 1.5 GiB |"
    assert lines[4] == "| 02_new | not measured | not measured | - |"
    assert lines[5] == "| **all, in order** | - | - | |"       # no total over a gap
    assert times.time_table({}, ["00_start"]) == ""


README = """# Course

<!-- notebook map: start -->
| # | notebook | what you learn |
|---|---|---|
| 00 | [start](notebooks/00_start.ipynb) | the start |
| 01 | [next](notebooks/01_next.ipynb) | the rest |
<!-- notebook map: end -->

More.
"""


def test_the_readme_gets_a_time_column_only_from_measured_default_times(tmp_path):
    assert guide.readme_with_times(README, {}, times) == README
    results(tmp_path, "default", {"00_start": 42.0})
    timed = guide.readme_with_times(README, times.load_results(tmp_path), times)
    assert "| # | notebook | what you learn | time (default, 2-core CPU) |" in timed
    assert "| 00 | [start](notebooks/00_start.ipynb) | the start | 42 s |" in timed
    assert "| 01 | [next](notebooks/01_next.ipynb) | the rest | not measured |" in timed
    assert guide.readme_with_times(timed, times.load_results(tmp_path), times) == timed
    assert guide.readme_with_times(timed, {}, times) == README


def test_the_shipped_generators_column_runs_only_notebooks_that_can_use_them(tmp_path):
    # 00 has no `pretrained` parameter, so it runs as at default; 03 loads the shipped DCGAN.
    results(tmp_path, "default", {"00_setup_and_data": 12.0, "03_dcgan": 600.0})
    results(tmp_path, "pretrained", {"03_dcgan": 100.0})
    lines = times.time_table(times.load_results(tmp_path), ["00_setup_and_data", "03_dcgan"]).splitlines()
    assert lines[0] == "| notebook | default | default, shipped generators | peak memory (default) |"
    assert lines[2] == "| 00_setup_and_data | 12 s | as default | 1.5 GiB |"
    assert lines[3] == "| 03_dcgan | 10.0 min | 1.7 min | 1.5 GiB |"
    assert lines[4] == "| **all, in order** | 10.2 min | 1.9 min | |"


def test_the_readme_time_table_shows_every_measured_profile(tmp_path):
    readme = README + "\n<!-- time table: start -->\n<!-- time table: end -->\n"
    results(tmp_path, "default", {"00_setup_and_data": 12.0})
    timed = guide.readme_with_times(readme, times.load_results(tmp_path), times)
    table = timed.split("<!-- time table: start -->")[1].split("<!-- time table: end -->")[0]
    assert "| notebook | default | peak memory (default) |" in table
    assert "| 00_setup_and_data | 12 s | 1.5 GiB |" in table
    assert "Measured with `benchmarks/notebook_times.py` on: 2 CPUs (Test CPU), Python 3.11.7" in table
    assert guide.readme_with_times(readme, {}, times).count("No timings are recorded yet") == 1


def test_where_the_time_went_lists_the_slowest_code_cells_first(tmp_path):
    cells = [nbformat.v4.new_markdown_cell("# a title"),
             nbformat.v4.new_code_cell("import ganlib\nmore"),
             nbformat.v4.new_code_cell("train(steps)\nmore"),
             nbformat.v4.new_code_cell("never ran")]
    for cell, seconds in zip(cells, (1.0, 4.0, 90.0, None)):
        if seconds is not None:
            cell.metadata["papermill"] = {"duration": seconds}
    executed = tmp_path / "default" / "03_dcgan.ipynb"
    executed.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=cells), executed)

    total, slowest = times.slowest_cells(executed, top=2)
    assert total == 94.0                          # code cells only; the markdown cell's second is not counted
    assert [(s, line) for s, _, line in slowest] == [(90.0, "train(steps)"), (4.0, "import ganlib")]
    report = times.cells_report("default", tmp_path, top=1)
    assert len(report.splitlines()) == 2 and report.splitlines()[0] == "03_dcgan: 94 s in code cells"
    assert "90 s" in report and "96%" in report and "train(steps)" in report
    with pytest.raises(SystemExit, match="run `notebook_times.py run --variant full` first"):
        times.cells_report("full", tmp_path)
