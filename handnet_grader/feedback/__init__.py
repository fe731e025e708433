"""Feedback for students: the pages (what passed, what failed and why, never the
hidden tests) and their release, each to its student alone.

May import ``notebook``, ``run`` and ``server``."""
