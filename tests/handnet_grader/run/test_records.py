"""Grading records: written and loaded back."""

from handnet_grader.run.records import CellResult, Record, load_records, write_record


def test_records_round_trip_through_json(tmp_path):
    """Does a written record load back equal, cells included?"""
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
