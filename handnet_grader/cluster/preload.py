"""What a Dask scheduler or worker of a grading cluster loads at start
(``--preload handnet_grader.cluster.preload``)."""

from typing import TYPE_CHECKING

from ..run.autograde import ATTEMPTS

if TYPE_CHECKING:
    from distributed import Scheduler, Worker


def dask_setup(server: "Scheduler | Worker") -> None:
    """``--preload handnet_grader.cluster.preload`` for the scheduler (a submission's task is
    given up after ATTEMPTS dead workers, not Dask's default of four) and for workers
    (the grading folders of killed workers on this machine are swept at start)."""
    from distributed import Scheduler

    from ..run import scratch_folders as scratch

    if isinstance(server, Scheduler):
        server.allowed_failures = ATTEMPTS - 1
    else:
        scratch.sweep()
