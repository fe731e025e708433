"""The parts of grading that need no kernel: prechecks, shares, records."""

import nbformat

from handnet_grader.grading import Record, load_records, precheck, shares, write_record


def course(tmp_path, notebook="a1.ipynb"):
    (tmp_path / "source" / "a1").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / "a1" / notebook)
    folder = tmp_path / "submitted" / "ann" / "a1"
    folder.mkdir(parents=True)
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


def test_shares_keep_each_student_in_one_worker_and_use_them_all():
    """Are all of a student's submissions in one share, and students spread round-robin?"""
    pairs = [(s, a) for s in ("ann", "bob", "cy") for a in ("a1", "a2")]
    parts = shares(pairs, 2)
    assert sorted(p for part in parts for p in part) == sorted(pairs)
    owners = {s: i for i, part in enumerate(parts) for s, _ in part}
    assert all(sum(1 for part in parts for s2, _ in part if s2 == s) == 2 for s in owners)
    assert len(parts) == 2 and shares(pairs[:1], 4) == [pairs[:1]]


def test_records_round_trip_through_json(tmp_path):
    """Does a written record load back equal, cells included?"""
    from handnet_grader.grading import CellResult

    r = Record(
        "ann",
        "a1",
        "timeout",
        5.0,
        10.0,
        "cell 3 timed out",
        1.5,
        cells=[CellResult("t1", 5.0, 5.0), CellResult("t2", 0.0, 5.0, "CheckFailed: x")],
    )
    write_record(tmp_path, r)
    assert load_records(tmp_path) == [r]
