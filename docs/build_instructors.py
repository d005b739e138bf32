"""Write docs/instructors.md: the instructors' guide, with parts that are generated so they cannot drift.

    .venv/bin/python docs/build_instructors.py            (writes docs/instructors.md and the README's times)
    .venv/bin/python docs/build_instructors.py --draft    (open exercises without a written answer say
                                                           "answer pending" instead of stopping the build)
    .venv/bin/python docs/build_instructors.py --check    (exit 1 if either file is out of date)

The guide is docs/instructors.in.md with its placeholders filled:
- ``{{time_table}}``: each notebook's measured time per profile, from benchmarks/results/notebook-times-*.json
  (benchmarks/notebook_times.py writes them);
- ``{{exercises NN}}``: notebook NN's exercises in one line (which are checked automatically);
- ``{{pretrained_notebooks}}``: the notebooks whose parameters include ``pretrained``;
- ``{{answers}}``: every exercise of every notebook, read from the notebooks' "Exercises" sections,
  each with its answer: for a checked exercise, the reference solution's source (from the check in
  ganlib/exercises.py, via inspect) and the cases the check compares; for an open one, the written
  answer in docs/answers/NN.md (a section per exercise, headed "## Exercise N" or "## N.").
The README's notebook map gets a "time" column from the same results (none until measured).
tests/test_instructors.py fails when either file differs from what this script writes.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TEMPLATE = DOCS / "instructors.in.md"
GUIDE = DOCS / "instructors.md"
ANSWERS = DOCS / "answers"
# The Chinese guide: its template and answers are translations; its exercises come from notebooks/zh/.
GUIDE_ZH, TEMPLATE_ZH, ANSWERS_ZH = DOCS / "instructors.zh.md", DOCS / "instructors.zh.in.md", ANSWERS / "zh"
README = ROOT / "README.md"
REGENERATE = ".venv/bin/python docs/build_instructors.py"

# What the guide says in each language (the Chinese guide, docs/instructors.zh.md, is built from the
# Chinese notebooks, docs/answers/zh/ and docs/instructors.zh.in.md with these words).
LABELS = {
    "en": {"exercises_heading": "Exercises", "exercise": "Exercise", "no_exercises": "This notebook has no exercises.",
           "item": "**Exercise {number}.** ", "discussion": "Discussion:", "answer": "Answer:",
           "checked_by": "*Checked automatically* by `exercises.{check}({function})`. Reference solution (`{where}`):",
           "cases": "The check's cases ({tolerance}), as inputs → expected output:",
           "further": "Then, once those are right, it runs: {checks} (`ganlib/exercises.py`).",
           "pending": "*Answer pending: {answers}/{number}.md has no section for this exercise yet.*",
           "checked_short": "{number} (`{function}`, checked)", "open": "open: {numbers}", "none": "none",
           "comma": ", ", "semicolon": "; ", "and": " and ", "none_yet": "none yet",
           "no_times": ("No timings are recorded yet. Measure them on a machine like your attendees' with "
                        "`benchmarks/notebook_times.py run --variant default` (and `smoke`, `full`, `pretrained`); "
                        "then rerun this guide's generator.\n"),
           "times_note": ("Wall time of each whole notebook, kernel start included, run in order as `make course` "
                          "runs them; peak memory is the notebook's kernel at the default profile. Measured with "
                          "`benchmarks/notebook_times.py` on: {machines}.\n")},
    "zh": {"exercises_heading": "练习", "exercise": "练习", "no_exercises": "本笔记本没有练习。",
           "item": "**练习 {number}.** ", "discussion": "讨论：", "answer": "答案：",
           "checked_by": "由 `exercises.{check}({function})` *自动检查*。参考解答（`{where}`）：",
           "cases": "检查所用的用例（{tolerance}），格式为 输入 → 期望输出：",
           "further": "这些用例都正确之后，检查还会运行：{checks}（`ganlib/exercises.py`）。",
           "pending": "*答案待补：{answers}/{number}.md 中还没有这道练习的小节。*",
           "checked_short": "{number}（`{function}`，自动检查）", "open": "开放题：{numbers}", "none": "无",
           "comma": "、", "semicolon": "；", "and": "、", "none_yet": "暂无",
           "no_times": ("还没有记录任何用时。请在与学员相似的机器上用 "
                        "`benchmarks/notebook_times.py run --variant default`（以及 `smoke`、`full`、`pretrained`）"
                        "测量，然后重新生成本指南。\n"),
           "times_note": ("每个笔记本从启动内核到运行结束的总用时，按 `make course` 的顺序依次运行；峰值内存是该笔记本的"
                          "内核在 default 运行档位下的峰值。由 `benchmarks/notebook_times.py` 测量，环境：{machines}。\n")},
}


def _load_benchmark(name: str):
    """benchmarks/<name>.py as a module (the benchmarks folder is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module        # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class MissingAnswers(Exception):
    """Open exercises without a written answer (the build is not in draft mode)."""


# Exercises, as the notebooks state them -------------------------------------------------------


@dataclass
class Exercise:
    number: int
    text: str                                   # the exercise as the notebook words it (markdown)
    checked: list[tuple[str, str]] = field(default_factory=list)   # (function, check_ name)


ITEM = re.compile(r"^ {0,3}(\d+)[.)]\s+(.*)$")
HEADED = re.compile(r"^#{3,4}\s+(?:Exercise|练习)\s*(\d+)\b[:.：]?\s*(.*)$", re.I)
SECTION = re.compile(r"^##\s+(?:Exercises|练习)\s*$", re.M)
CHECK_CALL = re.compile(r"exercises\.(check_\w+)\(\s*(\w+)\s*\)")


def exercises_of(path: Path) -> list[Exercise]:
    """The numbered exercises in a notebook's "## Exercises" section, with the checks that test them.

    An exercise is a numbered list item (``3. Train without ...``) or a heading ``### Exercise 3``
    in the section; its text runs until the next one. A check cell (``exercises.check_lerp(lerp)``)
    belongs to the exercise whose text names the function in backquotes, else to the last exercise
    above it.
    """
    cells = nbformat.read(path, as_version=4).cells
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and SECTION.search(c.source)), None)
    if start is None:
        return []
    found: list[Exercise] = []
    checks: list[tuple[str, str, int | None]] = []    # (check, function, number of the exercise above)
    ended = False
    for index, cell in enumerate(cells):
        if cell.cell_type == "code":
            above = found[-1].number if found and index > start and not ended else None
            checks += [(check, function, above) for check, function in CHECK_CALL.findall(cell.source)]
            continue
        if cell.cell_type != "markdown" or index < start or ended:
            continue
        lines = cell.source.splitlines()
        if index == start:
            lines = lines[next(n for n, line in enumerate(lines) if SECTION.match(line)) + 1:]
        current = None    # an exercise's text stays within its cell
        for line in lines:
            item = HEADED.match(line) or ITEM.match(line)
            if item:
                current = Exercise(int(item.group(1)), item.group(2).strip())
                found.append(current)
            elif re.match(r"^#{1,2}\s", line):      # the next section: the exercises are over
                ended = True
                break
            elif current is not None:
                current.text += "\n" + line.strip()
    for exercise in found:
        exercise.text = exercise.text.strip()
    for check, function, above in checks:
        named = [e for e in found if f"`{function}`" in e.text]
        owner = named[0] if named else next((e for e in found if e.number == above), None)
        if owner is None:
            raise ValueError(f"{path.name}: cannot tell which exercise the check {check}({function}) belongs to; "
                             f"name `{function}` in the exercise's text")
        owner.checked.append((function, check))
    return found


