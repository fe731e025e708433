"""The course folder and nbgrader around it: where the course lives and its
configuration, building releases, the gradebook made ready, collecting from the exchange,
the late policy.

May import ``notebook``."""
