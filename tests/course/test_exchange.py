"""nbgrader's exchange, end to end, as real separate Unix accounts.

The test (run as root) creates an instructor and two students with ``useradd``, an
exchange folder as an administrator would (``mkdir -m 1777``) and the instructor's own
copy of the course (mode 0700: students cannot enter it). Then every step runs as the
account it belongs to, with nbgrader's own commands and the course's configuration:

    instructor  nbgrader release_assignment
    students    nbgrader fetch_assignment, edit, nbgrader submit (Alice twice)
    instructor  nbgrader collect (then --update), a due date, handnet autograde,
                handnet feedback, nbgrader release_feedback
    students    nbgrader fetch_feedback

The students use the students' environment (``make student-env``), the instructor the
instructor's (this Python's). Skipped where accounts cannot be made (not root, no
``useradd``) or where the other accounts cannot run the environments.
"""

import datetime
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course_files import ROOT, copy_course
from unix_accounts import Accounts, others_can_enter

from handnet_grader.classview.sample_class import sample_class

ASSIGNMENT = "01_neuron"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
STUDENT_VENV = ROOT / ".venv-student"
INSTRUCTOR_BIN = Path(sys.executable).parent
SUFFIX = f"{os.getpid() % 100000}"
TEACHER, ALICE, BOB = (f"hn{role}{SUFFIX}" for role in ("teach", "alice", "bob"))


def _skip_reason():
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"):
        return "needs root with useradd and runuser to make the accounts"
    if not (
        others_can_enter(INSTRUCTOR_BIN) and others_can_enter(os.path.realpath(sys.executable))
    ):
        return (
            f"the instructor's Python ({os.path.realpath(sys.executable)}) cannot be run by "
            "other accounts: build .venv from /usr/bin/python3 (`make clean venv`)"
        )
    if not others_can_enter(ROOT):
        return f"other accounts cannot enter the checkout {ROOT}"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


def _notebook(sample):
    """The notebook a sample submission writes, as a NotebookNode."""
    tmp = Path(f"/tmp/hn-sample-{SUFFIX}-{sample.student}")
    sample.write(tmp)
    nb = nbformat.read(tmp / NOTEBOOK, as_version=4)
    shutil.rmtree(tmp)
    return nb