# Answers ---------------------------------------------------------------------------------------


@dataclass
class Reference:
    source: str            # the solution's source code
    where: str             # where it lives, e.g. ganlib/exercises.py: reference_lerp
    cases: list[str]       # one line per case the check compares: inputs -> expected
    tolerance: str
    further: list[str]     # the names of the checks run once the cases pass (how the answer is written)


def reference_of(check_name: str) -> Reference:
    """The solution a check compares with, found by running the check with a recorder in place."""
    from ganlib import exercises

    check = getattr(exercises, check_name)
    seen = {}

    def record(name, candidate, reference, cases, atol=1e-5, rtol=1e-4, dtype=None, further_checks=()):
        seen.update(reference=reference, cases=cases, atol=atol, rtol=rtol, dtype=dtype, further=further_checks)

    original = exercises.check_function
    exercises.check_function = record
    try:
        check(None)
    finally:
        exercises.check_function = original
    if not seen:
        raise ValueError(f"ganlib.exercises.{check_name} does not call check_function: cannot read its reference")
    reference = seen["reference"]
    # A check that wraps a ganlib function in a lambda says which, in a comment.
    named = re.search(r"reference solution is ([\w.]+?)\.?$", inspect.getsource(check), flags=re.M)
    if named and getattr(reference, "__name__", "") == "<lambda>":
        module_name, _, attribute = named.group(1).rpartition(".")
        solution = getattr(importlib.import_module(module_name), attribute)
    else:
        solution = reference
    source = textwrap.dedent(inspect.getsource(solution))
    where = f"{solution.__module__.replace('.', '/')}.py: {solution.__name__}"
    cases = [f"{_arguments(case)} → {_value(np.asarray(reference(*case)))}" for case in seen["cases"]]
    tolerance = f"atol {seen['atol']:g}, rtol {seen['rtol']:g}"
    if seen["dtype"] is not None:
        tolerance += f", dtype {np.dtype(seen['dtype'])}"
    return Reference(source.rstrip(), where, cases, tolerance, [check.__name__ for check in seen["further"]])


