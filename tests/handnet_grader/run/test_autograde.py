"""What a failed try of nbgrader's autograde leads to when the gradebook answers and when
it has gone (a stand-in for nbgrader's API whose autograde always fails, on an SQLite
gradebook that opens or cannot)."""

from types import SimpleNamespace

import pytest

from handnet_grader.course.gradebook import GradebookLost
from handnet_grader.run import autograde
from handnet_grader.run.autograde import _autograde
from handnet_grader.run.driver import GradingStopped
from handnet_grader.run.records import GRADER_FAILURE, Record, log_path


class FailingAPI:
    """nbgrader's API as far as grading uses it, on the gradebook at ``db_url``: every
    autograde fails as when the gradebook's server has stopped."""

    def __init__(self, db_url):
        self.coursedir = SimpleNamespace(db_url=db_url, ignore=[])
        self.calls = 0

    def autograde(self, *args, **kwargs):
        self.calls += 1
        return {"success": False, "error": "OperationalError: connection refused"}


def answering(tmp_path):
    return f"sqlite:///{tmp_path / 'gradebook.db'}"


def gone(tmp_path):
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'gradebook.db'}"


def test_a_failed_try_with_the_gradebook_answering_is_tried_again(tmp_path):
    """With the gradebook answering, is a failing autograde tried ATTEMPTS times and
    the submission a grader failure?"""
    api = FailingAPI(answering(tmp_path))
    record = _autograde(api, tmp_path, "ann", "a1", pause=0)
    assert api.calls == autograde.ATTEMPTS == 3
    assert record.status == GRADER_FAILURE


def test_a_failed_try_with_the_gradebook_gone_is_not_tried_again(tmp_path):
    """With the gradebook's database unreachable, does the first failed try raise
    GradebookLost naming the URL, with no second try and the reason in the log?"""
    api = FailingAPI(gone(tmp_path))
    with pytest.raises(GradebookLost) as raised:
        _autograde(api, tmp_path, "ann", "a1", pause=0)
    assert api.calls == 1
    assert f"the gradebook {gone(tmp_path)} stopped answering" in str(raised.value)
    assert "unable to open database file" in raised.value.why
    log = log_path(tmp_path, "a1", "ann").read_text()
    assert "try 1 of 3" in log and "not tried again" in log and "try 2" not in log


def test_the_stopped_run_says_what_was_graded_and_what_was_not():
    """Does GradingStopped name the gradebook, count the submissions graded of all, and
    the ones left?"""
    done = [Record("ann", "a1", "graded")]
    error = GradingStopped("postgresql://u:***@h/db", "refused", done, [("cy", "a1")], 3)
    assert str(error) == (
        "the gradebook postgresql://u:***@h/db stopped answering after 1 of 3 submission(s) "
        "(refused); 1 were not graded and have no record"
    )
    assert error.records == done and error.left == [("cy", "a1")] and error.why == "refused"
