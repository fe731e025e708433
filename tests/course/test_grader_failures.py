"""Failures that are the grader's, not the student's: retried, logged, told apart.

A grading try that fails for the grader's own reasons (here: nbgrader's autograde made
to fail, as it does when a kernel does not start in time on a busy machine) is tried
again; a submission the grader cannot grade ends as a ``grader failure`` with the log of
every try kept, and its feedback page tells the student the course will grade it again,
never "0 points, fix the problem". Grading also holds on a machine kept busy meanwhile.
"""

import os
import subprocess
import sys

import pytest
from course_files import copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.cli import _api as course_api
from handnet_grader.course.release import generate_release
from handnet_grader.feedback.pages import generate_feedback
from handnet_grader.run.autograde import grade_submission
from handnet_grader.run.driver import grade_class
from handnet_grader.run.records import GRADER_FAILURE, write_record


class FailingFirst:
    """nbgrader's API whose autograde fails its first ``failures`` calls as nbgrader
    reports a kernel that did not start (then it grades for real)."""

    def __init__(self, api, failures):
        self.api, self.failures, self.calls = api, failures, 0

    def __getattr__(self, name):
        return getattr(self.api, name)

    def autograde(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            return {
                "success": False,
                "log": "[AutogradeApp | ERROR] RuntimeError: Kernel didn't respond in 60 seconds",
                "error": "NbGraderException: Please see the above traceback",
            }
        return self.api.autograde(*args, **kwargs)


pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's SQLAlchemy use


@pytest.fixture(autouse=True)
def keep_cwd(monkeypatch):
    """nbgrader's API changes the working directory: put it back after each test."""
    monkeypatch.chdir(os.getcwd())


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with assignment 1 released and its reference and untouched samples."""
    root = copy_course(tmp_path_factory.mktemp("failures"))
    with grading_environment(HANDNET_CHECK_SEED="2026"):
        generate_release(root, ["01_neuron"])
        samples = [
            s
            for s in sample_class(root, ["01_neuron"], broken_in=[], mistakes_in=[])
            if s.student in ("reference", "untouched")
        ]
        write_sample_class(root, samples)
        yield root


def _api(root, failures):
    """The course's nbgrader API (as ``handnet`` sets it up), failing its first tries."""
    return FailingFirst(course_api(root), failures)


def test_a_failed_try_is_retried_and_the_submission_graded(course):
    """After one failed try, is the reference graded in full on the second, with the
    failed try's log kept and named in the record?"""
    api = _api(course, failures=1)
    record = grade_submission(api, course, "reference", "01_neuron", pause=0)
    assert api.calls == 2
    assert record.status == "graded" and record.points == record.max_points == 100
    log = (course / record.log).read_text()
    assert "try 1 of 3: nbgrader's autograde failed" in log and "Kernel didn't respond" in log
    assert "try 2 of 3: succeeded" in log


def test_a_submission_the_grader_cannot_grade_is_a_grader_failure(course):
    """When every try fails, is the record a grader failure that keeps all three tries'
    logs, and does the feedback page say the course will grade it again (no points)?"""
    api = _api(course, failures=3)
    record = grade_submission(api, course, "untouched", "01_neuron", pause=0)
    assert api.calls == 3 and record.status == GRADER_FAILURE
    assert "course's side" in record.message and record.log in record.message
    assert (course / record.log).read_text().count("nbgrader's autograde failed") == 3
    write_record(course, record)
    generate_feedback(_api(course, 0).api, course, "01_neuron", "untouched")
    page = (course / "feedback" / "untouched" / "01_neuron" / "01_neuron.html").read_text()
    assert "not because of your work" in page and "graded again" in page
    assert "Points" not in page and "submit again" not in page


def test_grading_holds_on_a_busy_machine(course):
    """With three busy processes beside it on this 2-core machine, does grading give
    the reference 100 and the untouched release 0, both 'graded'?"""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(3)]
    try:
        with grading_environment(HANDNET_CHECK_SEED="2026"):
            records = {r.student: r for r in grade_class(course, "01_neuron", workers=2)}
    finally:
        for p in busy:
            p.kill()
            p.wait()
    assert {s: (r.status, r.points) for s, r in records.items()} == {
        "reference": ("graded", 100),
        "untouched": ("graded", 0),
    }, {s: r.message for s, r in records.items()}
