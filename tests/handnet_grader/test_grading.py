"""The parts of grading that need no kernel: the workers' shares."""

from handnet_grader.grading import shares


def test_shares_keep_each_student_in_one_worker_and_use_them_all():
    """Are all of a student's submissions in one share, and students spread round-robin?"""
    pairs = [(s, a) for s in ("ann", "bob", "cy") for a in ("a1", "a2")]
    parts = shares(pairs, 2)
    assert sorted(p for part in parts for p in part) == sorted(pairs)
    owners = {s: i for i, part in enumerate(parts) for s, _ in part}
    assert all(sum(1 for part in parts for s2, _ in part if s2 == s) == 2 for s in owners)
    assert len(parts) == 2 and shares(pairs[:1], 4) == [pairs[:1]]
