"""A gradebook on PostgreSQL (``$HANDNET_DB_URL``) grades as SQLite does, and holds
several graders and the formgrader at once.

A throw-away server (``postgres.Server``, the ``postgres`` fixture) serves a new database
per test. Assignment 1's reference, untouched and partial submissions and five catalogued
mistakes are graded on a copy of the course without a release step, so the grader itself
prepares each new gradebook and records the assignment in it.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from course_files import ROOT, copy_course, grading_environment
from graded_alike import outcome

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.course.gradebook import GradebookUnavailable, prepare_gradebook
from handnet_grader.run.driver import GradingStopped, grade_class
from handnet_grader.run.records import Record, load_records, write_record

ASSIGNMENT = "01_neuron"
PICKED = (
    "reference",
    "untouched",
    "partial",
    "mistake-perceptron-no-bias",
    "mistake-sigmoid-tanh",
    "mistake-sigmoid-neuron-no-sigmoid",
    "mistake-sigmoid-prime-square",
    "mistake-sigmoid-prime-plus",
)
SAMPLES = [
    s
    for s in sample_class(ROOT, [ASSIGNMENT], broken_in=[], mistakes_in=None)
    if s.student in PICKED
]
STUDENTS = [s.student for s in SAMPLES]

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's SQLAlchemy use


def _grading(db_url):
    """The grading environment: the gradebook at ``db_url`` ("": the SQLite default)."""
    return grading_environment(
        HANDNET_DB_URL=db_url, HANDNET_CHECK_SEED="2026", HANDNET_CELL_TIMEOUT="20"
    )


def _course(folder):
    """A copy of the course with the picked samples submitted (no release step)."""
    root = copy_course(folder)
    write_sample_class(root, SAMPLES)
    return root


def _gradebook_rows(db_url):
    """{(student, assignment): (score, [grade rows per notebook], [grade cells per notebook])}
    of every submission in the gradebook, and the number of submission rows."""
    from nbgrader.api import Gradebook

    rows, count = {}, 0
    with Gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                count += 1
                rows[(submission.student.id, assignment.name)] = (
                    float(submission.score),
                    [len(nb.grades) for nb in submission.notebooks],
                    [len(nb.notebook.grade_cells) for nb in submission.notebooks],
                )
    return rows, count


@pytest.fixture(autouse=True)
def keep_cwd(monkeypatch):
    """nbgrader's API changes the working directory: put it back after each test."""
    monkeypatch.chdir(os.getcwd())


def test_postgres_gives_the_same_records_and_scores_as_sqlite(tmp_path, postgres):
    """Graded by two workers into SQLite and into PostgreSQL, does every submission get
    the same status, points and per-cell points, and the gradebook the same scores?"""
    url = postgres.create_database("same_as_sqlite")
    results = {}
    for name, db_url in (("sqlite", ""), ("postgres", url)):
        root = _course(tmp_path / name)
        with _grading(db_url):
            records = grade_class(root, workers=2)
        gradebook = db_url or f"sqlite:///{root / 'gradebook.db'}"
        results[name] = (
            {(r.student, r.assignment): r for r in records},
            _gradebook_rows(gradebook)[0],
        )
    (lite, lite_rows), (pg, pg_rows) = results["sqlite"], results["postgres"]
    assert not (tmp_path / "postgres" / "gradebook.db").exists(), "PostgreSQL's run wrote SQLite"
    assert sorted(pg) == sorted(lite) == sorted((s, ASSIGNMENT) for s in STUDENTS)
    for sample in SAMPLES:
        key = (sample.student, sample.assignment)
        assert outcome(pg[key]) == outcome(lite[key]), sample.student
        assert pg[key].status == sample.expected_status, pg[key].message
        assert pg[key].points == sample.expected_points or not sample.exact
        assert pg_rows[key] == lite_rows[key]
        assert pg_rows[key][0] == pg[key].points


GRADER = """
import json, sys
from handnet_grader.run.driver import grade_class
records = grade_class(sys.argv[1], student=sys.argv[2].split(","), workers=2)
print(json.dumps([r.to_json() for r in records]))
"""

