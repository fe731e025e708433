"""The gradebook's database, made ready once before anything grades.

nbgrader keeps the gradebook in any database SQLAlchemy reaches: SQLite by default
(``gradebook.db`` in the course root), or the shared database that ``$HANDNET_DB_URL``
names (``nbgrader_config.py``), e.g. PostgreSQL for several graders at once.

The first ``Gradebook`` opened on an empty database creates nbgrader's tables, stamps
their alembic version (asking the ``alembic`` command for it) and adds a course row;
processes doing that at once race (a table created twice, a second stamp, a duplicate
course) and fail. So ``prepare_gradebook`` does it once, in the process that starts the
grading workers, before they open the gradebook; on PostgreSQL it holds an advisory lock
(``setting_up``) so that two graders starting at once on a new database take turns.

A gradebook can also go away while a class is graded (its server stopped):
``ensure_answering`` tells that apart from a failed grading try, so that the run stops
instead of trying every remaining submission in vain.
"""

import contextlib
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

# nbgrader's preprocessors open the gradebook without a course id, which names this one
NBGRADER_DEFAULT_COURSE = "default_course"
SETUP_LOCK = 0x68616E64  # the advisory lock's key ("hand")
_HELD = set()  # URLs whose set-up lock this process holds
ANSWER_SECONDS = 5  # how long a connection to the database may take to open


class GradebookUnavailable(Exception):
    """The gradebook's database cannot be reached or opened; the message names it
    (without its password) and says why, which ``why`` holds alone."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why


class GradebookLost(GradebookUnavailable):
    """The gradebook's database stopped answering while grading went on."""


def shown(db_url: str) -> str:
    """``db_url`` as it may be printed: its password hidden."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        return "<not a database URL>"


def _unavailable(db_url, error, kind=GradebookUnavailable, what="cannot open the gradebook {}"):
    """GradebookUnavailable (or ``kind``) for ``error``: ``what`` with the URL, and the
    reason, never the password."""
    why = " ".join(
        line.strip()
        for line in str(getattr(error, "orig", None) or error).splitlines()
        if line.strip()
    )
    try:
        password = make_url(db_url).password
    except SQLAlchemyError:  # the error quotes the unreadable URL itself
        why, password = (
            "$HANDNET_DB_URL (or nbgrader_config.py) must look like "
            "postgresql+psycopg://user@host/database",
            None,
        )
    if password:
        why = why.replace(str(password), "***")
    return kind(f"{what.format(shown(db_url))}: {why}", why)


def _connect(stack, db_url, **options):
    """A connection to the database at ``db_url`` (closed when ``stack`` closes), opened
    within ``ANSWER_SECONDS``; ``options`` go to SQLAlchemy's ``create_engine``."""
    timeout = {
        "postgresql": {"connect_timeout": ANSWER_SECONDS},
        "sqlite": {"timeout": ANSWER_SECONDS},
    }
    connect_args = timeout.get(make_url(db_url).get_backend_name(), {})
    engine = create_engine(db_url, poolclass=NullPool, connect_args=connect_args, **options)
    stack.callback(engine.dispose)
    return stack.enter_context(engine.connect())


def ensure_answering(db_url: str) -> None:
    """Raise GradebookLost (the URL without its password, and why) unless the database
    at ``db_url`` answers a query on a new connection within ``ANSWER_SECONDS``."""
    try:
        with contextlib.ExitStack() as stack:
            _connect(stack, db_url).execute(text("SELECT 1"))
    except (SQLAlchemyError, ImportError) as e:  # ImportError: the URL's driver is missing
        raise _unavailable(db_url, e, GradebookLost, "the gradebook {} stopped answering") from None


@contextlib.contextmanager
def setting_up(db_url: str) -> Iterator[None]:
    """Hold the gradebook's set-up lock: one process at a time creates the tables or
    records assignments in a shared (PostgreSQL) gradebook. Re-entrant within a process;
    nothing to hold for SQLite (one machine, and nbgrader's own file locking)."""
    try:
        backend = make_url(db_url).get_backend_name()
    except SQLAlchemyError as e:
        raise _unavailable(db_url, e) from None
    if backend != "postgresql" or db_url in _HELD:
        yield
        return
    with contextlib.ExitStack() as stack:
        try:
            # a session-level lock outside any transaction, released when the connection closes
            connection = _connect(stack, db_url, isolation_level="AUTOCOMMIT")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK})
        except (SQLAlchemyError, ImportError) as e:  # ImportError: the URL's driver is missing
            raise _unavailable(db_url, e) from None
        _HELD.add(db_url)
        try:
            yield
        finally:
            _HELD.discard(db_url)


def prepare_gradebook(db_url: str, course_id: str | None = None) -> None:
    """Create the gradebook's tables and stamp their alembic version if the database is
    new, and add the course rows nbgrader uses (its default one and ``course_id``), by
    opening nbgrader's ``Gradebook`` once: afterwards many processes may open it at once.
    Raises GradebookUnavailable, naming the URL without its password, when the database
    cannot be reached, before anything is graded."""
    from nbgrader.api import Gradebook

    try:
        with setting_up(db_url):
            for course in dict.fromkeys(
                [NBGRADER_DEFAULT_COURSE, course_id or NBGRADER_DEFAULT_COURSE]
            ):
                with Gradebook(db_url, course):
                    pass
    except (SQLAlchemyError, ImportError) as e:  # ImportError: the URL's driver is missing
        raise _unavailable(db_url, e) from None
