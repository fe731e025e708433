"""Grading on a Dask cluster: reaching the scheduler and checking its workers run this
code, the preload of its scheduler and workers, and the Dask backend of a run.

May import ``course`` and ``run``."""
