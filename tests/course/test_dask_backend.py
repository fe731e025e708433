"""The Dask backend on a real local cluster (worker processes, each with a nanny that
restarts it when it dies): jobs spread over the workers, a job that kills its worker is
charged only its own deaths, and the run's course leaves the workers with it.

The jobs stand in for ``jobs.grade_bundle`` (``tests/stand_in_jobs.py``)
so that a death can be planted. Here, not with the unit tests: a cluster whose worker is
killed six times wants the machine to itself (a worker killed while its nanny starts it
is not started again; the run then stops with the backend ``gone``)."""

import dask
import pytest
from stand_in_jobs import run_all, stand_in_job

from handnet_grader.cluster import dask_backend
from handnet_grader.cluster.dask_backend import DaskBackend
from handnet_grader.run.autograde import ATTEMPTS
from handnet_grader.run.backends import WorkerDied


@pytest.fixture
def cluster(request):
    """A client of a local cluster of ``request.param`` = (workers, threads each) worker
    processes, its scheduler giving a task up after ATTEMPTS dead workers (as the
    preload sets it)."""
    from distributed import Client, LocalCluster

    workers, threads = request.param
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": ATTEMPTS - 1}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as c,
        Client(c, set_as_default=False) as client,
    ):
        yield client


def _held(dask_worker=None):
    return sorted(dask_backend._COURSES)


def _stolen(dask_scheduler):
    """The tasks Dask's work stealing moved from one worker to another."""
    return [event for _, event in dask_scheduler.get_events("stealing") if event[0] == "confirm"]


@pytest.mark.parametrize("cluster", [(2, 1)], indirect=True)
def test_the_jobs_in_flight_run_on_different_workers(cluster, tmp_path):
    """Two one-thread workers, two jobs that each wait to meet the other: do they meet
    (they ran at once, on two workers), each sent by the scheduler to a worker of its
    own (none queued behind the other on a worker that holds the course, for work
    stealing to move), each with the course, and does ``close`` take the course off the
    workers?"""
    backend = DaskBackend(cluster, job=stand_in_job)
    backend.start({"course": "handnet", "digest": "0" * 64})
    try:
        assert backend.capacity() == 2
        assert all(len(held) == 1 for held in cluster.run(_held).values())
        outcomes = run_all(
            backend,
            [
                (name, "ok", {"mark": (str(tmp_path), name), "until": (str(tmp_path), 2)})
                for name in ("ann", "bob")
            ],
        )
    finally:
        backend.close()
    results = [outcomes[name].result for name in ("ann", "bob")]
    assert [r["met"] for r in results] == [True, True]
    assert cluster.run_on_scheduler(_stolen) == []
    assert results[0]["pid"] != results[1]["pid"]
    assert {r["course"] for r in results} == {"handnet"}
    assert all(held == [] for held in cluster.run(_held).values())


@pytest.mark.parametrize("cluster", [(1, 2)], indirect=True)
def test_a_job_that_kills_its_worker_is_given_up_alone_sparing_the_job_beside_it(cluster, tmp_path):
    """One two-thread worker grading a job that kills it every time and, beside it in the
    same process, one that waits until the first has killed three workers (the killer
    waits for it to be there): Dask counts each death against both and gives both up;
    is only the killer given up (WorkerDied after three deaths of its own, run alone),
    the other graded (alone, after its three), with the course held by the workers that
    replaced the dead ones?"""
    deaths, beside = tmp_path / "deaths", tmp_path / "beside"
    deaths.mkdir(), beside.mkdir()
    backend = DaskBackend(cluster, job=stand_in_job)
    backend.start({"course": "handnet", "digest": "1" * 64})
    try:
        outcomes = run_all(
            backend,
            [
                ("poison", "die", {"deaths": str(deaths), "beside": (str(beside), ATTEMPTS)}),
                ("ann", "ok", {"mark": (str(beside), "{pid}"), "until": (str(deaths), ATTEMPTS)}),
            ],
        )
    finally:
        backend.close()
    assert outcomes["ann"].result["course"] == "handnet" and outcomes["ann"].result["met"]
    died = outcomes["poison"].error
    assert isinstance(died, WorkerDied) and died.deaths == ATTEMPTS
    assert "KilledWorker" in str(died)
    assert sum(1 for _ in deaths.iterdir()) == 2 * ATTEMPTS  # beside ann, then alone
