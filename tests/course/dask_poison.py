"""A Dask worker preload for test_dask_grading.py (``--preload dask_poison``): a worker
that starts grading a submission of the student named ``poison`` is killed (SIGKILL) at
once, as a submission that crashes its grading process would kill it. At once, not a
moment later: on a quiet machine a delayed kill could come after the task had finished,
and the poison would be graded (seen: 100/100 after a 2-second delay). Test-only:
production code has no such hook."""

import os
import signal

from distributed import WorkerPlugin

STUDENT = "poison"


class KillOnPoison(WorkerPlugin):
    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and f"-{STUDENT}-" in str(key):
            os.kill(os.getpid(), signal.SIGKILL)


async def dask_setup(worker):
    await worker.plugin_add(KillOnPoison(), name="kill-on-poison")
