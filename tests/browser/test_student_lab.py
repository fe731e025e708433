"""A student's session in a real browser: JupyterLab of the students' environment
(``.venv-student``, ``make student-env``) on a copy of the release of assignment 1. The
student types the exercises into the cells, runs them all and presses nbgrader's Validate.

Each test answers one question a student would ask: does my correct work pass, and when it
does not, does Validate tell me which test failed and show me the whole hint?
"""

import os
import shutil
import subprocess

import pytest
from labpage import (
    cell_text,
    error_outputs,
    failed_cells,
    notebook_cells,
    open_notebook,
    output_text,
    replace_cell_text,
    run_all,
    validate,
)
from labserver import REPO, clean_env, make_home, path_without_venvs

STUDENT_VENV = REPO / ".venv-student"
STUDENT_JUPYTER = STUDENT_VENV / "bin" / "jupyter"
ASSIGNMENT = "01_neuron"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SOURCE = REPO / "source" / NOTEBOOK
RELEASE = REPO / "release" / NOTEBOOK
STUB = "# YOUR CODE HERE"

# What each visible test cell of release/01_neuron prints when it passes.
SUCCESS_LINES = {
    "test_perceptron_visible": "perceptron passes the visible tests.",
    "test_nand": "Your perceptron computes NAND.",
    "test_sigmoid_visible": "sigmoid passes the visible tests.",
    "test_sigmoid_extremes": "sigmoid is safe for large |z|.",
    "test_sigmoid_neuron_visible": "sigmoid_neuron passes the visible tests.",
    "test_sigmoid_prime_visible": "sigmoid_prime passes the visible tests.",
}
# Two ways to get sigmoid wrong, as the code a student types in place of the solution:
# e^z where e^-z belongs (sigma(-z)), and the plain formula, which warns for z = -1000.
WRONG_SIGMOIDS = {
    "wrong_sign": '    with np.errstate(over="ignore"):\n'
    "        return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))\n",
    "overflow_warning": "    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))\n",
}


def grade_id(cell):
    return cell["metadata"].get("nbgrader", {}).get("grade_id")


def solution(source):
    """The code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (indented as in
    the source cell)."""
    lines = source.splitlines(keepends=True)
    begin = next(i for i, line in enumerate(lines) if line.strip() == "### BEGIN SOLUTION")
    end = next(i for i, line in enumerate(lines) if line.strip() == "### END SOLUTION")
    return "".join(lines[begin + 1 : end])


def with_solution(release_source, code):
    """The release cell's text with its stub (``# YOUR CODE HERE`` and the ``raise
    NotImplementedError`` line under it) replaced by ``code``."""
    lines = release_source.splitlines(keepends=True)
    stub = next(i for i, line in enumerate(lines) if line.strip() == STUB)
    assert lines[stub + 1].strip().startswith("raise NotImplementedError"), lines[stub + 1]
    text = "".join(lines[:stub]) + code + "".join(lines[stub + 2 :])
    return text.rstrip("\n")


def answers(sigmoid=None):
    """{cell index: the text a student types}: every exercise solved as in source/, but
    with ``sigmoid`` (code) in place of sigmoid's solution if given."""
    source = {grade_id(c): c["source"] for c in notebook_cells(SOURCE)}
    typed = {}
    for index, one in enumerate(notebook_cells(RELEASE)):
        if one["metadata"].get("nbgrader", {}).get("solution"):
            code = solution(source[grade_id(one)])
            if sigmoid is not None and grade_id(one) == "sigmoid":
                code = sigmoid
            typed[index] = with_solution(one["source"], code)
    assert len(typed) == 5, f"expected the 5 exercises of {NOTEBOOK}, found {len(typed)}"
    return typed


def index_of(grade):
    return next(i for i, c in enumerate(notebook_cells(RELEASE)) if grade_id(c) == grade)


