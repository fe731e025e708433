"""The student's Assignment List (nbgrader's *Assignments* tab) in JupyterLab of the
students' environment (``.venv-student``), through a real exchange: the instructor
releases assignment 1 with ``.venv/bin/nbgrader release_assignment`` into a fresh
exchange folder (``HANDNET_EXCHANGE``), and the student fetches and submits it with the
tab's buttons, as docs/students.md says.

The submission must be the course's private one (``handnet.exchange.PrivateSubmit``,
configured in ``.venv-student/etc/jupyter/nbgrader_config.py``): its folder 0770 and its
files 0640, where nbgrader's own submit leaves 0777 and 0644: those modes prove that the
lab's Submit ran with the student environment's configuration.
"""

import os
import pwd
import shutil
import stat
import subprocess

import pytest
from labserver import REPO, clean_env, make_home, path_without_venvs
from playwright.sync_api import expect

# The students' jupyter (after `make student-env`) and the environment of their servers.
from test_student_lab import (
    ASSIGNMENT,
    NOTEBOOK,
    RELEASE,
    student_env,
    student_jupyter,  # noqa: F401 (a fixture, used by name)
)

INSTRUCTOR_BIN = REPO / ".venv" / "bin"
COURSE_ID = "handnet"  # the course_id of both environments' nbgrader_config.py
SUBMISSION_DIR_MODE = 0o770  # PrivateSubmit's (handnet/exchange.py); nbgrader's: 0777
SUBMISSION_FILE_MODE = 0o640  # PrivateSubmit's; nbgrader's: 0644
RELEASE_TIMEOUT = 600  # s: nbgrader release_assignment (creates the gradebook first)
LIST_TIMEOUT = 120_000  # ms: the list to load, a fetch or a submit to come back

PANEL = "#nbgrader-assignment-list"
# nbgrader's three lists: rows are the list's .list_item children (placeholders, loading
# and error messages are other children, hidden or shown with the `hidden` attribute).
RELEASED = f"{PANEL} #released_assignments_list > .list_item"
FETCHED = f"{PANEL} #fetched_assignments_list > .list_item"
SUBMITTED = f"{PANEL} #submitted_assignments_list > .list_item"
# Each submission of an assignment is a row of this list, after an empty first row.
SUBMISSIONS = f"{PANEL} #nbgrader-{COURSE_ID}-{ASSIGNMENT}-submissions > .list_item"


@pytest.fixture
def exchange(tmp_path):
    """An empty exchange folder, as an administrator makes it (``mkdir -m 1777``)."""
    folder = tmp_path / "exchange"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    return folder


