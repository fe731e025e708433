"""handnet_grader.kernel.sandbox: what a sandboxed program can see, write and reach.

The programs run are small Python scripts in the sandbox that print what they found; the
checks that need bwrap are skipped without it (CI requires it: $HANDNET_REQUIRE_SANDBOX).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from handnet_grader.kernel import sandbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def require_sandbox():
    ok, why = sandbox.sandbox_status()
    if not ok:
        if os.environ.get("HANDNET_REQUIRE_SANDBOX") == "1":
            pytest.fail(f"the sandbox is required here: {why}")
        pytest.skip(why)


def run_inside(tmp_path, code, hidden=()):
    work = tmp_path / "work"
    work.mkdir()
    sandbox.give_to_sandbox(str(work))
    try:
        result = subprocess.run(
            sandbox.sandbox_command(
                [sys.executable, "-c", code], writable=[str(work)], hidden=hidden
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        sandbox.take_back(str(work))
    return result, work


def test_the_command_keeps_the_network_and_the_course_out(tmp_path):
    if not sandbox.shutil.which("bwrap"):
        pytest.skip("no bwrap")
    cmd = sandbox.sandbox_command(["true"], writable=[str(tmp_path)])
    assert "--unshare-net" in cmd and "--die-with-parent" in cmd
    assert ["--bind", str(tmp_path.resolve()), str(tmp_path.resolve())] == cmd[
        cmd.index("--bind") : cmd.index("--bind") + 3
    ]
    bound = {cmd[i + 1] for i, a in enumerate(cmd) if a == "--ro-bind"}
    secret = [ROOT / "source", ROOT / "handnet_ref", ROOT / "gradebook.db"]
    assert not any(str(s) == b or str(s).startswith(b + os.sep) for s in secret for b in bound)
    assert str(ROOT / "handnet") in bound


def test_inside_the_course_and_the_reference_are_absent(tmp_path, require_sandbox):
    code = (
        f"import os\n"
        f"for p in [{str(ROOT / 'source')!r}, {str(ROOT / 'handnet_ref')!r}, "
        f"{str(ROOT / 'nbgrader_config.py')!r}, '/root/.bashrc', '/work']:\n"
        f"    print(p, os.path.exists(p) and os.access(p, os.R_OK))\n"
        f"import handnet; print('handnet', handnet.__file__)"
    )
    result, _ = run_inside(tmp_path, code, hidden=[str(ROOT / "handnet_ref")])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.endswith("False") for line in lines[:5]), lines
    assert lines[5].startswith("handnet ")


def test_inside_only_the_student_package_imports(tmp_path, require_sandbox):
    """Does a sandboxed program import the student package ``handnet`` but neither the
    reference nor the grader, and find neither's files, however it asks?"""
    from handnet_grader.kernel.manager import instructor_folders

    code = (
        "import importlib, os\n"
        "for name in ['handnet', 'handnet.probe', 'handnet_ref', 'handnet_ref.checks',"
        " 'handnet_grader', 'handnet_grader.trust.integrity']:\n"
        "    try:\n"
        "        importlib.import_module(name); print(name, 'imported')\n"
        "    except ImportError:\n"
        "        print(name, 'absent')\n"
        f"for p in {[str(ROOT / 'handnet_ref' / 'network.py'), str(ROOT / 'handnet_grader' / 'integrity.py')]!r}:\n"
        "    print(p, 'readable' if os.path.exists(p) else 'absent')\n"
    )
    result, _ = run_inside(tmp_path, code, hidden=instructor_folders())
    assert result.returncode == 0, result.stderr
    states = [line.rsplit(" ", 1)[1] for line in result.stdout.splitlines()]
    assert states == [
        "imported",
        "imported",
        "absent",
        "absent",
        "absent",
        "absent",
        "absent",
        "absent",
    ], result.stdout


