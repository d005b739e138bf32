"""benchmarks/other_cpu.py sets each code cell's printed text beside the committed render's."""

import json

import nbformat
import pytest

from conftest import load_script


@pytest.fixture(scope="module")
def other_cpu():
    load_script("benchmarks/notebook_times.py")   # other_cpu.py imports it by name, as the script's folder allows
    return load_script("benchmarks/other_cpu.py")


def notebook(*printed):
    cells = []
    for index, text in enumerate(printed):
        cell = nbformat.v4.new_code_cell("print(...)", id=f"cell-{index}")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        cells.append(cell)
    cells.append(nbformat.v4.new_markdown_cell("prose", id="prose"))
    return nbformat.v4.new_notebook(cells=cells)


def test_cells_that_print_the_same_are_counted_and_the_others_listed_with_both_texts(other_cpu):
    committed = notebook("recognized 0.499\n", "digits 10\n", "D(x) 0.60\n")
    here = notebook("recognized 0.450\n", "digits 10\n", "D(x) 0.60\n")
    same, different = other_cpu.compare(committed, here)
    assert same == 2
    assert different == [{"cell": "cell-0", "committed": "recognized 0.499\n", "this machine": "recognized 0.450\n"}]


def test_results_are_read_as_text_and_figures_by_their_plain_text(other_cpu):
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n"),
                    nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 600x300 with 1 Axes>",
                                                                  "image/png": "iVBOR"}),
                    nbformat.v4.new_output("execute_result", data={"text/plain": "42"}, execution_count=1)]
    assert other_cpu.printed_text(cell) == "a\n<Figure size 600x300 with 1 Axes>42"


def test_the_script_runs_a_notebook_and_records_what_it_printed(other_cpu, tmp_path, monkeypatch):
    # The run itself is stubbed (it takes minutes): the executed copy prints one line otherwise.
    from ganlib import preflight, runs

    committed = notebook("recognized 0.499\n", "digits 10\n")

    def run_notebook(path, output_path, parameters):
        nbformat.write(notebook("recognized 0.450\n", "digits 10\n"), output_path)
        return runs.NotebookResult(path.stem, 1.0, "ok", "-")
    monkeypatch.setattr(runs, "run_notebook", run_notebook)
    monkeypatch.setattr(preflight, "speed_probe", lambda: 123.4)
    monkeypatch.setattr(preflight, "dcgan_trial", lambda: preflight.DCGANTrial(10, 9.0, {}, 14.73))
    monkeypatch.setattr(other_cpu.notebook_times, "notebooks", lambda: [tmp_path / "05_failure_modes.ipynb"])
    monkeypatch.setattr(other_cpu.notebook_times, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(other_cpu, "ROOT", tmp_path)
    nbformat.write(committed, tmp_path / "05_failure_modes.ipynb")
    assert other_cpu.main(["05"]) == 0
    record = json.loads((tmp_path / "results" / "other-cpu-05_failure_modes.json").read_text())
    assert record["machine"]["speed_probe_gflops"] == 123.4 and record["cells_printing_the_same"] == 1
    assert record["machine"]["dcgan_steps_per_second"] == 14.7
    assert record["cells_printing_otherwise"] == [{"cell": "cell-0", "committed": "recognized 0.499\n",
                                                   "this machine": "recognized 0.450\n"}]
