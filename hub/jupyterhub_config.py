"""JupyterHub for the HandNet course: students and instructors log in with their local Unix
accounts on one machine (``make hub``; tests/browser/test_hub.py runs it end to end).

- **Log in**: PAM, with the account's own password. Any local account may log in except
  root; only the course's members see the course.
- **Students** (members of the Unix group ``handnet-students``): each gets JupyterLab of
  the students' environment (``<prefix>/student``, a copy of ``.venv-student``) run *as that
  account* (LocalProcessSpawner), so the exchange's file permissions hold: a submission is
  readable by its author and the instructors only. The *Assignments* tab lists the course
  only for members of the hub group ``nbgrader-handnet``, which holds the Unix group's
  members (nbgrader's JupyterHubAuthPlugin, switched on by the students' nbgrader_config.py
  when it runs under the hub).
- **Instructors** (members of the Unix group ``handnet-instructors``, hub group
  ``formgrade-handnet``): besides a server of their own, they reach the *formgrader
  service* ``handnet``: the instructors' JupyterLab (``<prefix>/instructor``) in the course
  folder, run as the grading account, with nbgrader's formgrader, which grades with the course's
  nbgrader_config.py (HandNet's preprocessors). They get there from the hub's Services
  menu, or from Nbgrader → Course List in their own JupyterLab.
- **The blank formgrader**: since JupyterHub 4.1 every single-user server sends
  ``Content-Security-Policy: frame-ancestors 'none'``, and nbgrader's formgrader, shown
  inside JupyterLab in an iframe, stays blank (nbgrader #1870, nbgrader's docs "Formgrader
  with jupyterhub>=4.1"). The formgrader service alone is allowed to be framed by pages
  of its own origin (formgrader_server_config.py); students' servers keep JupyterHub's
  'none'. Instructors get no access to students' servers (no admin), so no page a student
  controls can be opened by an instructor's browser to frame the formgrader.

The hub runs from the installed server (``make install-server``, as root:
docs/course-server.md): this file, the proxy and the environments under the
install's prefix, all root's; the paths and accounts come from ``layout.json`` beside this
file (handnet_grader/server/layout.py). Each start logs a warning for everything that
layout exposes (a course folder open to all, a grading account that is root, a file root
runs that another account can change), and every spawn closes the user's home to other
accounts. Servers of accounts outside the instructors' group have no Course List.

The ports are environment variables:

=========================== ========================================= ===================
variable                    what                                      default
=========================== ========================================= ===================
HANDNET_HUB_PORT            the hub's public port (on 127.0.0.1)      8000
HANDNET_HUB_API_PORT        the hub's internal API port               8081
HANDNET_PROXY_API_PORT      the proxy's API port                      8001
HANDNET_FORMGRADER_PORT     the formgrader service's port             8002
=========================== ========================================= ===================

Group memberships are read when the hub starts; JupyterHub only *adds* members at start,
so removing a student from the course is done in the hub's admin API (or by deleting
``jupyterhub.sqlite`` in the hub's state folder before a restart).
"""

import grp
import os
import pwd
import stat
import sys
from pathlib import Path

from handnet import exchange
from handnet_grader.server.layout import LAYOUT_FILE, Layout, exposures

c = get_config()  # noqa: F821 (provided by JupyterHub)

HUB = Path(__file__).resolve().parent
COURSE_ID = exchange.COURSE_ID
STUDENTS = f"nbgrader-{COURSE_ID}"  # hub groups named as nbgrader's JupyterHubAuthPlugin
INSTRUCTORS = f"formgrade-{COURSE_ID}"  # expects them: nbgrader-<course>, formgrade-<course>
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
# The grader's settings (docs/instructors.md) that the formgrader service takes from the hub's environment.
GRADER_SETTINGS = (
    "HANDNET_DB_URL",
    "HANDNET_CELL_TIMEOUT",
    "HANDNET_SUBMISSION_TIMEOUT",
    "HANDNET_CHECK_SEED",
    "HANDNET_MNIST",
)


def setting(name, default):
    return os.environ.get(name) or default


def unix_group_members(name):
    """The accounts in the Unix group ``name`` (its listed members and the accounts whose
    primary group it is); none if the group does not exist."""
    try:
        group = grp.getgrnam(name)
    except KeyError:
        return []
    primary = [p.pw_name for p in pwd.getpwall() if p.pw_gid == group.gr_gid]
    return sorted(set(group.gr_mem) | set(primary))


if not (HUB / LAYOUT_FILE).is_file():
    sys.exit(f"{HUB / LAYOUT_FILE} is missing: the hub starts from the installed server (make hub)")
