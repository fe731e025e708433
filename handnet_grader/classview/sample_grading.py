"""A sample class, graded in a course folder of its own: what the class view shows on a
fresh clone, where no real class has been graded.

The class is drawn from the sample submissions of one assignment (``samples.sample_class``)
with a fixed seed: several students hand in the reference solution, some the untouched
release or a partial attempt, ``MISTAKEN`` students each make one catalogued mistake
(some mistakes common, others rare or absent, as in a real class), and three submissions
hit a limit (a crash, the memory limit, a flood of output), which the integrity report
lists. Students get neutral names (``student-01``...), so the view has
to find their mistakes from the records; ``planted`` says what it should find.
"""

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import numpy as np

if TYPE_CHECKING:
    from handnet_ref.checks import Mistake

    from .sample_class import Sample

REFERENCES, PARTIALS, UNTOUCHED = 3, 1, 1
MISTAKEN = 12
WITH_FINDINGS = ("kernel-crash", "memory-hog", "huge-output")


@dataclass
class Student:
    """One student of the sample class: their name, the Sample they hand in, and the
    catalogued mistake's key it holds (None for the others)."""

    name: str
    sample: object
    mistake: str = None


def class_roster(
    samples: Sequence["Sample"], mistakes: Iterable["Mistake"], seed: int
) -> list[Student]:
    """[Student] by name, drawn with ``seed`` from the Samples of one assignment;
    ``mistakes``: its catalogue (to name the mistake each mistake sample holds)."""
    rng = np.random.default_rng(seed)
    by_case = {s.student: s for s in samples}
    key_of = {m.hint: m.key for m in mistakes}
    handed_in = (
        [(by_case["reference"], None)] * REFERENCES
        + [(by_case["partial"], None)] * PARTIALS
        + [(by_case["untouched"], None)] * UNTOUCHED
        + [(by_case[case], None) for case in WITH_FINDINGS if case in by_case]
    )
    made = [(s, key_of[s.expect_message]) for s in samples if s.student.startswith("mistake-")]
    if made:
        popularity = rng.dirichlet(np.full(len(made), 1.0))  # a few mistakes are common
        handed_in += [made[i] for i in rng.choice(len(made), size=MISTAKEN, p=popularity)]
    order = rng.permutation(len(handed_in))
    width = len(str(len(handed_in)))
    return sorted(
        (Student(f"student-{i + 1:0{width}d}", *handed_in[j]) for i, j in enumerate(order)),
        key=lambda s: s.name,
    )


def planted(roster: Iterable[Student]) -> dict[str, list[str]]:
    """{mistake key: [student names]} of the roster's mistake samples."""
    found = {}
    for student in roster:
        if student.mistake:
            found.setdefault(student.mistake, []).append(student.name)
    return found


def grade_sample_class(
    course: str | Path,
    folder: str | Path,
    assignment: str = "01_neuron",
    seed: int = 2026,
    workers: int = 2,
) -> list[Student]:
    """Copy ``assignment`` of the course at ``course`` (its nbgrader_config.py, source/
    and release/) into ``folder``, write a sample class into its submitted/ and grade it
    there, with the hidden checks' inputs drawn from ``seed``; return the roster.

    The records end up in ``folder``/grades/records/<assignment>/, for ``class_view``.
    """
    from ..course.root import put_python_first
    from ..run.driver import grade_class
    from .outcomes import catalogue
    from .sample_class import sample_class

    course, folder = Path(course), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "nbgrader_config.py", folder)
    for part in ("source", "release"):
        shutil.copytree(course / part / assignment, folder / part / assignment, dirs_exist_ok=True)
    roster = class_roster(
        sample_class(folder, [assignment], broken_in=[assignment], mistakes_in=[assignment]),
        catalogue(assignment),
        seed,
    )
    for student in roster:
        target = folder / "submitted" / student.name / assignment
        shutil.rmtree(target, ignore_errors=True)
        student.sample.write(target)
    put_python_first()  # nbgrader runs alembic from PATH
    # no HANDNET_DB_URL: the sample class goes into the copy's own SQLite gradebook, never
    # into the database of the instructor's real course
    with mock.patch.dict(os.environ, HANDNET_CHECK_SEED=str(seed)):
        os.environ.pop("HANDNET_DB_URL", None)  # patch.dict puts it back afterwards
        grade_class(folder, assignment, workers=workers)
    return roster