def _give(path, user, nb):
    """Write ``nb`` to ``path`` as the student's own file (the student's edit)."""
    nbformat.write(nb, path)
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Runs the whole round trip; returns what the tests look at."""
    subprocess.run(["make", "-s", "student-env"], cwd=ROOT, check=True, capture_output=True)
    base = Path(f"/tmp/handnet-exchange-{SUFFIX}")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o755)
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o1777)  # what the administrator does once
    accounts = Accounts(base, exchange)
    student_bin, teacher_bin = STUDENT_VENV / "bin", INSTRUCTOR_BIN
    try:
        accounts.add(TEACHER)
        homes = {s: accounts.add(s) for s in (ALICE, BOB)}
        course = copy_course(base / "course")
        with open(course / "nbgrader_config.py", "a") as f:
            f.write("\nc.PercentPerDay.grace_minutes = 0   # the test's due date is seconds ago\n")
        teacher = pwd.getpwnam(TEACHER)
        subprocess.run(
            ["chown", "-R", f"{teacher.pw_uid}:{teacher.pw_gid}", str(course)], check=True
        )
        os.chmod(course, 0o700)
        samples = {
            s.student: s for s in sample_class(ROOT, [ASSIGNMENT], broken_in=[], mistakes_in=[])
        }
        as_teacher = lambda *cmd, **kw: accounts.run(TEACHER, list(cmd), course, teacher_bin, **kw)

        as_teacher("nbgrader", "release_assignment", ASSIGNMENT)
        for s in (ALICE, BOB):
            accounts.run(s, ["nbgrader", "fetch_assignment", ASSIGNMENT], homes[s], student_bin)
        folder = {s: homes[s] / ASSIGNMENT for s in (ALICE, BOB)}

        # Alice submits the untouched notebook; the instructor collects it
        accounts.run(ALICE, ["nbgrader", "submit", ASSIGNMENT], homes[ALICE], student_bin)
        as_teacher("nbgrader", "collect", ASSIGNMENT)
        first_collect = (course / "submitted" / ALICE / ASSIGNMENT / "timestamp.txt").read_text()
        # then submits again, with her first exercise done: the resubmission
        _give(folder[ALICE] / NOTEBOOK, ALICE, _notebook(samples["partial"]))
        accounts.run(ALICE, ["nbgrader", "submit", ASSIGNMENT], homes[ALICE], student_bin)

        # Bob tries a huge file, then hundreds of files: both refused, nothing submitted
        big = folder[BOB] / "weights.bin"
        with open(big, "wb") as f:
            f.truncate(25_000_000)
        refused_big = accounts.run(
            BOB, ["nbgrader", "submit", ASSIGNMENT], homes[BOB], student_bin, check=False
        )
        big.unlink()
        many = folder[BOB] / "runs"
        many.mkdir()
        for i in range(150):
            (many / f"run{i}.txt").write_text("x")
        subprocess.run(["chown", "-R", BOB, str(many)], check=True)
        refused_many = accounts.run(
            BOB, ["nbgrader", "submit", ASSIGNMENT], homes[BOB], student_bin, check=False
        )
        shutil.rmtree(many)

        # the due date falls between Alice's last submission and Bob's: it is read from the
        # clock after her submit command ended and before his starts (nbgrader stamps
        # submissions to the microsecond), so no wait is needed to order them
        due = datetime.datetime.now(datetime.UTC)
        # Bob's complete notebook also writes a file while it is graded
        nb = _notebook(samples["reference"])
        nb.cells.append(
            nbformat.v4.new_code_cell(
                "with open('notes.bin', 'wb') as f:\n    f.write(bytes(3_000_000))"
            )
        )
        _give(folder[BOB] / NOTEBOOK, BOB, nb)
        accounts.run(BOB, ["nbgrader", "submit", ASSIGNMENT], homes[BOB], student_bin)

        inbound = exchange / "handnet" / "inbound"
        alices = sorted(p for p in inbound.iterdir() if p.name.startswith(ALICE + "+"))
        spying = {
            "list inbound": accounts.run(
                BOB, ["ls", str(inbound)], homes[BOB], student_bin, check=False
            ),
            "read Alice's notebook": accounts.run(
                BOB, ["cat", str(alices[-1] / NOTEBOOK)], homes[BOB], student_bin, check=False
            ),
            "list Alice's submission": accounts.run(
                BOB, ["ls", str(alices[-1])], homes[BOB], student_bin, check=False
            ),
            "nbgrader list --inbound": accounts.run(
                BOB, ["nbgrader", "list", "--inbound"], homes[BOB], student_bin, check=False
            ),
        }
        # Bob forges a later submission in Alice's name, straight into inbound
        forged = inbound / f"{ALICE}+{ASSIGNMENT}+2099-01-01 00:00:00.000000 UTC+forged"
        accounts.run(BOB, ["mkdir", str(forged)], homes[BOB], student_bin)
        accounts.run(
            BOB,
            ["cp", str(folder[BOB] / NOTEBOOK), str(forged / NOTEBOOK)],
            homes[BOB],
            student_bin,
        )

        collected = as_teacher("nbgrader", "collect", "--update", ASSIGNMENT)
        as_teacher(
            "nbgrader",
            "db",
            "assignment",
            "add",
            ASSIGNMENT,
            f"--duedate={due.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC",
        )
        graded = as_teacher(
            "handnet",
            "autograde",
            "-a",
            ASSIGNMENT,
            "-j",
            "1",
            HANDNET_CHECK_SEED="2026",
            HANDNET_CELL_TIMEOUT="60",
        )
        as_teacher("handnet", "feedback", "-a", ASSIGNMENT)
        as_teacher("nbgrader", "release_feedback", ASSIGNMENT)
        fetched = {
            s: accounts.run(s, ["nbgrader", "fetch_feedback", ASSIGNMENT], homes[s], student_bin)
            for s in (ALICE, BOB)
        }
        from handnet_grader.run.records import load_records

        yield dict(
            course=course,
            homes=homes,
            samples=samples,
            spying=spying,
            refused_big=refused_big,
            refused_many=refused_many,
            graded=graded,
            collected=collected,
            first_collect=first_collect,
            fetched=fetched,
            records={r.student: r for r in load_records(course, ASSIGNMENT)},
            alices=alices,
            inbound=inbound,
        )
    finally:
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)


def _pages(home):
    return sorted((home / ASSIGNMENT / "feedback").rglob("*.html"))


def test_each_student_gets_their_own_feedback_with_the_right_points(round_trip):
    """Alice's resubmission (first exercise done) and Bob's complete, late notebook:
    are their points right, and does each fetch one page, their own?"""
    records, samples = round_trip["records"], round_trip["samples"]
    alice, bob = records[ALICE], records[BOB]
    assert alice.status == bob.status == "graded", round_trip["graded"].stdout[-2000:]
    assert alice.points == samples["partial"].expected_points and alice.late_penalty == 0
    assert bob.late_penalty == 10 and bob.points == 90 == samples["reference"].expected_points - 10
    (alice_page,), (bob_page,) = (
        _pages(round_trip["homes"][ALICE]),
        _pages(round_trip["homes"][BOB]),
    )
    alice_html, bob_html = alice_page.read_text(), bob_page.read_text()
    assert "✗" in alice_html and "late submission" not in alice_html
    assert "✗" not in bob_html and "late submission" in bob_html
    assert alice_html != bob_html


def test_a_student_cannot_see_another_students_submission(round_trip):
    """Can Bob list inbound, list or read Alice's submission, or see it with nbgrader?"""
    spying = round_trip["spying"]
    for what in ("list inbound", "read Alice's notebook", "list Alice's submission"):
        assert spying[what].returncode != 0 and "Permission denied" in spying[what].stdout, what
    assert ALICE not in spying["nbgrader list --inbound"].stdout
    mode = stat.S_IMODE(os.stat(round_trip["alices"][-1] / NOTEBOOK).st_mode)
    assert mode & 0o007 == 0, oct(mode)


