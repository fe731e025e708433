"""The parts of grading on a Dask cluster that need no cluster: the submission's hash,
what is up to date, the task's environment, the sweep of killed graders' folders, and
the errors the driver gives."""

import json
import os
import socket
import subprocess
import sys
from types import SimpleNamespace

import pytest

from handnet_grader import scratch
from handnet_grader.grading import (
    GRADER_FAILURE,
    Record,
    submission_files,
    submission_hash,
    up_to_date,
    write_record,
)
from handnet_grader.remote import task_environment, write_files

IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]


def submission(tmp_path, student="ann", assignment="a1"):
    folder = tmp_path / "submitted" / student / assignment
    folder.mkdir(parents=True)
    (folder / "a1.ipynb").write_text('{"cells": []}')
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00 UTC")
    return folder


def dead_pid():
    """The pid of a process that has ended."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_hash_changes_with_any_file_and_ignores_checkpoints(tmp_path):
    """Does a changed byte, a new file or a renamed file change the hash, while a
    checkpoint folder or a hidden file (nbgrader ignores both) does not?"""
    folder = submission(tmp_path)
    first = submission_hash(submission_files(folder, IGNORE))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a1-checkpoint.ipynb").write_text("{}")
    (folder / ".hidden").write_text("x")
    assert submission_hash(submission_files(folder, IGNORE)) == first
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:01 UTC")
    changed = submission_hash(submission_files(folder, IGNORE))
    (folder / "notes.txt").write_text("")
    added = submission_hash(submission_files(folder, IGNORE))
    (folder / "notes.txt").rename(folder / "other.txt")
    renamed = submission_hash(submission_files(folder, IGNORE))
    assert len({first, changed, added, renamed}) == 4


def test_the_hash_does_not_run_names_and_contents_together():
    """Are {"ab": "c"} and {"a": "bc"} told apart (lengths are part of the hash)?"""
    assert submission_hash({"ab": b"c"}) != submission_hash({"a": b"bc"})


def test_a_record_is_up_to_date_only_with_the_same_files_and_a_final_status(tmp_path):
    """Is a record up to date when made from the current files with a final status, but
    not when the files changed since, when it is a grader failure, or when it is missing?"""
    config = f"c = get_config()\nc.CourseDirectory.ignore = {IGNORE!r}\n"
    (tmp_path / "nbgrader_config.py").write_text(config)
    pairs = [("ann", "a1"), ("bob", "a1"), ("cy", "a1"), ("dee", "a1")]
    for s, a in pairs:
        folder = submission(tmp_path, s, a)
        sha = submission_hash(submission_files(folder, IGNORE))
        if s == "ann":
            write_record(tmp_path, Record(s, a, "timeout", submission_sha256=sha))
        if s == "bob":
            write_record(tmp_path, Record(s, a, GRADER_FAILURE, submission_sha256=sha))
        if s == "cy":
            write_record(tmp_path, Record(s, a, "graded", submission_sha256=sha))
            (folder / "a1.ipynb").write_text('{"cells": [], "resubmitted": 1}')
    assert up_to_date(tmp_path, pairs) == {("ann", "a1")}


def test_a_record_cut_short_is_not_up_to_date(tmp_path):
    """A record file that is not JSON (a crash mid-write elsewhere) means: grade again."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    submission(tmp_path)
    path = tmp_path / "grades" / "records" / "a1" / "ann.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"student": "ann", "stat')
    assert up_to_date(tmp_path, [("ann", "a1")]) == set()


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