def _value(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.size <= 8:
        return " ".join(np.array2string(array, precision=4, separator=", ", suppress_small=True).split())
    first = ", ".join(f"{v:.4g}" for v in array.ravel()[:3])
    return f"{array.dtype} array of shape {array.shape}: [{first}, …]"


def _arguments(case) -> str:
    def one(argument):
        if isinstance(argument, (str, bool)) or argument is None:
            return repr(argument)
        if isinstance(argument, (int, float, np.number)):
            return f"{argument:g}"
        if isinstance(argument, (list, tuple)) and argument and not np.asarray(argument).dtype.kind in "biuf":
            # Records (dicts) and the like: the first in full, then how many more.
            return f"[{argument[0]!r}, … {len(argument) - 1} more]" if len(repr(argument)) > 80 else repr(argument)
        return _value(np.asarray(argument))
    return "(" + ", ".join(one(a) for a in case) + ")"


def written_answers(number: str, answers_dir: Path = ANSWERS) -> dict[int, str]:
    """Exercise number -> the written answer in answers/NN.md ("## Exercise 3" or "## 3." sections)."""
    path = answers_dir / f"{number}.md"
    if not path.exists():
        return {}
    answers, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{1,3}\s*(?:Exercise\s*|练习\s*)?(\d+)\b[.:)：]?\s*(.*)$", line, flags=re.I)
        if heading:
            current = int(heading.group(1))
            answers[current] = []
        elif current is not None:
            answers[current].append(line)
    # Only blank lines are trimmed: an answer may open with an indented code block.
    texts = {n: "\n".join(line.rstrip() for line in lines).strip("\n") for n, lines in answers.items()}
    return {n: text for n, text in texts.items() if text.strip()}


