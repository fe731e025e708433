"""A grading run: what to grade (submissions found, fingerprinted, prechecked), one
submission autograded with nbgrader and its ``Record``, grading away from the course
(jobs), writing results back into the course, scratch folders, grade reports.

May import ``notebook``, ``trust`` and ``course``."""
