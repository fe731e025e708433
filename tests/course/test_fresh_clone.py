"""A fresh clone grades: an instructor who clones the course and hands out the committed
``release/`` can grade without running ``handnet release`` first."""

import hashlib

from course_files import copy_course, grading_environment

from handnet_grader.classview.sample_class import sample_class, write_sample_class
from handnet_grader.course.release import ensure_in_gradebook, missing_from_gradebook
from handnet_grader.run.driver import grade_class


def _tree_hash(folder):
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def test_fresh_clone_grades_without_a_release_step(tmp_path):
    """With no gradebook at all, does autograde record the assignment itself (leaving
    release/ untouched) and give the reference full marks and the untouched release 0?"""
    root = copy_course(tmp_path / "course")
    assert not (root / "gradebook.db").exists()
    release_before = _tree_hash(root / "release")
    samples = [
        s
        for s in sample_class(root, ["01_neuron"], broken_in=[], mistakes_in=[])
        if s.student in ("reference", "untouched")
    ]
    write_sample_class(root, samples)
    with grading_environment(HANDNET_CHECK_SEED="2026"):
        records = {r.student: r for r in grade_class(root, workers=1)}
        assert missing_from_gradebook(root, ["01_neuron", "02_feedforward"]) == ["02_feedforward"]
        assert ensure_in_gradebook(root, ["01_neuron"]) == ([], [])
    assert records["reference"].status == "graded", records["reference"].message
    assert records["reference"].points == records["reference"].max_points == 100
    assert records["untouched"].points == 0 and records["untouched"].max_points == 100
    assert _tree_hash(root / "release") == release_before