def test_inside_only_the_working_folder_and_tmp_are_writable(tmp_path, require_sandbox):
    outside = tmp_path / "outside.txt"
    code = (
        f"import os\n"
        f"for p in ['mine.txt', '/tmp/scratch.txt', {str(outside)!r}, "
        f"{str(ROOT / 'planted.txt')!r}, '/usr/planted']:\n"
        f"    try:\n"
        f"        open(p, 'w').write('x'); print(p, 'written')\n"
        f"    except OSError as e:\n"
        f"        print(p, 'refused')\n"
    )
    result, work = run_inside(tmp_path, code)
    assert result.returncode == 0, result.stderr
    states = [line.rsplit(" ", 1)[1] for line in result.stdout.splitlines()]
    assert states == ["written", "written", "refused", "refused", "refused"]
    assert (work / "mine.txt").exists() and not outside.exists()
    assert not (ROOT / "planted.txt").exists()


def test_inside_there_is_no_network(tmp_path, require_sandbox):
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=3); print('connected')\n"
        "except OSError as e:\n"
        "    print('refused')\n"
    )
    result, _ = run_inside(tmp_path, code)
    assert result.stdout.strip() == "refused", result.stderr


HOG = """
import os, time
children = []
try:
    while True:
        pid = os.fork()
        if pid == 0:
            while not os.path.exists("release"):
                time.sleep(0.2)
            os._exit(0)
        children.append(pid)
except OSError:
    pass
open("full", "w").write(str(len(children)))
for pid in children:
    os.waitpid(pid, 0)
"""

FIVE_CHILDREN = """
import os, time
pids = []
for _ in range(5):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
print("started", len(pids))
"""


def test_one_kernels_processes_do_not_count_against_anothers(tmp_path, require_sandbox):
    """With a program in one KernelAccount holding every process its limit allows, can
    a program in another account still start processes? (Under one shared uid the
    limit counted both, and a fork bomb kept the kernel beside it from starting.)"""
    from handnet_grader.kernel.limits import limits_command

    if not sandbox.drops_privileges():
        pytest.skip("the grader is not root here")
    hog_dir, other_dir = tmp_path / "hog", tmp_path / "other"
    hog_dir.mkdir(), other_dir.mkdir()
    with sandbox.KernelAccount() as a, sandbox.KernelAccount() as b:
        assert a.uid != b.uid and sandbox.NOBODY not in (a.uid, b.uid)
        sandbox.give_to_sandbox(str(hog_dir), uid=a.uid)
        sandbox.give_to_sandbox(str(other_dir), uid=b.uid)
        limited = limits_command(processes=20)
        hog = subprocess.Popen(
            sandbox.sandbox_command(
                limited + [sys.executable, "-c", HOG], writable=[str(hog_dir)], uid=a.uid
            )
        )
        try:
            for _ in range(600):  # until the hog is at its limit (or has ended)
                if (hog_dir / "full").exists() or hog.poll() is not None:
                    break
                time.sleep(0.2)
            assert (hog_dir / "full").exists(), "the hog never reached its process limit"
            other = subprocess.run(
                sandbox.sandbox_command(
                    limited + [sys.executable, "-c", FIVE_CHILDREN],
                    writable=[str(other_dir)],
                    uid=b.uid,
                ),
                capture_output=True,
                text=True,
                timeout=120,
            )
        finally:
            (hog_dir / "release").write_text("")
            hog.wait(timeout=120)
            sandbox.take_back(str(hog_dir), str(other_dir))
    assert 0 < int((hog_dir / "full").read_text()) < 20
    assert other.stdout.strip() == "started 5", other.stderr


def test_as_root_the_program_runs_as_nobody(tmp_path, require_sandbox):
    if not sandbox.drops_privileges():
        pytest.skip("the grader is not root here")
    result, _ = run_inside(tmp_path, "import os; print(os.getuid(), os.getgid())")
    assert result.stdout.split() == [str(sandbox.NOBODY), str(sandbox.NOBODY)]
