"""The grading service's queue: every submission the service receives gets a receipt (who,
which assignment, the SHA-256 of its files, the time the server received it), kept in a
table of the gradebook's own database (SQLite or PostgreSQL: the course's), so that a
service killed and started again grades what was waiting.

A receipt is ``waiting``, then ``grading`` (claimed), then ``graded`` or ``failed`` (a
grader failure); a newer receipt of the same student and assignment makes one still
waiting ``replaced``. Live submissions go before instructor regrades, then the oldest
first. ``claim`` takes a receipt with one conditional UPDATE, so two claimers never take
the same one; ``recover`` puts back what a dead service was grading. With a limit per
hour, a student's live receipts of the last hour count against it, but not those that
ended as grader failures (the course's fault, not the student's).
"""

import datetime
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

LIVE, REGRADE = "live", "regrade"
WAITING, GRADING, GRADED, FAILED, REPLACED = "waiting", "grading", "graded", "failed", "replaced"

METADATA = sa.MetaData()
RECEIPTS = sa.Table(
    "handnet_receipts",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("student", sa.String(128), nullable=False),
    sa.Column("assignment", sa.String(128), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("received", sa.DateTime, nullable=False),  # UTC, the server's clock
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("changed", sa.DateTime, nullable=False),  # UTC, the last change of state
    sa.Index("handnet_receipts_waiting", "state", "kind", "received"),
    sa.Index("handnet_receipts_student", "student", "assignment"),
)


_KIND_RANK = sa.case((RECEIPTS.c.kind == LIVE, 0), else_=1)  # live ones first


class TooManySubmissions(Exception):
    """The student reached the course's limit of submissions per hour."""


@dataclass(frozen=True)
class Receipt:
    """One received submission and where it is now."""

    id: int
    student: str
    assignment: str
    sha256: str
    received: datetime.datetime
    kind: str
    state: str

    @classmethod
    def from_row(cls, row: Any) -> "Receipt":
        return cls(
            row.id, row.student, row.assignment, row.sha256, row.received, row.kind, row.state
        )


def now_utc() -> datetime.datetime:
    """The time now, UTC, without tzinfo (as the table stores it), to the microsecond."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class SubmissionQueue:
    """The receipts in the database at ``db_url`` (the table is made where missing).
    ``per_hour``: the most receipts a student may have in an hour, None for no limit."""

    def __init__(self, db_url: str, per_hour: int | None = None) -> None:
        self.engine = sa.create_engine(db_url)
        self.per_hour = per_hour
        METADATA.create_all(self.engine, checkfirst=True)

    def close(self) -> None:
        self.engine.dispose()

    def receive(
        self,
        student: str,
        assignment: str,
        sha256: str,
        kind: str = LIVE,
        received: datetime.datetime | None = None,
    ) -> Receipt:
        """Write the receipt of a submission (``received``: now) and return it; a receipt
        of the same student and assignment still waiting is replaced. Raises
        TooManySubmissions, writing nothing, when a live one is over the hourly limit."""
        received = received or now_utc()
        with self.engine.begin() as db:
            if kind == LIVE and self.per_hour is not None:
                counted = db.scalar(
                    sa.select(sa.func.count())
                    .select_from(RECEIPTS)
                    .where(
                        RECEIPTS.c.student == student,
                        RECEIPTS.c.kind == LIVE,
                        RECEIPTS.c.received > received - datetime.timedelta(hours=1),
                        RECEIPTS.c.state != FAILED,
                    )
                )
                if counted >= self.per_hour:
                    raise TooManySubmissions(
                        f"{student} has made {counted} submissions in the last hour, the "
                        f"course's limit is {self.per_hour}: try again later"
                    )
            db.execute(
                RECEIPTS.update()
                .where(
                    RECEIPTS.c.student == student,
                    RECEIPTS.c.assignment == assignment,
                    RECEIPTS.c.state == WAITING,
                )
                .values(state=REPLACED, changed=received)
            )
            fields = dict(
                student=student,
                assignment=assignment,
                sha256=sha256,
                received=received,
                kind=kind,
                state=WAITING,
                changed=received,
            )
            id_ = db.execute(RECEIPTS.insert().values(**fields)).inserted_primary_key[0]
        return Receipt(id_, student, assignment, sha256, received, kind, WAITING)

    def claim(self) -> Receipt | None:
        """Take the next waiting receipt (live before regrade, then the oldest) for
        grading; None when none waits. Two claimers never take the same receipt."""
        order = (_KIND_RANK, RECEIPTS.c.received, RECEIPTS.c.id)
        while True:
            with self.engine.begin() as db:
                row = db.execute(
                    sa.select(RECEIPTS).where(RECEIPTS.c.state == WAITING).order_by(*order).limit(1)
                ).first()
                if row is None:
                    return None
                taken = db.execute(
                    RECEIPTS.update()
                    .where(RECEIPTS.c.id == row.id, RECEIPTS.c.state == WAITING)
                    .values(state=GRADING, changed=now_utc())
                ).rowcount
            if taken == 1:
                return replace(Receipt.from_row(row), state=GRADING)

    def finish(self, receipt_id: int, state: str) -> None:
        """Record how grading a claimed receipt ended: ``GRADED`` or ``FAILED``."""
        if state not in (GRADED, FAILED):
            raise ValueError(f"a claimed receipt ends graded or failed, not {state!r}")
        with self.engine.begin() as db:
            db.execute(
                RECEIPTS.update()
                .where(RECEIPTS.c.id == receipt_id, RECEIPTS.c.state == GRADING)
                .values(state=state, changed=now_utc())
            )

    def put_back(self, receipt_ids: list[int]) -> None:
        """Make claimed receipts wait again (their grading did not happen)."""
        with self.engine.begin() as db:
            db.execute(
                RECEIPTS.update()
                .where(RECEIPTS.c.id.in_(receipt_ids), RECEIPTS.c.state == GRADING)
                .values(state=WAITING, changed=now_utc())
            )

    def recover(self) -> int:
        """Put every receipt being graded back to waiting (a service starting after one
        that died mid-grading); returns how many."""
        with self.engine.begin() as db:
            return db.execute(
                RECEIPTS.update()
                .where(RECEIPTS.c.state == GRADING)
                .values(state=WAITING, changed=now_utc())
            ).rowcount

    def position(self, receipt_id: int) -> int | None:
        """How many waiting receipts go before this one (0: it is next); None when it is
        not waiting."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(RECEIPTS).where(RECEIPTS.c.id == receipt_id)).first()
            if row is None or row.state != WAITING:
                return None
            rank = 0 if row.kind == LIVE else 1
            ahead = sa.or_(
                _KIND_RANK < rank,
                sa.and_(
                    _KIND_RANK == rank,
                    sa.or_(
                        RECEIPTS.c.received < row.received,
                        sa.and_(RECEIPTS.c.received == row.received, RECEIPTS.c.id < row.id),
                    ),
                ),
            )
            return db.scalar(
                sa.select(sa.func.count())
                .select_from(RECEIPTS)
                .where(RECEIPTS.c.state == WAITING, ahead)
            )

    def receipts(self, student: str | None = None) -> list[Receipt]:
        """Every receipt (of ``student``), oldest first."""
        query = sa.select(RECEIPTS).order_by(RECEIPTS.c.received, RECEIPTS.c.id)
        if student is not None:
            query = query.where(RECEIPTS.c.student == student)
        with self.engine.connect() as db:
            return [Receipt.from_row(row) for row in db.execute(query)]
