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
as not run. The kernel runs under the memory, CPU, file-size and process limits of
``limited.py`` (``prlimit``), inside the sandbox of ``sandbox.py`` where bubblewrap works.

Hidden checks are judged outside the kernel: a ``VerdictServer`` (``verdicts.py``) runs
them in this process while the kernel runs only the student's functions, and after each
test cell its points are set from the grader's verdicts, whatever the kernel showed: a
failed verdict becomes the cell's error, a check that never reported fails the cell, and
a value the cell returned (nbgrader would read it as partial credit) is dropped.

It records what happened in the notebook's metadata under ``handnet``: ``status``
("graded", "memory limit", "timeout" or "kernel died", the worst that happened), per-cell
``events``, ``integrity`` findings (the kernel disagreeing with the grader, protocol
breaches), the ``sandbox`` used, and the seconds taken.
"""

import atexit
import glob
import logging
import os
import re
import shutil
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, CaselessStrEnum, Integer, Unicode, default

from . import sandbox
from .limited import limits_command
from .verdicts import VISIBLE, VerdictServer

STATUS_ORDER = ("graded", "memory limit", "timeout", "kernel died")
_IPC_DIR = []
HIDDEN_CHECK = re.compile(r"from\s+handnet_ref\.checks\.(\w+)\s+import\s+(check_\w+)")
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*$", re.S | re.M)
SERVE_GRADER = "__import__('handnet.probe', fromlist=['probe']).serve_grader()"
_WARNED = []
SAMPLE_MISTAKES_ENV = "HANDNET_SAMPLE_MISTAKES"
# The grader's environment variables that a grading kernel gets (and LC_*).
KERNEL_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED",
                      "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                      "NUMEXPR_NUM_THREADS", "PYTHONDONTWRITEBYTECODE", "NBGRADER_EXECUTION")


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
    exchange_dir = Unicode("", help="Folder shared with the sandboxed kernel (its sockets, "
                           "the verdict socket); empty: a private folder per process")
    sandbox = Bool(True, help="Run the kernel in the bubblewrap sandbox where it works").tag(
        config=True)
    writable = Unicode("", help="The kernel's working folder, writable in the sandbox")
    kernel_uid = Integer(None, allow_none=True, help="The user id the sandboxed kernel runs "
                         "as when the grader is root (a KernelAccount's)")

    @default("ip")
    def _limited_ip_default(self):
        """For ipc, an absolute socket path prefix (the kernel runs in another folder)."""
        if self.transport == "ipc":
            return os.path.join(self.exchange_dir or _ipc_dir(),
                                f"kernel-{os.getpid()}-{id(self)}")
        return super()._ip_default()

    memory_mb = Integer(4096, help="Address-space limit of a grading kernel (MiB)").tag(config=True)
    cpu_seconds = Integer(1800, help="CPU-time limit of a grading kernel (s)").tag(config=True)
    file_mb = Integer(200, help="Largest file a grading kernel may write (MiB)").tag(config=True)
    processes = Integer(256, help="Processes and threads a sandboxed grading kernel may "
                        "run at once").tag(config=True)
    tmp_mb = Integer(256, help="Size of the sandboxed kernel's private /tmp (MiB)").tag(
        config=True)

    def sandboxed(self):
        return self.sandbox and bool(self.exchange_dir) and sandbox.sandbox_status()[0]

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        limits = dict(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds,
                      file_mb=self.file_mb)
        if not self.sandboxed():
            return limits_command(**limits) + cmd
        # the processes limit holds only for an unprivileged user (see sandbox.py)
        sandbox.give_to_sandbox(self.connection_file, uid=self.kernel_uid)
        writable = [self.writable or os.getcwd(), self.exchange_dir]
        # An interrupt is sent to the kernel's whole process group: bwrap must ignore it
        # (it would die, and take the kernel with it), the kernel must not.
        inside = limits_command(**limits, processes=self.processes, interrupts="default")
        return limits_command(interrupts="ignore") + sandbox.sandbox_command(
            inside + cmd, writable=writable, hidden=_instructor_folders(), tmp_mb=self.tmp_mb,
            uid=self.kernel_uid)


INSTRUCTOR_PACKAGES = ("handnet_ref", "handnet_grader")


def _package_folder(name):
    import importlib.util
    spec = importlib.util.find_spec(name)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def _instructor_folders():
    """The folders of the instructor-only packages, hidden from the kernel even where an
    installation puts them inside a folder the sandbox shows (site-packages)."""
    return [f for f in map(_package_folder, INSTRUCTOR_PACKAGES) if f]


_STUB = '''"""Stand-in for handnet_ref.checks.{topic} in a grading kernel: checks run in the grader."""
from handnet.probe import check_function


def __getattr__(name):
    if name.startswith("check_"):
        return check_function({topic!r}, name)
    raise AttributeError(name)
'''


def write_kernel_path(folder):
    """A stand-in ``handnet_ref`` package in ``folder``: ``handnet_ref.checks.<topic>``
    for every topic, whose ``check_*`` functions ask the grader (``handnet.probe``)."""
    from handnet_ref.checks import TOPICS
    package = os.path.join(folder, "handnet_ref")
    os.makedirs(os.path.join(package, "checks"))
    with open(os.path.join(package, "__init__.py"), "w") as f:
        f.write('"""Stand-in: the reference is not available in a grading kernel."""\n')
    with open(os.path.join(package, "checks", "__init__.py"), "w") as f:
        f.write('"""Stand-in: the hidden checks run in the grader."""\n')
    for module in TOPICS:
        topic = module.__name__.rsplit(".", 1)[-1]
        with open(os.path.join(package, "checks", f"{topic}.py"), "w") as f:
            f.write(_STUB.format(topic=topic))


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


def _error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """nbgrader's Execute, cell by cell, surviving timeouts and dead kernels."""

    submission_timeout = Integer(
        600, help="Seconds a whole submission may run; later cells are not run").tag(config=True)
    interrupt_grace = Integer(
        5, help="Seconds a kernel gets to stop after an interrupt before it is killed").tag(config=True)
    live_output_bytes = Integer(
        20_000_000, help="Output bytes a cell may send while it runs; the rest is dropped as "
        "it arrives, so a flood cannot fill the grader's memory (CapOutputSize then cuts "
        "what is kept to its own, smaller limits)").tag(config=True)

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
        record = {"status": "graded", "events": [], "integrity": [], "sandbox": ""}
        ran = []   # code cells executed so far, to replay after a restart
        self._live_bytes, self._live_dropped = {}, {}
        workdir = (self.resources.get("metadata") or {}).get("path") or os.getcwd()
        self._exchange = tempfile.mkdtemp(prefix="handnet-grading-")
        self._workdir = os.path.abspath(workdir)
        self._server = VerdictServer(self._exchange)
        submitted = _paths_under(self._workdir)
        self._account = sandbox.KernelAccount().lease()
        try:
            self._prepare_exchange()
            sandbox.give_to_sandbox(self._exchange, self._workdir, uid=self._account.uid)
            self._start_kernel()
            record["sandbox"] = self._sandbox_label()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                if time.monotonic() - started > self.submission_timeout:
                    cell.outputs = [_error_output(
                        "SubmissionTimeLimit", f"not run: the submission's time limit of "
                        f"{self.submission_timeout} s was reached")]
                    self._note(record, "timeout", index, "not run (submission time limit)")
                    continue
                self._server.cell = index
                event = self._run_cell(cell, index)
                if event is None and self._is_test_cell(cell):
                    event = self._visible_tests_in_grader(cell, index)
                self._server.cell = None
                if event is not None:
                    status, message = event
                    self._note(record, status, index, message)
                    cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
                    cell.outputs.append(_error_output(
                        "CellTimeoutError" if status == "timeout" else "DeadKernelError", message))
                self._apply_verdicts(cell, index, record)
                if self._live_dropped.get(index):
                    self._note(record, "graded", index, f"output cut while the cell ran: "
                               f"{self._live_dropped[index]:,} bytes dropped")
                if event is None:
                    ran.append(cell)
                    if any(o.get("ename") == "MemoryError" for o in cell.outputs):
                        self._note(record, "memory limit", index,
                                   "MemoryError: the cell reached the kernel's memory limit")
                    continue
                self._restart_and_replay(ran)
        finally:
            # each step on its own: one that fails must not leave the others undone
            # (a kernel left running, the exchange folder left in the temporary folder)
            for step in (self._cleanup_kernel, self._server.close,
                         lambda: sandbox.take_back(self._exchange, self._workdir),
                         self._account.release,
                         lambda: shutil.rmtree(self._exchange, ignore_errors=True),
                         lambda: _remove_new_paths(self._workdir, submitted)):
                try:
                    step()
                except Exception:
                    logging.getLogger("handnet").exception("cleaning up after grading failed")
        record["seconds"] = round(time.monotonic() - started, 3)
        nb.metadata["handnet"] = record
        return nb, self.resources

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handling, with a running count of each cell's output bytes
        (stream text and display data): past ``live_output_bytes`` stream text is cut and
        other output dropped as it arrives."""
        content = msg.get("content") or {}
        size = len(content.get("text") or "") + sum(
            len(str(v)) for v in (content.get("data") or {}).values())
        left = self.live_output_bytes - self._live_bytes.get(cell_index, 0)
        if size > left:
            self._live_dropped[cell_index] = self._live_dropped.get(cell_index, 0) + \
                size - max(left, 0)
            self._live_bytes[cell_index] = self.live_output_bytes
            if msg.get("msg_type") != "stream" or left <= 0:
                return None
            msg = dict(msg, content=dict(content, text=content["text"][:left]))
        else:
            self._live_bytes[cell_index] = self._live_bytes.get(cell_index, 0) + size
        return super().output(outs, msg, display_id, cell_index)

    def _sandbox_label(self):
        """What the kernel runs in, for the record; a loud warning, once per process,
        when that is no sandbox."""
        ok, detail = sandbox.sandbox_status()
        if isinstance(self.km, LimitedKernelManager) and self.km.sandboxed():
            return detail + (" (each kernel runs as a user id of its own)"
                             if self._account.uid is not None else "")
        if ok:
            detail = "the sandbox is switched off in the configuration"
        if not _WARNED:
            _WARNED.append(True)
            logging.getLogger("handnet").warning(
                "GRADING WITHOUT A SANDBOX: %s. Student code can read the course folder "
                "and use the network; resource limits and verdicts outside the kernel "
                "still apply.", detail)
        return f"none: {detail}"

    def _prepare_exchange(self):
        """The exchange folder: the stand-in handnet_ref package, and a copy of the
        grader's matplotlib font cache (a fresh one would be rebuilt, with a message on
        stderr, in whichever cell first imports matplotlib)."""
        write_kernel_path(os.path.join(self._exchange, "kernel_path"))
        if os.environ.get(SAMPLE_MISTAKES_ENV) == "1":
            # the sample class's mistake submissions import the catalogue's variants;
            # for tests and the demo only: it shows the reference to every kernel
            shutil.copytree(_package_folder("handnet_ref"),
                            os.path.join(self._exchange, "kernel_path", "handnet_mistakes"),
                            ignore=shutil.ignore_patterns("__pycache__"))
        mpl = os.path.join(self._exchange, "matplotlib")
        os.makedirs(mpl)
        try:
            import matplotlib
            for path in glob.glob(os.path.join(matplotlib.get_cachedir(), "fontlist-*.json")):
                shutil.copy(path, mpl)
        except Exception:
            pass
        os.chmod(self._server.path, 0o777)

    def _kernel_env(self):
        """The kernel's environment: what Python, NumPy and the notebooks need, never
        the grader's own settings (check seeds, paths, tokens)."""
        env = {k: v for k, v in os.environ.items()
               if k in KERNEL_ENVIRONMENT or k.startswith("LC_")}
        env["HANDNET_VERDICT_SOCKET"] = self._server.path
        env["PYTHONPATH"] = os.path.join(self._exchange, "kernel_path")
        env["MPLCONFIGDIR"] = os.path.join(self._exchange, "matplotlib")
        return env

    @staticmethod
    def _is_test_cell(cell):
        return bool(cell.metadata.get("nbgrader", {}).get("grade", False))

    @staticmethod
    def visible_code(cell):
        """A test cell's code without its hidden region (None if nothing is left)."""
        code = HIDDEN_REGION.sub("", cell.source)
        lines = [l for l in code.splitlines() if l.strip() and not l.strip().startswith("#")]
        return code if lines else None

    def _visible_tests_in_grader(self, cell, index):
        """Have the grader run the cell's visible tests itself (``visible_tests.run_visible``)
        while the kernel answers for the student's names; skipped when the kernel already
        failed the cell, which then scores 0 anyway. Returns an event if the kernel timed
        out or died meanwhile (the caller restarts it)."""
        code = self.visible_code(cell)
        if code is None or any(o.get("output_type") == "error" for o in cell.outputs):
            return None
        self._server.sessions[index] = code
        try:
            msg_id = self.kc.execute(SERVE_GRADER, silent=True, store_history=False,
                                     allow_stdin=False)
            self.wait_for_reply(msg_id)
        except DeadKernelError:
            return "kernel died", ("the kernel died while the grader ran this cell's visible "
                                   "tests")
        except (CellTimeoutError, TimeoutError):
            return "timeout", (f"this cell's visible tests, run by the grader, took longer "
                               f"than {self.timeout} s")
        finally:
            self._server.sessions.pop(index, None)
        return None

    def _apply_verdicts(self, cell, index, record):
        """The cell's points from the grader's verdicts (see the module docstring)."""
        verdicts, incidents = self._server.take(index)
        for incident in incidents:
            record["integrity"].append({"cell": index, "message": incident["message"]})
        expected = HIDDEN_CHECK.findall(cell.source)
        kernel_error = any(o.get("output_type") == "error" for o in cell.outputs)
        if self._is_test_cell(cell) and not kernel_error and self.visible_code(cell):
            expected.append(("", VISIBLE))
        if not self._is_test_cell(cell) or not expected:
            if verdicts:
                record["integrity"].append({"cell": index, "message": (
                    f"{len(verdicts)} hidden check(s) were run from a cell that is not a "
                    "test cell")})
            return
        if any(o.get("output_type") == "execute_result" for o in cell.outputs):
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "execute_result"]
            record["integrity"].append({"cell": index, "message": (
                "the test cell returned a value (nbgrader would have read it as partial "
                "credit); it was dropped")})
        failures, left = [], list(verdicts)
        for topic, name in expected:
            match = next((v for v in left if (v["topic"], v["name"]) == (topic, name)), None)
            if match is None:
                failures.append("the grader could not run this cell's visible tests"
                                if name == VISIBLE
                                else f"the hidden check {name} did not report to the grader")
                continue
            left.remove(match)
            if not match["passed"]:
                failures.append(match["message"])
        if left:
            record["integrity"].append({"cell": index, "message": (
                f"{len(left)} extra hidden check(s) were asked for during this cell: "
                + ", ".join(v["name"] for v in left))})
        if not failures:
            return
        if not kernel_error:
            # (when the kernel failed the cell too, a check that never reported is no
            # evidence: an unfinished notebook stops at a NameError before the check)
            record["integrity"].append({"cell": index, "message": (
                "the kernel showed this test cell passing, but the grader's check failed: "
                + failures[0][:300])})
        keep = [o for o in cell.outputs if o.get("output_type") != "error"
                or o.get("ename") in ("DeadKernelError", "CellTimeoutError")]
        cell.outputs = keep + [_error_output("CheckFailed", failures[0])]

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
                        self._exchange, f"kernel-{id(self.km)}.json")
                self.start_new_kernel(env=self._kernel_env())
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
        self._server.cell = None    # checks replayed here are not verdicts of any cell
        for cell in ran:
            try:
                msg_id = self.kc.execute(cell.source, silent=True, store_history=False,
                                         allow_stdin=False)
                self.wait_for_reply(msg_id)
            except (CellTimeoutError, DeadKernelError, TimeoutError):
                self._cleanup_kernel()
                self._start_kernel()
