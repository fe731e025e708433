"""Install the course server and lay it out safely: ``make install-server`` runs this as root.

    python3 scripts/install_server.py --prefix /opt/handnet --state /var/lib/handnet/hub \\
        --course /srv/handnet/course --exchange /srv/nbgrader/exchange --grader handnet-grader \\
        --students handnet-students --instructors handnet-instructors

Run it from a checkout that only root can change (it runs that checkout's code as root);
the checkout's environments must be built (``make venv student-env hub-proxy`` do it). It
makes, and on every run makes again, what handnet_grader/server/layout.py describes:

- the groups and the grading account, where missing (a system account whose primary group
  is the instructors' group: no password, no login; the formgrader runs as it);
- ``<prefix>/student`` and ``<prefix>/instructor``: copies of ``.venv-student`` and
  ``.venv`` with their scripts pointed at the new place, the project installed into the
  instructors' copy (not linked to this checkout); ``<prefix>/hub``: the hub's
  configuration, its proxy and ``layout.json``; ``<prefix>/bin/handnet-hub`` starts the
  hub. All root's, nothing writable by another account; ``handnet_ref`` and
  ``handnet_grader`` readable by root and the instructors' group only;
- the hub's state folder, root's alone;
- the course folder: on the first install a clone of this checkout; always owned by the
  grading account, group the instructors, and closed to everyone else;
- the exchange (1777, as nbgrader needs), and its course folder, owned by the grading
  account, which only the students' group may enter.

It ends by printing what the layout still exposes (handnet_grader.server.layout).
"""

import argparse
import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_ID = "handnet"  # handnet/exchange.py's COURSE_ID: the exchange's course folder
HUB_FILES = ("jupyterhub_config.py", "user_server_config.py", "formgrader_server_config.py")
LAUNCHER = """#!/bin/sh
# Starts the course's JupyterHub (as root): made by make install-server; see docs/course-server.md.
cd {state} || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONUSERBASE JUPYTER_CONFIG_DIR JUPYTER_CONFIG_PATH
exec {python} -I {jupyterhub} -f {config} "$@"
"""
# Servers of accounts outside the instructors' group: no Course List (it asks the hub for
# its services, which they may not list, and would be an empty panel).
NO_COURSE_LIST_LAB = '{"disabledExtensions": {"@jupyter/nbgrader:course-list": true}}\n'
NO_COURSE_LIST_SERVER = (
    '{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.course_list": false}}}\n'
)


def say(message):
    print(f"install-server: {message}", flush=True)


def run(*command, **kw):
    subprocess.run([str(c) for c in command], check=True, **kw)


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        run("groupadd", "--system", name)
        say(f"made the group {name}")


def ensure_grader(name, group):
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(
            "useradd", "--system", "--gid", group, "--shell", "/bin/sh",
            "--home-dir", f"/var/lib/{name}", "--create-home", name,
        )  # fmt: skip
        say(f"made the grading account {name} (a system account in {group}, no password)")
    home = Path(pwd.getpwnam(name).pw_dir)
    if home.is_dir() and home != Path("/"):
        os.chmod(home, 0o700)


def own_by_root(root):
    """Everything under ``root`` root's, and writable by root alone."""
    run("chown", "-R", "--no-dereference", "root:root", root)
    run("chmod", "-R", "go-w", root)


def relocate(folder, old, new):
    """Point the scripts and settings of the virtual environment copied into ``folder``
    from ``old`` at ``new``, where it will live."""
    for script in (folder / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        if data.startswith(b"#!") or script.name.startswith("activate"):
            script.write_bytes(data.replace(old.encode(), new.encode()))
    cfg = folder / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace(old, new))


def install_env(source, target):
    """A copy of the built environment ``source`` at ``target``, replacing what was there."""
    if not (source / "bin" / "python").exists():
        sys.exit(f"install-server: {source} is not built: run make venv student-env first")
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    run("cp", "-a", source, fresh)
    relocate(fresh, str(source), str(target))
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
    return target


def install_instructor_env(prefix):
    """The instructors' environment, with the project installed into it, not linked."""
    env = install_env(REPO / ".venv", prefix / "instructor")
    python = env / "bin" / "python"
    quiet = {"stdout": subprocess.DEVNULL}
    run(python, "-m", "pip", "uninstall", "--quiet", "--yes", "handnet", **quiet)
    run(
        python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", REPO,
        **quiet,
    )  # fmt: skip
    shutil.rmtree(REPO / "build", ignore_errors=True)
    return env


def close_instructor_only(env, instructors):
    for site in env.glob("lib/python3*/site-packages"):
        for name in ("handnet_ref", "handnet_grader"):  # kernel_manager.INSTRUCTOR_PACKAGES
            if (site / name).is_dir():
                run("chgrp", "-R", instructors, site / name)
                run("chmod", "-R", "o-rwx,g-w", site / name)


def install_hub(prefix):
    hub = prefix / "hub"
    fresh = prefix / "hub.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for name in HUB_FILES:
        shutil.copy(REPO / "hub" / name, fresh / name)
    if not (REPO / "hub" / "node_modules").is_dir():
        sys.exit("install-server: hub/node_modules is missing: run make hub-proxy first")
    run("cp", "-a", REPO / "hub" / "node_modules", fresh / "node_modules")
    for folder, name, text in (
        ("labconfig", "page_config.json", NO_COURSE_LIST_LAB),
        ("jupyter_server_config.d", "no-course-list.json", NO_COURSE_LIST_SERVER),
    ):
        (fresh / "not-instructors" / folder).mkdir(parents=True)
        (fresh / "not-instructors" / folder / name).write_text(text)
    shutil.rmtree(hub, ignore_errors=True)
    fresh.rename(hub)
    return hub


