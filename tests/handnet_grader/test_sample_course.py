"""The sample class behind the class view: drawn reproducibly from the sample
submissions, with neutral names and a record of the mistakes planted."""

from collections import Counter
from pathlib import Path

from handnet_grader.classview import catalogue
from handnet_grader.sample_course import (MISTAKEN, PARTIALS, REFERENCES, UNTOUCHED,
                                          WITH_FINDINGS, class_roster, planted)
from handnet_grader.samples import sample_class

ROOT = Path(__file__).resolve().parents[2]
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
        REFERENCES, PARTIALS, UNTOUCHED)
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
