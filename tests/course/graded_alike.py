"""What two gradings of the same submission must agree on, wherever they ran (two
gradebooks, a cluster and this machine)."""

from handnet_grader.run.records import Record


def outcome(record: Record) -> tuple:
    """(status, points, max points, late penalty, [(cell, points, max points, message)])."""
    return (
        record.status,
        record.points,
        record.max_points,
        record.late_penalty,
        [(c.name, c.points, c.max_points, c.message) for c in record.cells],
    )