@pytest.fixture
def released(exchange, tmp_path):
    """The exchange after the instructor's ``nbgrader release_assignment 01_neuron`` in a
    copy of the course (its config, source/ and release/), with ``.venv/bin`` first on
    PATH and a HOME of its own."""
    course, home = tmp_path / "course", tmp_path / "instructor-home"
    course.mkdir()
    home.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course)
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder, course / folder)
    env = clean_env(home, str(INSTRUCTOR_BIN) + os.pathsep + path_without_venvs())
    env["HANDNET_EXCHANGE"] = str(exchange)
    done = subprocess.run(
        [INSTRUCTOR_BIN / "nbgrader", "release_assignment", ASSIGNMENT],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=RELEASE_TIMEOUT,
    )
    assert done.returncode == 0, (
        f"nbgrader release_assignment {ASSIGNMENT} failed:\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    outbound = exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert outbound.is_file(), f"release_assignment did not write {outbound}:\n{done.stderr}"
    return exchange


@pytest.fixture
def assignment_lab(student_jupyter, jupyter_lab, released, tmp_path):  # noqa: F811 (the fixture)
    """JupyterLab of .venv-student serving the student's (otherwise empty) home folder,
    with the exchange of ``released`` in HANDNET_EXCHANGE."""
    home = make_home(tmp_path / "student-home")
    env = student_env(home)
    env["HANDNET_EXCHANGE"] = str(released)
    return jupyter_lab(student_jupyter, home, env)


def open_assignment_list(page, server):
    """Nbgrader menu → Assignment List: the *Assignments* tab."""
    page.goto(server.address("/lab"))
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Assignment List", exact=True).click()
    expect(
        page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    ).to_have_text("Assignments", timeout=LIST_TIMEOUT)
    page.locator(PANEL).wait_for(timeout=LIST_TIMEOUT)


def list_failure(page):
    """What the Assignment List shows when a listing, fetch or submit fails: a list's error
    message, nbgrader's error dialog ("Invalid Submission"), or a button replaced by
    "Error fetching assignment." / "Error submitting assignment."."""
    return (
        page.locator(f"{PANEL} .list_error:not([hidden])")
        .or_(page.locator(".jp-Dialog.nbgrader-ErrorDialog"))
        .or_(page.locator(f"{PANEL} .item_status", has_text="Error "))
    )


def wait_for(page, expected):
    """Wait until ``expected`` (a locator) shows; fail at once, with what shows, if the
    Assignment List shows an error first."""
    failure = list_failure(page)
    expected.or_(failure).first.wait_for(timeout=LIST_TIMEOUT)
    if failure.count():
        pytest.fail(
            "the Assignment List shows "
            + " | ".join(" ".join(text.split()) for text in failure.all_text_contents())
        )


def press(page, button, action):
    """Click ``button`` (Fetch or Submit), which POSTs to nbgrader's
    ``/assignments/<action>``; return the statuses of the assignment in the server's
    answer (the list the tab then shows). A fetch that fails on the server answers with
    the list unchanged; a failed submit answers with its traceback."""

    def is_action(response):
        return response.request.method == "POST" and response.url.split("?")[0].endswith(
            f"/assignments/{action}"
        )

    with page.expect_response(is_action, timeout=LIST_TIMEOUT) as answer:
        button.click()
    response = answer.value
    assert response.ok, f"POST /assignments/{action}: {response.status} {response.text()[:3000]}"
    reply = response.json()
    assert reply["success"], f"{action} failed on the server:\n{reply.get('value')}"
    return sorted(
        one["status"]
        for one in reply["value"]
        if (one["course_id"], one["assignment_id"]) == (COURSE_ID, ASSIGNMENT)
    )


def row(page, selector):
    """The row of the assignment in the list ``selector``."""
    return page.locator(selector).filter(has=page.locator(".item_name", has_text=ASSIGNMENT))


def test_fetch_and_submit_from_the_assignment_list(page, assignment_lab, released):
    """Does the Assignments tab list the released 01_neuron of course handnet, does Fetch
    put its notebook in the student's folder and list it as downloaded, and does Submit
    leave one private submission (PrivateSubmit's modes) in the exchange and list it?"""
    open_assignment_list(page, assignment_lab)
    expect(page.locator(f"{PANEL} #course_list_default")).to_have_text(
        COURSE_ID, timeout=LIST_TIMEOUT
    )

    # Released: 01_neuron of handnet, with a Fetch button
    released_row = row(page, RELEASED)
    wait_for(page, released_row)
    expect(page.locator(RELEASED)).to_have_count(1, timeout=LIST_TIMEOUT)
    expect(released_row.locator(".item_name")).to_have_text(ASSIGNMENT, timeout=LIST_TIMEOUT)
    expect(released_row.locator(".item_course")).to_have_text(COURSE_ID, timeout=LIST_TIMEOUT)
    fetch = released_row.locator(".item_status button")
    expect(fetch).to_have_text("Fetch", ignore_case=True, timeout=LIST_TIMEOUT)

    # Fetch: the notebook in the student's folder, listed as downloaded, with Submit
    fetched = assignment_lab.root / NOTEBOOK
    assert not fetched.exists()
    assert press(page, fetch, "fetch") == ["fetched"], (
        "the server does not list the assignment as fetched after Fetch (its log says why)"
    )
    fetched_row = row(page, FETCHED)
    submit = fetched_row.locator(".item_status button", has_text="Submit")
    wait_for(page, submit)
    expect(page.locator(FETCHED)).to_have_count(1, timeout=LIST_TIMEOUT)
    expect(page.locator(RELEASED)).to_have_count(0, timeout=LIST_TIMEOUT)
    expect(fetched_row.locator(".item_course").first).to_have_text(COURSE_ID, timeout=LIST_TIMEOUT)
    assert fetched.is_file(), f"Fetch did not write {fetched}"
    assert fetched.read_bytes() == RELEASE.read_bytes(), "the fetched notebook is not the release"

    # Submit: one submission in inbound/, private, and listed with its timestamp
    inbound = released / COURSE_ID / "inbound"
    assert list(inbound.iterdir()) == []
    assert press(page, submit, "submit") == ["fetched", "submitted"], (
        "the server does not list the assignment as fetched and submitted after Submit"
    )
    submission_row = page.locator(SUBMISSIONS).nth(1)
    wait_for(page, submission_row)
    expect(page.locator(SUBMITTED)).to_have_count(1, timeout=LIST_TIMEOUT)
    expect(row(page, SUBMITTED).locator(".item_course").first).to_have_text(
        COURSE_ID, timeout=LIST_TIMEOUT
    )
    # an empty row, then the one submission
    expect(page.locator(SUBMISSIONS)).to_have_count(2, timeout=LIST_TIMEOUT)

    submissions = list(inbound.iterdir())
    assert len(submissions) == 1, f"inbound/ holds {sorted(p.name for p in submissions)}"
    folder = submissions[0]
    # nbgrader names a submission after the OS account of the lab's process (this one's)
    student = pwd.getpwuid(os.getuid()).pw_name
    assert folder.name.startswith(f"{student}+{ASSIGNMENT}+"), folder.name
    assert folder.is_dir()
    files = {p.name: p for p in folder.iterdir()}
    assert sorted(files) == sorted(
        [f"{ASSIGNMENT}.ipynb", "timestamp.txt", "submission_secret.txt"]
    )
    assert files[f"{ASSIGNMENT}.ipynb"].read_bytes() == fetched.read_bytes()
    assert oct(stat.S_IMODE(folder.stat().st_mode)) == oct(SUBMISSION_DIR_MODE), (
        "the submission's folder is not PrivateSubmit's (nbgrader's own submit makes 0777)"
    )
    modes = {name: oct(stat.S_IMODE(path.stat().st_mode)) for name, path in files.items()}
    assert modes == {name: oct(SUBMISSION_FILE_MODE) for name in files}, (
        "the submission's files are not PrivateSubmit's (nbgrader's own submit makes 0644)"
    )

    timestamp = files["timestamp.txt"].read_text().strip()
    assert folder.name.split("+")[2] == timestamp
    expect(submission_row.locator(".item_name")).to_have_text(timestamp, timeout=LIST_TIMEOUT)
    expect(submit).to_be_visible(timeout=LIST_TIMEOUT)  # still downloaded: may submit again
