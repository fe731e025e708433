"""The course's JupyterHub (hub/jupyterhub_config.py, ``make hub``) in a real browser, with
real Unix accounts logging in with their passwords (PAM). Run as root, like the hub.

The server is installed and set up by docs/course-server.md's recipe (courseserver.py: ``make
install-server``, the grading account, two students, an instructor and an account outside
the course); the grading account has released assignment 1. Then:

    student     logs in, fetches 01_neuron in the Assignments tab, types a correct
                solution, validates, submits
    instructor  logs in, opens the formgrader from Nbgrader → Course List (the hub
                service ``handnet``, shown inside JupyterLab: not blank), collects,
                grades with ``handnet autograde`` and ``handnet feedback`` in the
                service's terminal, and releases the feedback in the formgrader
    student     fetches the feedback and opens it: 100 / 100
    outsider    logs in and sees no course and no assignment

What no student or outsider can read on that server, however they try, is
test_server_audit.py's. Skipped where accounts cannot be made (not root, no useradd) or
the hub's proxy is not installed (``make hub-proxy``); HANDNET_REQUIRE_BROWSER=1 makes a
missing proxy a failure.
"""

import json
import os
import re
import time

import pytest
from courseserver import INSTRUCTOR, OUTSIDER, STUDENT, skip_reason
from labpage import open_notebook, validate
from playwright.sync_api import expect
from test_assignment_list import (
    FETCHED,
    LIST_TIMEOUT,
    PANEL,
    RELEASED,
    SUBMITTED,
    open_assignment_list,
    press,
    row,
    wait_for,
)
from test_student_lab import ASSIGNMENT, NOTEBOOK, answers, type_answers

SPAWN_TIMEOUT = 240_000  # ms: a user's JupyterLab to start after login
GRADE_TIMEOUT = 600  # s: handnet autograde and handnet feedback of one submission

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))


def log_in(page, hub, name):
    """Log in at the hub's login page as ``name``; wait until the user's JupyterLab is up."""
    user = hub.users[name]
    page.goto(f"{hub.url}/hub/login")
    page.locator("#username_input").fill(user.name)
    page.locator("#password_input").fill(user.password)
    page.locator("#login_submit").click()
    page.wait_for_url(f"**/user/{user.name}/lab**", timeout=SPAWN_TIMEOUT)
    page.locator("#jp-MainMenu").wait_for(timeout=SPAWN_TIMEOUT)
    return user


def nbgrader_menu(page, item):
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def close_modal(frame, expected):
    """Wait for the formgrader's result dialog; check it says ``expected``; close it."""
    result = frame.locator("#success-modal, #error-modal")
    result.wait_for(timeout=GRADE_TIMEOUT * 1000)
    text = " ".join(result.text_content().split())
    assert result.get_attribute("id") == "success-modal", text
    assert expected in text, text
    result.locator(".modal-footer button").click()
    expect(result).to_have_count(0)


TERMINAL_ROWS = ".jp-Terminal .xterm-accessibility-tree [role=listitem]"


def terminal_text(page):
    """The rows a terminal shows (in screen reader mode, _lab_settings), one per line."""
    return "\n".join(
        row.rstrip("\xa0 ") for row in page.locator(TERMINAL_ROWS).all_text_contents()
    ).strip()


def run_in_terminal(page, command, timeout):
    """File → New → Terminal in JupyterLab, type ``command`` once the shell's prompt
    shows, and wait until it ends; return its exit status and what the terminal shows."""
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="File", exact=True).click()
    page.locator(".lm-Menu .lm-Menu-item[data-type='submenu']", has_text="New").first.hover()
    page.locator(".lm-Menu .lm-Menu-item[data-command='terminal:create-new']").click()
    page.locator(TERMINAL_ROWS).first.wait_for()
    page.wait_for_function(f"""() => [...document.querySelectorAll('{TERMINAL_ROWS}')]
        .some(row => row.textContent.includes('$'))""")  # the prompt: the shell is up
    page.locator(".jp-Terminal").last.click()
    page.keyboard.type(f'{command}; echo "exit status $?"')
    page.keyboard.press("Enter")
    deadline = time.monotonic() + timeout
    while not (ended := re.search(r"^exit status (\d+)$", terminal_text(page), re.MULTILINE)):
        assert time.monotonic() < deadline, (
            f"{command!r} did not end within {timeout} s; the terminal:\n{terminal_text(page)}"
        )
        time.sleep(2)
    return int(ended.group(1)), terminal_text(page)


def test_outsider_of_the_course_sees_no_assignment(page, course_hub):
    """Does an account that may log in but is in neither of the course's groups see no
    course and no assignment in the Assignments tab, while 01_neuron is released, and no
    Course List in the Nbgrader menu?"""
    outsider = log_in(page, course_hub, OUTSIDER)
    open_assignment_list(page, outsider)
    expect(page.locator(f"{PANEL} #course_list_default")).to_have_text(
        "No courses found.", timeout=LIST_TIMEOUT
    )
    expect(page.locator(RELEASED)).to_have_count(0)
    answer = page.request.get(outsider.address("/assignments?course_id=handnet"))
    assert answer.ok and answer.json() == {"success": True, "value": []}, answer.text()
    released = course_hub.layout.course_exchange / "outbound" / ASSIGNMENT
    assert (released / f"{ASSIGNMENT}.ipynb").is_file(), "nothing was released to hide"
    # and no Course List: it would be an empty panel, and a traceback in the hub's log
    page.keyboard.press("Escape")
    page.locator("#jp-MainMenu").get_by_role("menuitem", name="Nbgrader", exact=True).click()
    menu = page.locator(".lm-Menu")
    expect(menu.get_by_role("menuitem", name="Assignment List", exact=True)).to_be_visible()
    expect(menu.get_by_role("menuitem", name="Course List", exact=True)).to_have_count(0)
    page.keyboard.press("Escape")


