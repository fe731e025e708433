"""The driver of a run, on a backend that runs nothing: does every submission end in a
record, in "not graded" or in a stopped run, whatever the backend and the gradebook do?

The backend here plays back a script (each student's job returns a result, raises, or is
lost with the backend); the course's writes are stood in for, so that only the driver's
own bookkeeping is under test. The real writer and backends have their own tests
(``test_write_back``, ``test_backends``, ``tests/course``)."""

from types import SimpleNamespace

import pytest

from handnet_grader.course.gradebook import GradebookLost
from handnet_grader.run import autograde, driver, jobs, write_back
from handnet_grader.run.backends import Backend, Outcome, WorkerDied
from handnet_grader.run.driver import GradingStopped, Plan
from handnet_grader.run.records import record_path


class ScriptedBackend(Backend):
    """Runs nothing: each job ends as ``script[student]`` says ("ok", "raise", "die",
    "lost"), ``per_wait`` jobs per wait, oldest first."""

    def __init__(self, script, capacity=2, per_wait=1):
        self.script, self._capacity, self.per_wait = script, capacity, per_wait
        self.in_flight, self.most_in_flight = {}, 0
        self.course, self.cancelled, self.closed = None, False, False

    def start(self, course):
        self.course = course

    def capacity(self):
        return 0 if self.gone else self._capacity

    def submit(self, key, submission):
        assert not self.gone, "a job was sent to a backend that is gone"
        self.in_flight[key] = submission
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))

    def wait(self, timeout):
        outcomes = []
        for key in list(self.in_flight)[: self.per_wait]:
            submission = self.in_flight.pop(key)
            how = self.script[submission["student"]]
            if how == "lost":  # the scheduler goes, taking every job it held
                self.gone = "the scheduler went away"
                outcomes += [Outcome(k, lost=True) for k in [key, *self.in_flight]]
                self.in_flight.clear()
                break
            if how == "ok":
                outcomes.append(Outcome(key, result=dict(submission, result=True)))
            elif how == "die":
                outcomes.append(Outcome(key, error=WorkerDied(key, 3)))
            else:
                outcomes.append(Outcome(key, error=ValueError("no"), traceback="Traceback..."))
        return outcomes

    def cancel(self):
        self.cancelled = True
        self.in_flight.clear()

    def close(self):
        self.closed = True


class Course:
    """The course's side stood in for: what the writer was given, batch by batch, and
    which batch finds the gradebook gone (``lost_at``, counting from 1)."""

    def __init__(self, monkeypatch, root, lost_at=None):
        self.batches, self.failed, self.lost_at = [], [], lost_at
        course = self

        class Writer:
            seconds = 0.5

            def __init__(self, api, root):
                pass

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                pass

            def write(self, results):
                course.batches.append([r["student"] for r in results])
                if len(course.batches) == course.lost_at:
                    raise GradebookLost("the gradebook stopped answering", "connection refused")
                return [record(r["student"], r["assignment"], "graded") for r in results]

        def failed_record(api, root, student, assignment, sha256, error, tb):
            self.failed.append((student, type(error).__name__))
            return record(student, assignment, "grader failure")

        api = SimpleNamespace(coursedir=SimpleNamespace(ignore=[]))
        monkeypatch.setattr(autograde, "grading_api", lambda root: api)
        monkeypatch.setattr(jobs, "course_bundle", lambda root, names: {"names": names})
        monkeypatch.setattr(
            jobs,
            "submission_bundle",
            lambda root, s, a, ignore: {"student": s, "assignment": a, "sha256": f"{s}{a}" * 8},
        )
        monkeypatch.setattr(write_back, "Writer", Writer)
        monkeypatch.setattr(write_back, "failed_record", failed_record)
        monkeypatch.setattr(driver, "sweep", lambda: None)
        monkeypatch.setattr(
            driver,
            "load_config",
            lambda root: SimpleNamespace(CourseDirectory=SimpleNamespace(db_url="sqlite:///gb.db")),
        )


