"""The instructor's grader, on top of nbgrader: ``handnet`` (``cli``) and its rooms, one
for each stage a submission passes through, from the lowest layer up:

- ``notebook``: what a notebook is to grading (cells, exercises);
- ``course``: the course folder, releases, gradebook, exchange, late policy;
- ``trust``: the verdicts and the grader's end of the kernel protocol;
- ``kernel``: the sandboxed, limited grading kernel and the notebook's execution in it;
- ``run``: what to grade, one submission graded, the records, writing results back;
- ``cluster``: the Dask backend of a run;
- ``feedback``: the students' feedback pages and their private release;
- ``server``: the course server's layout and ACLs;
- ``classview``: the instructor's view of a class and the sample class;
- ``service``: the grading service (grade on submit): its queue of received submissions.

Each room's docstring says which rooms it may import (``tests/test_layers.py`` holds it).
"""
