"""Execute a submission so that one bad cell cannot cost the rest.

nbgrader's ``Execute`` gives up on a submission whose kernel dies or ignores an
interrupt: the autograded notebook is deleted and every point is lost. ``GuardedExecute``
runs the cells one by one instead and, when a cell

- raises: records the error (the cell scores 0, as in nbgrader) and goes on;
- runs past ``timeout`` seconds: interrupts it; if the kernel does not respond within
  ``interrupt_grace`` seconds, kills it;
- kills the kernel (``os._exit``, a crash, the memory or CPU limit),

marks that cell with an error saying what happened, starts a fresh kernel, replays the
code cells that ran before (so the student's functions exist again), and goes on with
the next cell. Past ``submission_timeout`` seconds in all, the remaining cells are marked
as not run. The kernel runs under the memory, CPU and file-size limits of
``limited.py``.

It records what happened in the notebook's metadata under ``handnet``: ``status``
("graded", "memory limit", "timeout" or "kernel died", the worst that happened), per-cell
``events``, and the seconds taken.
"""

import atexit
import os
import shutil
import sys
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import CaselessStrEnum, Integer, default

STATUS_ORDER = ("graded", "memory limit", "timeout", "kernel died")
_IPC_DIR = []


def _ipc_dir():
    """One private folder per grading process for the kernels' socket files."""
    if not _IPC_DIR:
        _IPC_DIR.append(tempfile.mkdtemp(prefix="handnet-kernels-"))
        atexit.register(shutil.rmtree, _IPC_DIR[0], True)
    return _IPC_DIR[0]


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start under resource limits and talk over Unix
    sockets: with TCP, kernels started at once by parallel graders can race for the same
    free port ("Address already in use") and a submission is lost."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True,
                                help="How the grader talks to the kernel")

    @default("ip")
    def _limited_ip_default(self):
        """For ipc, an absolute socket path prefix (the kernel runs in another folder)."""
        if self.transport == "ipc":
            return os.path.join(_ipc_dir(), f"kernel-{os.getpid()}-{id(self)}")
        return super()._ip_default()

    memory_mb = Integer(4096, help="Address-space limit of a grading kernel (MiB)").tag(config=True)
    cpu_seconds = Integer(1800, help="CPU-time limit of a grading kernel (s)").tag(config=True)
    file_mb = Integer(200, help="Largest file a grading kernel may write (MiB)").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        limits = [sys.executable, "-m", "handnet.course.limited",
                  f"--memory-mb={self.memory_mb}", f"--cpu-seconds={self.cpu_seconds}",
                  f"--file-mb={self.file_mb}", "--"]
        return limits + cmd


def _error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, cell by cell, surviving timeouts and dead kernels."""

    submission_timeout = Integer(
        600, help="Seconds a whole submission may run; later cells are not run").tag(config=True)
    interrupt_grace = Integer(
        5, help="Seconds a kernel gets to stop after an interrupt before it is killed").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", LimitedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.iopub_timeout = self.interrupt_grace
        started = time.monotonic()
        record = {"status": "graded", "events": []}
        ran = []   # code cells executed so far, to replay after a restart
        self._start_kernel()
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() - started > self.submission_timeout:
                    cell.outputs = [_error_output(
                        "SubmissionTimeLimit", f"not run: the submission's time limit of "
                        f"{self.submission_timeout} s was reached")]
                    self._note(record, "timeout", index, "not run (submission time limit)")
                    continue
                event = self._run_cell(cell, index)
                if event is None:
                    ran.append(cell)
                    if any(o.get("ename") == "MemoryError" for o in cell.outputs):
                        self._note(record, "memory limit", index,
                                   "MemoryError: the cell reached the kernel's memory limit")
                    continue
                status, message = event
                self._note(record, status, index, message)
                cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
                cell.outputs.append(_error_output(
                    "CellTimeoutError" if status == "timeout" else "DeadKernelError", message))
                self._restart_and_replay(ran)
        finally:
            self._cleanup_kernel()
        record["seconds"] = round(time.monotonic() - started, 3)
        nb.metadata["handnet"] = record
        return nb, self.resources

    def _start_kernel(self, attempts=3):
        """A new kernel and client; a failed start is retried (a busy machine can miss
        the start-up timeout) before the error is let through."""
        for attempt in range(attempts):
            try:
                self.km = self.create_kernel_manager()
                self.start_new_kernel()
                self.start_new_kernel_client()
                return
            except Exception:
                self._cleanup_kernel()
                if attempt == attempts - 1:
                    raise

    def _run_cell(self, cell, index):
        """None if the cell ran (with or without an exception); else (status, message)."""
        try:
            self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            return "kernel died", ("the kernel died while running this cell (a crash, "
                                   "os._exit, or the memory or CPU limit)")
        except CellTimeoutError:
            return "timeout", (f"this cell ran longer than {self.timeout} s and did not stop "
                               "when interrupted")
        if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
            return "timeout", f"this cell ran longer than {self.timeout} s and was interrupted"
        return None

    def _note(self, record, status, index, message):
        record["events"].append({"cell": index, "status": status, "message": message})
        if STATUS_ORDER.index(status) > STATUS_ORDER.index(record["status"]):
            record["status"] = status

    def _restart_and_replay(self, ran):
        """A fresh kernel in which the earlier code cells are run again, silently (no
        outputs recorded), so that the student's definitions exist for the next cells."""
        self._cleanup_kernel()
        self._start_kernel()
        for cell in ran:
            try:
                msg_id = self.kc.execute(cell.source, silent=True, store_history=False,
                                         allow_stdin=False)
                self.wait_for_reply(msg_id)
            except (CellTimeoutError, DeadKernelError, TimeoutError):
                self._cleanup_kernel()
                self._start_kernel()
