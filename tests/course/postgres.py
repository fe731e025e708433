"""A throw-away PostgreSQL server for the tests, from Debian's server binaries.

``Server`` runs ``initdb`` in a temporary folder and ``pg_ctl start`` on 127.0.0.1 with a
free port, password authentication and its socket in that folder. PostgreSQL refuses to
run as root: run by root, the server runs as an account made for it with ``useradd``
(which owns the folder) and removed by ``close()``, with the folder.

    server = Server(binaries())
    url = server.create_database("gradebook")   # postgresql+psycopg://handnet:...@127.0.0.1:<port>/gradebook
    ...
    server.close()
"""

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_GLOB = "/usr/lib/postgresql/*/bin"
PROGRAMS = ("initdb", "pg_ctl", "postgres")
USER = "handnet"  # the database's superuser; its password is drawn per server


def binaries():
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb, pg_ctl and
    postgres, or None."""
    found = [
        p
        for p in Path("/").glob(SERVER_GLOB.lstrip("/"))
        if all(os.access(p / name, os.X_OK) for name in PROGRAMS)
    ]
    return max(
        found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None
    )


def missing():
    """Why no server can be started here (None when one can)."""
    if binaries() is None:
        return (
            f"PostgreSQL's server is not installed (no {SERVER_GLOB}/initdb: "
            "`make postgres`, or apt-get install postgresql)"
        )
    if os.geteuid() == 0 and not (shutil.which("useradd") and shutil.which("runuser")):
        return "run by root, the server needs useradd and runuser for an account of its own"
    if importlib.util.find_spec("psycopg") is None:  # the driver of the gradebook's URL
        return "the driver psycopg is not installed (requirements.txt)"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One PostgreSQL server in a temporary folder, started by the constructor."""

    def __init__(self, bin_dir):
        self.bin_dir = Path(bin_dir)
        self.folder = Path(tempfile.mkdtemp(prefix="handnet-postgres-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.password = secrets.token_hex(16)
        self.account = None
        try:
            if os.geteuid() == 0:
                self.account = f"hnpg{os.getpid() % 1000000}"
                subprocess.run(
                    [
                        "useradd",
                        "--system",
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        self.account,
                    ],
                    check=True,
                    capture_output=True,
                )
                owner = pwd.getpwnam(self.account)
                os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            os.chmod(self.folder, 0o700)
            (self.folder / "password").write_text(self.password + "\n")
            if self.account:
                os.chown(self.folder / "password", owner.pw_uid, owner.pw_gid)
            self._run(
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                USER,
                "--pwfile",
                str(self.folder / "password"),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
            )
            (self.folder / "password").unlink()
            self.port = _free_port()
            self.start()
        except BaseException:
            self.close()
            raise

    def _run(self, program, *args):
        command = [str(self.bin_dir / program), *args]
        if self.account:
            command = ["runuser", "-u", self.account, "--", *command]
        result = subprocess.run(
            command,
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        if result.returncode:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}\n{log}")
        return result.stdout

    def start(self):
        """Start the server (again, after ``stop``) on its port; waits until it answers."""
        self._run(
            "pg_ctl",
            "start",
            "--wait",
            "--pgdata",
            str(self.data),
            "--log",
            str(self.log),
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off",
        )

    def stop(self):
        """Stop the server at once (open connections are closed); ``start`` brings it back."""
        self._run("pg_ctl", "stop", "--wait", "--mode", "fast", "--pgdata", str(self.data))

    def url(self, database, password=True):
        """The SQLAlchemy URL of ``database`` on this server (with the password)."""
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name):
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self):
        """Stop the server if it runs, remove its folder and its account."""
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.account:
            subprocess.run(["userdel", self.account], capture_output=True)
