"""The driver's writer leaves the course as nbgrader's own autograde in the course does.

The driver writes back results graded elsewhere, through one gradebook session, with
each notebook's grades read in one query and its scores read again in one query per
table (``run.write_back``). The same submissions are graded twice, in two copies of the
course: in the course itself, one at a time (``autograde.grade_submission``: nbgrader's
autograde writes the gradebook), and by the driver on two worker processes
(``driver.grade_class``: workers grade, the writer writes). The two must leave the same
records and the same gradebook rows, also for a late submission (a due date and the
course's late policy), a renamed notebook (a repair note), code that names a course
folder (an integrity finding), a notebook that is not JSON, and a submission graded
again after an instructor gave one of its cells a manual grade.
"""

import datetime

import nbformat
import pytest
from course_files import copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.course.release import ensure_in_gradebook
from handnet_grader.run.autograde import grade_submission, grading_api
from handnet_grader.run.driver import grade_class

pytestmark = pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's SQLAlchemy use

ASSIGNMENT = "01_neuron"
PICKED = (
    "reference",
    "partial",
    "mistake-sigmoid-tanh",
    "renamed-notebook",
    "invalid-json",
)
LATE = "partial"
REACHES = "reaches"  # the reference with a cell that names a course folder
DUE = datetime.datetime(2026, 1, 15, 17, 0)
SETTINGS = {"HANDNET_CHECK_SEED": "2026", "HANDNET_CELL_TIMEOUT": "30"}


def _course(folder):
    """A copy of the course with the picked samples, a due date, and LATE's submission
    stamped two days after it."""
    from nbgrader.api import Gradebook

    root = copy_course(folder)
    samples = [s for s in sample_class(root, [ASSIGNMENT]) if s.student in PICKED]
    write_sample_class(root, samples)
    reference = root / "submitted" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(reference, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('where = "submitted/"', id="where"))
    (root / "submitted" / REACHES / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(nb, root / "submitted" / REACHES / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    stamp = DUE + datetime.timedelta(days=2)
    (root / "submitted" / LATE / ASSIGNMENT / "timestamp.txt").write_text(
        stamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    )
    ensure_in_gradebook(root, [ASSIGNMENT])
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
    return root


def _in_the_course(root, students):
    api = grading_api(root)
    return {s: grade_submission(api, root, s, ASSIGNMENT, pause=0) for s in students}


def _by_the_driver(root, students):
    return {r.student: r for r in grade_class(root, ASSIGNMENT, students, workers=2)}


def _record(record):
    """A record's fields, but the times taken (which no two runs share)."""
    data = record.to_json()
    for timing in ("seconds", "execution_seconds"):
        data.pop(timing)
    return data


def _rows(root):
    """Every row nbgrader's autograde writes, by student: the submission's timestamp and
    score, each notebook's late penalty and score, each grade's scores and whether it
    needs a manual grade, each comment's automatic text."""
    from nbgrader.api import Gradebook

    rows = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for submission in gb.find_assignment(ASSIGNMENT).submissions:
            rows[submission.student.id] = (
                submission.timestamp,
                float(submission.score),
                [
                    (
                        nb.name,
                        nb.late_submission_penalty,
                        float(nb.score),
                        sorted(
                            (g.name, g.auto_score, g.manual_score, g.needs_manual_grade)
                            for g in nb.grades
                        ),
                        sorted((c.name, c.auto_comment) for c in nb.comments),
                    )
                    for nb in submission.notebooks
                ],
            )
    return rows


def _grade_by_hand(root, student, points):
    """An instructor's manual grade on the student's first test cell."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_submission(ASSIGNMENT, student).notebooks[0]
        grade = sorted(nb.grades, key=lambda g: g.name)[0]
        grade.manual_score = points
        gb.db.commit()


def test_the_writer_leaves_what_nbgrader_leaves_in_the_course(tmp_path):
    """Graded in the course and by the driver: are the records (but their times) and
    every gradebook row the same, with the late submission's penalty, the repair note,
    the integrity finding and the invalid notebook among them; and after a manual grade
    on one cell and grading that submission again, still the same (the manual grade
    kept, the cell marked for a look)?"""
    with grading_environment(**SETTINGS):
        course, driver = _course(tmp_path / "course"), _course(tmp_path / "driver")
        expected = _in_the_course(course, [*PICKED, REACHES])
        got = _by_the_driver(driver, [*PICKED, REACHES])
        assert sorted(got) == sorted(expected)
        for student in expected:
            assert _record(got[student]) == _record(expected[student]), student
        assert _rows(driver) == _rows(course)

        late = expected[LATE]
        assert late.late_penalty > 0 and late.points == 20 - late.late_penalty
        assert "renamed" in expected["renamed-notebook"].message
        assert "the course folders" in str(expected[REACHES].integrity)
        assert expected["invalid-json"].status == "invalid notebook"
        assert _rows(course)["reference"][1] == 100

        for root in (course, driver):
            _grade_by_hand(root, "reference", 1.0)
        expected = _in_the_course(course, ["reference"])
        got = _by_the_driver(driver, ["reference"])
        assert _record(got["reference"]) == _record(expected["reference"])
        assert _rows(driver) == _rows(course)
        (_, _, _, grades, _) = _rows(course)["reference"][2][0]
        assert grades[0][2] == 1.0 and grades[0][3] is True  # kept, and needs a look


def _as(root, result, student):
    """``result`` (``grade_bundle``'s) as the same submission's of another ``student``,
    whose submitted/ folder is a copy."""
    import shutil

    from handnet_grader.run.submissions import submitted_folder

    shutil.copytree(
        submitted_folder(root, result["student"], ASSIGNMENT),
        submitted_folder(root, student, ASSIGNMENT),
    )
    return dict(result, student=student)


def test_a_batch_leaves_the_rows_of_single_writes_in_the_same_few_statements(tmp_path):
    """Written in one batch, do results leave the same rows as written one at a time (new
    students, and graded again); and does a batch cost the gradebook as many SQL
    statements with 3 results as with 6 or 9, so that none is spent on each row?"""
    from sqlalchemy import event

    from handnet_grader.run.jobs import course_bundle, grade_bundle, submission_bundle
    from handnet_grader.run.write_back import Writer

    picked = ("reference", LATE, "mistake-sigmoid-tanh")
    with grading_environment(**SETTINGS):
        root = _course(tmp_path / "course")
        course = course_bundle(root, [ASSIGNMENT])
        graded = [grade_bundle(course, submission_bundle(root, s, ASSIGNMENT)) for s in picked]
        statements = []
        with Writer(grading_api(root), root) as writer:
            event.listen(
                writer._open().engine,
                "before_cursor_execute",
                lambda *args: statements.append(args[2]),
            )

            def cost(results):
                statements.clear()
                writer.write(results)
                return len(statements)

            for n in range(9):
                writer.write([_as(root, graded[n % 3], f"single{n}")])
            batch = [_as(root, graded[n % 3], f"batch{n}") for n in range(9)]
            first = cost(batch[:3]), cost(batch[3:])
            again = cost(batch[:3]), cost(batch)
    rows = _rows(root)
    for n in range(9):
        assert rows[f"batch{n}"] == rows[f"single{n}"], n
    assert rows["batch1"][2][0][1] > 0  # the late one's penalty
    assert first[0] == first[1] and again[0] == again[1], (first, again)
