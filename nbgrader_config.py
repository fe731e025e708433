"""HandNet's nbgrader configuration.

nbgrader reads this file from the current directory only; the course root is pinned to
this file's folder so that commands run from the repository root work.
"""

import os

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from handnet import exchange
from handnet.validate import show_whole_messages
from handnet_grader.course.late_policy import PercentPerDay
from handnet_grader.course.root import put_python_first
from handnet_grader.feedback.pages import ChecklistCell, ShortTestErrors
from handnet_grader.kernel.execute import GuardedExecute
from handnet_grader.kernel.output_caps import CapOutputSize
from handnet_grader.notebook.empty_metadata import DropEmptyNbgraderMetadata

c = get_config()  # noqa: F821 (provided by nbgrader)

# nbgrader runs `alembic` and starts kernels from PATH: the formgrader of a
# `.venv/bin/jupyter lab` typed without activating the venv must find them too.
put_python_first()

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
# The gradebook: SQLite in the course root by default; $HANDNET_DB_URL names a shared
# database instead (postgresql+psycopg://user:password@host/db) for several graders.
c.CourseDirectory.db_url = os.environ.get("HANDNET_DB_URL") or "sqlite:///" + os.path.join(
    HERE, "gradebook.db"
)
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# The exchange (nbgrader's release_assignment, fetch, submit, collect, release_feedback,
# fetch_feedback): /srv/nbgrader/exchange on one server, or $HANDNET_EXCHANGE (a shared
# path on a cluster). An administrator creates it once: `mkdir -p -m 1777 <path>`.
# Submissions are readable by their author and the instructors' group only (the
# group of inbound/, which the first release_assignment makes); collect refuses a
# submission made by another account in a student's name, skips oversized ones without
# stopping, and never lets a submission look earlier than its files
# (docs/course-server.md, "The exchange").
c.CourseDirectory.course_id = exchange.COURSE_ID
c.Exchange.root = exchange.exchange_root()
c.ExchangeFactory.submit = "handnet.exchange.PrivateSubmit"
c.ExchangeFactory.collect = "handnet_grader.course.collect.CheckedCollect"
# Each feedback page readable by its own student alone (an ACL), not by every account.
c.ExchangeFactory.release_feedback = "handnet_grader.feedback.private_release.PrivateFeedback"
c.CourseDirectory.max_file_size = exchange.MAX_FILE_KB
c.CourseDirectory.max_dir_size = exchange.MAX_SUBMISSION_KB

# Late submissions lose 10% of their points per started day after a 15-minute grace
# (handnet_grader/course/late_policy.py); due dates live in the gradebook (formgrader, or
# `nbgrader db assignment add NAME --duedate="2027-01-15 17:00:00 UTC"`).
c.AssignLatePenalties.plugin_class = PercentPerDay

# `nbgrader validate` wraps long messages (hints) instead of cutting them at 90 columns.
show_whole_messages()

# What a student sees in place of a solution region: a stub that fails loudly and says
# what to do (the comment above each region says what to write).
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
    'raise NotImplementedError("Replace this line with your code, as the comment above says.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading runs each submission with HandNet's GuardedExecute in place of nbgrader's
# Execute (a timeout or a dead kernel costs the cell it happened in, not the whole
# submission; the kernel is sandboxed; hidden checks and visible tests are judged in the
# grader's process, see docs/grading-design.md),
# and caps output by size as well as by lines.
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    DropEmptyNbgraderMetadata,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    GuardedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    CapOutputSize,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Training cells on the bundled subset take seconds; allow a slow shared grading machine.
# HANDNET_CELL_TIMEOUT and HANDNET_SUBMISSION_TIMEOUT override them (the demo and the
# tests grade infinite loops on purpose and need not wait two minutes for each).
c.Execute.timeout = int(os.environ.get("HANDNET_CELL_TIMEOUT", 120))
c.Execute.interrupt_on_timeout = True
c.GuardedExecute.submission_timeout = int(os.environ.get("HANDNET_SUBMISSION_TIMEOUT", 600))
c.GuardedExecute.interrupt_grace = 5
c.LimitedKernelManager.memory_mb = 4096
c.LimitedKernelManager.cpu_seconds = 1800
c.LimitedKernelManager.file_mb = 200
# In the bubblewrap sandbox (handnet_grader/kernel/sandbox.py): threads and processes of a kernel
# (enforced when the grader runs as root: the kernel runs as nobody), and its private /tmp.
c.LimitedKernelManager.processes = 256
c.LimitedKernelManager.tmp_mb = 256
# c.LimitedKernelManager.sandbox = False   # to debug a kernel only: grades without isolation

# Python warnings printed to stderr (a DeprecationWarning from a library, an overflow
# warning) are not failures: remove them before the points are counted. Tracebacks are
# error outputs, not stderr, so they still fail a cell.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"^(.*:\d+: )?\w*Warning: "

# A deleted locked test cell is put back, not scored 0 with needs_manual_grade.
c.OverwriteCells.add_missing_cells = True

# Feedback shows what passed and failed, with the hints; never the hidden tests' code.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ClearHiddenTests,
    ShortTestErrors,
    ChecklistCell,
    CSSHTMLHeaderPreprocessor,
]

c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
c.CapOutputSize.max_cell_bytes = 1_000_000  # a figure of 30 weight images is ~0.5 MB
c.CapOutputSize.max_notebook_bytes = 5_000_000
