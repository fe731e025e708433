"""Grading on a real Dask cluster gives what a local run gives, through lost workers, a
poison submission and a driver killed mid-run.

A scheduler and two workers (each with a nanny, which restarts a killed worker) run as
separate processes on 127.0.0.1, started the way docs/instructors.md says, plus the test-only
preload ``dask_poison`` (a worker that starts grading the student ``poison`` dies). The
class is assignment 1's reference, untouched and partial submissions, a catalogued
mistake (graded right only if the driver's settings travel with the task) and the
poison, a copy of the reference. It is graded locally with ``grade_class`` (the poison
aside) for the expected results.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from course_files import ROOT, copy_course, grading_environment
from graded_alike import outcome

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.kernel import orphans
from handnet_grader.run import scratch_folders as scratch
from handnet_grader.run.driver import grade_class
from handnet_grader.run.records import GRADER_FAILURE, load_records

ASSIGNMENT = "01_neuron"
PICKED = ("reference", "untouched", "partial", "mistake-sigmoid-tanh")
SAMPLES = [
    s
    for s in sample_class(ROOT, [ASSIGNMENT], broken_in=[], mistakes_in=None)
    if s.student in PICKED
]
POISON = "poison"  # dask_poison.STUDENT
SETTINGS = {
    "HANDNET_CHECK_SEED": "2026",
    "HANDNET_CELL_TIMEOUT": "20",
}
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's SQLAlchemy use


def _class(folder, poison=True):
    """A copy of the course with the picked samples (and a poison copy of the reference)."""
    root = copy_course(folder)
    write_sample_class(root, SAMPLES)
    if poison:
        shutil.copytree(root / "submitted" / "reference", root / "submitted" / POISON)
    return root


def _scores(root):
    """{student: (score, submission rows of the student)} from the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        rows = [(s.student.id, float(s.score)) for s in gb.find_assignment(ASSIGNMENT).submissions]
    return {s: (score, sum(1 for t, _ in rows if t == s)) for s, score in rows}


def _records_on_disk(root):
    return sorted(p.stem for p in (root / "grades" / "records" / ASSIGNMENT).glob("*.json"))


@pytest.fixture(autouse=True)
def keep_cwd(monkeypatch):
    monkeypatch.chdir(os.getcwd())


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The class graded locally: (course root, {student: Record})."""
    root = _class(tmp_path_factory.mktemp("local"), poison=False)
    with grading_environment(**SETTINGS):
        records = {r.student: r for r in grade_class(root, ASSIGNMENT, workers=2)}
    assert records["reference"].points == 100 and records["untouched"].points == 0
    return root, records


class Cluster:
    """A scheduler and two nanny-run workers on 127.0.0.1, each in a process group of
    its own (ended at the end of the module)."""

    def __init__(self, folder):
        self.file = folder / "scheduler.json"
        env = dict(os.environ, PYTHONPATH=str(HERE), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
        for name in SETTINGS:  # the workers get the driver's settings only with the task
            env.pop(name, None)
        self.logs = folder
        self.processes = [
            self._start(
                [
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--scheduler-file",
                    str(self.file),
                    "--no-dashboard",
                    "--preload",
                    "handnet_grader.cluster.preload",
                ],
                env,
                "scheduler",
            )
        ]
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        for i in (1, 2):
            self.processes.append(
                self._start(
                    [
                        "worker",
                        "--scheduler-file",
                        str(self.file),
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--preload",
                        "handnet_grader.cluster.preload",
                        "--preload",
                        "dask_poison",
                    ],
                    env,
                    f"worker{i}",
                )
            )
        from distributed import Client

        self.client = Client(self.address, timeout=30, set_as_default=False)
        self.client.wait_for_workers(2, timeout=120)

    def _start(self, args, env, name):
        log = open(self.logs / f"{name}.log", "w")
        return subprocess.Popen(
            [str(BIN / "dask"), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker_pids(self):
        """{worker address: pid of the worker process (not its nanny)}."""
        return self.client.run(os.getpid)

    def close(self):
        self.client.close(timeout=10)
        for p in reversed(self.processes):
            self._signal(p, signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal(p, signal.SIGKILL)
                p.wait()

    @staticmethod
    def _signal(process, signum):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:  # already ended (a test killed it)
            pass


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    yield c
    c.close()


def _driver(root, address, *extra):
    """``handnet autograde --scheduler`` on the course at ``root``, as a process."""
    env = dict(os.environ, **SETTINGS, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "handnet_grader.cli",
            "autograde",
            "-a",
            ASSIGNMENT,
            "--scheduler",
            address,
            *extra,
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _kill_a_worker_mid_task(cluster, not_key, timeout=120):
    """kill -9 a worker process while it runs a grading task whose key does not contain
    ``not_key`` and that task's kernel runs; returns its pid."""
    pids = cluster.worker_pids()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for address, keys in cluster.client.processing().items():
            busy = [
                k for k in map(str, keys) if k.startswith("handnet-grade-") and not_key not in k
            ]
            if busy and address in pids and _runs_a_kernel(pids[address]):
                os.kill(pids[address], signal.SIGKILL)  # well inside the task
                return pids[address]
        time.sleep(0.2)
    raise AssertionError("no grading task started a kernel on the cluster")


