"""nbgrader's ``release_feedback``, giving each feedback page to its student alone.

nbgrader copies each page into the exchange's ``feedback/`` folder readable by every
account (0644), hidden only by a name made from the submission's secret: an account that
learns the name, or lists the folder where it can, reads another student's grade and
feedback. ``PrivateFeedback`` releases each page as 0640 (the grading account, and its
group, the instructors) and grants read access to the student's own account through a
POSIX access control list (ACL, acl.py). A student id that is not an account of this machine, or
a file system without ACLs, leaves nbgrader's mode and says so in the log.

Configured in the course's ``nbgrader_config.py``::

    c.ExchangeFactory.release_feedback = "handnet_grader.feedback.private_release.PrivateFeedback"
"""

import errno
import glob
import os
import stat

from nbgrader.exchange.default import ExchangeReleaseFeedback
from nbgrader.utils import notebook_hash

from ..server.acl import set_access

PAGE_MODE = 0o640  # the grading account rw, the instructors r, others nothing
READ = 4


def give_to(path: str, account: str) -> None:
    """Make ``path`` readable by ``account`` and no one else but its owner and group.
    Raises KeyError if the account does not exist, OSError if ACLs cannot be set."""
    set_access(path, PAGE_MODE, users={account: READ})


class PrivateFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback; each page readable by its own student alone."""

    def _pages(self):
        """(student id, page in the course, its name in the exchange) of every page to
        release, as nbgrader names them."""
        pages = []
        for html in glob.glob(os.path.join(self.src_path, "*.html")):
            folder = os.path.dirname(html)
            student = os.path.basename(os.path.dirname(folder))
            try:
                with open(os.path.join(folder, "submission_secret.txt")) as f:
                    secret = f.read()
            except OSError:
                continue  # nbgrader itself says what is missing
            notebook_id = os.path.splitext(os.path.basename(html))[0]
            released = notebook_hash(secret=secret, notebook_id=notebook_id) + ".html"
            pages.append((student, html, os.path.join(self.dest_path, released)))
        return pages

    def copy_files(self) -> None:
        pages = self._pages()
        # nbgrader's copy keeps the page's mode: never readable by others, even briefly
        for _, html, _ in pages:
            os.chmod(html, stat.S_IMODE(os.stat(html).st_mode) & PAGE_MODE)
        super().copy_files()
        for student, _, released in pages:
            if not os.path.exists(released):
                continue  # excluded, or not released
            try:
                give_to(released, student)
            except KeyError:
                os.chmod(released, 0o644)
                self.log.info("%s is no account here: its feedback stays as nbgrader leaves it",
                              student)  # fmt: skip
            except OSError as e:
                if e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                os.chmod(released, 0o644)
                self.log.warning(
                    "The exchange's file system has no ACLs: %s's feedback is readable by "
                    "every account that learns its name (%s)",
                    student,
                    os.path.basename(released),
                )
