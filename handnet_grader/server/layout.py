"""Where a course server keeps what, and what it exposes: the layout ``make install-server``
makes (scripts/install_server.py) and the checks the hub runs each time it starts.

The layout, written by the install as ``<prefix>/hub/layout.json``:

- ``prefix`` (root's, nothing in it writable by another account): ``student/``, the
  students' environment, which every account may read and run; ``instructor/``, the
  instructors' environment, which the hub runs as root and whose ``handnet_ref`` and
  ``handnet_grader`` only root and the instructors' group may read; ``hub/``, the hub's
  configuration and proxy;
- ``state``: the hub's database and cookie secret, root's alone (0700);
- ``course``: the course folder, the grading account's, open to the instructors' group
  and to no one else (it holds ``source/``, ``handnet_ref/``, every grade and every
  student's graded work);
- ``exchange``: nbgrader's exchange; its course folder belongs to the grading account and
  only the students' group may enter it (the released notebooks are theirs alone).

``exposures(layout)`` names, in an administrator's words, everything in that layout that
another account could read or, for what root runs, write: the hub logs each one as a
warning when it starts and the install prints them.
"""

import grp
import json
import os
import pwd
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ..kernel.manager import INSTRUCTOR_PACKAGES

LAYOUT_FILE = "layout.json"


@dataclass(frozen=True)
class Layout:
    """The paths and accounts of one course server."""

    prefix: Path
    state: Path
    course: Path
    exchange: Path
    grader: str
    students_group: str
    instructors_group: str
    course_id: str = "handnet"

    @property
    def student_env(self) -> Path:
        return self.prefix / "student"

    @property
    def instructor_env(self) -> Path:
        return self.prefix / "instructor"

    @property
    def hub(self) -> Path:
        return self.prefix / "hub"

    @property
    def course_exchange(self) -> Path:
        return self.exchange / self.course_id

    def instructor_only(self) -> list[Path]:
        """The instructor-only packages' folders in the instructors' environment."""
        found = self.instructor_env.glob("lib/python3*/site-packages")
        return [
            site / name for site in found for name in INSTRUCTOR_PACKAGES if (site / name).is_dir()
        ]

    def save(self, path: Path) -> None:
        record = {k: str(v) for k, v in asdict(self).items()}
        Path(path).write_text(json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Layout":
        record = json.loads(Path(path).read_text())
        paths = ("prefix", "state", "course", "exchange")
        return cls(**{k: Path(v) if k in paths else v for k, v in record.items()})


def _others_can(st: os.stat_result, bits: int) -> bool:
    return bool(st.st_mode & bits)


def _group_is_not_roots(gid: int) -> bool:
    """Whether a group other than root alone holds ``gid``."""
    if gid != 0:
        return True
    try:
        return any(member != "root" for member in grp.getgrgid(0).gr_mem)
    except KeyError:
        return False


def writable_by_others(st: os.stat_result) -> bool:
    """Whether an account other than root may change the file of ``st`` (by its mode)."""
    if stat.S_ISLNK(st.st_mode):
        return False  # a link cannot be changed, only replaced (a write to its folder)
    if st.st_uid != 0:
        return True
    if st.st_mode & stat.S_IWGRP and _group_is_not_roots(st.st_gid):
        return True
    return bool(st.st_mode & stat.S_IWOTH)


def _tree(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    yield root, os.lstat(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            try:
                yield path, os.lstat(path)
            except FileNotFoundError:
                pass


def _parents_writable(root: Path) -> Iterator[Path]:
    """Folders above ``root`` in which another account could replace what lies below: one
    they may write to, unless it is sticky (as /tmp) and its entry on the way is root's."""
    chain = [*reversed(root.parents), root]
    for parent, child in zip(chain, chain[1:]):
        st = os.stat(parent)
        if writable_by_others(st):
            sticky_and_roots = st.st_mode & stat.S_ISVTX and os.lstat(child).st_uid == 0
            if not sticky_and_roots:
                yield parent


def root_writable_findings(roots: Iterable[Path]) -> list[str]:
    """Every file or folder under ``roots`` (and every folder above them) that an account
    other than root could change; one line each."""
    found = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        found += [f"{p}/ (above {root})" for p in _parents_writable(root.resolve())]
        for path, st in _tree(root):
            if writable_by_others(st):
                owner = _owner(st.st_uid)
                found.append(f"{path} (owner {owner}, mode {stat.filemode(st.st_mode)})")
    return sorted(set(found))


def hub_loads(layout: Layout) -> list[Path]:
    """What the hub's root process executes or imports: its Python and every folder on
    its module path, the instructors' environment, the hub's configuration and proxy, and
    the ``node`` that runs the proxy."""
    paths = {layout.instructor_env, layout.hub, Path(os.path.realpath(sys.executable))}
    paths |= {Path(p) for p in sys.path if p and os.path.isdir(p)}
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        if os.path.exists(os.path.join(folder, "node")):
            paths.add(Path(os.path.realpath(os.path.join(folder, "node"))))
            break
    return sorted(paths)


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def exposures(layout: Layout) -> list[str]:
    """What another account could read, or change in what root runs, in ``layout``; each
    line says what is exposed and how to fix it. Empty when the layout is safe."""
    found = []
    if layout.grader == "root":
        found.append(
            "the grading account is root: the formgrader's terminal is a root shell for every "
            "instructor; give grading an account of its own (GRADER=handnet-grader)"
        )
    course = layout.course
    if course.exists():
        st = os.stat(course)
        if _others_can(st, stat.S_IROTH | stat.S_IXOTH):
            found.append(
                f"{course} is open to every account (mode {stat.filemode(st.st_mode)}): students "
                "can read source/ (every solution), handnet_ref/ (the reference and its mistake "
                "catalogues), gradebook.db, grades/ and every student's autograded/ and "
                f"feedback/; fix: chmod o-rwx {course} (make install-server does)"
            )
        if _owner(st.st_uid) != layout.grader:
            found.append(
                f"{course} belongs to {_owner(st.st_uid)}, not to the grading "
                f"account {layout.grader}: chown -R {layout.grader} {course}"
            )
    for folder, what in (
        (layout.state, "the hub's database and cookie secret (anyone could log in as anyone)"),
        *((p, "the hidden reference or the grader") for p in layout.instructor_only()),
    ):
        if folder.exists() and _others_can(os.stat(folder), stat.S_IROTH | stat.S_IXOTH):
            found.append(f"{folder} is readable by every account: {what}; fix: chmod -R o-rwx")
    exchange = layout.course_exchange
    if exchange.exists() and _others_can(os.stat(exchange), stat.S_IXOTH):
        found.append(
            f"{exchange} can be entered by every account: the released notebooks are open to "
            f"accounts outside the course; fix: chgrp {layout.students_group} {exchange}; "
            f"chmod 0750 {exchange}"
        )
    writable = root_writable_findings([*hub_loads(layout), layout.student_env])
    if writable:
        shown = "; ".join(writable[:5]) + (
            f"; and {len(writable) - 5} more" if writable[5:] else ""
        )
        found.append(
            f"{len(writable)} files that root runs when it starts the hub, or that every "
            f"student runs, can be changed by another account (who could then act as root or "
            f"as any student): {shown}; fix: make install-server (as root) installs them "
            "owned by root"
        )
    return found


def main(argv: list[str] | None = None) -> int:
    """``python -m handnet_grader.server.layout LAYOUT_JSON``: print the exposures; exit
    status 1 if there are any."""
    argv = sys.argv[1:] if argv is None else argv
    found = exposures(Layout.load(Path(argv[0])))
    for line in found:
        print(f"WARNING: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
