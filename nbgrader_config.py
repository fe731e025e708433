"""HandNet's nbgrader configuration.

nbgrader reads this file from the current directory only; the course root is pinned to
this file's folder so that commands run from the repository root work.
"""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "handnet"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# What a student sees in place of a solution region: a stub that fails loudly and says
# what to do (the comment above each region says what to write).
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\n'
              'raise NotImplementedError("Replace this line with your code, as the comment above says.")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Training cells on the bundled subset take seconds; allow a slow shared grading machine.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# A deleted locked test cell is put back, not scored 0 with needs_manual_grade.
c.OverwriteCells.add_missing_cells = True

c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100
