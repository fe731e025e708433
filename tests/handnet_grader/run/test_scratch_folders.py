"""The sweep of grading folders that killed graders left in /tmp."""

import os
import subprocess
import sys

from handnet_grader.run import scratch_folders as scratch


def dead_pid():
    """The pid of a process that has ended."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


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
