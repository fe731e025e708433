"""What the driver writes for a task that brought back no result."""

import json
from types import SimpleNamespace

from handnet_grader.run.records import GRADER_FAILURE


def test_a_submission_that_kills_its_workers_needs_a_look(tmp_path):
    """Is a job whose worker died three times recorded as a grader failure whose message
    says it needs a look and how many workers died, with the backend's detail in its log?"""
    from handnet_grader.run.backends import WorkerDied
    from handnet_grader.run.write_back import failed_record

    api = SimpleNamespace(coursedir=SimpleNamespace(db_url=f"sqlite:///{tmp_path}/none/gb.db"))
    error = WorkerDied("handnet-grade-a1-ann", 3, " (last on tcp://10.0.0.2:4000)")
    record = failed_record(api, tmp_path, "ann", "a1", "f00d", error)
    assert record.status == GRADER_FAILURE and record.message.startswith("needs a look")
    assert "3 times" in record.message and record.submission_sha256 == "f00d"
    assert "tcp://10.0.0.2:4000" in (tmp_path / record.log).read_text()
    on_disk = json.loads((tmp_path / "grades" / "records" / "a1" / "ann.json").read_text())
    assert on_disk["status"] == GRADER_FAILURE
