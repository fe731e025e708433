"""What a killed process leaves behind comes back to the grading process, which ends it."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from handnet_grader.kernel import orphans

# A child that starts a grandchild in a session of its own, says its pid, and waits.
PARENT = """
import subprocess, sys, time
p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
print(p.pid, flush=True)
time.sleep(600)
"""


def _gone(pid):
    return not Path(f"/proc/{pid}").exists()


def test_a_killed_childs_daemon_is_adopted_ended_and_waited_for():
    """A child killed while its grandchild (a new session) runs on: with this process a
    child subreaper, is the grandchild given to it, and does ``end_adopted`` end it and
    wait for it (no zombie), leaving the children that were there before alone?"""
    assert orphans.adopt_orphans()
    earlier = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        before = orphans.children()
        assert earlier.pid in before
        child = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
        grandchild = int(child.stdout.readline())
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert grandchild in orphans.children()  # adopted: it was its parent's
        assert orphans.end_adopted(before) == [grandchild]
        assert _gone(grandchild) and earlier.poll() is None
    finally:
        orphans.adopt_orphans(False)
        earlier.kill()
        earlier.wait()


def test_a_process_that_gives_orphans_up_is_given_none():
    """After ``adopt_orphans(False)``, does a killed child's daemon go elsewhere?"""
    assert orphans.adopt_orphans() and orphans.adopt_orphans(False)
    child = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    grandchild = int(child.stdout.readline())
    try:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert grandchild not in orphans.children()
    finally:
        os.kill(grandchild, signal.SIGKILL)
