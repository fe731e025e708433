"""What the driver writes for a task's result, or for a task that brought back none."""

import json
from types import SimpleNamespace

import pytest

from handnet_grader.records import GRADER_FAILURE


def test_a_submission_that_kills_its_workers_needs_a_look(tmp_path):
    """Is Dask's KilledWorker recorded as a grader failure whose message says it needs a
    look, how many workers died, and whose log keeps Dask's message?"""
    from distributed import KilledWorker

    from handnet_grader.cluster_writes import failed_record

    api = SimpleNamespace(coursedir=SimpleNamespace(db_url=f"sqlite:///{tmp_path}/none/gb.db"))
    error = KilledWorker("handnet-grade-a1-ann", SimpleNamespace(address="tcp://10.0.0.2:4000"), 2)
    record = failed_record(api, tmp_path, "ann", "a1", "f00d", error)
    assert record.status == GRADER_FAILURE and record.message.startswith("needs a look")
    assert "3 times" in record.message and record.submission_sha256 == "f00d"
    assert "tcp://10.0.0.2:4000" in (tmp_path / record.log).read_text()
    on_disk = json.loads((tmp_path / "grades" / "records" / "a1" / "ann.json").read_text())
    assert on_disk["status"] == GRADER_FAILURE


def _graded_result(student, assignment):
    """A worker's result for a graded submission, as ``remote.grade_bundle`` returns it."""
    return {
        "student": student,
        "assignment": assignment,
        "log": "",
        "graded": True,
        "autograded": {f"{assignment}.ipynb": b"{}"},
        "note": "",
        "seconds": 1.0,
        "sha256": "f00d",
    }


def test_a_result_the_gradebook_is_gone_for_raises_and_writes_no_record(tmp_path):
    """Saving a result fails and the gradebook no longer answers (its database cannot be
    opened): does ``write_result`` raise GradebookLost, naming it, and write no record,
    rather than call it a grader failure?"""
    from handnet_grader.cluster_writes import write_result
    from handnet_grader.gradebook import GradebookLost

    db_url = f"sqlite:///{tmp_path}/gone/gb.db"  # a folder that does not exist: never opens
    api = SimpleNamespace(coursedir=SimpleNamespace(db_url=db_url))
    with pytest.raises(GradebookLost) as raised:
        write_result(api, tmp_path, _graded_result("ann", "a1"))
    assert "stopped answering" in str(raised.value) and "gone/gb.db" in str(raised.value)
    assert not (tmp_path / "grades" / "records").exists()


def test_a_result_that_cannot_be_saved_while_the_gradebook_answers_is_a_grader_failure(tmp_path):
    """Saving a result fails while the gradebook still answers: is it the grader's
    failure (record written, "the driver could not save it"), the run going on?"""
    from handnet_grader.cluster_writes import write_result

    # the API lacks what save_grades asks first: the save fails, the SQLite file opens
    api = SimpleNamespace(coursedir=SimpleNamespace(db_url=f"sqlite:///{tmp_path}/gb.db"))
    record = write_result(api, tmp_path, _graded_result("ann", "a1"))
    assert record.status == GRADER_FAILURE and "the driver could not save it" in record.message
    on_disk = json.loads((tmp_path / "grades" / "records" / "a1" / "ann.json").read_text())
    assert on_disk["status"] == GRADER_FAILURE and on_disk["submission_sha256"] == "f00d"
