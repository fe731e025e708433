"""The course server as docs/course-server.md's recipe makes it, for the tests that run it as root
with real accounts (test_hub.py, test_server_audit.py).

``make install-server`` (the recipe's own command, with a prefix, state, course folder and
exchange under one folder of the test's, and the test's account and group names) installs
the server and makes the grading account; the test makes two students, an instructor and
an account outside the course; the grading account releases assignment 1 from a plain
login (the installed ``nbgrader`` named by its path, no PATH set up); then the hub starts
with the installed ``handnet-hub``.
"""

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from labserver import REPO, free_port, make_home, missing, responds
from unix_accounts import Accounts, others_can_read

from handnet_grader.server.layout import Layout

SUFFIX = f"{os.getpid() % 100000}"
STUDENT, BOB, INSTRUCTOR, OUTSIDER, GRADER = (
    f"hh{role}{SUFFIX}" for role in ("alice", "bob", "teach", "out", "grade")
)
STUDENTS = (STUDENT, BOB)
ASSIGNMENT = "01_neuron"
START_TIMEOUT = 180  # s: the hub, its proxy and the formgrader service to answer
STOP_TIMEOUT = 120  # s: the hub stops every server it started
PROXY = REPO / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"


def skip_reason():
    tools = ("useradd", "userdel", "groupadd", "chpasswd", "runuser", "make")
    if os.geteuid() != 0 or not all(shutil.which(tool) for tool in tools):
        return "needs root with useradd, chpasswd, runuser and make to make the accounts"
    return None


@dataclass
class HubUser:
    """An account of the hub: its name, password, home, and its JupyterLab's URLs."""

    name: str
    password: str
    home: Path
    hub_url: str

    def address(self, path):
        """The URL of ``path`` (``/lab``, ...) on the user's own server."""
        return f"{self.hub_url}/user/{self.name}{path}"


@dataclass
class CourseServer:
    url: str
    users: dict
    layout: Layout
    log: Path
    accounts: Accounts
    base: Path
    flow: dict = field(default_factory=dict)  # what the tests have done, shared

    @property
    def course(self):
        return self.layout.course

    def as_grader(self, *command, check=True):
        """``command`` as the grading account in the course folder, from a plain login:
        the installed tools named by their path, nothing set up on PATH."""
        program = self.layout.instructor_env / "bin" / command[0]
        return self.accounts.run(GRADER, [str(program), *command[1:]], self.course, None, check)

    def as_student(self, name, *command, check=True):
        """``command`` as the student ``name`` in their home, with the students' tools."""
        bin_dir = self.layout.student_env / "bin"
        home = self.users[name].home
        return self.accounts.run(name, list(command), home, bin_dir, check)


def _lab_settings(home, name):
    """JupyterLab settings of the account: the news question answered (make_home), and
    terminals that keep their text in the page (screen reader mode), so that a failed
    command's output can be shown."""
    make_home(home)
    terminal = home / ".jupyter/lab/user-settings/@jupyterlab/terminal-extension"
    terminal.mkdir(parents=True)
    (terminal / "plugin.jupyterlab-settings").write_text('{"screenReaderMode": true}\n')
    subprocess.run(["chown", "-R", f"{name}:", str(home / ".jupyter")], check=True)


def _stop(process):
    """Stop the hub (it stops the servers and the service it started)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def course_server():
    """Install, set up and start the course server; yields a CourseServer, then stops
    the hub and removes the accounts, groups and folders."""
    if not PROXY.exists():
        missing(f"{PROXY} is missing: `make hub-proxy` installs it (npm ci in hub/)")
    base = Path(f"/tmp/handnet-hub-{SUFFIX}")
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o755)
    layout = Layout(
        prefix=base / "opt",
        state=base / "state",
        course=base / "course",
        exchange=base / "exchange",
        grader=GRADER,
        students_group=f"hhstu{SUFFIX}",
        instructors_group=f"hhins{SUFFIX}",
    )
    accounts = Accounts(base, layout.exchange)
    process = None
    try:
        installed = subprocess.run(
            [
                "make", "-s", "install-server", f"PREFIX={layout.prefix}",
                f"HUB_STATE={layout.state}", f"COURSE_DIR={layout.course}",
                f"HANDNET_EXCHANGE={layout.exchange}", f"GRADER={GRADER}",
                f"STUDENTS_GROUP={layout.students_group}",
                f"INSTRUCTORS_GROUP={layout.instructors_group}",
            ],
            cwd=REPO, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        accounts.adopt(GRADER, [layout.students_group, layout.instructors_group])
        assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
        assert "nothing of the course, the grades or the hub's state is open" in installed.stdout, (
            installed.stdout
        )
        # the checkout installed from holds the solutions: said when every account can read it
        warned = f"WARNING: every account can read {REPO}" in installed.stdout
        assert warned == others_can_read(REPO), installed.stdout

        url = f"http://127.0.0.1:{free_port()}"
        users = {}
        roles = [(s, [layout.students_group]) for s in STUDENTS]
        roles += [(INSTRUCTOR, [layout.instructors_group]), (OUTSIDER, [])]
        for name, groups in roles:
            password = secrets.token_urlsafe(12)
            users[name] = HubUser(name, password, accounts.add(name, groups, password), url)
            _lab_settings(users[name].home, name)
        # the formgrader service runs as the grading account: its terminals too
        _lab_settings(Path(pwd.getpwnam(GRADER).pw_dir), GRADER)
        server = CourseServer(url, users, layout, base / "jupyterhub.log", accounts, base)
        server.as_grader("nbgrader", "release_assignment", ASSIGNMENT)

        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "JUPYTER", "HANDNET_"))
        }
        env.update(
            HANDNET_HUB_PORT=url.rsplit(":", 1)[1],
            HANDNET_HUB_API_PORT=str(free_port()),
            HANDNET_PROXY_API_PORT=str(free_port()),
            HANDNET_FORMGRADER_PORT=str(free_port()),
            HANDNET_CHECK_SEED="2026",
            HANDNET_CELL_TIMEOUT="60",
        )
        with open(server.log, "wb") as out:
            process = subprocess.Popen(
                [layout.prefix / "bin" / "handnet-hub"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not responds(f"{url}/hub/api"):
            assert process.poll() is None and time.monotonic() < deadline, (
                f"the hub did not answer within {START_TIMEOUT} s; its log:\n"
                + server.log.read_text(errors="replace")[-4000:]
            )
            time.sleep(0.5)
        yield server
    finally:
        if process is not None:
            _stop(process)
        accounts.remove()
        shutil.rmtree(base, ignore_errors=True)
