"""The student's side of nbgrader's exchange: a submission only its author and the
instructors can read.

nbgrader's own ``submit`` leaves every submitted file readable by every account on the
server (files 0644, the submission's folder 0777), hidden only by an unlistable
``inbound`` folder and a random name (nbgrader issues #978 and #1225). ``PrivateSubmit``
gives the submission to its author and the ``inbound`` folder's group (the instructors;
``inbound`` is setgid, so the group is inherited): folders 0770, files 0640, created under
a umask of 027 so they are never readable by others. It also refuses, with a message
that says what to do, an assignment folder with more files or bytes than the course
accepts, before anything is copied.

Configured for students in the student environment's ``nbgrader_config.py``::

    c.ExchangeFactory.submit = "handnet.exchange.PrivateSubmit"
"""

import os
import shutil

from nbgrader.exchange.default import ExchangeSubmit
from nbgrader.utils import ignore_patterns
from traitlets import Integer

# The course's exchange, as both the students' and the instructors' configurations see it.
COURSE_ID = "handnet"
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # one server; $HANDNET_EXCHANGE overrides it
MAX_FILE_KB = 10_000  # per file (nbgrader's CourseDirectory.max_file_size, kB)
MAX_SUBMISSION_KB = 20_000  # per submission (CourseDirectory.max_dir_size, kB)
MAX_FILES = 100  # per submission

SUBMISSION_DIR_MODE = 0o770  # owner and instructors: rwx (they may remove it); others: none
SUBMISSION_FILE_MODE = 0o640  # owner rw, instructors r, others none
PRIVATE_UMASK = 0o027


def exchange_root():
    """The exchange folder: ``$HANDNET_EXCHANGE``, else DEFAULT_EXCHANGE."""
    return os.environ.get("HANDNET_EXCHANGE") or DEFAULT_EXCHANGE


def files_in(folder, ignore=(".ipynb_checkpoints", "__pycache__")):
    """(relative path, size in bytes) of every regular file under ``folder``."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ignore]
        for name in files:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found.append((os.path.relpath(path, folder), os.path.getsize(path)))
    return found


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, readable only by the student and the instructors' group."""

    max_files = Integer(
        MAX_FILES,
        help="Most files an assignment folder may hold when submitted (checkpoints not counted)",
    ).tag(config=True)

    def init_src(self):
        super().init_src()
        files = files_in(self.src_path)
        if len(files) > self.max_files:
            self.fail(
                f"Not submitted: {self.src_path} holds {len(files)} files and the course "
                f"accepts at most {self.max_files}. Move data, saved networks and other "
                "extra files out of the assignment folder, then submit again."
            )
        limit = 1000 * self.coursedir.max_dir_size
        total = sum(size for _, size in files)
        if total > limit:
            biggest = sorted(files, key=lambda f: -f[1])[:3]
            self.fail(
                f"Not submitted: {self.src_path} holds {total / 1e6:.1f} MB and the "
                f"course accepts at most {limit / 1e6:.1f} MB. The largest files: "
                + ", ".join(f"{p} ({s / 1e6:.1f} MB)" for p, s in biggest)
                + ". Move them out of the assignment folder, then submit again."
            )

    def _in_inbound(self, path):
        return os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.inbound_path)

    def do_copy(self, src, dest, log=None):
        """Copy into ``inbound`` so that every file gets the instructors' group: the folder
        is made first (it inherits the group and the setgid bit of ``inbound``), with the
        two files nbgrader writes after the copy; copying then takes the setgid bit off the
        folder (the student is not in that group), so files created later would not get
        the group, but these already exist and keep it when nbgrader rewrites them."""
        if not self._in_inbound(dest):
            return super().do_copy(src, dest, log)
        os.mkdir(dest)
        for name in ("timestamp.txt", "submission_secret.txt"):
            open(os.path.join(dest, name), "w").close()
        shutil.copytree(
            src,
            dest,
            dirs_exist_ok=True,
            ignore=ignore_patterns(
                exclude=self.coursedir.ignore,
                include=self.coursedir.include,
                max_file_size=self.coursedir.max_file_size,
                log=self.log,
            ),
        )

    def set_perms(self, dest, fileperms, dirperms):
        if self._in_inbound(dest):
            fileperms, dirperms = SUBMISSION_FILE_MODE, SUBMISSION_DIR_MODE
        super().set_perms(dest, fileperms=fileperms, dirperms=dirperms)

    def copy_files(self):
        old = os.umask(PRIVATE_UMASK)
        try:
            super().copy_files()
        finally:
            os.umask(old)
        # nbgrader opens the submission's folder to everyone (0777) at the end
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), SUBMISSION_DIR_MODE)
