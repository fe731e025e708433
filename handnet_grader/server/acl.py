"""POSIX access control lists (ACLs), written as the kernel's ``system.posix_acl_access``
attribute, so that no tool (``setfacl``) is needed: a file or folder readable by more
than its owner and group without being readable by everyone.

Used for a feedback page that its student alone may read (private_feedback.py) and for
the exchange's course folder, which the students' group owns and the instructors' group
may enter too (scripts/install_server.py).
"""

import grp
import os
import pwd
import struct

ACL_ATTRIBUTE = "system.posix_acl_access"
# linux/posix_acl_xattr.h: version 2, then (tag, permissions, id) per entry, in tag order.
_VERSION = 2
_USER_OBJ, _USER, _GROUP_OBJ, _GROUP, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_NO_ID = 0xFFFFFFFF


def access_acl(
    mode: int, users: dict[int, int] | None = None, groups: dict[int, int] | None = None
) -> bytes:
    """The ACL of ``mode`` (owner, group, others: 0o750 and the like) with more readers:
    ``users`` and ``groups`` map a uid or gid to its permissions (4 read, 2 write, 1
    enter). The mask lets the added entries have what they are given."""
    users, groups = users or {}, groups or {}
    owner, group, other = (mode >> 6) & 7, (mode >> 3) & 7, mode & 7
    mask = group
    for permissions in [*users.values(), *groups.values()]:
        mask |= permissions
    entries = [(_USER_OBJ, owner, _NO_ID)]
    entries += [(_USER, p, uid) for uid, p in sorted(users.items())]
    entries += [(_GROUP_OBJ, group, _NO_ID)]
    entries += [(_GROUP, p, gid) for gid, p in sorted(groups.items())]
    entries += [(_MASK, mask, _NO_ID), (_OTHER, other, _NO_ID)]
    return struct.pack("<I", _VERSION) + b"".join(struct.pack("<HHI", *e) for e in entries)


def set_access(
    path: str, mode: int, users: dict[str, int] | None = None, groups: dict[str, int] | None = None
) -> None:
    """Give ``path`` the ``mode`` and the named ``users`` and ``groups`` their permissions.
    Raises KeyError for an unknown account or group, OSError where the file system has no
    ACLs."""
    uids = {pwd.getpwnam(name).pw_uid: p for name, p in (users or {}).items()}
    gids = {grp.getgrnam(name).gr_gid: p for name, p in (groups or {}).items()}
    os.chmod(path, mode)
    os.setxattr(path, ACL_ATTRIBUTE, access_acl(mode, uids, gids))


def main(argv: list[str]) -> None:
    """``python -m handnet_grader.server.acl PATH MODE GROUP PERMISSIONS``: one more group."""
    path, mode, group, permissions = argv
    set_access(path, int(mode, 8), groups={group: int(permissions)})


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
