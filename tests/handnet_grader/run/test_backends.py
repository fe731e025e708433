"""This machine's backend with real worker processes: a job that kills its process is
charged only its own deaths, the jobs beside it are graded, and nothing is left running.

The jobs here stand in for ``jobs.grade_bundle`` (``stand_in_jobs``) so that a death can
be planted."""

from pathlib import Path

from stand_in_jobs import run_all, stand_in_job

from handnet_grader.run.backends import LocalBackend, WorkerDied


def alive(pid):
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid):
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return "zombie"


def test_a_job_that_kills_its_process_is_given_up_alone(tmp_path):
    """With two processes, does a job that kills its process every time end as
    WorkerDied after three deaths of its own, while the jobs beside it (one raising)
    end as they should, each with the course bundle, and no worker process outlive
    ``close``?"""
    backend = LocalBackend(workers=2, job=stand_in_job)
    backend.start({"course": "handnet"})
    try:
        outcomes = run_all(
            backend, [("ann", "ok"), ("poison", "die"), ("bob", "ok"), ("cat", "raise")]
        )
        pids = {o.result["pid"] for o in outcomes.values() if o.result}
        pids |= {p.pid for p in backend._pool._processes.values()}
    finally:
        backend.close()
    assert sorted(outcomes) == ["ann", "bob", "cat", "poison"]
    assert outcomes["ann"].result["course"] == outcomes["bob"].result["course"] == "handnet"
    assert (
        isinstance(outcomes["cat"].error, ValueError) and "cat raised" in outcomes["cat"].traceback
    )
    died = outcomes["poison"].error
    assert isinstance(died, WorkerDied) and died.deaths == 3
    assert [pid for pid in pids if alive(pid)] == []


def test_a_job_sent_after_a_death_the_backend_has_not_seen_yet_is_graded():
    """A process dies and, before the next ``wait``, another job is sent to the broken
    pool (the driver sends as soon as one job ends, while another may be dying): is the
    new job graded, uncharged, and the dead one charged its own deaths?"""
    from concurrent.futures import wait

    backend = LocalBackend(workers=2, job=stand_in_job)
    backend.start({"course": "handnet"})
    try:
        backend.submit("poison", {"name": "poison", "how": "die"})
        wait(list(backend._futures))  # its process died: the pool is broken, not yet seen
        assert backend._pool._broken
        backend.submit("ann", {"name": "ann", "how": "ok"})
        outcomes = run_all(backend, [], sent=["poison", "ann"])
    finally:
        backend.close()
    assert outcomes["ann"].result["name"] == "ann"
    died = outcomes["poison"].error
    assert isinstance(died, WorkerDied) and died.deaths == 3


def test_cancel_drops_what_was_sent(tmp_path):
    """After ``cancel``, does the backend give back only the jobs sent after it?"""
    backend = LocalBackend(workers=1, job=stand_in_job)
    backend.start({"course": "handnet"})
    try:
        for name in ["ann", "bob"]:
            backend.submit(name, {"name": name, "how": "ok"})
        backend.cancel()
        assert list(run_all(backend, [("cat", "ok")])) == ["cat"]
    finally:
        backend.close()
