"""Find what students handed in (``submitted/<student>/<assignment>/``), fingerprint it
(the SHA-256 of its files) and check it can be graded."""

import fnmatch
import hashlib
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import nbformat

from ..course.root import assignments as all_assignments
from ..course.root import load_config
from .records import GRADER_FAILURE, Record, record_path


def submitted_folder(root: str | Path, student: str, assignment: str) -> Path:
    return Path(root) / "submitted" / student / assignment


def submission_files(folder: str | Path, ignore: Iterable[str] = ()) -> dict[str, bytes]:
    """{relative path: bytes} of the files in a submission folder, leaving out every path
    with a part that matches one of the ``ignore`` globs (nbgrader's
    ``CourseDirectory.ignore``: checkpoints, caches, hidden files)."""
    folder = Path(folder)
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(
            fnmatch.fnmatch(part, glob) for part in relative.parts for glob in ignore
        ):
            files[relative.as_posix()] = path.read_bytes()
    return files


def submission_hash(files: Mapping[str, bytes]) -> str:
    """SHA-256 (hex) of a submission's ``{relative path: bytes}``: its paths and contents,
    in sorted order; any added, removed, renamed or changed file changes it."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        for part in (name.encode(), data):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


def course_ignore(root: str | Path) -> list[str]:
    """nbgrader's ``CourseDirectory.ignore`` globs as the course configures them."""
    from nbgrader.coursedir import CourseDirectory

    return list(CourseDirectory(config=load_config(root)).ignore)


def current_hashes(
    root: str | Path, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """{(student, assignment): submission_hash} of the files in submitted/ now."""
    ignore = course_ignore(root)
    return {
        (s, a): submission_hash(submission_files(submitted_folder(root, s, a), ignore))
        for s, a in pairs
    }


def final_record_hashes(
    root: str | Path, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """{(student, assignment): the SHA-256 of the files its record graded} for the pairs
    whose record is final: every status but ``grader failure``, which asks to be graded
    again."""
    found = {}
    for s, a in pairs:
        try:
            record = json.loads(record_path(root, a, s).read_text())
        except (OSError, ValueError):  # no record yet, or one cut short
            continue
        if record.get("status") != GRADER_FAILURE:
            found[(s, a)] = record.get("submission_sha256")
    return found


def up_to_date(root: str | Path, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs whose final record (``final_record_hashes``) was made from the
    submission's current files (the same hash)."""
    hashes = current_hashes(root, pairs)
    graded = final_record_hashes(root, pairs)
    return {p for p in pairs if p in graded and graded[p] == hashes[p]}


def expected_notebooks(root: str | Path, assignment: str) -> list[str]:
    """Names of the notebooks of an assignment, as in source/<assignment>/."""
    return sorted(p.name for p in (Path(root) / "source" / assignment).glob("*.ipynb"))


def find_submissions(
    root: str | Path, assignment: str | None = None, student: str | Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(student, assignment) pairs present in submitted/, filtered (``student`` is a
    name or a collection of names), sorted."""
    students = None if student is None else {student} if isinstance(student, str) else set(student)
    submitted = Path(root) / "submitted"
    known = set(all_assignments(root))
    pairs = []
    if submitted.is_dir():
        for folder in sorted(submitted.glob("*/*")):
            s, a = folder.parent.name, folder.name
            if (
                folder.is_dir()
                and a in known
                and (assignment in (None, a))
                and (students is None or s in students)
            ):
                pairs.append((s, a))
    return pairs


def precheck(
    root: str | Path, student: str, assignment: str
) -> tuple[Record, None] | tuple[None, str]:
    """``(Record, None)`` when the submission cannot be graded as it is (its status says
    why), else ``(None, note)``.

    Repairs one thing: a renamed notebook is copied to its expected name (the student's
    file stays as it was), and ``note`` says so ("" when nothing was repaired).
    """
    folder = Path(root) / "submitted" / student / assignment
    notes = []
    for name in expected_notebooks(root, assignment):
        path = folder / name
        if not path.exists():
            others = sorted(
                p
                for p in folder.glob("*.ipynb")
                if p.name not in expected_notebooks(root, assignment)
            )
            if len(others) != 1:
                found = ", ".join(p.name for p in others) or "no notebook"
                return Record(
                    student,
                    assignment,
                    "missing notebook",
                    message=f"expected {name}; the submission holds {found}",
                    notebooks=[name],
                ), None
            shutil.copyfile(others[0], path)
            notes.append(f"graded {others[0].name} as {name} (the notebook was renamed)")
        try:
            nbformat.validate(nbformat.read(path, as_version=4))
        except Exception as e:  # any unreadable file: JSON, encoding, schema
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return Record(
                student,
                assignment,
                "invalid notebook",
                message=f"{name} is not a valid notebook ({first[:200]})",
                notebooks=[name],
            ), None
    return None, "; ".join(notes)