layout = Layout.load(HUB / LAYOUT_FILE)
for line in exposures(layout):
    print(f"[W handnet] EXPOSED: {line}", file=sys.stderr, flush=True)

port = int(setting("HANDNET_HUB_PORT", 8000))
state = layout.state
course = layout.course
grader = layout.grader
formgrader_port = int(setting("HANDNET_FORMGRADER_PORT", 8002))
exchange_root = str(layout.exchange)
student_bin = layout.student_env / "bin"
instructor_bin = layout.instructor_env / "bin"

# --- the hub and its proxy, on this machine only ------------------------------------------
c.JupyterHub.bind_url = f"http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{int(setting('HANDNET_HUB_API_PORT', 8081))}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(setting('HANDNET_PROXY_API_PORT', 8001))}"
c.ConfigurableHTTPProxy.command = [str(HUB / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# --- who may log in: local accounts, with their passwords ---------------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allow_all = True  # any local account with a password ...
c.Authenticator.blocked_users = {"root"}  # ... but root
c.JupyterHub.load_groups = {
    STUDENTS: {"users": unix_group_members(layout.students_group)},
    INSTRUCTORS: {"users": unix_group_members(layout.instructors_group)},
}

# --- every user's own JupyterLab: the students' environment, run as the user --------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(student_bin / "jupyterhub-singleuser")]
c.Spawner.args = [f"--config={HUB / 'user_server_config.py'}"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {"PATH": f"{student_bin}:{SYSTEM_PATH}", "HANDNET_EXCHANGE": exchange_root}


def close_home(name):
    """Close the home of the account ``name`` to other accounts (Debian's useradd makes it
    0755, and JupyterLab saves notebooks 0644); returns its former mode if it changed."""
    account = pwd.getpwnam(name)
    home = Path(account.pw_dir)
    try:
        st = os.stat(home)
    except OSError:
        return None
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077 and st.st_uid == account.pw_uid:  # never a folder the account shares
        os.chmod(home, mode & 0o700)
        return mode
    return None


def close_home_and_choose_extensions(spawner):
    """Before each spawn: the user's home closed, and, for an account outside the
    instructors' group, the settings that leave out the Course List."""
    was = close_home(spawner.user.name)
    if was is not None:
        spawner.log.info("closed the home of %s to other accounts (was %o)", spawner.user.name, was)
    if INSTRUCTORS not in {group.name for group in spawner.user.groups}:
        not_instructors = {"JUPYTER_CONFIG_PATH": str(HUB / "not-instructors")}
        spawner.environment = {**spawner.environment, **not_instructors}


# The course's members' homes are closed at every start too: a student who only ever works
# over SSH is never spawned.
for member in sorted({m for group in c.JupyterHub.load_groups.values() for m in group["users"]}):
    was = close_home(member)
    if was is not None:
        print(f"[I handnet] closed the home of {member} to other accounts (was {was:o})")
c.Spawner.pre_spawn_hook = close_home_and_choose_extensions
# A loaded machine starts JupyterLab slowly.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# The server's token may read the user's own groups (nbgrader's JupyterHubAuthPlugin: which
# courses to list) and, where the user holds them, the services (Course List: the formgrader).
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "read:users:groups!user",
    "list:services",
    "read:services",
]

# --- the formgrader: a service for the course's instructors -------------------------------
# nbgrader finds a course's formgrader service by the course's name.
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "display": True,
        "url": f"http://127.0.0.1:{formgrader_port}",
        "user": grader,
        "cwd": str(course),
        "command": [
            str(instructor_bin / "jupyterhub-singleuser"),
            f"--config={HUB / 'formgrader_server_config.py'}",
            f"--ServerApp.root_dir={course}",
            "--SingleUserNotebookApp.default_url=/lab",
            *(["--allow-root"] if grader == "root" else []),
        ],
        "environment": {
            # nbgrader runs `alembic` and starts kernels from PATH
            "PATH": f"{instructor_bin}:{SYSTEM_PATH}",
            "HANDNET_EXCHANGE": exchange_root,
            **{name: os.environ[name] for name in GRADER_SETTINGS if name in os.environ},
        },
        "oauth_no_confirm": True,
    }
]
c.JupyterHub.load_roles = [
    {
        "name": "handnet-instructor",
        "description": "The course's instructors: the formgrader service, and listing services",
        "scopes": [f"access:services!service={COURSE_ID}", "list:services", "read:services"],
        "groups": [INSTRUCTORS],
    },
]
