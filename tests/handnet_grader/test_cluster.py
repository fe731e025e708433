"""The parts of grading on a Dask cluster that need no cluster: the task's environment,
the sweep of killed graders' folders, and the errors the driver gives."""

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from handnet_grader import scratch
from handnet_grader.records import GRADER_FAILURE
from handnet_grader.remote import task_environment, write_files


def dead_pid():
    """The pid of a process that has ended."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_task_grades_with_the_drivers_settings_and_leaves_the_worker_as_it_was(
    monkeypatch, tmp_path
):
    """Inside a task: the driver's check seed and timeouts (unset where the driver had
    none), no shared gradebook URL; afterwards the worker's own environment and folder."""
    monkeypatch.setenv("HANDNET_CHECK_SEED", "1")
    monkeypatch.setenv("HANDNET_DB_URL", "postgresql+psycopg://grader@db/course")
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    with task_environment({"HANDNET_CHECK_SEED": None, "HANDNET_CELL_TIMEOUT": "7"}):
        os.chdir("/")
        assert "HANDNET_CHECK_SEED" not in os.environ and "HANDNET_DB_URL" not in os.environ
        assert os.environ["HANDNET_CELL_TIMEOUT"] == "7"
    assert dict(os.environ) == before and os.getcwd() == str(tmp_path)


def test_a_bundle_cannot_write_outside_its_folder(tmp_path):
    """Is a file name that climbs out of the submission's folder refused, nothing written?"""
    with pytest.raises(ValueError, match="not a path inside"):
        write_files(tmp_path / "sub", {"../escape.txt": b"x"})
    assert not (tmp_path / "escape.txt").exists()


def test_the_sweep_removes_only_folders_of_graders_that_are_gone(tmp_path):
    """Are the folders of a dead grader (by pid, or by pid and start time) removed, and
    those of a live one, or a fresh exchange no kernel has used yet, kept?"""
    me, gone = os.getpid(), dead_pid()
    live = tmp_path / f"handnet-worker-{me}-{scratch.start_time(me)}-abc"
    reused = tmp_path / f"handnet-worker-{me}-{scratch.start_time(me) + 1}-abc"  # pid reused
    dead = tmp_path / f"handnet-worker-{gone}-12345-abc"
    exchange_dead = tmp_path / "handnet-grading-aaa"
    exchange_live = tmp_path / "handnet-grading-bbb"
    exchange_new = tmp_path / "handnet-grading-ccc"
    other = tmp_path / "not-ours"
    for folder in (live, reused, dead, exchange_dead, exchange_live, exchange_new, other):
        folder.mkdir()
    (exchange_dead / f"kernel-{gone}-1401-1").write_text("")
    (exchange_live / f"kernel-{me}-1401-1").write_text("")
    removed = scratch.sweep(tmp_path)
    assert sorted(removed) == sorted([reused, dead, exchange_dead])
    assert all(f.exists() for f in (live, exchange_live, exchange_new, other))
    later = scratch.sweep(tmp_path, now=exchange_new.stat().st_mtime + 7 * 3600)
    assert later == [exchange_new]


def test_a_process_folder_is_named_for_its_process_and_kept_while_it_runs(tmp_path):
    """Is this process's folder one the sweep keeps?"""
    folder = scratch.process_folder()
    assert folder.name.startswith(f"handnet-worker-{os.getpid()}-")
    assert folder not in scratch.sweep(folder.parent) and folder.is_dir()


def test_an_unreachable_scheduler_is_a_clear_error():
    """Does connecting to a port where no scheduler listens fail with ClusterError, naming
    the address and saying nothing was graded?"""
    from handnet_grader.cluster import ClusterError, connect

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ClusterError) as error:
        connect(address, timeout=2)
    assert address in str(error.value) and "nothing was graded" in str(error.value)


def test_a_submission_that_kills_its_workers_needs_a_look(tmp_path):
    """Is Dask's KilledWorker recorded as a grader failure whose message says it needs a
    look, how many workers died, and whose log keeps Dask's message?"""
    from distributed import KilledWorker

    from handnet_grader.cluster import failed_record

    api = SimpleNamespace(coursedir=SimpleNamespace(db_url=f"sqlite:///{tmp_path}/none/gb.db"))
    error = KilledWorker("handnet-grade-a1-ann", SimpleNamespace(address="tcp://10.0.0.2:4000"), 2)
    record = failed_record(api, tmp_path, "ann", "a1", "f00d", error)
    assert record.status == GRADER_FAILURE and record.message.startswith("needs a look")
    assert "3 times" in record.message and record.submission_sha256 == "f00d"
    assert "tcp://10.0.0.2:4000" in (tmp_path / record.log).read_text()
    on_disk = json.loads((tmp_path / "grades" / "records" / "a1" / "ann.json").read_text())
    assert on_disk["status"] == GRADER_FAILURE
