"""A grading run: what to grade (submissions found, fingerprinted, prechecked), one
submission autograded with nbgrader and its ``Record``, the jobs a worker runs, where they
run (``backends``: this machine's processes; the Dask one is in ``cluster``), the one
driver of every run (``driver``), writing results back into the course, scratch folders,
grade reports.

May import ``notebook``, ``trust`` and ``course``."""
