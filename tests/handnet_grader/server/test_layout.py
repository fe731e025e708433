"""handnet_grader/server/layout.py: what a course server's layout exposes, judged by the
modes and owners of its files (the hub's start-up warnings; the real accounts' audit is
tests/browser/test_server_audit.py)."""

import os
import pwd
import stat
from pathlib import Path

import pytest

from handnet_grader.server.layout import (
    Layout,
    exposures,
    root_writable_findings,
    writable_by_others,
)

AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to own files as others")


def _layout(tmp_path, **changed):
    """A safe layout in ``tmp_path``: root's prefix and state, a closed course folder owned
    by the grading account (root here), a closed exchange course folder."""
    fields = dict(
        prefix=tmp_path / "opt",
        state=tmp_path / "state",
        course=tmp_path / "course",
        exchange=tmp_path / "exchange",
        grader=pwd.getpwuid(os.geteuid()).pw_name,
        students_group="s",
        instructors_group="i",
    )
    fields.update(changed)
    layout = Layout(**fields)
    for folder in (layout.prefix / "hub", layout.student_env / "bin", layout.state):
        folder.mkdir(parents=True)
    (layout.prefix / "hub" / "jupyterhub_config.py").write_text("c = get_config()\n")
    layout.course.mkdir(mode=0o750)
    layout.course_exchange.mkdir(parents=True)
    for folder in (tmp_path, layout.prefix, layout.state, layout.course, layout.course_exchange):
        os.chmod(folder, 0o750 if folder in (layout.course, layout.course_exchange) else 0o755)
    os.chmod(layout.state, 0o700)
    return layout


def test_layout_round_trips_through_its_file(tmp_path):
    """Is the layout the install writes the layout the hub reads?"""
    layout = _layout(tmp_path)
    layout.save(tmp_path / "layout.json")
    assert Layout.load(tmp_path / "layout.json") == layout


@AS_ROOT
def test_a_safe_layout_exposes_nothing_of_its_own(tmp_path):
    """Closed course folder, state and exchange, everything root's: are the only findings
    about what lies outside the test's folder (the Python running the test)?"""
    layout = _layout(tmp_path, grader="nobody")
    os.chown(layout.course, pwd.getpwnam("nobody").pw_uid, 0)
    found = exposures(layout)
    assert not [line for line in found if str(tmp_path) in line], found


@AS_ROOT
def test_an_open_course_folder_and_a_root_grader_are_named_with_their_fix(tmp_path):
    """A course folder that every account may enter, and grading as root: does each
    warning say what is exposed and how to fix it?"""
    layout = _layout(tmp_path, grader="root")
    os.chmod(layout.course, 0o755)
    os.chmod(layout.course_exchange, 0o755)
    found = "\n".join(exposures(layout))
    assert f"{layout.course} is open to every account" in found
    assert "source/ (every solution)" in found and f"chmod o-rwx {layout.course}" in found
    assert "the grading account is root" in found
    assert f"{layout.course_exchange} can be entered by every account" in found


@AS_ROOT
def test_a_file_root_loads_that_another_account_owns_or_may_write_is_found(tmp_path):
    """A configuration file owned by another account, one writable by all, and a folder
    above them that another account may write to: is each found, and nothing else?"""
    layout = _layout(tmp_path)
    config = layout.prefix / "hub" / "jupyterhub_config.py"
    student = layout.student_env / "bin" / "python"
    student.write_text("")
    assert root_writable_findings([layout.prefix]) == []
    os.chown(config, pwd.getpwnam("nobody").pw_uid, 0)
    os.chmod(student, 0o666)
    found = "\n".join(root_writable_findings([layout.prefix]))
    assert str(config) in found and "owner nobody" in found
    assert str(student) in found
    os.chown(config, 0, 0)
    os.chmod(student, 0o644)
    os.chmod(tmp_path, 0o777)  # not sticky: another account could rename prefix away
    assert root_writable_findings([layout.prefix]) == [f"{tmp_path}/ (above {layout.prefix})"]
    os.chmod(tmp_path, 0o1777)  # sticky, as /tmp, and prefix is root's: safe
    assert root_writable_findings([layout.prefix]) == []


def test_writable_by_others_reads_owner_group_and_other_bits(tmp_path):
    """Root's 0644 file: no; group-writable by a group other than root's, or writable by
    all: yes; a link: never (it can only be replaced, in its folder)."""
    path = tmp_path / "f"
    path.write_text("")
    st = os.stat(path)
    fake = lambda mode, uid=0, gid=0: os.stat_result(  # noqa: E731
        (mode, st.st_ino, st.st_dev, 1, uid, gid, 0, 0, 0, 0)
    )
    assert not writable_by_others(fake(stat.S_IFREG | 0o644))
    assert writable_by_others(fake(stat.S_IFREG | 0o664, gid=100))
    assert writable_by_others(fake(stat.S_IFREG | 0o646))
    assert writable_by_others(fake(stat.S_IFREG | 0o644, uid=1000))
    assert not writable_by_others(fake(stat.S_IFLNK | 0o777, uid=1000))


def test_instructor_only_packages_are_found_in_the_environment(tmp_path):
    """Are handnet_ref and handnet_grader of the installed environment the folders the
    install closes and the hub checks?"""
    layout = _layout(tmp_path)
    site = layout.instructor_env / "lib" / "python3.11" / "site-packages"
    for name in ("handnet", "handnet_ref", "handnet_grader"):
        (site / name).mkdir(parents=True)
    assert sorted(p.name for p in layout.instructor_only()) == ["handnet_grader", "handnet_ref"]
    assert all(isinstance(p, Path) for p in layout.instructor_only())
