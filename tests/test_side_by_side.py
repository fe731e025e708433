"""scripts/side_by_side.py, which runs the two halves of the heavy tests: both commands at
once, every line kept with its command's name, and a failure in either one fails it."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "side_by_side.py"

# Each waits (up to 60 s) for the other's file: both can finish only if they run at once.
MEET = (
    "import pathlib, sys, time; here = pathlib.Path(sys.argv[1]); here.joinpath(sys.argv[2]).touch(); "
    "end = time.monotonic() + 60\n"
    "while not here.joinpath(sys.argv[3]).exists() and time.monotonic() < end: time.sleep(0.05)\n"
    "print('met' if here.joinpath(sys.argv[3]).exists() else 'alone'); sys.exit(int(sys.argv[4]))"
)


def side_by_side(tmp_path, a_status, b_status):
    script = tmp_path / "meet.py"
    script.write_text(MEET)
    run = [sys.executable, str(SCRIPT)]
    for name, mine, other, status in (("a", "A", "B", a_status), ("b", "B", "A", b_status)):
        run += [name, f"{sys.executable} {script} {tmp_path} {mine} {other} {status}"]
    return subprocess.run(run, capture_output=True, text=True, timeout=120)


def test_both_run_at_once_and_each_line_says_whose_it_is(tmp_path):
    done = side_by_side(tmp_path, 0, 0)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "[a] met" in lines and "[b] met" in lines
    assert "[a] exit status 0" in lines and "[b] exit status 0" in lines


def test_a_failure_of_either_fails_the_whole(tmp_path):
    for a_status, b_status, expected in ((0, 3, 3), (5, 0, 5)):
        folder = tmp_path / f"{a_status}-{b_status}"
        folder.mkdir()
        assert side_by_side(folder, a_status, b_status).returncode == expected