# The formgrader's view of the gradebook (its /formgrader/api/submissions/<assignment>),
# read in a loop until the file ``stop`` exists: how many submissions it shows graded
# may only grow.
FORMGRADER = """
import os, sys, time, warnings
warnings.simplefilter("ignore")
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from handnet_grader.course.root import load_config
root, assignment, stop = sys.argv[1:]
os.chdir(root)
config = load_config(root)
api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
reads = seen = 0
deadline = time.monotonic() + 900
while not os.path.exists(stop) and time.monotonic() < deadline:
    graded = sum(1 for s in api.get_submissions(assignment) if s["autograded"])
    assert graded >= seen, f"the formgrader showed {seen} graded submissions, then {graded}"
    reads, seen = reads + 1, graded
    time.sleep(0.2)
print(reads, seen)
"""


def test_two_graders_and_the_formgrader_at_once_lose_no_row(tmp_path, postgres):
    """Two ``grade_class`` runs on disjoint students of one course, started at once
    against one PostgreSQL gradebook whose assignment neither has recorded yet, while
    the formgrader's view is read in a loop: does every submission end with exactly one
    row holding all its grades, its right status, no retried try, and no process raise?"""
    url = postgres.create_database("two_graders")
    root = _course(tmp_path / "course")
    halves = [STUDENTS[0::2], STUDENTS[1::2]]
    stop = tmp_path / "stop"
    with _grading(url):
        prepare_gradebook(url)  # as it is once the formgrader has opened it
        env = dict(os.environ)
    run = lambda *args: subprocess.Popen(
        [sys.executable, "-c", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = run(FORMGRADER, str(root), ASSIGNMENT, str(stop))
    graders = [run(GRADER, str(root), ",".join(half)) for half in halves]
    try:
        outputs = [g.communicate(timeout=900) for g in graders]
    finally:
        stop.touch()
        read_out, read_err = reader.communicate(timeout=120)
    for grader, (_out, err) in zip(graders, outputs):
        assert grader.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert reader.returncode == 0, read_err[-3000:]
    reads, seen = map(int, read_out.split())
    assert reads > 1 and seen == len(STUDENTS)

    graded = [[Record.from_json(r) for r in json.loads(out)] for out, _ in outputs]
    assert [sorted(r.student for r in half) for half in graded] == [sorted(h) for h in halves]
    records = {r.student: r for half in graded for r in half}
    for sample in SAMPLES:
        record = records[sample.student]
        assert record.status == sample.expected_status, record.message
        assert record.points == sample.expected_points or not sample.exact
    assert not (root / "grades" / "logs").exists(), "a grading try failed and was retried"
    rows, count = _gradebook_rows(url)
    assert count == len(rows) == len(STUDENTS)
    for student in STUDENTS:
        score, grades, cells = rows[(student, ASSIGNMENT)]
        assert grades == cells and score == records[student].points


def test_graders_setting_up_a_new_database_at_once_take_turns(tmp_path, postgres):
    """Two processes making a new, empty PostgreSQL gradebook ready at once (tables,
    alembic stamp, courses, the assignment): do both succeed, leaving each row once?"""
    import psycopg

    url = postgres.create_database("new_at_once")
    root = copy_course(tmp_path / "course")
    code = (
        "import sys; from handnet_grader.course.release import ensure_in_gradebook; "
        "print(ensure_in_gradebook(sys.argv[1], ['01_neuron'])[0])"
    )
    with _grading(url):
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(root)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    assert sorted(out.strip() for out, _ in outputs) == ["['01_neuron']", "[]"]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as db:
        count = lambda table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert count("alembic_version") == 1
        assert sorted(db.execute("SELECT id FROM course").fetchall()) == [
            ("default_course",),
            ("handnet",),
        ]
        assert count("assignment") == 1


def test_an_unreachable_gradebook_stops_grading_before_anything_is_graded(tmp_path, postgres):
    """With the database's server down, does grading fail at once with a message naming
    the URL without its password, leaving no record and no graded notebook, both from
    the API and from ``handnet autograde``?"""
    url = postgres.create_database("unreachable")
    root = _course(tmp_path / "course")
    postgres.stop()
    try:
        with _grading(url):
            with pytest.raises(GradebookUnavailable) as raised:
                grade_class(root, workers=2)
            cli = subprocess.run(
                [str(Path(sys.executable).parent / "handnet"), "autograde"],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=300,
            )
    finally:
        postgres.start()
    shown = postgres.url("unreachable", password=False).replace("handnet@", "handnet:***@")
    for message in (str(raised.value), cli.stderr):
        assert f"cannot open the gradebook {shown}" in message
        assert postgres.password not in message
    assert cli.returncode == 1 and "Traceback" not in cli.stderr, cli.stderr
    assert not (root / "grades").exists() and not (root / "autograded").exists()


def _grade_on(backend, root, **kwargs):
    """grade_class's records, on this machine's processes or on a local Dask cluster
    (two one-thread worker processes), two jobs at a time either way."""
    if backend == "local":
        return grade_class(root, workers=2, **kwargs)
    from distributed import LocalCluster

    from handnet_grader.cluster.dask_backend import grade_on_cluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        return grade_on_cluster(root, cluster.scheduler_address, **kwargs).records


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_a_server_gone_mid_run_stops_it_and_missing_grades_the_rest(tmp_path, postgres, backend):
    """The server stops while the class is graded: does the run stop with GradingStopped,
    the submissions graded before keeping their records and the rest having none (no
    grader failure, not even the stale record an earlier run left), and does a
    ``missing`` run, with the server back, grade exactly the rest, each with its right
    result and one gradebook row? The same on this machine's processes and on Dask."""
    url = postgres.create_database(f"went_away_{backend}")
    root = _course(tmp_path / "course")
    picked = STUDENTS[:4]
    for student in picked:  # an earlier run's records, made from other files
        write_record(root, Record(student, ASSIGNMENT, "graded", submission_sha256="earlier"))
    stopped = []

    def stop_after_the_first(done, total, record):
        if not stopped:
            postgres.stop()
            stopped.append(record.student)

    with _grading(url):
        try:
            with pytest.raises(GradingStopped) as raised:
                _grade_on(backend, root, student=picked, report=stop_after_the_first)
        finally:
            postgres.start()
        run = raised.value
        graded = sorted(r.student for r in run.records)
        left = sorted(s for s, _ in run.left)
        assert graded and left and sorted(graded + left) == sorted(picked)
        assert all(a == ASSIGNMENT for _, a in run.left) and run.total == len(picked)
        assert all(r.status == "graded" for r in run.records), [r.message for r in run.records]
        assert sorted(r.student for r in load_records(root)) == graded
        shown = postgres.url(f"went_away_{backend}", password=False).replace(
            "handnet@", "handnet:***@"
        )
        assert f"the gradebook {shown} stopped answering after {len(graded)} of 4" in str(run)
        assert f"{len(left)} were not graded and have no record" in str(run)
        assert postgres.password not in str(run)
        again = {r.student: r for r in _grade_on(backend, root, student=picked, missing=True)}
    assert sorted(again) == left
    expected = {s.student: s for s in SAMPLES}
    records = {r.student: r for r in load_records(root)}
    for student in picked:
        assert records[student].status == "graded", records[student].message
        assert (
            records[student].points == expected[student].expected_points
            or not expected[student].exact
        )
    rows, count = _gradebook_rows(url)
    assert count == len(rows) == len(picked)
    for student in picked:
        assert rows[(student, ASSIGNMENT)][0] == records[student].points


def test_handnet_autograde_says_when_the_gradebook_went_away(tmp_path, postgres):
    """The server stops after ``handnet autograde`` printed its first graded submission:
    does it exit with 1 and one message (no traceback, no password) naming the gradebook,
    how many were graded of how many, how many have no record, and what to run?"""
    url = postgres.create_database("went_away_cli")
    root = _course(tmp_path / "course")
    with _grading(url):
        cli = subprocess.Popen(
            [str(Path(sys.executable).parent / "handnet"), "autograde", "-j", "2"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            printed = []
            for line in cli.stdout:
                printed.append(line)
                if line.startswith("[1/"):
                    postgres.stop()
                    break
            out, err = cli.communicate(timeout=600)
        finally:
            postgres.start()
    printed.append(out)
    graded = sum(1 for line in "".join(printed).splitlines() if line.startswith("["))
    shown = postgres.url("went_away_cli", password=False).replace("handnet@", "handnet:***@")
    assert cli.returncode == 1 and "Traceback" not in err, err[-3000:]
    assert re.fullmatch(
        rf"handnet: the gradebook {re.escape(shown)} stopped answering after {graded} of "
        rf"{len(STUDENTS)} submission\(s\) \(.*connection.*\); {len(STUDENTS) - graded} were "
        r"not graded and have no record: run `handnet autograde --missing` when it is back",
        err.strip(),
    ), err
    assert postgres.password not in err and "grader failure" not in "".join(printed)
    assert len(load_records(root)) == graded
