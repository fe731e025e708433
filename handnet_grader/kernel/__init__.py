"""A grading kernel: how it starts (sandbox, resource limits, its own environment),
how a submission runs in it so that one bad cell cannot cost the rest, and the caps on
its output.

May import ``notebook`` and ``trust``; never the run."""
