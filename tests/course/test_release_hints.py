"""The release says what to write, and lets the student find how: no line of a solution
in source/ appears in what a student reads in a release notebook (markdown, hints in
``<details>`` included, comments, docstrings and other strings such as assertion
messages). The rule for which lines count is in ``tests/solution_lines.py``; given code
may repeat an earlier assignment's solution (assignment 4 gives backprop), so code itself
is not scanned."""

import json

import pytest
from course_files import ROOT, notebooks
from solution_lines import prose_leaks, solution_lines

RELEASE_NOTEBOOKS = notebooks("release")
SOLUTIONS = solution_lines(ROOT / "source")


def test_source_has_enough_solution_lines_to_prove_anything():
    """Does the scan have a real set of solution lines to look for (so an empty set cannot
    make every notebook pass)?"""
    assert len(SOLUTIONS) > 50


@pytest.mark.parametrize(
    "assignment, path", RELEASE_NOTEBOOKS, ids=[a for a, _ in RELEASE_NOTEBOOKS]
)
def test_release_prose_holds_no_solution_line(assignment, path):
    """Does no solution line of any assignment appear in this release notebook's
    markdown, comments or strings?"""
    assert prose_leaks(SOLUTIONS, path) == []


def planted(tmp_path, line, cell):
    """A notebook whose one cell is made from ``line`` by ``cell``."""
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"id": "planted", **cell(line)}],
    }
    path = tmp_path / "planted.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def markdown(source):
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def code(source):
    return {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": source,
    }


def wrapped(line):
    """``line`` broken in two at its middle space."""
    spaces = [i for i, c in enumerate(line) if c == " "]
    middle = spaces[len(spaces) // 2]
    return line[:middle], line[middle + 1 :]


@pytest.mark.parametrize(
    "cell",
    [
        lambda line: markdown(
            "<details><summary>Hint</summary>\n\nType\n`"
            + line.replace(" ", "  ")
            + "`\n</details>"
        ),
        lambda line: markdown("A paragraph: {}\n{}, in two lines.".format(*wrapped(line))),
        lambda line: code("def f():\n    # then " + line.replace(" ", "") + "\n    pass"),
        lambda line: code("x = 1\n# first {}\n# {}, then more\n".format(*wrapped(line))),
        lambda line: code('def f():\n    """Computes ' + line + ' for you."""'),
        lambda line: code("assert False, {!r} \\\n    {!r}".format(*wrapped(line))),
    ],
    ids=[
        "hint-with-doubled-spaces",
        "markdown-wrapped",
        "comment-without-spaces",
        "comment-wrapped",
        "docstring",
        "message-in-two-strings",
    ],
)
def test_scanner_finds_a_planted_solution_line(tmp_path, cell):
    """Is a solution line found wherever a student would read it, however it is spaced or
    wrapped: in a hint, a paragraph, a comment block, a docstring, an assertion message
    made of two strings?"""
    line = max(SOLUTIONS, key=len)
    assert prose_leaks(SOLUTIONS, planted(tmp_path, line, cell)) == [("planted", line)]


def test_scanner_ignores_a_solution_line_in_given_code(tmp_path):
    """Is the same line, written as code (a later assignment giving an earlier one's
    solution), not reported?"""
    line = max(SOLUTIONS, key=len)
    assert prose_leaks(SOLUTIONS, planted(tmp_path, line, lambda line: code(line))) == []