@pytest.fixture(scope="session")
def student_jupyter():
    """The students' ``jupyter``, after ``make student-env`` (a no-op when up to date)."""
    built = subprocess.run(
        ["make", "student-env"], cwd=REPO, capture_output=True, text=True, timeout=1800
    )
    assert built.returncode == 0, (
        f"make student-env failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    )
    return STUDENT_JUPYTER


def student_env(home):
    """The environment of a student's server and kernels: a HOME of its own, and only the
    students' venv on PATH."""
    return clean_env(home, str(STUDENT_VENV / "bin") + os.pathsep + path_without_venvs())


@pytest.fixture
def student_lab(student_jupyter, jupyter_lab, tmp_path):
    """JupyterLab of .venv-student serving a folder that holds a copy of the release of
    01_neuron."""
    root, home = tmp_path / "student", tmp_path / "home"
    shutil.copytree(RELEASE.parent, root / ASSIGNMENT)
    make_home(home)
    # Matplotlib builds its font cache on first import, and says so on stderr when that is
    # slow: build it now, so that no notebook output depends on the machine's speed.
    subprocess.run(
        [STUDENT_VENV / "bin" / "python", "-c", "import matplotlib.pyplot"],
        cwd=home,
        env=student_env(home),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return jupyter_lab(student_jupyter, root, student_env(home))


def type_answers(page, typed):
    """Type each answer into its cell, and read the cell back."""
    for index, text in typed.items():
        replace_cell_text(page, index, text)
        assert cell_text(page, index) == text, f"cell {index} does not hold what was typed"


def plain_kernel_failures(notebook, home):
    """[(source, "Error: message")] of each graded cell that fails when ``notebook`` runs
    top to bottom in a plain kernel of the students' environment (nbconvert --execute)."""
    out = notebook.with_name("executed.ipynb")
    subprocess.run(
        [
            STUDENT_JUPYTER,
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--allow-errors",
            "--output",
            out.name,
            notebook.name,
        ],
        cwd=notebook.parent,
        env=student_env(home),
        check=True,
        capture_output=True,
        timeout=600,
    )
    failures = []
    for one in notebook_cells(out):
        errors = [o for o in one.get("outputs", []) if o["output_type"] == "error"]
        if one["metadata"].get("nbgrader", {}).get("grade") and errors:
            failures.append((one["source"].strip(), f"{errors[0]['ename']}: {errors[0]['evalue']}"))
    return failures


def test_correct_work_runs_and_validates(page, student_lab):
    """With every exercise typed in correctly, does Run All show each visible test's
    success line and no error, and does Validate say the notebook passes?"""
    typed = answers()
    open_notebook(page, student_lab, NOTEBOOK)
    type_answers(page, typed)

    run_all(page)
    assert error_outputs(page) == []
    for grade, line in SUCCESS_LINES.items():
        assert line in output_text(page, index_of(grade)), f"{grade} did not print {line!r}"

    message = validate(page)
    assert "validation-success" in message.get_attribute("class")
    assert message.text_content().strip() == "Success! Your notebook passes all the tests."
    saved = notebook_cells(student_lab.root / NOTEBOOK)
    assert {i: saved[i]["source"] for i in typed} == typed, "Validate saved other text"


@pytest.mark.parametrize("mistake", WRONG_SIGMOIDS)
def test_validate_names_the_failed_tests_with_their_whole_hints(
    page, student_lab, tmp_path, mistake
):
    """With a wrong sigmoid, does Validate list exactly the test cells that fail in a plain
    kernel, each with the complete message it raises there?"""
    typed = answers(sigmoid=WRONG_SIGMOIDS[mistake])
    open_notebook(page, student_lab, NOTEBOOK)
    type_answers(page, typed)
    run_all(page)
    assert error_outputs(page), "Run All showed no error with a wrong sigmoid"

    message = validate(page)
    assert "validation-failed" in message.get_attribute("class")
    shown = failed_cells(message)
    expected = plain_kernel_failures(student_lab.root / NOTEBOOK, tmp_path / "home")
    assert len(expected) >= 1, "the wrong sigmoid fails no test in a plain kernel"
    assert [source for source, _ in shown] == [source for source, _ in expected]
    for (source, error), (_, hint) in zip(shown, expected):
        assert hint in error, (
            f"the whole hint {hint!r} is not in the dialog's error for "
            f"the cell starting {source.splitlines()[0]!r}:\n{error}"
        )
