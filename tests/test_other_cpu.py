"""benchmarks/other_cpu.py sets each code cell's printed text beside the committed render's."""

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