def test_a_forged_submission_is_refused_and_the_resubmission_replaces_the_first(round_trip):
    """Is the folder Bob made in Alice's name refused at collect, and is what was
    collected for Alice her second submission, not her first?"""
    course = round_trip["course"]
    assert (
        "forged" in round_trip["collected"].stdout and "Refused" in round_trip["collected"].stdout
    )
    stamp = (course / "submitted" / ALICE / ASSIGNMENT / "timestamp.txt").read_text()
    assert stamp != round_trip["first_collect"] and not stamp.startswith("2099")
    submitted = nbformat.read(course / "submitted" / ALICE / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert submitted.cells == _notebook(round_trip["samples"]["partial"]).cells


def test_oversized_submissions_are_refused_with_a_clear_message(round_trip):
    """Does submit refuse a 25 MB file and 150 files, saying what to do?"""
    big, many = round_trip["refused_big"], round_trip["refused_many"]
    assert big.returncode != 0 and "weights.bin (25.0 MB)" in big.stdout, big.stdout[-1500:]
    assert many.returncode != 0 and "holds 151 files" in many.stdout, many.stdout[-1500:]


def test_graded_and_feedback_folders_hold_no_file_the_notebook_wrote(round_trip):
    """Is the file Bob's notebook wrote while graded gone from autograded/, and does the
    feedback folder hold only the page and what release_feedback reads?"""
    course = round_trip["course"]
    assert not (course / "autograded" / BOB / ASSIGNMENT / "notes.bin").exists()
    left = sorted(p.name for p in (course / "feedback" / BOB / ASSIGNMENT).iterdir())
    assert left == ["01_neuron.html", "submission_secret.txt", "timestamp.txt"]
