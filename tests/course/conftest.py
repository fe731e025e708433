"""Fixtures for the course tests."""

import os

import pytest

from handnet_grader.course.root import python_first_path


@pytest.fixture(scope="session", autouse=True)
def sqlite_gradebook():
    """The course tests grade into each course copy's own SQLite gradebook unless a test
    names another: a HANDNET_DB_URL left in the shell would send the sample class into
    that (perhaps the course's real) database."""
    saved = os.environ.pop("HANDNET_DB_URL", None)
    yield
    if saved is not None:
        os.environ["HANDNET_DB_URL"] = saved


@pytest.fixture(autouse=True)
def venv_on_path(monkeypatch):
    """nbgrader runs `alembic` and kernels from PATH: put this Python's folder first."""
    monkeypatch.setenv("PATH", python_first_path())


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for the session (``postgres.Server``: databases by
    ``create_database(name)``), stopped and removed afterwards. Skipped, saying why,
    where none can be started, unless HANDNET_REQUIRE_POSTGRES=1: then it fails."""
    from postgres import Server, binaries, missing

    why = missing()
    if why:
        if os.environ.get("HANDNET_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here (HANDNET_REQUIRE_POSTGRES=1): {why}")
        pytest.skip(why)
    server = Server(binaries())
    yield server
    server.close()