def write_layout(args):
    """layout.json, read by the hub's configuration, in the instructors' environment's
    terms (handnet_grader.server.layout.Layout)."""
    code = (
        "import sys; from pathlib import Path; "
        "from handnet_grader.server.layout import Layout; "
        "Layout(*map(Path, sys.argv[1:5]), *sys.argv[5:8]).save(Path(sys.argv[8]))"
    )
    python = args.prefix / "instructor" / "bin" / "python"
    run(
        python, "-I", "-c", code, args.prefix, args.state, args.course, args.exchange,
        args.grader, args.students, args.instructors, args.prefix / "hub" / "layout.json",
    )  # fmt: skip


def set_up_course(course, grader, instructors):
    if not course.exists():
        course.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / ".git").exists():
            run("git", "clone", "--quiet", "--no-hardlinks", REPO, course)
            changed = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=REPO, capture_output=True, text=True,
            ).stdout  # fmt: skip
            if changed.strip():
                say(f"WARNING: changes not committed in {REPO} are not in the course folder")
            say(f"made the course folder {course} (a clone of {REPO})")
        else:
            shutil.copytree(REPO, course, ignore=shutil.ignore_patterns(".venv*", "node_modules"))
            say(f"made the course folder {course} (a copy of {REPO})")
    run("chown", "-R", f"{grader}:{instructors}", course)
    run("chmod", "-R", "o-rwx", course)
    os.chmod(course, 0o2750)


def set_up_exchange(exchange, grader, students, instructors, python):
    """The exchange, and its course folder: the grading account's, entered by the
    students' group and (an ACL, handnet_grader/server/acl.py) by the instructors'."""
    if not exchange.exists():
        exchange.mkdir(parents=True)
        say(f"made the exchange {exchange}")
    os.chmod(exchange, 0o1777)
    course = exchange / COURSE_ID
    course.mkdir(exist_ok=True)
    run("chown", f"{grader}:{students}", course)
    os.chmod(course, 0o750)
    add = subprocess.run(
        [python, "-I", "-m", "handnet_grader.server.acl", course, "750", instructors, "5"],
        capture_output=True, text=True,
    )  # fmt: skip
    if add.returncode != 0:
        say(f"WARNING: instructors outside the students' group cannot list {course}: "
            f"{add.stderr.strip().splitlines()[-1:]}")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefix", type=Path, default=Path("/opt/handnet"))
    parser.add_argument("--state", type=Path, default=Path("/var/lib/handnet/hub"))
    parser.add_argument("--course", type=Path, default=Path("/srv/handnet/course"))
    parser.add_argument("--exchange", type=Path, default=Path("/srv/nbgrader/exchange"))
    parser.add_argument("--grader", default="handnet-grader")
    parser.add_argument("--students", default="handnet-students")
    parser.add_argument("--instructors", default="handnet-instructors")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("install-server runs as root: it installs for every account and makes accounts")
    for name in ("prefix", "state", "course", "exchange"):
        setattr(args, name, getattr(args, name).resolve())
    if os.stat(REPO).st_uid != 0:
        say(
            f"WARNING: {REPO} belongs to {pwd.getpwuid(os.stat(REPO).st_uid).pw_name}, and "
            "root runs its code now: install from a checkout only root can change"
        )
    if all(os.stat(p).st_mode & 0o005 == 0o005 for p in [REPO, *REPO.parents]):
        say(
            f"WARNING: every account can read {REPO}: it holds source/ (every solution) and "
            f"handnet_ref/; the server needs nothing of it once installed: chmod o-rwx {REPO}, "
            "or keep the checkout under /root"
        )

    for group in (args.students, args.instructors):
        ensure_group(group)
    if args.grader != "root":
        ensure_grader(args.grader, args.instructors)

    args.prefix.mkdir(parents=True, exist_ok=True)
    os.chmod(args.prefix, 0o755)
    say(f"installing the students' and instructors' environments into {args.prefix}")
    install_env(REPO / ".venv-student", args.prefix / "student")
    install_instructor_env(args.prefix)
    install_hub(args.prefix)
    write_layout(args)
    (args.prefix / "bin").mkdir(exist_ok=True)
    instructor = args.prefix / "instructor" / "bin"
    launcher = args.prefix / "bin" / "handnet-hub"
    launcher.write_text(
        LAUNCHER.format(
            state=args.state,
            python=instructor / "python",
            jupyterhub=instructor / "jupyterhub",
            config=args.prefix / "hub" / "jupyterhub_config.py",
        )
    )
    os.chmod(launcher, 0o755)
    own_by_root(args.prefix)
    close_instructor_only(args.prefix / "instructor", args.instructors)

    args.state.mkdir(parents=True, exist_ok=True)
    run("chown", "-R", "root:root", args.state)
    run("chmod", "-R", "go-rwx", args.state)
    set_up_course(args.course, args.grader, args.instructors)
    python = args.prefix / "instructor" / "bin" / "python"
    set_up_exchange(args.exchange, args.grader, args.students, args.instructors, python)
    say(f"the hub starts with {launcher} (as root)")

    check = subprocess.run(
        [instructor / "python", "-I", "-m", "handnet_grader.server.layout",
         args.prefix / "hub" / "layout.json"],
    )  # fmt: skip
    if check.returncode == 0:
        say("nothing of the course, the grades or the hub's state is open to other accounts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
