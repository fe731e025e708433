"""The parts of grading that need no kernel: the workers' shares, and what a failed try
leads to when the gradebook answers and when it has gone (a stand-in for nbgrader's API
whose autograde always fails, on an SQLite gradebook that opens or cannot)."""

import queue
import threading
from functools import partial
from types import SimpleNamespace

import pytest

from handnet_grader.course.gradebook import GradebookLost
from handnet_grader.run import grading
from handnet_grader.run.grading import GRADED, LEFT, GradingStopped, _autograde, _worker, shares
from handnet_grader.run.records import GRADER_FAILURE, Record, log_path, record_path, write_record


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


def test_shares_keep_each_student_in_one_worker_and_use_them_all():
    """Are all of a student's submissions in one share, and students spread round-robin?"""
    pairs = [(s, a) for s in ("ann", "bob", "cy") for a in ("a1", "a2")]
    parts = shares(pairs, 2)
    assert sorted(p for part in parts for p in part) == sorted(pairs)
    owners = {s: i for i, part in enumerate(parts) for s, _ in part}
    assert all(sum(1 for part in parts for s2, _ in part if s2 == s) == 2 for s in owners)
    assert len(parts) == 2 and shares(pairs[:1], 4) == [pairs[:1]]


def test_a_failed_try_with_the_gradebook_answering_is_tried_again(tmp_path):
    """With the gradebook answering, is a failing autograde tried ATTEMPTS times and
    the submission a grader failure?"""
    api = FailingAPI(answering(tmp_path))
    record = _autograde(api, tmp_path, "ann", "a1", pause=0)
    assert api.calls == grading.ATTEMPTS == 3
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


def run_worker(tmp_path, monkeypatch, db_url, pairs, stop):
    """What ``_worker`` puts on its queue, graded in this process with FailingAPI."""
    api = FailingAPI(db_url)
    monkeypatch.setattr(grading, "grading_api", lambda root: api)
    monkeypatch.chdir(tmp_path)
    out = queue.Queue()
    _worker(str(tmp_path), pairs, out, stop)
    return [out.get_nowait() for _ in range(out.qsize())], api


def test_a_worker_that_loses_the_gradebook_leaves_its_share_without_records(tmp_path, monkeypatch):
    """Does a worker whose gradebook has gone grade nothing, remove the records an
    earlier run left, hand back its whole share and tell the others to stop?"""
    pairs = [("ann", "a1"), ("bob", "a1"), ("cy", "a1")]
    for student in ("ann", "cy"):
        write_record(tmp_path, Record(student, "a1", "graded", submission_sha256="old"))
    stop = threading.Event()
    items, api = run_worker(tmp_path, monkeypatch, gone(tmp_path), pairs, stop)
    assert api.calls == 1 and stop.is_set()
    (kind, left, why), end = items
    assert (kind, left, end) == (LEFT, pairs, None)
    assert "unable to open database file" in why
    assert not any(record_path(tmp_path, a, s).exists() for s, a in pairs)


def test_a_worker_told_to_stop_grades_no_more(tmp_path, monkeypatch):
    """With another worker having lost the gradebook, does a worker hand back its share
    ungraded and without records, without a reason of its own?"""
    write_record(tmp_path, Record("ann", "a1", "graded", submission_sha256="old"))
    stop = threading.Event()
    stop.set()
    items, api = run_worker(tmp_path, monkeypatch, answering(tmp_path), [("ann", "a1")], stop)
    assert api.calls == 0 and items == [(LEFT, [("ann", "a1")], None), None]
    assert not record_path(tmp_path, "a1", "ann").exists()


def test_a_worker_with_the_gradebook_answering_records_a_grader_failure(tmp_path, monkeypatch):
    """With the gradebook answering, is a submission nbgrader cannot grade still tried
    three times and recorded as a grader failure, and the next one graded after it?"""
    monkeypatch.setattr(grading, "grade_submission", partial(grading.grade_submission, pause=0))
    pairs = [("ann", "a1"), ("bob", "a1")]
    stop = threading.Event()
    items, api = run_worker(tmp_path, monkeypatch, answering(tmp_path), pairs, stop)
    assert api.calls == 6 and not stop.is_set()
    assert [(kind, Record.from_json(r).status) for kind, r in items[:2]] == [
        (GRADED, GRADER_FAILURE)
    ] * 2
    assert items[2] is None and record_path(tmp_path, "a1", "bob").exists()


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
