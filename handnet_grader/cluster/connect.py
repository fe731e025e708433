"""Reaching a Dask scheduler, and making sure its workers grade as this machine does:
the same code of CODE_PACKAGES and the same versions of VERSIONED (``code_fingerprint``),
so that a class graded on the cluster gets the scores it would get here.
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

WORKERS_SECONDS = 60  # for a first worker, or for one again when all are gone
CODE_PACKAGES = ("handnet", "handnet_grader", "handnet_ref")
VERSIONED = ("nbgrader", "numpy", "distributed")


class ClusterError(Exception):
    """The cluster cannot grade: its scheduler cannot be reached, it has no workers, or
    its workers would grade with other code than this machine. Nothing was graded."""


def code_fingerprint() -> str:
    """SHA-256 of the Python files of CODE_PACKAGES and the versions of VERSIONED: two
    machines with the same fingerprint grade alike."""
    import hashlib
    import importlib.metadata
    import importlib.util

    digest = hashlib.sha256()
    for package in CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        folder = Path(spec.origin).parent
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in VERSIONED:
        digest.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
    return digest.hexdigest()


def connect_seconds() -> float:
    """How long to try to reach the scheduler: Dask's ``distributed.comm.timeouts.connect``
    (30 s; e.g. DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s)."""
    import dask
    from dask.utils import parse_timedelta

    return parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="s")


def connect(
    address: str, timeout: float | None = None, workers_timeout: float = WORKERS_SECONDS
) -> "Client":
    """A Dask Client on the scheduler at ``address`` with at least one worker, every
    worker running this machine's grading code; ClusterError, saying what to do, if not.
    ``timeout``: seconds to reach the scheduler (default: ``connect_seconds()``)."""
    from distributed import Client

    timeout = connect_seconds() if timeout is None else timeout
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} within "
            f"{timeout:g} s ({type(e).__name__}: {e}); nothing was graded. "
            f"Is `dask scheduler` running there, and is the port open?"
        ) from None
    try:
        try:
            client.wait_for_workers(1, timeout=workers_timeout)
        except TimeoutError:
            raise ClusterError(
                f"the Dask scheduler at {address} has no workers (waited "
                f"{workers_timeout:g} s): start some with `dask worker "
                f"{address} --nthreads 1 --preload handnet_grader.cluster.preload`; "
                "nothing was graded"
            ) from None
        mine = code_fingerprint()
        theirs = client.run(code_fingerprint, on_error="return")
        different = {w: f for w, f in theirs.items() if f != mine}
        if different:
            other = f"other code ({', '.join(CODE_PACKAGES)}) or versions ({', '.join(VERSIONED)})"
            why = "; ".join(
                f"{w}: {f!r}" if isinstance(f, Exception) else f"{w}: {other}"
                for w, f in sorted(different.items())
            )
            raise ClusterError(
                f"workers that cannot grade as this machine does ({why}): "
                "install the same instructor environment there; "
                "nothing was graded"
            )
    except BaseException:
        client.close()
        raise
    return client
