"""Trusted grading: the grader's end of the conversation with a grading kernel
(``handnet.wire``), the student's objects as handles, the hidden checks run in the
grader's process (verdicts), the visible tests run there too, the given definitions, the
stand-ins a kernel finds in place of ``handnet_ref``, and the integrity scan.

May import ``notebook`` (and ``handnet_ref``, which a grading kernel never sees)."""
