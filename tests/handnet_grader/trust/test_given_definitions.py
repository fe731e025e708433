"""handnet_grader.trust.given_definitions: which definitions of the given cells the grader
runs itself, and where it finds the instructor's notebook."""

import ast
import contextlib
import io
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from handnet_grader.course.root import assignments
from handnet_grader.trust.given_definitions import given_code, given_code_for, global_names

ROOT = Path(__file__).resolve().parents[3]


def given(source):
    return nbformat.v4.new_code_cell(source)


def solution(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "s"}
    return cell


def graded(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t", "points": 1}
    return cell


def defined(cells):
    """The names the grader's run of the given code defines."""
    namespace = {}
    exec(given_code(cells), namespace)
    return set(namespace) - {"__builtins__"}


def test_helpers_are_taken_with_the_imports_they_use():
    cells = [
        given("import os\nimport numpy as np\nSCALE = 2.0\nGRADING = bool(os.environ.get('X'))"),
        given("def numbered(n):\n    return [np.array([[SCALE * i]]) for i in range(n)]"),
        given("class Recorder:\n    def evaluate(self, test_data):\n        return 3"),
    ]
    assert defined(cells) == {"np", "SCALE", "numbered", "Recorder"}


def test_a_class_the_student_extends_and_what_uses_it_stay_the_kernels():
    cells = [
        given("import numpy as np\nclass Network:\n    pass"),
        given("def hand_network(w):\n    net = Network.__new__(Network)\n    return net"),
        given("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"),
        solution("def SGD(self):\n    return []\n\nNetwork.SGD = SGD"),
        graded("assert SGD(Network()) == []"),
    ]
    assert defined(cells) == {"np", "sigmoid"}


def test_a_name_the_student_rebinds_stays_the_kernels():
    cells = [given("def sigmoid(z):\n    return z"), solution("def sigmoid(z):\n    return -z")]
    assert given_code(cells) == ""


def test_data_loading_training_and_printing_are_not_run(tmp_path):
    """A given cell that loads data, trains, prints and writes a file: only its
    definition is taken, and running the grader's code does none of the rest."""
    written = tmp_path / "written.txt"
    cells = [
        given(
            f"data = open({str(written)!r}, 'w').write('x')\n"
            "print('training...')\n"
            "for epoch in range(3):\n    pass\n"
            "def first(n):\n    return list(range(n))[:1]\n"
            "def reads_data():\n    return data"
        )
    ]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert defined(cells) == {"first"}
    assert not written.exists() and out.getvalue() == ""


def test_global_names_are_what_a_definition_reads_from_the_module():
    (tree,) = ast.parse(
        "@decorate\ndef f(x, *rest, scale=SCALE, **kw):\n"
        "    y = [np.exp(v) for v in rest]\n    def g(z):\n        return z\n"
        "    try:\n        pass\n    except ValueError as e:\n        pass\n"
        "    return g(x) + len(y) + helper(y)"
    ).body
    assert global_names(tree) == {"decorate", "SCALE", "np", "ValueError", "len", "helper"}


def test_a_given_cell_that_does_not_parse_is_kept_to_fail_loudly():
    code = given_code([given("def f(:\n    pass")])
    with pytest.raises(SyntaxError):
        compile(code, "<given cells>", "exec")


@pytest.mark.parametrize("assignment", assignments(ROOT))
def test_every_source_notebook_gives_code_that_runs_quietly(assignment):
    """Every notebook's given code runs in a bare namespace, prints nothing, and takes
    over no name that a solution cell extends (Network stays the student's)."""
    (path,) = sorted((ROOT / "source" / assignment).glob("*.ipynb"))
    cells = nbformat.read(path, as_version=4).cells
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        names = defined(cells)
    assert out.getvalue() == ""
    assert "Network" not in names and "training_data" not in names
    if assignment == "04_sgd":
        assert {"Recorder", "numbered"} <= names


def test_the_source_notebook_is_found_through_the_course_directory():
    config = Config()
    config.CourseDirectory.root = str(ROOT)
    resources = {"nbgrader": {"assignment": "04_sgd", "notebook": "04_sgd"}}
    code, problem = given_code_for(config, resources)
    assert problem is None and "class Recorder" in code
    assert given_code_for(config, {}) == ("", None)
    resources["nbgrader"]["notebook"] = "renamed"
    code, problem = given_code_for(config, resources)
    assert code == "" and "renamed.ipynb could not be read" in problem
