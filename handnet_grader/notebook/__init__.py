"""What a notebook is to grading: its cells (solution, test, given), its exercises, and
the repair of metadata nbgrader trips over.

Imports no other room of the grader."""
