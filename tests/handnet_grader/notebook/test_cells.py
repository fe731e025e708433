"""handnet_grader.notebook.cells: the test-cell check, a cell's error, its visible part."""

import nbformat

from handnet_grader.notebook.cells import (
    error_message,
    error_output,
    is_given_cell,
    is_solution_cell,
    is_test_cell,
    visible_code,
)


def code_cell(source="x = 1", **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def test_only_a_graded_code_cell_is_a_test_cell():
    markdown = nbformat.v4.new_markdown_cell("why?", metadata={"nbgrader": {"grade": True}})
    assert is_test_cell(code_cell(grade=True, grade_id="t", points=1))
    assert not is_test_cell(code_cell(grade=False, solution=True))
    assert not is_test_cell(code_cell())
    assert not is_test_cell(markdown)


def test_a_given_cell_is_code_that_is_neither_solution_nor_test():
    locked = code_cell(grade=False, solution=False, locked=True, grade_id="recorder")
    answer = code_cell(grade=False, solution=True, grade_id="SGD")
    assert is_given_cell(locked) and is_given_cell(code_cell())
    assert is_solution_cell(answer) and not is_given_cell(answer)
    assert not is_given_cell(code_cell(grade=True, grade_id="t", points=1))
    assert not is_given_cell(nbformat.v4.new_markdown_cell("text"))


def test_error_message_is_the_first_error():
    cell = code_cell()
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hi"),
        error_output("CheckFailed", "add the bias"),
        error_output("ValueError", "x"),
    ]
    assert error_message(cell) == "CheckFailed: add the bias"
    assert error_message(code_cell()) is None


def test_visible_code_leaves_out_the_hidden_region():
    source = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\ncheck_f(f)\n### END HIDDEN TESTS"
    assert visible_code(code_cell(source)).strip() == "assert f(1) == 2"
    only_hidden = "# hidden only\n### BEGIN HIDDEN TESTS\ncheck_f(f)\n### END HIDDEN TESTS"
    assert visible_code(code_cell(only_hidden)) is None