def answers_section(notebooks: list[Path], answers_dir: Path = ANSWERS, draft: bool = False, lang: str = "en") -> str:
    words = LABELS[lang]
    parts, missing = [], []
    for path in notebooks:
        number = path.stem[:2]
        found = exercises_of(path)
        written = written_answers(number, answers_dir)
        title = _title(path)
        parts.append(f"### {title}\n")
        if not found:
            parts.append(words["no_exercises"] + "\n")
            continue
        for exercise in found:
            parts.append(words["item"].format(number=exercise.number) + _quote(exercise.text) + "\n")
            for function, check in exercise.checked:
                reference = reference_of(check)
                parts.append(words["checked_by"].format(check=check, function=function, where=reference.where)
                             + f"\n\n```python\n{reference.source}\n```\n")
                parts.append(words["cases"].format(tolerance=reference.tolerance) + "\n\n"
                             + "\n".join(f"- `{line}`" for line in reference.cases) + "\n")
                if reference.further:
                    parts.append(words["further"].format(checks=words["comma"].join(f"`{name}`" for name in reference.further))
                                 + "\n")
            if exercise.number in written:
                parts.append(words["discussion" if exercise.checked else "answer"] + "\n\n"
                             + written[exercise.number] + "\n")
            elif not exercise.checked:
                missing.append(f"{path.stem} exercise {exercise.number}")
                parts.append(words["pending"].format(answers=answers_dir.relative_to(ROOT) if answers_dir.is_relative_to(ROOT)
                                                     else answers_dir, number=number) + "\n")
    if missing and not draft:
        raise MissingAnswers(f"open exercises without a written answer in {answers_dir}: " + ", ".join(missing))
    return "\n".join(parts).rstrip() + "\n"


def _and(items: list[str], lang: str = "en") -> str:
    if len(items) < 2:
        return "".join(items)
    return LABELS[lang]["comma"].join(items[:-1]) + LABELS[lang]["and"] + items[-1]


def _quote(text: str) -> str:
    return text.replace("\n", " ").replace("  ", " ")


def _title(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source
    match = re.search(r"^#\s+(.+)$", first, flags=re.M)
    return match.group(1).strip() if match else path.stem


def exercises_line(path: Path, lang: str = "en") -> str:
    """E.g. "1 (`lerp`, checked); open: 2, 3" for a plan's exercises column."""
    words = LABELS[lang]
    found = exercises_of(path)
    if not found:
        return words["none"]
    comma, semicolon = words["comma"], words["semicolon"]
    checked = comma.join(words["checked_short"].format(number=e.number, function=e.checked[0][0])
                         for e in found if e.checked)
    open_ = comma.join(str(e.number) for e in found if not e.checked)
    return semicolon.join(part for part in (checked, words["open"].format(numbers=open_) if open_ else "") if part)


# The guide and the README ---------------------------------------------------------------------


TABLE_WORDS_ZH = {"notebook": "笔记本", "default, shipped generators": "default，用随附的生成器",
                  "peak memory (default)": "峰值内存（default）", "**all, in order**": "**全部，依次运行**",
                  "not measured": "未测量", "failed": "失败", "as default": "同 default"}


def time_section(results: dict, names: list[str], times, lang: str = "en") -> str:
    table = times.time_table(results, names)
    if not table:
        return LABELS[lang]["no_times"]
    if lang == "zh":
        table = "\n".join("|".join(f" {TABLE_WORDS_ZH.get(c.strip(), c.strip())} " if c.strip() else c
                                    for c in line.split("|")).strip() for line in table.splitlines())
    return table + "\n\n" + LABELS[lang]["times_note"].format(machines=times.machines_line(results))


def build_guide(notebooks_dir: Path = ROOT / "notebooks", results_dir: Path | None = None,
                answers_dir: Path = ANSWERS, draft: bool = False, template: Path = TEMPLATE, lang: str = "en") -> str:
    times = _load_benchmark("notebook_times")
    paths = times.notebooks(notebooks_dir)
    results = times.load_results(results_dir or times.RESULTS)
    text = template.read_text(encoding="utf-8")
    by_number = {p.stem[:2]: p for p in paths}

    def exercises_placeholder(match):
        number = match.group(1)
        if number not in by_number:
            raise ValueError(f"{template.name} names notebook {number}, which does not exist")
        return exercises_line(by_number[number], lang)

    text = re.sub(r"\{\{exercises (\d\d)\}\}", exercises_placeholder, text)
    with_pretrained = [p.stem[:2] for p in paths if "pretrained" in times.parameter_names(p)]
    text = text.replace("{{pretrained_notebooks}}", _and(with_pretrained, lang) or LABELS[lang]["none_yet"])
    text = text.replace("{{time_table}}", time_section(results, [p.stem for p in paths], times, lang).rstrip())
    text = text.replace("{{answers}}", answers_section(paths, answers_dir, draft, lang).rstrip())
    leftover = re.findall(r"\{\{[^}]*\}\}", text)
    if leftover:
        raise ValueError(f"{template.name} has placeholders this script does not know: {leftover}")
    return text


def build_guide_zh(draft: bool = False) -> str:
    """The Chinese guide: the same parts, from the Chinese notebooks, answers and template."""
    return build_guide(ROOT / "notebooks" / "zh", answers_dir=ANSWERS_ZH, draft=draft, template=TEMPLATE_ZH, lang="zh")


MAP_START, MAP_END = "<!-- notebook map: start -->", "<!-- notebook map: end -->"
TABLE_START, TABLE_END = "<!-- time table: start -->", "<!-- time table: end -->"
TIME_COLUMN = "time (default, 2-core CPU)"


def readme_with_times(readme: str, results: dict, times) -> str:
    """The README with its notebook map's time column set from the measured default times (or removed)."""
    if MAP_START not in readme or MAP_END not in readme:
        raise ValueError(f"README.md lacks the markers {MAP_START} ... {MAP_END} around its notebook map")
    head, rest = readme.split(MAP_START, 1)
    table, tail = rest.split(MAP_END, 1)
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table.strip().splitlines()]
    if TIME_COLUMN in rows[0]:        # drop the old column, then add it afresh
        column = rows[0].index(TIME_COLUMN)
        rows = [row[:column] + row[column + 1:] for row in rows]
    default = results.get("default", {}).get("notebooks", {})
    if default:
        rows[0].append(TIME_COLUMN)
        rows[1].append("---")
        for row in rows[2:]:
            entry = next((v for k, v in default.items() if k.startswith(row[0] + "_")), None)
            row.append(times.cell(entry))
    lines = ["| " + " | ".join(row) + " |" if n != 1 else "|" + "---|" * len(row) for n, row in enumerate(rows)]
    readme = head + MAP_START + "\n" + "\n".join(lines) + "\n" + MAP_END + tail
    if TABLE_START in readme and TABLE_END in readme:     # the whole time table, every measured profile
        names = [p.stem for p in times.notebooks(ROOT / "notebooks")]
        readme = _between(readme, TABLE_START, TABLE_END, time_section(results, names, times).rstrip())
    return readme


