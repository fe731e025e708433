"""The grading contract: the sample class gets exactly the scores it should.

The whole pipeline runs once (module fixture) on a copy of the course: the release is
generated with a gradebook, the sample class of ``handnet_grader.classview.sample_class`` is written to
submitted/, and two worker processes grade it. Each sample then has its own test.
"""

import csv
import html
import os

import pytest
from course_files import ROOT, copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.course.release import generate_release
from handnet_grader.feedback.pages import generate_feedback
from handnet_grader.run.driver import grade_class
from handnet_grader.run.records import load_records
from handnet_grader.run.report import export, summary

SAMPLES = sample_class(ROOT)
CELL_TIMEOUT = "30"  # the sample class runs two infinite loops; real grading allows 120 s
# (30 s: the slowest sample cell, a per-example trainer in 05, took over 20 s at load 8)
CHECK_SEED = "2026"


@pytest.fixture(scope="module")
def environment():
    # HANDNET_CHECK_SEED: the hidden checks' inputs, reproducible in CI
    with grading_environment(HANDNET_CELL_TIMEOUT=CELL_TIMEOUT, HANDNET_CHECK_SEED=CHECK_SEED):
        yield


@pytest.fixture(scope="module")
def graded(tmp_path_factory, environment):
    """(course root, {(student, assignment): Record}) after grading the sample class."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    generate_release(root)
    write_sample_class(root, sample_class(root))
    records = grade_class(root, workers=2)
    return root, {(r.student, r.assignment): r for r in records}


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s.assignment}/{s.student}" for s in SAMPLES])
def test_sample_gets_its_expected_score(graded, sample):
    """Status, points, and per-cell outcomes of one sample submission."""
    _, records = graded
    record = records[(sample.student, sample.assignment)]
    cells = {c.name: c for c in record.cells}
    assert record.status == sample.expected_status, record.message
    if sample.exact:
        assert record.points == sample.expected_points, [
            (c.name, c.points, c.message) for c in record.cells if c.points < c.max_points
        ]
    for name in sample.must_keep:
        assert cells[name].points == cells[name].max_points, (
            f"{name} lost points for another exercise's mistake: {cells[name].message}"
        )
    if sample.expect_message:
        hinted = [
            c
            for c in record.cells
            if c.name in sample.hinted_in and c.points == 0 and sample.expect_message in c.message
        ]
        assert hinted, "no test cell of the exercise fails naming the mistake: " + "; ".join(
            f"{c.name} {c.points:g}: {c.message}"
            for c in record.cells
            if c.name in sample.hinted_in
        )
        assert record.points <= sample.expected_points - hinted[0].max_points


def test_honest_work_raises_no_integrity_finding(graded):
    """The reference, the untouched release and the partial attempt of every assignment
    are honest: the integrity report must not name them (a notebook that stops at a
    NameError before a hidden check is unfinished, not suspicious)."""
    _, records = graded
    found = {
        (s, a): r.integrity
        for (s, a), r in records.items()
        if s in ("reference", "untouched", "partial") and r.integrity
    }
    assert not found, found


def test_every_sample_was_graded_once(graded):
    """One record per sample; one gradebook submission per notebook that could be read."""
    from nbgrader.api import Gradebook

    root, records = graded
    assert sorted(records) == sorted((s.student, s.assignment) for s in SAMPLES)
    unreadable = {
        k for k, r in records.items() if r.status in ("invalid notebook", "missing notebook")
    }
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        rows = [(s.student.id, s.assignment.name) for a in gb.assignments for s in a.submissions]
    assert len(rows) == len(set(rows))
    assert set(rows) == set(records) - unreadable


def test_feedback_names_mistakes_and_hides_hidden_tests(graded):
    """Does each feedback page exist, name the mistake, and show no hidden test code?"""
    root, records = graded
    from handnet_grader.cli import _api

    cwd = os.getcwd()
    try:
        generate_feedback(_api(root), root)
    finally:
        os.chdir(cwd)
    for sample in SAMPLES:
        pages = list((root / "feedback" / sample.student / sample.assignment).glob("*.html"))
        assert pages, f"no feedback for {sample.student}/{sample.assignment}"
        text = pages[0].read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "import check_" not in text
        if sample.expect_message:
            assert sample.expect_message in html.unescape(text)


def test_export_carries_statuses(graded):
    """Does grades.csv have one row per submission with its status, not a bare 0?"""
    root, records = graded
    grades, cells = export(root)
    rows = list(csv.DictReader(grades.open()))
    assert len(rows) == len(records)
    by_case = {(r["student"], r["assignment"]): r for r in rows}
    first = SAMPLES[0].assignment
    assert by_case[("kernel-crash", first)]["status"] == "kernel died"
    assert by_case[("invalid-json", first)]["status"] == "invalid notebook"
    assert by_case[("reference", first)]["points"] == by_case[("reference", first)]["max_points"]
    assert sum(1 for _ in csv.DictReader(cells.open())) == sum(
        len(r.cells) for r in records.values()
    )


def test_summary_lists_every_student_and_flags_problems(graded):
    """Does the summary table show each student, and list the broken submissions?"""
    root, records = graded
    text = summary(load_records(root))
    for student, _ in records:
        assert student in text
    assert "kernel-crash / " in text and "invalid-json / " in text


def test_sequential_grading_gives_the_same_results(graded, tmp_path):
    """Graded again by one worker, do a few samples get identical records?"""
    root, records = graded
    first = SAMPLES[0].assignment
    picked = [
        s
        for s in SAMPLES
        if s.assignment == first
        and s.student in ("reference", "untouched", "partial", "kernel-crash")
    ]
    other = copy_course(tmp_path / "course")
    generate_release(other, [first])
    write_sample_class(other, picked)
    again = {(r.student, r.assignment): r for r in grade_class(other, workers=1)}
    for s in picked:
        a, b = records[(s.student, s.assignment)], again[(s.student, s.assignment)]
        assert (a.status, a.points) == (b.status, b.points)
        assert [(c.name, c.points) for c in a.cells] == [(c.name, c.points) for c in b.cells]
