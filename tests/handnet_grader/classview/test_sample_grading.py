"""The sample class behind the class view: drawn reproducibly from the sample
submissions, with neutral names and a record of the mistakes planted."""

import os
from collections import Counter
from pathlib import Path

from handnet_grader.classview.outcomes import catalogue
from handnet_grader.classview.sample_class import sample_class
from handnet_grader.classview.sample_grading import (
    MISTAKEN,
    PARTIALS,
    REFERENCES,
    UNTOUCHED,
    WITH_FINDINGS,
    class_roster,
    grade_sample_class,
    planted,
)
from handnet_grader.run import driver

ROOT = Path(__file__).resolve().parents[3]
A = "01_neuron"
SAMPLES = sample_class(ROOT, [A], broken_in=[A], mistakes_in=[A])


def roster(seed):
    return class_roster(SAMPLES, catalogue(A), seed)


def test_the_same_seed_draws_the_same_class_and_another_seed_another():
    def cases(seed):
        return [(s.name, s.sample.student, s.mistake) for s in roster(seed)]

    assert cases(2026) == cases(2026)
    assert cases(2026) != cases(2027)


def test_the_class_holds_its_fixed_cases_and_mistaken_students_with_neutral_names():
    students = roster(2026)
    handed_in = Counter(s.sample.student for s in students)
    assert (handed_in["reference"], handed_in["partial"], handed_in["untouched"]) == (
        REFERENCES,
        PARTIALS,
        UNTOUCHED,
    )
    assert all(handed_in[case] == 1 for case in WITH_FINDINGS)
    assert len(students) == REFERENCES + PARTIALS + UNTOUCHED + len(WITH_FINDINGS) + MISTAKEN
    assert [s.name for s in students] == [f"student-{i:02d}" for i in range(1, len(students) + 1)]


def test_planted_names_each_mistake_with_the_students_whose_sample_holds_it():
    students = roster(7)
    found = planted(students)
    assert sum(len(names) for names in found.values()) == MISTAKEN
    hints = {m.key: m.hint for m in catalogue(A)}
    for s in students:
        if s.mistake:
            assert s.name in found[s.mistake]
            assert s.sample.expect_message == hints[s.mistake]
        else:
            assert not s.sample.student.startswith("mistake-")


def test_the_sample_class_is_graded_in_its_own_folder_never_into_the_course_database(
    tmp_path, monkeypatch
):
    """grade_sample_class writes the roster into the copy's submitted/ and grades it with
    the seed set and without HANDNET_DB_URL (the instructor's real gradebook), which is
    back afterwards."""
    seen = {}

    def grade_class(root, assignment, workers):
        seen.update(
            root=root,
            assignment=assignment,
            env=dict(os.environ),
            submitted=sorted(p.name for p in (root / "submitted").iterdir()),
        )
        return []

    monkeypatch.setattr(driver, "grade_class", grade_class)
    monkeypatch.setenv("HANDNET_DB_URL", "postgresql+psycopg://grader@db/course")
    monkeypatch.delenv("HANDNET_CHECK_SEED", raising=False)
    students = grade_sample_class(ROOT, tmp_path / "copy", A, seed=5)
    assert seen["root"] == tmp_path / "copy" and seen["assignment"] == A
    assert seen["submitted"] == [s.name for s in students] == [s.name for s in roster(5)]
    assert "HANDNET_DB_URL" not in seen["env"] and seen["env"]["HANDNET_CHECK_SEED"] == "5"
    assert os.environ["HANDNET_DB_URL"] == "postgresql+psycopg://grader@db/course"
    assert "HANDNET_CHECK_SEED" not in os.environ
    assert (tmp_path / "copy" / "release" / A / f"{A}.ipynb").exists()
