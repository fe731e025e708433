"""JupyterLab servers for the browser tests: started as a subprocess of a given
environment on a free local port with a random token, and stopped with their kernels."""

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]  # tests/browser/ -> the repository
START_TIMEOUT = 120  # seconds; a loaded machine starts JupyterLab slowly
STOP_TIMEOUT = 30


@dataclass
class JupyterServer:
    """A running JupyterLab server: its process, address, token, root folder and log."""

    process: subprocess.Popen
    url: str
    token: str
    root: Path
    log: Path

    def address(self, path):
        """The URL of ``path`` (``/lab``, ``/formgrader/api/...``) with the token."""
        return f"{self.url}{path}?token={self.token}"


def path_without_venvs(path=None):
    """PATH (default: this process's) without the repository's virtual environments'
    ``bin`` folders, as in a shell where neither was activated."""
    venv_bins = {(REPO / venv / "bin").resolve() for venv in (".venv", ".venv-student")}
    folders = (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and Path(f).resolve() not in venv_bins)


def make_home(home):
    """Create ``home`` for a server's account, with JupyterLab's news question answered
    "No" (what clicking No stores), so that its toast never covers the bottom right of
    the page or closes an open menu when it pops up."""
    settings = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}\n')
    return home


def clean_env(home, path):
    """This process's environment without PYTHON* and JUPYTER* settings, with HOME (so no
    settings, workspaces or kernels of this account count) and PATH given."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "JUPYTER"))
    }
    env.update(HOME=str(home), PATH=path)
    return env


def missing(message):
    """A browser test's tool is missing: skip, saying ``message``, or fail where
    HANDNET_REQUIRE_BROWSER=1 (CI) requires every browser test to run."""
    if os.environ.get("HANDNET_REQUIRE_BROWSER") == "1":
        pytest.fail(message + "; HANDNET_REQUIRE_BROWSER=1 requires it")
    pytest.skip(message)


def free_port():
    """A TCP port on 127.0.0.1 that no process listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def responds(url):
    """Whether ``url`` answers 200 (within 5 s)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def start_lab(jupyter, root, cwd, env, log):
    """Start ``jupyter lab`` (``jupyter``: a venv's bin/jupyter) serving ``root`` from
    ``cwd`` in ``env``, its output going to the file ``log``; wait until it answers."""
    port, token = free_port(), secrets.token_hex(24)
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = JupyterServer(process, f"http://127.0.0.1:{port}", token, Path(root), Path(log))
    deadline = time.monotonic() + START_TIMEOUT
    while not responds(server.address("/api/status")):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_lab(server)
            pytest.fail(
                f"JupyterLab ({jupyter}) did not answer within {START_TIMEOUT} s; "
                f"its log, {log}:\n" + Path(log).read_text(errors="replace")[-4000:]
            )
        time.sleep(0.5)
    return server


def stop_lab(server):
    """Stop the server (it shuts its kernels down); kill its process group if it hangs."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(server.process.pid, signal.SIGKILL)  # any kernel left behind
    except ProcessLookupError:
        pass
    server.process.wait()
