"""The instructor's view of a class: what each student got wrong per exercise, and the
sample class (submissions built from the release with catalogued mistakes planted)
graded in a course folder of its own.

May import ``notebook``, ``course`` and ``run``; nothing but the CLI imports it."""
