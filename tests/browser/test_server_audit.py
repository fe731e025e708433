"""What the students and an outsider can reach on the course server the recipe of
docs/course-server.md makes (courseserver.py: ``make install-server``, the hub from the install), after a whole
course flow: assignment 1 released, both students submit (Alice in the browser when
test_hub.py ran first, here otherwise; Bob from his terminal), the grading account
collects, grades and releases the feedback, and each student fetches their own.

Then, as each student and the outsider (real accounts, ``runuser``), every file and folder
of the course folder, the exchange, every test account's home, the hub's state and the
instructor-only packages is opened or listed; the test lists each one that was readable
and fails on any the account has no business reading. What a student may read: their own
home, the released notebooks, their own submission and their own feedback page; an
outsider: their own home. The environments and the hub's configuration are public by
design (nothing secret is installed there but the closed packages, which are walked).
Every exposure found by the issue that asked for this is planted once and must be found,
and no crafted request to the hub, another student's server or the formgrader service, and
no nbgrader command, reaches another student's work.
"""

import json
import os
import pwd
import stat
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import requests
from courseserver import (
    ASSIGNMENT,
    BOB,
    GRADER,
    INSTRUCTOR,
    OUTSIDER,
    STUDENT,
    STUDENTS,
    skip_reason,
)
from nbgrader.utils import notebook_hash

from handnet_grader.classview.sample_class import sample_class
from handnet_grader.feedback.private_release import give_to
from handnet_grader.server.layout import exposures, root_writable_findings

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SPAWN_TIMEOUT = 240  # s

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))


def _submitted(server, student):
    inbound = server.layout.course_exchange / "inbound"
    return any(p.name.startswith(f"{student}+{ASSIGNMENT}+") for p in inbound.iterdir())


def _submit(server, student, sample):
    """The student fetches assignment 1 (if not yet), saves ``sample``'s notebook as their
    own file, as JupyterLab would (0644), and submits, from their terminal."""
    home = server.users[student].home
    if not (home / ASSIGNMENT).is_dir():
        server.as_student(student, "nbgrader", "fetch_assignment", ASSIGNMENT)
    scratch = server.base / f"sample-{student}"
    sample.write(scratch)
    nb = nbformat.read(scratch / NOTEBOOK, as_version=4)
    path = home / ASSIGNMENT / NOTEBOOK
    nbformat.write(nb, path)
    os.chmod(path, 0o644)
    account = pwd.getpwnam(student)
    os.chown(path, account.pw_uid, account.pw_gid)
    server.as_student(student, "nbgrader", "submit", ASSIGNMENT)