def record(student, assignment, status):
    return SimpleNamespace(student=student, assignment=assignment, status=status)


def plan(tmp_path, students, assignment="a1"):
    return Plan(tmp_path, [(s, assignment) for s in students], [("zoe", assignment)], ready=True)


def test_every_submission_ends_in_a_record(tmp_path, monkeypatch):
    """Do results go to the writer, raised jobs and dead workers to grader-failure
    records, is each record reported as written with its count, and are no more jobs in
    flight than the backend runs at once?"""
    course = Course(monkeypatch, tmp_path)
    script = {"ann": "ok", "bob": "raise", "cat": "ok", "dan": "die", "eve": "ok"}
    backend = ScriptedBackend(script, capacity=2, per_wait=2)
    reported = []
    run = driver.drive(plan(tmp_path, script), backend, lambda *a: reported.append(a[:2]))
    assert [(r.student, r.status) for r in run.records] == [
        ("ann", "graded"),
        ("bob", "grader failure"),
        ("cat", "graded"),
        ("dan", "grader failure"),
        ("eve", "graded"),
    ]
    assert course.batches == [["ann"], ["cat"], ["eve"]]  # one write for each wait's results
    assert course.failed == [("bob", "ValueError"), ("dan", "WorkerDied")]
    assert reported == [(i, 5) for i in range(1, 6)]
    assert backend.most_in_flight == 2 and backend.closed and not backend.cancelled
    assert backend.course == {"names": ["a1"]}
    assert run.not_graded == [] and run.skipped == [("zoe", "a1")] and run.writer_seconds == 0.5


def test_a_backend_that_goes_leaves_the_rest_not_graded(tmp_path, monkeypatch):
    """When the backend goes away mid-run, are the jobs it held and those never sent
    "not graded" (their old records kept), with what was written kept?"""
    Course(monkeypatch, tmp_path)
    script = {"ann": "ok", "bob": "lost", "cat": "ok", "dan": "ok"}
    old = record_path(tmp_path, "a1", "cat")
    old.parent.mkdir(parents=True)
    old.write_text("{}")
    backend = ScriptedBackend(script, capacity=2)
    run = driver.drive(plan(tmp_path, script), backend)
    assert [r.student for r in run.records] == ["ann"]
    assert run.not_graded == [("bob", "a1"), ("cat", "a1"), ("dan", "a1")]
    assert old.exists() and backend.closed


def test_a_gradebook_that_stops_answering_stops_the_run(tmp_path, monkeypatch):
    """When the writer finds the gradebook gone, is the backend's work cancelled, the
    run stopped with what was written, and every submission not written left with no
    record (an earlier run's removed), none of those written among them?"""
    Course(monkeypatch, tmp_path, lost_at=2)
    script = {name: "ok" for name in ["ann", "bob", "cat", "dan"]}
    for name in script:
        path = record_path(tmp_path, "a1", name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    backend = ScriptedBackend(script, capacity=2)
    with pytest.raises(GradingStopped) as stopped:
        driver.drive(plan(tmp_path, script), backend)
    assert [r.student for r in stopped.value.records] == ["ann"]
    assert stopped.value.left == [("bob", "a1"), ("cat", "a1"), ("dan", "a1")]
    assert "after 1 of 4 submission(s) (connection refused)" in str(stopped.value)
    assert "sqlite:///gb.db" in str(stopped.value)
    assert backend.cancelled and backend.closed
    assert [p.stem for p in sorted(record_path(tmp_path, "a1", "x").parent.iterdir())] == ["ann"]


def test_nothing_to_grade_sends_nothing(tmp_path, monkeypatch):
    """With every submission up to date, is the backend closed without a job or the
    course bundle sent, and the skipped ones said?"""
    Course(monkeypatch, tmp_path)
    backend = ScriptedBackend({})
    run = driver.drive(Plan(tmp_path, [], skipped=[("ann", "a1")]), backend)
    assert run.records == [] and run.skipped == [("ann", "a1")]
    assert backend.course is None and backend.closed