def _runs_a_kernel(pid):
    """Has process ``pid`` a grading kernel (an ipykernel) among its descendants?"""
    table = orphans.process_table()
    return any("ipykernel" in table[p][2] for p in orphans.descendants(pid, table))


def _record_bytes(root):
    return {
        s: (root / "grades" / "records" / ASSIGNMENT / f"{s}.json").read_bytes()
        for s in _records_on_disk(root)
    }


def test_the_cluster_grades_as_locally_through_lost_workers_and_a_restarted_driver(
    tmp_path, local, cluster
):
    """A worker killed mid-task, the driver killed after its first record and started
    again with --missing, a submission that kills every worker grading it: are the
    records of the first driver left as they are and only the others graded; does every
    submission end with exactly one record, the same points, cells and gradebook scores
    as locally, the poison a grader failure that needs a look; do the feedback pages come
    out as after a local run, and are the killed workers' folders swept?"""
    root = _class(tmp_path / "course")
    total = len(SAMPLES) + 1
    started = time.time()
    before = set(cluster.worker_pids().values())
    driver = _driver(root, cluster.address)
    killed = _kill_a_worker_mid_task(cluster, f"-{POISON}-")
    deadline = time.monotonic() + 300
    while not _records_on_disk(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    first = _record_bytes(root)
    assert 1 <= len(first) < total

    again = _driver(root, cluster.address, "--missing")
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out
    assert f"{len(first)} of {total} submission(s) already graded" in out
    assert f"grading {total - len(first)} submission(s)" in out
    assert {s: data for s, data in _record_bytes(root).items() if s in first} == first

    local_root, expected = local
    records = {r.student: r for r in load_records(root, ASSIGNMENT)}
    assert _records_on_disk(root) == sorted([*expected, POISON]) == sorted(records)
    poison = records.pop(POISON)
    assert poison.status == GRADER_FAILURE and poison.message.startswith("needs a look"), out
    assert "3 times" in poison.message and "KilledWorker" in (root / poison.log).read_text()
    assert {s: outcome(r) for s, r in records.items()} == {
        s: outcome(r) for s, r in expected.items()
    }
    assert all(r.submission_sha256 == expected[s].submission_sha256 for s, r in records.items())
    assert _scores(root) == _scores(local_root)  # one submission row each, the same score
    assert {p.name for p in (root / "autograded").iterdir()} == set(expected)

    with grading_environment(**SETTINGS):
        from handnet_grader.cli import _api
        from handnet_grader.feedback.pages import generate_feedback

        assert generate_feedback(_api(root), root, ASSIGNMENT) == total
    page = (root / "feedback" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Your results" in page and "✗" in page and "✓" in page
    page = (root / "feedback" / POISON / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "not because of your work" in page

    cluster.client.wait_for_workers(2, timeout=120)  # each new worker sweeps as it starts
    assert killed in before - set(cluster.worker_pids().values())
    made = [f for f in Path("/tmp").glob("handnet-worker-*") if f.stat().st_mtime >= started]
    left = [
        f.name
        for f in made
        if scratch.start_time(int(f.name.split("-")[2])) != int(f.name.split("-")[3])
    ]
    assert not list(Path("/tmp").glob(f"handnet-worker-{killed}-*")) and left == []


def test_writing_a_result_twice_changes_nothing(tmp_path):
    """A task Dask ran twice brings its result twice: graded by the worker's function in
    this process, is the second write of the same result a no-op (the same record bytes,
    autograded notebook and gradebook row, one submission)?"""
    from handnet_grader.course.release import ensure_in_gradebook
    from handnet_grader.run.autograde import grading_api
    from handnet_grader.run.jobs import course_bundle, grade_bundle, submission_bundle
    from handnet_grader.run.write_back import write_result

    root = copy_course(tmp_path / "course")
    write_sample_class(root, [s for s in SAMPLES if s.student == "partial"])
    with grading_environment(**SETTINGS):
        result = grade_bundle(
            course_bundle(root, [ASSIGNMENT]), submission_bundle(root, "partial", ASSIGNMENT)
        )
        assert result["graded"] and not (root / "grades").exists()  # the worker wrote nothing
        ensure_in_gradebook(root, [ASSIGNMENT])  # as grade_on_cluster does first
        api = grading_api(root)
        states = []
        for _ in range(2):
            record = write_result(api, root, result)
            states.append(
                (
                    _record_bytes(root),
                    (
                        root / "autograded" / "partial" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
                    ).read_bytes(),
                    _scores(root),
                )
            )
    assert states[0] == states[1] and record.status == "graded" and 0 < record.points < 100
    assert states[1][2] == {"partial": (record.points, 1)}


def test_an_unreachable_scheduler_grades_nothing(tmp_path):
    """Does ``--scheduler`` naming a port where nothing listens stop with a message that
    names it, before anything is graded or even the gradebook opened?"""
    import socket

    root = _class(tmp_path / "course", poison=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    env = dict(os.environ, **SETTINGS, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s")
    run = subprocess.run(
        [sys.executable, "-m", "handnet_grader.cli", "autograde", "--scheduler", address],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert f"cannot reach the Dask scheduler at {address}" in run.stderr
    assert "nothing was graded" in run.stderr
    assert not (root / "grades").exists() and not (root / "autograded").exists()
    assert not (root / "gradebook.db").exists()  # stopped before the gradebook was opened


def test_a_scheduler_lost_mid_run_stops_the_driver_keeping_what_it_wrote(tmp_path, local, cluster):
    """The scheduler killed after the driver's first record (the last test here: it ends
    the module's cluster): does the driver stop with an error that says how many were not
    graded and how to go on, keeping the records it wrote, each as in a local run, and
    writing none for the rest?"""
    root = _class(tmp_path / "course", poison=False)
    driver = _driver(root, cluster.address)
    deadline = time.monotonic() + 300
    while not _records_on_disk(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(cluster.processes[0].pid, signal.SIGKILL)
    out, _ = driver.communicate(timeout=300)
    assert driver.returncode == 1, out
    graded = _records_on_disk(root)
    assert 1 <= len(graded) < len(SAMPLES)
    assert f"{len(SAMPLES) - len(graded)} submission(s) not graded" in out and "--missing" in out
    _, expected = local
    assert {r.student: outcome(r) for r in load_records(root, ASSIGNMENT)} == {
        s: outcome(expected[s]) for s in graded
    }