def _token(server, name):
    """An API token of ``name``, asked of the hub with the account's password, after
    logging in at the login page (which makes the hub's user of an outsider)."""
    user = server.users[name]
    with requests.Session() as browser:
        browser.get(f"{server.url}/hub/login", timeout=60)
        form = {"username": name, "password": user.password}
        form["_xsrf"] = browser.cookies.get("_xsrf", "")
        logged_in = browser.post(
            f"{server.url}/hub/login", data=form, timeout=60, allow_redirects=False
        )
        assert logged_in.status_code == 302, logged_in.text[-2000:]
    answer = requests.post(
        f"{server.url}/hub/api/users/{name}/tokens",
        json={"auth": {"username": name, "password": user.password}, "note": "audit"},
        timeout=60,
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["token"]


def _start_server(server, name, token):
    headers = {"Authorization": f"token {token}"}
    requests.post(f"{server.url}/hub/api/users/{name}/server", headers=headers, timeout=60)
    deadline = time.monotonic() + SPAWN_TIMEOUT
    while True:
        state = requests.get(f"{server.url}/hub/api/users/{name}", headers=headers, timeout=60)
        if state.ok and state.json().get("server") and not state.json().get("pending"):
            return headers
        assert time.monotonic() < deadline, f"{name}'s server did not start: {state.text}"
        time.sleep(1)


@pytest.fixture(scope="module")
def graded_class(course_hub):
    """The whole course flow on the course server (the module's docstring)."""
    server = course_hub
    samples = {s.student: s for s in sample_class(server.layout.course, [ASSIGNMENT], [], [])}
    for student, sample in ((STUDENT, "reference"), (BOB, "partial")):
        if not _submitted(server, student):
            _submit(server, student, samples[sample])
    for command in (
        ("nbgrader", "collect", "--update", ASSIGNMENT),
        ("handnet", "autograde", "-a", ASSIGNMENT, "-j", "1", "--missing"),
        ("handnet", "feedback", "-a", ASSIGNMENT),
        ("nbgrader", "release_feedback", ASSIGNMENT),
    ):
        server.as_grader(*command)
    for student in STUDENTS:
        server.as_student(student, "nbgrader", "fetch_feedback", ASSIGNMENT)
    # each logs in to the hub (a server of their own: its start closes their home)
    server.flow["headers"] = {
        name: _start_server(server, name, _token(server, name)) for name in (STUDENT, BOB, OUTSIDER)
    }
    # what the Course List asks a server when it opens (nbgrader's course_list extension)
    server.flow["course list"] = {
        name: requests.get(
            f"{server.url}/user/{name}/formgraders", headers=headers, timeout=60
        ).status_code
        for name, headers in server.flow["headers"].items()
    }
    server.flow["log"] = server.log.read_text(errors="replace")  # before any crafted request
    return server


def walk(root):
    """``root`` and every file and folder under it (links not followed)."""
    found = [Path(root)]
    for folder, dirs, files in os.walk(root):
        found += [Path(folder, name) for name in dirs + files]
    return found


def homes(server):
    return {name: user.home for name, user in server.users.items()} | {
        GRADER: Path(pwd.getpwnam(GRADER).pw_dir)
    }


def private_paths(server):
    """Everything an account might wrongly read: the course folder, the exchange, every
    test account's home, the hub's state and the instructor-only packages."""
    layout = server.layout
    roots = [layout.course, layout.exchange, layout.state, *homes(server).values()]
    roots += layout.instructor_only()
    return [path for root in roots for path in walk(root)]


def feedback_pages(server):
    """{student: the exchange's path of each feedback page released to them}."""
    pages = {}
    for secret in (server.course / "feedback").glob(f"*/{ASSIGNMENT}/submission_secret.txt"):
        student = secret.parent.parent.name
        for html in secret.parent.glob("*.html"):
            name = notebook_hash(secret=secret.read_text(), notebook_id=html.stem) + ".html"
            pages.setdefault(student, set()).add(server.layout.course_exchange / "feedback" / name)
    return pages


def _under(path, folder):
    return path == folder or folder in path.parents


def may_read(server, account, path, pages):
    """Whether ``account`` may read (or list) ``path`` of private_paths."""
    layout = server.layout
    if _under(path, server.users[account].home) or path == layout.exchange:
        return True
    if account not in STUDENTS:
        return False
    exchange = layout.course_exchange
    if path == exchange or _under(path, exchange / "outbound"):
        return True
    inbound = exchange / "inbound"
    if path != inbound and _under(path, inbound):  # a submission: its author's
        return path.relative_to(inbound).parts[0].startswith(f"{account}+")
    return path in pages.get(account, set())


def audit(server, accounts=(STUDENT, BOB, OUTSIDER)):
    """{account: (what it could read, what of that it must not)}, tried as each account."""
    paths, pages = private_paths(server), feedback_pages(server)
    found = {}
    for account in accounts:
        readable = server.accounts.readable(account, paths)
        found[account] = (
            readable,
            sorted(p for p in readable if not may_read(server, account, p, pages)),
        )
    return found


def _report(found):
    lines = []
    for account, (readable, wrong) in found.items():
        lines.append(f"{account}: {len(readable)} readable, {len(wrong)} not theirs")
        lines += [f"    {p}" for p in wrong[:40]]
    return "\n".join(lines)


def test_no_student_or_outsider_reads_what_is_not_theirs(graded_class):
    """After the whole course flow, can each student read only their own home, the
    released notebooks, their own submission and their own feedback, and the outsider
    only their own home?"""
    server = graded_class
    found = audit(server)
    print(_report(found))
    assert all(not wrong for _, wrong in found.values()), _report(found)
    # ... and the walk did reach what each may read (a broken walk would find nothing)
    pages = feedback_pages(server)
    exchange = server.layout.course_exchange
    for student in STUDENTS:
        readable = found[student][0]
        assert exchange / "outbound" / ASSIGNMENT / NOTEBOOK in readable
        assert pages[student] and pages[student] <= readable, "their own feedback page"
        own = [p for p in readable if p.name == NOTEBOOK and f"{student}+" in str(p)]
        assert own, f"{student} cannot read their own submission"
    assert not any(_under(p, exchange) for p in found[OUTSIDER][0])
    # an instructor (not in the students' group) may see what was released, through the ACL
    released = exchange / "outbound" / ASSIGNMENT / NOTEBOOK
    assert server.accounts.readable(INSTRUCTOR, [released]) == {released}
    assert exposures(server.layout) == []


def _plant(server):
    """Every exposure the issue found, planted at once; returns {what: a path that must
    then be readable by the account named}."""
    layout, course = server.layout, server.course
    bob_home = server.users[BOB].home
    bob_page = sorted(feedback_pages(server)[BOB])[0]
    closed = [p for p in layout.instructor_only() if p.name == "handnet_ref"][0]
    subprocess.run(["chmod", "-R", "o+rX", course, layout.state, closed], check=True)
    os.chmod(bob_home, 0o755)
    os.chmod(bob_page, 0o644)
    os.chmod(layout.course_exchange, 0o755)
    os.chown(layout.hub / "jupyterhub_config.py", pwd.getpwnam(GRADER).pw_uid, 0)
    student_file = layout.student_env / "pyvenv.cfg"
    os.chmod(student_file, 0o666)
    autograded = course / "autograded" / BOB / ASSIGNMENT / NOTEBOOK
    return {
        "a solution in source/": (STUDENT, course / "source" / ASSIGNMENT / NOTEBOOK),
        "the course's reference": (STUDENT, course / "handnet_ref" / "network.py"),
        "the gradebook": (STUDENT, course / "gradebook.db"),
        "Bob's record": (STUDENT, course / "grades" / "records" / ASSIGNMENT / f"{BOB}.json"),
        "Bob's autograded notebook": (STUDENT, autograded),
        "Bob's feedback in the course": (STUDENT, course / "feedback" / BOB / ASSIGNMENT),
        "Bob's working notebook": (STUDENT, bob_home / ASSIGNMENT / NOTEBOOK),
        "Bob's released feedback": (STUDENT, bob_page),
        "the installed reference": (OUTSIDER, closed / "network.py"),
        "the hub's state": (OUTSIDER, layout.state / "jupyterhub.sqlite"),
        "a released notebook": (OUTSIDER, layout.course_exchange / "outbound" / ASSIGNMENT),
    }, [layout.hub / "jupyterhub_config.py", student_file]


def _restore(server, student_file):
    layout, course = server.layout, server.course
    subprocess.run(["chmod", "-R", "o-rwx", course, layout.state], check=True)
    os.chmod(course, 0o2750)
    for closed in layout.instructor_only():
        subprocess.run(["chmod", "-R", "o-rwx", closed], check=True)
    os.chmod(server.users[BOB].home, 0o700)
    for page in feedback_pages(server)[BOB]:
        give_to(str(page), BOB)
    os.chmod(layout.course_exchange, 0o750)
    os.chown(layout.hub / "jupyterhub_config.py", 0, 0)
    os.chmod(student_file, 0o644)


def test_the_audit_finds_each_planted_exposure(graded_class):
    """With the issue's findings planted (a course folder open to all, an open home, an
    open feedback page, the installed reference readable, the hub's state open, the
    released notebooks open to outsiders, a file root loads owned by the grading account,
    a file of the students' environment writable by all), does the audit name each one,
    and does the hub's start-up check warn of each?"""
    server = graded_class
    planted, writable = _plant(server)
    try:
        found = audit(server, (STUDENT, OUTSIDER))
        warned = "\n".join(exposures(server.layout))
        written = "\n".join(root_writable_findings([server.layout.hub, server.layout.student_env]))
    finally:
        _restore(server, writable[1])
    missed = [what for what, (account, path) in planted.items() if path not in found[account][1]]
    assert missed == [], f"the audit missed: {missed}\n{_report(found)}"
    for path in writable:
        assert str(path) in written, written
    for words in ("is open to every account", str(server.layout.state), "handnet_ref",
                  "can be entered by every account", "jupyterhub_config.py"):  # fmt: skip
        assert words in warned, warned
    assert exposures(server.layout) == [], "the plants were not all undone"


def test_no_crafted_request_or_nbgrader_command_reaches_another_students_work(graded_class):
    """Bob, with his own token and server: Alice's server and contents, paths out of his
    own server's folder (also through links he makes to Alice's home and the course), the
    formgrader service's files and API, the hub's user list, and nbgrader's listing of
    submissions: is each refused, or empty of Alice's work?"""
    server = graded_class
    headers = server.flow["headers"][BOB]
    bob_home = server.users[BOB].home
    for target, name in ((server.users[STUDENT].home, "to-alice"), (server.course, "to-course")):
        server.as_student(BOB, "ln", "-s", str(target), str(bob_home / name))
    hub, mine = server.url, f"{server.url}/user/{BOB}"
    attempts = {
        "Alice's contents": f"{hub}/user/{STUDENT}/api/contents/{ASSIGNMENT}",
        "Alice's files": f"{hub}/user/{STUDENT}/files/{ASSIGNMENT}/{NOTEBOOK}",
        "out of Bob's folder": f"{mine}/api/contents/..%2F{STUDENT}",
        "a link to Alice's home": f"{mine}/api/contents/to-alice/{ASSIGNMENT}",
        "a link to the course": f"{mine}/api/contents/to-course/source",
        "a file through the link": f"{mine}/files/to-course/gradebook.db",
        "the formgrader's contents": f"{hub}/services/handnet/api/contents/source",
        "the formgrader's API": f"{hub}/services/handnet/formgrader/api/assignments",
        "the hub's users": f"{hub}/hub/api/users",
        "Alice in the hub": f"{hub}/hub/api/users/{STUDENT}",
    }
    answered = {}
    for what, url in attempts.items():
        answer = requests.get(url, headers=headers, timeout=60, allow_redirects=False)
        answered[what] = answer.status_code
    assert all(not 200 <= code < 300 for code in answered.values()), answered
    # his own server does answer him (the refusals are not a dead server)
    assert requests.get(f"{mine}/api/contents/{ASSIGNMENT}", headers=headers, timeout=60).ok
    listed = server.as_student(BOB, "nbgrader", "list", "--inbound").stdout
    assert STUDENT not in listed, listed
    cached = server.as_student(BOB, "nbgrader", "list", "--cached").stdout
    assert STUDENT not in cached, cached


def test_students_and_outsiders_have_no_course_list(graded_class):
    """Does the Course List's server side answer 404 on a student's and an outsider's own
    server (it would ask the hub for services they may not list: a 403 and a traceback,
    and an empty panel)?"""
    assert graded_class.flow["course list"] == dict.fromkeys((STUDENT, BOB, OUTSIDER), 404)


def test_the_hub_log_holds_no_traceback(graded_class):
    """After students, an instructor and an outsider used the hub (test_hub.py, and this
    module's course flow), did nothing write a traceback into the hub's log? (A crafted
    request may: a link to a folder its server cannot read answers 500, with a traceback.)"""
    log = graded_class.flow["log"]
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]


def test_root_runs_nothing_another_account_can_change(graded_class):
    """Is every file the hub's root process runs or imports (its Python, the instructors'
    environment, the hub's configuration and proxy, node), and the students'
    environment, changeable by root alone?"""
    layout = graded_class.layout
    code = (
        "import json; from pathlib import Path; "
        "from handnet_grader.server.layout import Layout, hub_loads, root_writable_findings; "
        f"layout = Layout.load(Path({str(layout.hub / 'layout.json')!r})); "
        "print(json.dumps(root_writable_findings([*hub_loads(layout), layout.student_env])))"
    )
    python = layout.instructor_env / "bin" / "python"
    out = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
    assert stat.S_IMODE(os.stat(layout.state).st_mode) == 0o700
