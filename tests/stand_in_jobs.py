"""A stand-in for ``jobs.grade_bundle`` (the same signature: the course bundle and one
submission bundle) with which a backend's tests plant a death, and a small driver."""

import os
import time
from pathlib import Path


def stand_in_job(course, submission):
    """Kills its own process when asked, raises when asked, else says who ran it where.

    With ``mark`` = (folder, name), it leaves a file ``name`` (``{pid}``: its process's)
    in ``folder``; with ``until`` = (folder, n), it then waits, up to 60 s, until
    ``folder`` holds ``n`` files: ``met`` says whether it did (two jobs that each leave a
    mark in the same folder and wait for two can tell whether they ran at once).
    A job that dies first leaves a file in the folder ``deaths``, if given; with
    ``beside`` = (folder, n), for its first ``n`` deaths it waits until a job in the same
    process has left its mark there (a file named for the process)."""
    if submission["how"] == "die":
        if "deaths" in submission:
            deaths = Path(submission["deaths"])
            if "beside" in submission:
                folder, n = Path(submission["beside"][0]), submission["beside"][1]
                if sum(1 for _ in deaths.iterdir()) < n:
                    _wait_for_files(folder, 1, name=str(os.getpid()))
            (deaths / f"{os.getpid()}-{time.monotonic_ns()}").touch()
        os._exit(3)
    if submission["how"] == "raise":
        raise ValueError(f"{submission['name']} raised")
    met = None
    if "mark" in submission:
        (Path(submission["mark"][0]) / submission["mark"][1].format(pid=os.getpid())).touch()
    if "until" in submission:
        met = _wait_for_files(Path(submission["until"][0]), submission["until"][1])
    return {"name": submission["name"], "course": course["course"], "pid": os.getpid(), "met": met}


def _wait_for_files(folder, n, name=None, timeout=60):
    """True once ``folder`` holds ``n`` files (or the file ``name``), False after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / name).exists() if name else sum(1 for _ in folder.iterdir()) >= n:
            return True
        time.sleep(0.05)
    return False


def run_all(backend, submissions, sent=()):
    """Submit as many as the backend takes, wait, until each has an outcome (and each of
    the jobs already ``sent``, by name); ``submissions`` are (name, how) or (name, how,
    more fields of its bundle)."""
    waiting, in_flight, outcomes = list(submissions), set(sent), {}
    while waiting or in_flight:
        while waiting and len(in_flight) < backend.capacity():
            name, how, *more = waiting.pop(0)
            backend.submit(name, {"name": name, "how": how, **(more[0] if more else {})})
            in_flight.add(name)
        for outcome in backend.wait(60):
            in_flight.discard(outcome.key)
            outcomes[outcome.key] = outcome
        assert not backend.gone, f"the backend went away: {backend.gone}"
    return outcomes