def test_student_work_graded_in_the_hub_formgrader_comes_back_with_full_marks(
    page, browser, course_hub
):
    """Student: fetch, solve, validate, submit. Instructor: the formgrader of the hub
    service (inside JupyterLab), collect, ``handnet autograde`` and ``handnet feedback``
    in its terminal, release the feedback. Student: fetch the feedback, read 100 / 100."""
    # --- the student fetches assignment 1, types a correct solution, validates, submits
    student = log_in(page, course_hub, STUDENT)
    open_assignment_list(page, student)
    fetch = row(page, RELEASED).locator(".item_status button")
    wait_for(page, fetch)
    assert press(page, fetch, "fetch") == ["fetched"]
    fetched = student.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert fetched.is_file() and fetched.stat().st_uid == os.stat(student.home).st_uid, (
        "the fetched notebook is not the student's own file"
    )

    open_notebook(page, student, NOTEBOOK)
    type_answers(page, answers())
    message = validate(page)
    assert message.text_content().strip() == "Success! Your notebook passes all the tests."
    page.keyboard.press("Escape")

    open_assignment_list(page, student)
    submit = row(page, FETCHED).locator(".item_status button", has_text="Submit")
    wait_for(page, submit)
    assert press(page, submit, "submit") == ["fetched", "submitted"]

    # --- the instructor opens the course's formgrader from the Course List
    instructor_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    instructor_context.set_default_timeout(60_000)
    try:
        teacher = instructor_context.new_page()
        log_in(teacher, course_hub, INSTRUCTOR)
        nbgrader_menu(teacher, "Course List")
        link = teacher.locator("#nbgrader-course-list .item_name a", has_text="handnet")
        link.wait_for(timeout=LIST_TIMEOUT)
        with instructor_context.expect_page() as opened:
            link.click()
        grader = opened.value
        grader.wait_for_url(f"{course_hub.url}/services/handnet/lab**")
        formgrader = grader.frame_locator("#formgrader-iframe iframe")
        assignment = formgrader.locator("#main-table tr").filter(
            has=formgrader.locator(f'td.name[data-order="{ASSIGNMENT}"]')
        )
        assignment.wait_for(timeout=LIST_TIMEOUT)  # a blank frame never shows it

        assignment.locator("td.collect a").click()
        close_modal(formgrader, f"Successfully collected submissions of '{ASSIGNMENT}'")
        submitted = course_hub.course / "submitted" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert submitted.read_bytes() == fetched.read_bytes(), "collected another notebook"

        # HandNet's grading, as docs/instructors.md tells instructors, in the service's
        # terminal (the course folder, as the instructor)
        status, shown = run_in_terminal(
            grader,
            f"handnet autograde -a {ASSIGNMENT} && handnet feedback -a {ASSIGNMENT}",
            GRADE_TIMEOUT,
        )
        assert status == 0, shown
        record = course_hub.course / "grades" / "records" / ASSIGNMENT / f"{STUDENT}.json"
        graded = json.loads(record.read_text())
        assert (graded["status"], graded["points"]) == ("graded", 100), graded
        assert (
            course_hub.course / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html"
        ).is_file(), shown

        # the formgrader shows the score, and releases the feedback
        grader.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Formgrader").click()
        assignment.locator("td.num-submissions a").click()  # its page reads the gradebook
        submission = formgrader.locator("#main-table tr").filter(has_text=STUDENT)
        expect(submission.locator("td.score")).to_have_text(
            re.compile(r"^\s*100(\.0+)? / 100(\.0+)?\s*$"), timeout=LIST_TIMEOUT
        )
        submission.locator("td.release-feedback a").click()
        close_modal(formgrader, "Successfully released feedback")
    finally:
        instructor_context.close()

    # --- the student fetches the feedback and reads it
    open_assignment_list(page, student)
    fetch_feedback = row(page, SUBMITTED).locator(".item_status button", has_text="Fetch Feedback")
    wait_for(page, fetch_feedback)
    press(page, fetch_feedback, "fetch_feedback")
    pages = sorted((student.home / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
    assert len(pages) == 1, f"feedback pages in the student's folder: {pages}"
    relative = pages[0].relative_to(student.home)
    page.goto(student.address(f"/lab/tree/{relative}"))
    feedback = page.frame_locator(".jp-HTMLViewer iframe")
    expect(feedback.locator("h4", has_text=ASSIGNMENT).first).to_contain_text(
        "(Score: 100.0 / 100.0)", timeout=LIST_TIMEOUT
    )
    checklist = feedback.get_by_text("Your results")  # HandNet's checklist of every test
    expect(checklist).to_be_visible()
    assert "✗" not in feedback.locator("body").text_content()
