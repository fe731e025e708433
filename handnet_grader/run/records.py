"""What a grading run leaves behind: one ``Record`` per submission, written to
``grades/records/<assignment>/<student>.json``, and a grader failure's log in
``grades/logs/<assignment>/<student>.log``.

A record's status is one of:

- ``graded``: ran to the end (cells may have failed; that is what points are for);
- ``memory limit``: a cell ran out of the kernel's memory (a MemoryError; later cells ran);
- ``timeout``: a cell or the whole submission ran out of time (later cells still ran);
- ``kernel died``: the kernel crashed or hit a limit (a fresh one ran the later cells);
- ``invalid notebook``: the file is not a readable notebook (0 points, nothing run);
- ``missing notebook``: the expected notebook is not in the submission (0 points);
- ``grader failure``: grading failed on the course's side, not because of the student's
  code (a kernel that did not start on a busy machine, an nbgrader exception, a worker
  that died), after ``grading.ATTEMPTS`` tries; the full log of every try is kept in
  ``grades/logs/<assignment>/<student>.log`` (the record's ``log``), and the student's
  feedback page says the submission will be graded again.
"""

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self

# what each status means: this module's docstring
STATUSES = (
    "graded",
    "memory limit",
    "timeout",
    "kernel died",
    "invalid notebook",
    "missing notebook",
    "grader failure",
)
GRADER_FAILURE = "grader failure"
MESSAGE_CHARS = 400


@dataclass
class CellResult:
    """One autograded test cell: its points and what the student should read."""

    name: str
    points: float
    max_points: float
    message: str = ""


@dataclass
class Record:
    """What happened to one student's submission of one assignment."""

    student: str
    assignment: str
    status: str
    points: float = 0.0
    max_points: float = 0.0
    message: str = ""
    seconds: float = 0.0
    execution_seconds: float = 0.0
    notebooks: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    events: list = field(default_factory=list)
    integrity: list = field(default_factory=list)  # findings for the integrity report
    sandbox: str = ""  # what the kernel ran in
    late_penalty: float = 0.0  # points taken off ``points`` for lateness
    log: str = ""  # a grader failure's log, from the course root
    submission_sha256: str = ""  # of the files graded (submission_hash)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        data = dict(data)
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**data)


def log_path(root: str | Path, assignment: str, student: str) -> Path:
    return Path(root) / "grades" / "logs" / assignment / f"{student}.log"


def write_failure_log(root: str | Path, assignment: str, student: str, text: str) -> str:
    """Append one try's log to the submission's grader-failure log; returns its path
    relative to the course root."""
    path = log_path(root, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(text.rstrip() + "\n")
    return str(path.relative_to(root))


def grader_failure(
    root: str | Path, student: str, assignment: str, what: str, log: str | None = None
) -> Record:
    """The Record of a submission that the grader failed to grade; ``log`` is added to
    its log file, which the record names."""
    if log:
        write_failure_log(root, assignment, student, log)
    path = log_path(root, assignment, student)
    relative = str(path.relative_to(root))
    text = path.read_text() if path.exists() else ""
    last = next((line for line in reversed(text.splitlines()) if line.strip()), what)
    return Record(
        student,
        assignment,
        GRADER_FAILURE,
        log=relative,
        message=f"grading failed on the course's side ({what}): {last.strip()[:200]}; "
        f"full log: {relative}; grade it again",
    )


def records_dir(root: str | Path) -> Path:
    return Path(root) / "grades" / "records"


def record_path(root: str | Path, assignment: str, student: str) -> Path:
    return records_dir(root) / assignment / f"{student}.json"


def write_record(root: str | Path, record: Record) -> None:
    path = record_path(root, record.assignment, record.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record.to_json(), indent=1))
    tmp.replace(path)


def load_records(root: str | Path, assignment: str | None = None) -> list[Record]:
    """Every record written so far (of one assignment, or all), sorted."""
    folder = records_dir(root)
    pattern = f"{assignment}/*.json" if assignment else "*/*.json"
    return sorted(
        (Record.from_json(json.loads(p.read_text())) for p in folder.glob(pattern)),
        key=lambda r: (r.assignment, r.student),
    )
