"""A Dask worker preload for test_dask_grading.py (``--preload dask_poison``): a worker
that starts grading a submission of the student named ``poison`` is killed (SIGKILL) a
moment later, mid-grading, as a submission that crashes its grading process would kill
it. Test-only: production code has no such hook."""

import os
import signal
import threading

from distributed import WorkerPlugin

STUDENT = "poison"
DELAY = 2.0  # seconds: the kernel has started by then


class KillOnPoison(WorkerPlugin):
    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and f"-{STUDENT}-" in str(key):
            threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGKILL)).start()


async def dask_setup(worker):
    await worker.plugin_add(KillOnPoison(), name="kill-on-poison")
