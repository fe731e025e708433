"""Finding and fingerprinting submissions: prechecks, the submission's hash, what is up
to date."""

import nbformat

from handnet_grader.run.records import GRADER_FAILURE, Record, write_record
from handnet_grader.run.submissions import precheck, submission_files, submission_hash, up_to_date

IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]


def course(tmp_path, notebook="a1.ipynb"):
    (tmp_path / "source" / "a1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / "a1" / notebook)
    folder = tmp_path / "submitted" / "ann" / "a1"
    folder.mkdir(parents=True)
    return folder


def submission(tmp_path, student="ann", assignment="a1"):
    folder = tmp_path / "submitted" / student / assignment
    folder.mkdir(parents=True)
    (folder / "a1.ipynb").write_text('{"cells": []}')
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00 UTC")
    return folder


def test_a_readable_notebook_passes_the_precheck(tmp_path):
    folder = course(tmp_path)
    nbformat.write(nbformat.v4.new_notebook(), folder / "a1.ipynb")
    assert precheck(tmp_path, "ann", "a1") == (None, "")


def test_invalid_json_is_reported_not_graded(tmp_path):
    """Is a file that is not JSON an 'invalid notebook' whose message names it?"""
    folder = course(tmp_path)
    (folder / "a1.ipynb").write_text("{ not json")
    record, _ = precheck(tmp_path, "ann", "a1")
    assert record.status == "invalid notebook" and "a1.ipynb" in record.message


def test_a_single_renamed_notebook_is_graded_under_its_name(tmp_path):
    """Is 'a1 (1).ipynb' copied to a1.ipynb, the student's file kept, and the rename noted?"""
    folder = course(tmp_path)
    nbformat.write(nbformat.v4.new_notebook(), folder / "a1 (1).ipynb")
    record, note = precheck(tmp_path, "ann", "a1")
    assert record is None and "renamed" in note
    assert (folder / "a1.ipynb").exists() and (folder / "a1 (1).ipynb").exists()


def test_missing_notebook_lists_what_was_found(tmp_path):
    """With two other notebooks, nothing is guessed: 'missing notebook', naming both."""
    folder = course(tmp_path)
    for name in ("x.ipynb", "y.ipynb"):
        nbformat.write(nbformat.v4.new_notebook(), folder / name)
    record, _ = precheck(tmp_path, "ann", "a1")
    assert record.status == "missing notebook" and "x.ipynb, y.ipynb" in record.message


def test_the_hash_changes_with_any_file_and_ignores_checkpoints(tmp_path):
    """Does a changed byte, a new file or a renamed file change the hash, while a
    checkpoint folder or a hidden file (nbgrader ignores both) does not?"""
    folder = submission(tmp_path)
    first = submission_hash(submission_files(folder, IGNORE))
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "a1-checkpoint.ipynb").write_text("{}")
    (folder / ".hidden").write_text("x")
    assert submission_hash(submission_files(folder, IGNORE)) == first
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:01 UTC")
    changed = submission_hash(submission_files(folder, IGNORE))
    (folder / "notes.txt").write_text("")
    added = submission_hash(submission_files(folder, IGNORE))
    (folder / "notes.txt").rename(folder / "other.txt")
    renamed = submission_hash(submission_files(folder, IGNORE))
    assert len({first, changed, added, renamed}) == 4


def test_the_hash_does_not_run_names_and_contents_together():
    """Are {"ab": "c"} and {"a": "bc"} told apart (lengths are part of the hash)?"""
    assert submission_hash({"ab": b"c"}) != submission_hash({"a": b"bc"})


def test_a_record_is_up_to_date_only_with_the_same_files_and_a_final_status(tmp_path):
    """Is a record up to date when made from the current files with a final status, but
    not when the files changed since, when it is a grader failure, or when it is missing?"""
    config = f"c = get_config()\nc.CourseDirectory.ignore = {IGNORE!r}\n"
    (tmp_path / "nbgrader_config.py").write_text(config)
    pairs = [("ann", "a1"), ("bob", "a1"), ("cy", "a1"), ("dee", "a1")]
    for s, a in pairs:
        folder = submission(tmp_path, s, a)
        sha = submission_hash(submission_files(folder, IGNORE))
        if s == "ann":
            write_record(tmp_path, Record(s, a, "timeout", submission_sha256=sha))
        if s == "bob":
            write_record(tmp_path, Record(s, a, GRADER_FAILURE, submission_sha256=sha))
        if s == "cy":
            write_record(tmp_path, Record(s, a, "graded", submission_sha256=sha))
            (folder / "a1.ipynb").write_text('{"cells": [], "resubmitted": 1}')
    assert up_to_date(tmp_path, pairs) == {("ann", "a1")}


def test_a_record_cut_short_is_not_up_to_date(tmp_path):
    """A record file that is not JSON (a crash mid-write elsewhere) means: grade again."""
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    submission(tmp_path)
    path = tmp_path / "grades" / "records" / "a1" / "ann.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"student": "ann", "stat')
    assert up_to_date(tmp_path, [("ann", "a1")]) == set()
