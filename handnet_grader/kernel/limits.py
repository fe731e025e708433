"""Resource limits for a grading kernel, as a command prefix.

The grading kernel is started through ``prlimit`` (util-linux), so a student's code cannot
take all the memory or CPU time of the grading machine: past a limit the kernel is killed
(or a MemoryError is raised), and the grader reports it. Inside the sandbox the prefix is
run by the sandbox's own tools only: no module of the grader needs to be visible there.
"""

import shutil

MIB = 1024 * 1024


class LimitsUnavailable(RuntimeError):
    """``prlimit`` or GNU ``env`` is missing: kernels cannot be started under limits."""


def limits_command(
    memory_mb: float | None = None,
    cpu_seconds: float | None = None,
    file_mb: float | None = None,
    processes: int | None = None,
    interrupts: str | None = None,
) -> list[str]:
    """The command prefix that starts a program with these limits (soft = hard).

    ``processes`` (RLIMIT_NPROC) counts every process of the user, so it holds only for
    an unprivileged user (the sandbox runs the kernel as ``nobody``), never for root.
    ``interrupts`` is ``"ignore"`` (the sandbox's own processes, which must survive the
    interrupt sent to the kernel's process group), ``"default"`` (the kernel again) or
    None (unchanged)."""
    prlimit, env = shutil.which("prlimit"), shutil.which("env")
    if prlimit is None or env is None:
        raise LimitsUnavailable(
            "grading kernels are started under `prlimit` (util-linux) and GNU `env`; install them"
        )
    limits = [
        f"{option}={int(value)}"
        for option, value in (
            ("--as", memory_mb and memory_mb * MIB),
            ("--cpu", cpu_seconds),
            ("--fsize", file_mb and file_mb * MIB),
            ("--nproc", processes),
        )
        if value
    ]
    command = [prlimit, *limits, "--"] if limits else []
    if interrupts:
        command += [env, f"--{interrupts}-signal=INT", "--"]
    return command
