"""GuardedExecute: one bad cell costs that cell, not the submission."""

import json

import nbformat
import pytest
from traitlets.config import Config

from handnet_grader.course.root import python_first_path
from handnet_grader.kernel.execute import GuardedExecute


@pytest.fixture(autouse=True)
def kernels_from_this_environment(monkeypatch):
    monkeypatch.setenv("PATH", python_first_path())


def run(cells, tmp_path, **traits):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    executor = GuardedExecute(**{"timeout": 3, "interrupt_grace": 3, **traits})
    nb, _ = executor.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


def errors(cell):
    return [o.ename for o in cell.outputs if o.output_type == "error"]


def stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def test_loops_and_a_crash_cost_only_their_cells(tmp_path):
    """After an interrupted loop, a loop that ignores SIGINT and os._exit, do the
    student's earlier definitions still work in the cells that follow?"""
    nb = run(
        [
            "def f(x):\n    return 2 * x",
            "while True:\n    pass",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
            "print('after the stubborn loop', f(2))",
            "import os\nos._exit(1)",
            "print('after the crash', f(3))",
        ],
        tmp_path,
    )
    c = nb.cells
    assert errors(c[1]) == ["CellTimeoutError"] and errors(c[2]) == ["CellTimeoutError"]
    assert stdout(c[3]) == "after the stubborn loop 4\n"
    assert errors(c[4]) == ["DeadKernelError"]
    assert stdout(c[5]) == "after the crash 6\n"
    record = nb.metadata["handnet"]
    assert record["status"] == "kernel died"
    assert [(e["cell"], e["status"]) for e in record["events"]] == [
        (1, "timeout"),
        (2, "timeout"),
        (4, "kernel died"),
    ]
    # the plain loop stops at the interrupt (in the sandbox too: bwrap must survive it)
    assert "was interrupted" in record["events"][0]["message"]
    assert "did not stop" in record["events"][1]["message"]


def test_an_output_flood_is_dropped_as_it_arrives(tmp_path):
    """Does a cell printing 30 MB keep only about the live limit, say so, and leave the
    next cell its output?"""
    nb = run(
        ["for _ in range(30):\n    print('x' * 1_000_000)", "print('next')"],
        tmp_path,
        live_output_bytes=5_000_000,
    )
    assert 5_000_000 <= len(stdout(nb.cells[0])) <= 6_100_000
    assert stdout(nb.cells[1]) == "next\n"
    cut = [e for e in nb.metadata["handnet"]["events"] if e["cell"] == 0]
    assert cut and cut[0]["message"].startswith("output cut while the cell ran")


def test_memory_limit_gives_a_memory_error_and_a_status(tmp_path):
    """Does a 20 GB allocation fail at once under the kernel's memory limit, and say so?"""
    nb = run(["import numpy as np\nx = np.ones((50_000, 50_000))", "print('still here')"], tmp_path)
    assert errors(nb.cells[0]) == ["MemoryError"]
    assert stdout(nb.cells[1]) == "still here\n"
    assert nb.metadata["handnet"]["status"] == "memory limit"


def test_submission_time_limit_marks_the_rest_as_not_run(tmp_path):
    """Past the submission's limit, are the remaining cells marked, not run? (The first
    cell waits for an event that never comes: only the limit can end it.)"""
    never = "import threading\nthreading.Event().wait()"
    nb = run([never, "print('too late')"], tmp_path, submission_timeout=1)
    assert errors(nb.cells[1]) == ["SubmissionTimeLimit"] and stdout(nb.cells[1]) == ""
    assert nb.metadata["handnet"]["status"] == "timeout"


def test_an_honest_notebook_is_simply_graded(tmp_path):
    """No events, status graded, the seconds recorded."""
    nb = run(["x = 1", "print(x + 1)"], tmp_path)
    assert stdout(nb.cells[1]) == "2\n"
    assert nb.metadata["handnet"]["status"] == "graded" and nb.metadata["handnet"]["events"] == []


def test_visible_tests_use_the_source_notebooks_given_helpers(tmp_path):
    """A wrong ``work`` and, in a later cell, the given Recorder redefined so that the test
    passes in the kernel: the grader's run of the test uses the source's Recorder (it
    fails); without the source named (outside nbgrader) the kernel's is used, as before;
    an unreadable source is an integrity finding."""
    given = (
        "class Recorder:\n    def __init__(self):\n        self.calls = 0\n"
        "    def record(self):\n        self.calls += 1"
    )
    test = nbformat.v4.new_code_cell("rec = Recorder()\nwork(rec)\nassert rec.calls == 1, 'no'")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "locked": True}
    (tmp_path / "source" / "a1").mkdir(parents=True)
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(given), test])
    nbformat.write(source, tmp_path / "source" / "a1" / "nb.ipynb")
    cheat = "def work(rec):\n    pass\n\nclass Recorder:\n    calls = 1"
    cells = [nbformat.v4.new_code_cell(given), nbformat.v4.new_code_cell(cheat), test]
    submission = nbformat.v4.new_notebook(cells=cells)
    submission.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    (tmp_path / "graded").mkdir()

    def grade(**names):
        nb = nbformat.from_dict(json.loads(json.dumps(submission)))
        resources = {"metadata": {"path": str(tmp_path / "graded")}, "nbgrader": names}
        nb, _ = GuardedExecute(config=config, timeout=20).preprocess(nb, resources)
        return errors(nb.cells[2]), str(nb.metadata["handnet"]["integrity"])

    assert grade() == ([], "[]")
    failed, integrity = grade(assignment="a1", notebook="nb")
    assert failed == ["CheckFailed"] and "the kernel showed this test cell passing" in integrity
    failed, integrity = grade(assignment="a1", notebook="renamed")
    assert failed == [] and "renamed.ipynb could not be read" in integrity