def _between(text: str, start: str, end: str, body: str) -> str:
    """``text`` with whatever stands between the markers ``start`` and ``end`` replaced by ``body``."""
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + body + "\n" + end + tail


QUALITY_START, QUALITY_END = "<!-- time to quality: start -->", "<!-- time to quality: end -->"


def readme_with_time_to_quality(readme: str, results_dir: Path | None = None) -> str:
    """The README's time-to-quality block set from benchmarks/results (every labelled run: before, after)."""
    if QUALITY_START not in readme or QUALITY_END not in readme:
        return readme
    quality = _load_benchmark("time_to_quality")
    labelled = quality.load_labelled(results_dir or quality.RESULTS)
    table = quality.markdown_table(labelled) if labelled else "No time-to-quality runs are recorded yet."
    return _between(readme, QUALITY_START, QUALITY_END, table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draft", action="store_true", help="mark missing written answers as pending")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    times = _load_benchmark("notebook_times")
    try:
        guide = build_guide(draft=args.draft)
        guide_zh = build_guide_zh(draft=args.draft)
    except MissingAnswers as error:
        print(f"{error}\nWrite them (a '## Exercise N' section each), or build a draft with --draft.", file=sys.stderr)
        return 1
    readme = readme_with_times(README.read_text(encoding="utf-8"), times.load_results(), times)
    readme = readme_with_time_to_quality(readme)
    outputs = ((GUIDE, guide), (GUIDE_ZH, guide_zh), (README, readme))
    stale = [path for path, text in outputs if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run {REGENERATE}")
        return 1 if stale else 0
    for path, text in outputs:
        if path in stale:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if not stale:
        print("docs/instructors.md, docs/instructors.zh.md and README.md are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
