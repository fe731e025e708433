"""handnet_grader/feedback/private_release.py and acl.py: a released feedback page readable by its
student alone (the course server's whole flow is tests/browser/test_server_audit.py)."""

import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from handnet_grader.feedback.private_release import PAGE_MODE, give_to
from handnet_grader.server.acl import ACL_ATTRIBUTE, access_acl


def _entries(blob):
    """(tag, permissions, id) of each entry of an ACL attribute, after its version."""
    return [struct.unpack("<HHI", blob[i : i + 8]) for i in range(4, len(blob), 8)]


def test_the_acl_names_the_student_and_nobody_else():
    """Owner rw, the student's uid r, group r, mask r, others nothing, in the kernel's
    layout (version 2, then tag, permissions, id per entry)?"""
    blob = access_acl(PAGE_MODE, users={1234: 4})
    assert struct.unpack("<I", blob[:4]) == (2,)
    assert _entries(blob) == [
        (0x01, 6, 0xFFFFFFFF),
        (0x02, 4, 1234),
        (0x04, 4, 0xFFFFFFFF),
        (0x10, 4, 0xFFFFFFFF),
        (0x20, 0, 0xFFFFFFFF),
    ]


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to act as two accounts"
)
def test_the_page_given_to_one_account_is_read_by_it_and_not_by_another():
    """A page given to ``nobody``: can ``nobody`` read it and ``daemon`` not, although
    both may enter its folder?"""
    folder = Path(tempfile.mkdtemp(prefix="handnet-feedback-"))  # under /tmp: others enter
    os.chmod(folder, 0o755)
    page = folder / "page.html"
    page.write_text("<p>your feedback</p>")
    try:
        give_to(str(page), "nobody")
    except OSError as e:
        pytest.skip(f"no ACLs on this file system: {e}")
    assert os.stat(page).st_mode & 0o777 == PAGE_MODE
    assert os.getxattr(page, ACL_ATTRIBUTE) == access_acl(PAGE_MODE, users={65534: 4})
    read = {
        account: subprocess.run(
            ["runuser", "-u", account, "--", "cat", str(page)], capture_output=True
        )
        for account in ("nobody", "daemon")
    }
    shutil.rmtree(folder)
    assert read["nobody"].stdout == b"<p>your feedback</p>"
    assert read["daemon"].returncode != 0


def test_a_group_added_to_a_folder_widens_the_mask_to_its_permissions():
    """A 0750 folder that one more group may enter and list: group entry r-x, mask r-x?"""
    blob = access_acl(0o750, groups={77: 5})
    assert _entries(blob) == [
        (0x01, 7, 0xFFFFFFFF),
        (0x04, 5, 0xFFFFFFFF),
        (0x08, 5, 77),
        (0x10, 5, 0xFFFFFFFF),
        (0x20, 0, 0xFFFFFFFF),
    ]
