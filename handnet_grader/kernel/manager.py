"""How a grading kernel is started: under resource limits, in the sandbox, over Unix
sockets, with an environment of its own.

``LimitedKernelManager`` starts the kernel under the memory, CPU, file-size and process
limits of ``limited.py`` (``prlimit``), inside the bubblewrap sandbox of ``sandbox.py``
where it works (the instructor-only packages hidden, as the leased user id when the
grader is root), talking over Unix sockets; what a kernel leaves behind ends with it
(``orphans``). ``kernel_environment`` is the allow-list of the grader's
environment variables that the kernel gets.
"""

import atexit
import importlib.util
import os
import shutil
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, CaselessStrEnum, Integer, Unicode, default

from . import orphans, sandbox
from .limits import limits_command

INSTRUCTOR_PACKAGES = ("handnet_ref", "handnet_grader")
# The grader's environment variables that a grading kernel gets (and LC_*).
KERNEL_ENVIRONMENT = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "PYTHONHASHSEED",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "PYTHONDONTWRITEBYTECODE",
    "NBGRADER_EXECUTION",
)
_IPC_DIR = []


def _ipc_dir():
    """One private folder per grading process for the kernels' socket files."""
    if not _IPC_DIR:
        _IPC_DIR.append(tempfile.mkdtemp(prefix="handnet-kernels-"))
        atexit.register(shutil.rmtree, _IPC_DIR[0], True)
    return _IPC_DIR[0]


def package_folder(name: str) -> str | None:
    """The folder of the installed package ``name``, or None."""
    spec = importlib.util.find_spec(name)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def instructor_folders() -> list[str]:
    """The folders of the instructor-only packages, hidden from the kernel even where an
    installation puts them inside a folder the sandbox shows (site-packages)."""
    return [f for f in map(package_folder, INSTRUCTOR_PACKAGES) if f]


def kernel_environment(exchange: str, verdict_socket: str) -> dict[str, str]:
    """The kernel's environment: what Python, NumPy and the notebooks need, never the
    grader's own settings (check seeds, paths, tokens); it imports the stand-ins of
    ``exchange``/kernel_path and asks for verdicts on ``verdict_socket``."""
    env = {k: v for k, v in os.environ.items() if k in KERNEL_ENVIRONMENT or k.startswith("LC_")}
    env["HANDNET_VERDICT_SOCKET"] = verdict_socket
    env["PYTHONPATH"] = os.path.join(exchange, "kernel_path")
    env["MPLCONFIGDIR"] = os.path.join(exchange, "matplotlib")
    return env


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start under resource limits and talk over Unix
    sockets: with TCP, kernels started at once by parallel graders can race for the same
    free port ("Address already in use") and a submission is lost."""

    transport = CaselessStrEnum(
        ["tcp", "ipc"], default_value="ipc", config=True, help="How the grader talks to the kernel"
    )
    exchange_dir = Unicode(
        "",
        help="Folder shared with the sandboxed kernel (its sockets, "
        "the verdict socket); empty: a private folder per process",
    )
    sandbox = Bool(True, help="Run the kernel in the bubblewrap sandbox where it works").tag(
        config=True
    )
    writable = Unicode("", help="The kernel's working folder, writable in the sandbox")
    kernel_uid = Integer(
        None,
        allow_none=True,
        help="The user id the sandboxed kernel runs as when the grader is root (a KernelAccount's)",
    )

    @default("ip")
    def _limited_ip_default(self):
        """For ipc, an absolute socket path prefix (the kernel runs in another folder)."""
        if self.transport == "ipc":
            return os.path.join(self.exchange_dir or _ipc_dir(), f"kernel-{os.getpid()}-{id(self)}")
        return super()._ip_default()

    memory_mb = Integer(4096, help="Address-space limit of a grading kernel (MiB)").tag(config=True)
    cpu_seconds = Integer(1800, help="CPU-time limit of a grading kernel (s)").tag(config=True)
    file_mb = Integer(200, help="Largest file a grading kernel may write (MiB)").tag(config=True)
    processes = Integer(
        256, help="Processes and threads a sandboxed grading kernel may run at once"
    ).tag(config=True)
    tmp_mb = Integer(256, help="Size of the sandboxed kernel's private /tmp (MiB)").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: object) -> None:
        # what the kernel leaves (bubblewrap's init; what outlives a killed kernel) comes
        # back to this process, which ends it at cleanup (orphans)
        orphans.adopt_orphans()
        self._children_before = orphans.children()
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        orphans.end_adopted(getattr(self, "_children_before", orphans.children()))

    # nbclient calls the public name when the kernel is already dead (AsyncKernelManager
    # binds it to KernelManager's function, not to this override)
    cleanup_resources = _async_cleanup_resources

    def sandboxed(self) -> bool:
        return self.sandbox and bool(self.exchange_dir) and sandbox.sandbox_status()[0]

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        limits = dict(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds, file_mb=self.file_mb)
        if not self.sandboxed():
            return limits_command(**limits) + cmd
        # the processes limit holds only for an unprivileged user (see sandbox.py)
        sandbox.give_to_sandbox(self.connection_file, uid=self.kernel_uid)
        writable = [self.writable or os.getcwd(), self.exchange_dir]
        # An interrupt is sent to the kernel's whole process group: bwrap must ignore it
        # (it would die, and take the kernel with it), the kernel must not.
        inside = limits_command(**limits, processes=self.processes, interrupts="default")
        return limits_command(interrupts="ignore") + sandbox.sandbox_command(
            inside + cmd,
            writable=writable,
            hidden=instructor_folders(),
            tmp_mb=self.tmp_mb,
            uid=self.kernel_uid,
        )
