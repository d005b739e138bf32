"""The notebooks as a user reruns them: structure, papermill runs with injected parameters, exercises.

nbval executes every notebook at the smoke profile too (``make test`` passes ``--nbval-lax``).
"""

import ast
import json
import os
from pathlib import Path

import nbformat
import papermill
import pytest

from ganlib import course, runs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = runs.notebooks_in(ROOT / "notebooks")


def cells(path):
    return nbformat.read(path, as_version=4).cells


def test_every_registered_notebook_exists_and_every_notebook_is_registered():
    assert {path.stem for path in NOTEBOOKS} == set(course.NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_template(path):
    notebook = cells(path)
    tagged = [i for i, cell in enumerate(notebook) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    parameters_cell = notebook[tagged[0]]
    assigned = [target.id for node in ast.parse(parameters_cell.source).body
                for target in getattr(node, "targets", [])]
    assert tuple(assigned) == course.NOTEBOOKS[path.stem].parameters
    assert dict(ast.literal_eval(node.value) and (node.targets[0].id, ast.literal_eval(node.value))
                for node in ast.parse(parameters_cell.source).body
                if node.targets[0].id == "profile") == {"profile": "default"}
    following = next(cell for cell in notebook[tagged[0] + 1:] if cell.cell_type == "code")
    assert f'course.configure("{path.stem}", globals())' in following.source
    headings = [line for cell in notebook if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")]
    assert headings[0].startswith(f"# {path.stem[:2]} ")
    assert "## Summary" in headings and "## Exercises" in headings
    assert not any(o.get("output_type") == "error" for cell in notebook for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_parameter_shadows_an_imported_name(path):
    """A parameter named like a module the notebook imports replaces that module once the parameters
    cell runs (03 and 04 imported ganlib's `pretrained` module beside a `pretrained` flag, and
    `pretrained = True` then failed with "'bool' object has no attribute 'load_generator'")."""
    parameters = set(course.NOTEBOOKS[path.stem].parameters)
    imported = set()
    for cell in cells(path):
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    assert not parameters & imported, f"parameters that replace an imported name: {sorted(parameters & imported)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_parameter_and_its_help(path):
    """`papermill --help-notebook` lists what a rerun can set. Papermill skips a line with a second
    '=' (05's comment said "(>= 10)", and memorize_images went missing from its help)."""
    from papermill.translators import PythonTranslator

    cell = next(c for c in cells(path) if "parameters" in c.metadata.get("tags", []))
    found = {parameter.name: parameter.help for parameter in PythonTranslator.inspect(cell)}
    assert set(found) == set(course.NOTEBOOKS[path.stem].parameters)
    assert all(found.values()), f"parameters without a help comment: {[n for n, h in found.items() if not h]}"


@pytest.fixture
def smoke(monkeypatch):
    monkeypatch.setenv(course.PROFILE_ENV, "smoke")


def test_papermill_run_with_injected_parameters_writes_its_record(smoke, tmp_path, capfd):
    artifacts = tmp_path / "artifacts"
    result = runs.run_notebook(ROOT / "notebooks" / "00_setup_and_data.ipynb", tmp_path / "out.ipynb",
                               {"images_per_class": 3, "seed": 7, "artifacts_dir": str(artifacts)})
    assert result.status == "ok"
    if os.name == "posix":   # the kernel's own stderr: no warning about an unencrypted TCP connection
        assert "without encryption" not in capfd.readouterr().err
    assert result.headline == "digits loaded = 5000"
    record = json.loads((artifacts / "metrics.json").read_text())
    assert record["profile"] == "smoke"
    assert record["parameters"]["images_per_class"] == 3 and record["parameters"]["seed"] == 7
    assert record["metrics"]["images_per_class"] == [500] * 10
    assert 0.5 < record["metrics"]["background_share"] < 0.95


def test_a_bad_parameter_value_stops_the_notebook_at_once(smoke, tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as error:
        papermill.execute_notebook(str(ROOT / "notebooks" / "00_setup_and_data.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"images_per_class": -2}, progress_bar=False,
                                   cwd=str(ROOT / "notebooks"))
    assert error.value.ename == "ParameterError"
    assert "parameter 'images_per_class' is -2; allowed: an integer from 1 to 100" in error.value.evalue
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    ran = [c for c in executed.cells if c.cell_type == "code" and c.get("execution_count")]
    assert "course.configure" in ran[-1].source, "nothing ran after the configure cell"


def test_a_typo_in_an_injected_name_is_caught(smoke, tmp_path):
    # Through the course's runner, before any kernel starts ...
    with pytest.raises(course.ParameterError, match="unknown parameter 'image_per_class'.*did you mean"):
        runs.run_notebook(ROOT / "notebooks" / "00_setup_and_data.ipynb", tmp_path / "out.ipynb",
                          {"image_per_class": 3})
    # ... and by the notebook itself when papermill is called directly.
    with pytest.raises(papermill.PapermillExecutionError, match="unknown parameter 'image_per_class'"):
        papermill.execute_notebook(str(ROOT / "notebooks" / "00_setup_and_data.ipynb"), str(tmp_path / "o.ipynb"),
                                   parameters={"image_per_class": 3}, progress_bar=False,
                                   cwd=str(ROOT / "notebooks"))


# For each exercise: a plausible wrong answer, and the reference answer.
EXERCISE_ANSWERS = {
    "to_model_range": ("def to_model_range(pixels):\n    return pixels / 255.0\n",
                       "from ganlib.data import to_model_range\n"),
    # A one-sided difference with a coarse step: close, but not the derivative.
    "jsd_slope": ("from ganlib.divergences import jensen_shannon\n"
                  "def jsd_slope(shift):\n"
                  "    f = lambda s: jensen_shannon(stats.norm(0, 1), stats.norm(s, 1))\n"
                  "    return (f(shift + 0.5) - f(shift)) / 0.5\n",
                  "from ganlib.exercises import reference_jsd_slope as jsd_slope\n"),
    # Exponentiating first: 0 / 0 where both densities underflow.
    "optimal_discriminator_from_logs": ("def optimal_discriminator_from_logs(log_p_data, log_p_g):\n"
                                        "    return np.exp(log_p_data) / (np.exp(log_p_data) + np.exp(log_p_g))\n",
                                        "from ganlib.exercises import reference_optimal_discriminator_from_logs"
                                        " as optimal_discriminator_from_logs\n"),
    # Smooths only the real term's first half: forgets that target 1 - s also puts weight s on "fake".
    "smoothed_discriminator_loss": ("def smoothed_discriminator_loss(real_logits, fake_logits, smoothing):\n"
                                    "    softplus = lambda x: np.logaddexp(0, x)\n"
                                    "    return (1 - smoothing) * np.mean(softplus(-real_logits)) + np.mean(softplus(fake_logits))\n",
                                    "from ganlib.losses import discriminator_loss\n"
                                    "def smoothed_discriminator_loss(real_logits, fake_logits, smoothing):\n"
                                    "    return discriminator_loss(real_logits, fake_logits, label_smoothing=smoothing)\n"),
    "lerp": ("def lerp(z0, z1, t):\n    return t * z0 + (1 - t) * z1\n",
             "from ganlib.exercises import reference_lerp as lerp\n"),
    # Wrong: the two-sided penalty of notebook 04's teaching cell, which also punishes slopes below 1.
    "one_sided_penalty": ("def one_sided_penalty(critic, real, fake, alpha):\n"
                          "    x_hat = tf.convert_to_tensor(real + alpha * (fake - real))\n"
                          "    with tf.GradientTape() as tape:\n"
                          "        tape.watch(x_hat)\n"
                          "        scores = critic(x_hat, training=True)\n"
                          "    gradients = tf.reshape(tape.gradient(scores, x_hat), [len(real), -1])\n"
                          "    return tf.reduce_mean(tf.square(tf.norm(gradients, axis=1) - 1.0))\n",
                          "from ganlib.exercises import reference_one_sided_penalty as one_sided_penalty\n"),
    "classifier_score": ("def classifier_score(probabilities):\n"
                         "    return np.exp(np.mean(np.sum(probabilities * np.log(probabilities + 1e-12), axis=1)))\n",
                         "from ganlib.metrics import classifier_score\n"),
    "time_to_reach": ("def time_to_reach(curve, measure, threshold, higher_is_better=True):\n"
                      "    # ignores which way is better, and answers 0 for never\n"
                      "    return next((p['train_seconds'] for p in curve if p[measure] >= threshold), 0.0)\n",
                      "from ganlib.exercises import reference_time_to_reach as time_to_reach\n"),
    "label_agreement": ("def label_agreement(probabilities, labels):\n"
                        "    return np.mean(probabilities.argmax(axis=1) == labels)\n",
                        "from ganlib.metrics import label_agreement\n"),
    "masked_mse": ("def masked_mse(images, targets, mask):\n"
                   "    return np.mean(((images - targets) * mask) ** 2, axis=(1, 2, 3))\n",
                   "from ganlib.repair import masked_mse\n"),
}


def exercises_in(path):
    """(setup cells, [(function name, exercise cell index, check cell)]) for one notebook."""
    notebook = cells(path)
    parameters_at = next(i for i, c in enumerate(notebook) if "parameters" in c.metadata.get("tags", []))
    setup = [c for c in notebook[:parameters_at] if c.cell_type == "code"]
    found = []
    for i, cell in enumerate(notebook):
        if "exercise" in cell.metadata.get("tags", []):
            name = ast.parse(cell.source).body[0].name
            check = next(c for c in notebook[i + 1:] if c.cell_type == "code")
            found.append((name, check))
    return setup, found


EXERCISES = [(path, name, check) for path in NOTEBOOKS for name, check in exercises_in(path)[1]]


def run_cells(sources, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(notebook, tmp_path / "exercise.ipynb")
    return papermill.execute_notebook(str(tmp_path / "exercise.ipynb"), str(tmp_path / "out.ipynb"),
                                      progress_bar=False, cwd=str(ROOT / "notebooks"))


def test_every_exercise_has_answers_here():
    assert {name for _, name, _ in EXERCISES} == set(EXERCISE_ANSWERS)


def guarded(check_source: str, name: str, answer: str) -> str:
    """The check cell's code, printing what it did with the ``answer`` ("wrong" or "reference") it was
    given: accepted it, rejected it with an ExerciseError naming the function, or crashed."""
    body = "".join(f"    {line}\n" for line in check_source.splitlines())
    return (f"try:\n{body}except _ExerciseError as error:\n"
            f"    print('{answer} {name}: ' + ('rejected' if {name!r} in str(error) else 'rejected without naming it'))\n"
            f"except Exception as error:\n"
            f"    print('{answer} {name}: crashed with ' + type(error).__name__ + ': ' + str(error))\n"
            f"else:\n    print('{answer} {name}: accepted')\n")


@pytest.fixture(scope="module")
def exercise_verdicts(tmp_path_factory):
    """Every notebook's exercise checks, in one kernel (a kernel start costs seconds): each notebook's
    set-up cells, then each exercise's wrong answer and its check, then its reference answer and its
    check. What each check printed, by notebook."""
    sources, owner = ["from ganlib.exercises import ExerciseError as _ExerciseError\n"], [None]
    for path in sorted({p for p, _, _ in EXERCISES}):
        setup, found = exercises_in(path)
        cells_here = [c.source for c in setup]
        for answer, which in (("wrong", 0), ("reference", 1)):
            for name, check in found:
                cells_here += [EXERCISE_ANSWERS[name][which], guarded(check.source, name, answer)]
        sources += cells_here
        owner += [path] * len(cells_here)
    executed = run_cells(sources, tmp_path_factory.mktemp("exercises"))
    said = {}
    for path, cell in zip(owner, executed.cells):
        said[path] = said.get(path, "") + "".join(o.get("text", "") for o in cell.get("outputs", []))
    return said


@pytest.mark.parametrize("path", sorted({p for p, _, _ in EXERCISES}), ids=lambda p: p.stem)
def test_exercise_check_cells_reject_wrong_answers_and_accept_the_reference(path, exercise_verdicts):
    said, found = exercise_verdicts[path], exercises_in(path)[1]
    for name, _ in found:
        assert f"wrong {name}: rejected\n" in said, f"{path.stem}: the check of {name} did not reject a wrong answer:\n{said}"
        assert f"reference {name}: accepted\n" in said, f"{path.stem}: the check of {name} refused the reference:\n{said}"
    # A check that passes prints the course's own verdict as well: one per exercise, for the reference only.
    assert said.count("correct on all") == len(found), said
