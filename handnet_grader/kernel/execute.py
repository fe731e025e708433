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
as not run.

The cell loop is this module's job; the others it relies on each have a module:
``kernel_manager.py`` starts the kernel (limits, sandbox, Unix sockets, environment),
``stand_ins.py`` writes what the kernel imports in place of ``handnet_ref``,
``output_caps.LiveOutputCap`` caps a cell's output as it arrives, a ``VerdictServer``
(``verdicts.py``) runs the hidden checks and the visible tests in this process (the
visible tests after the given cells' definitions, read from the source notebook by
``given_definitions.py``), and ``verdict_matching.py`` sets each test cell's outcome from
those verdicts.

It records what happened in the notebook's metadata under ``handnet``: ``status``
("graded", "memory limit", "timeout" or "kernel died", the worst that happened), per-cell
``events``, ``integrity`` findings (the kernel disagreeing with the grader, protocol
breaches, a source notebook that could not be read), the ``sandbox`` used, and the
seconds taken.
"""

import logging
import os
import shutil
import tempfile
import time

from jupyter_client.manager import KernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from traitlets import Integer

from ..notebook.cells import error_message, error_output, is_test_cell, visible_code
from ..trust.cell_scores import apply_verdicts
from ..trust.given_definitions import given_code_for
from ..trust.stand_ins import prepare_exchange
from ..trust.verdicts import VerdictServer
from ..trust.visible_tests import VisibleTests
from . import sandbox
from .manager import LimitedKernelManager, kernel_environment
from .output_caps import LiveOutputCap

STATUS_ORDER = ("graded", "memory limit", "timeout", "kernel died")
SERVE_GRADER = "__import__('handnet.probe', fromlist=['probe']).serve_grader()"
_WARNED = []


def _paths_under(folder):
    """Every file and folder under ``folder``, as paths relative to it."""
    found = set()
    for root, dirs, files in os.walk(folder):
        found.update(os.path.relpath(os.path.join(root, name), folder) for name in dirs + files)
    return found


def _remove_new_paths(folder, before):
    """Remove what the kernel wrote into the graded folder (a saved network, a 200 MB
    file): the graded folder keeps the submission, and feedback is made from it."""
    for path in sorted(_paths_under(folder) - before, key=len):
        full = os.path.join(folder, path)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, ignore_errors=True)
        elif os.path.lexists(full):
            os.unlink(full)


def note(record: dict, status: str, index: int, message: str) -> None:
    """Add an event to ``record``; its status becomes the worst seen (STATUS_ORDER)."""
    record["events"].append({"cell": index, "status": status, "message": message})
    if STATUS_ORDER.index(status) > STATUS_ORDER.index(record["status"]):
        record["status"] = status


class GuardedExecute(LiveOutputCap):
    """nbgrader's Execute, cell by cell, surviving timeouts and dead kernels."""

    submission_timeout = Integer(
        600, help="Seconds a whole submission may run; later cells are not run"
    ).tag(config=True)
    interrupt_grace = Integer(
        5, help="Seconds a kernel gets to stop after an interrupt before it is killed"
    ).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", LimitedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(
        self, nb: NotebookNode, resources: dict | None = None, km: KernelManager | None = None
    ) -> tuple[NotebookNode, dict]:
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self.iopub_timeout = self.interrupt_grace
        started = time.monotonic()
        record = {"status": "graded", "events": [], "integrity": [], "sandbox": ""}
        self._given, problem = given_code_for(self.config, self.resources)
        if problem:
            record["integrity"].append({"cell": None, "message": problem})
        ran = []  # code cells executed so far, to replay after a restart
        self.reset_live_output()
        workdir = (self.resources.get("metadata") or {}).get("path") or os.getcwd()
        self._exchange = tempfile.mkdtemp(prefix="handnet-grading-")
        self._workdir = os.path.abspath(workdir)
        self._server = VerdictServer(self._exchange)
        submitted = _paths_under(self._workdir)
        self._account = sandbox.KernelAccount().lease()
        try:
            prepare_exchange(self._exchange)
            os.chmod(self._server.path, 0o777)
            sandbox.give_to_sandbox(self._exchange, self._workdir, uid=self._account.uid)
            self._start_kernel()
            record["sandbox"] = self._sandbox_label()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() - started > self.submission_timeout:
                    cell.outputs = [
                        error_output(
                            "SubmissionTimeLimit",
                            f"not run: the submission's time limit of "
                            f"{self.submission_timeout} s was reached",
                        )
                    ]
                    note(record, "timeout", index, "not run (submission time limit)")
                    continue
                self._server.cell = index
                event = self._run_cell(cell, index)
                if event is None and is_test_cell(cell):
                    event = self._visible_tests_in_grader(cell, index)
                self._server.cell = None
                if event is not None:
                    status, message = event
                    note(record, status, index, message)
                    cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
                    cell.outputs.append(
                        error_output(
                            "CellTimeoutError" if status == "timeout" else "DeadKernelError",
                            message,
                        )
                    )
                apply_verdicts(cell, index, *self._server.take(index), record["integrity"])
                if self.live_output_dropped(index):
                    note(
                        record,
                        "graded",
                        index,
                        f"output cut while the cell ran: "
                        f"{self.live_output_dropped(index):,} bytes dropped",
                    )
                if event is None:
                    ran.append(cell)
                    if any(o.get("ename") == "MemoryError" for o in cell.outputs):
                        note(
                            record,
                            "memory limit",
                            index,
                            "MemoryError: the cell reached the kernel's memory limit",
                        )
                    continue
                self._restart_and_replay(ran)
        finally:
            # each step on its own: one that fails must not leave the others undone
            # (a kernel left running, the exchange folder left in the temporary folder)
            for step in (
                self._cleanup_kernel,
                self._server.close,
                lambda: sandbox.take_back(self._exchange, self._workdir),
                self._account.release,
                lambda: shutil.rmtree(self._exchange, ignore_errors=True),
                lambda: _remove_new_paths(self._workdir, submitted),
            ):
                try:
                    step()
                except Exception:
                    logging.getLogger("handnet").exception("cleaning up after grading failed")
        record["seconds"] = round(time.monotonic() - started, 3)
        nb.metadata["handnet"] = record
        return nb, self.resources

    def _sandbox_label(self):
        """What the kernel runs in, for the record; a loud warning, once per process,
        when that is no sandbox."""
        ok, detail = sandbox.sandbox_status()
        if isinstance(self.km, LimitedKernelManager) and self.km.sandboxed():
            return detail + (
                " (each kernel runs as a user id of its own)"
                if self._account.uid is not None
                else ""
            )
        if ok:
            detail = "the sandbox is switched off in the configuration"
        if not _WARNED:
            _WARNED.append(True)
            logging.getLogger("handnet").warning(
                "GRADING WITHOUT A SANDBOX: %s. Student code can read the course folder "
                "and use the network; resource limits and verdicts outside the kernel "
                "still apply.",
                detail,
            )
        return f"none: {detail}"

    def _visible_tests_in_grader(self, cell, index):
        """Have the grader run the cell's visible tests itself (``visible_tests.run_visible``)
        after the given cells' definitions, while the kernel answers for the student's
        names; skipped when the kernel already failed the cell, which then scores 0
        anyway. Returns an event if the kernel timed out or died meanwhile (the caller
        restarts it)."""
        code = visible_code(cell)
        if code is None or error_message(cell) is not None:
            return None
        self._server.sessions[index] = VisibleTests(code, self._given)
        try:
            msg_id = self.kc.execute(
                SERVE_GRADER, silent=True, store_history=False, allow_stdin=False
            )
            self.wait_for_reply(msg_id)
        except DeadKernelError:
            return "kernel died", ("the kernel died while the grader ran this cell's visible tests")
        except (CellTimeoutError, TimeoutError):
            return "timeout", (
                f"this cell's visible tests, run by the grader, took longer than {self.timeout} s"
            )
        finally:
            self._server.sessions.pop(index, None)
        return None

    def _start_kernel(self, attempts=3):
        """A new kernel and client; a failed start is retried (a busy machine can miss
        the start-up timeout) before the error is let through."""
        for attempt in range(attempts):
            try:
                self.km = self.create_kernel_manager()
                if isinstance(self.km, LimitedKernelManager):
                    self.km.exchange_dir, self.km.writable = self._exchange, self._workdir
                    self.km.kernel_uid = self._account.uid
                    self.km.connection_file = os.path.join(
                        self._exchange, f"kernel-{id(self.km)}.json"
                    )
                self.start_new_kernel(env=kernel_environment(self._exchange, self._server.path))
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
            return "kernel died", (
                "the kernel died while running this cell (a crash, "
                "os._exit, or the memory or CPU limit)"
            )
        except CellTimeoutError:
            return "timeout", (
                f"this cell ran longer than {self.timeout} s and did not stop when interrupted"
            )
        if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
            return "timeout", f"this cell ran longer than {self.timeout} s and was interrupted"
        return None

    def _restart_and_replay(self, ran):
        """A fresh kernel in which the earlier code cells are run again, silently (no
        outputs recorded), so that the student's definitions exist for the next cells."""
        self._cleanup_kernel()
        self._start_kernel()
        self._server.cell = None  # checks replayed here are not verdicts of any cell
        for cell in ran:
            try:
                msg_id = self.kc.execute(
                    cell.source, silent=True, store_history=False, allow_stdin=False
                )
                self.wait_for_reply(msg_id)
            except (CellTimeoutError, DeadKernelError, TimeoutError):
                self._cleanup_kernel()
                self._start_kernel()
