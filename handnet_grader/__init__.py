"""Instructor tooling on top of nbgrader's Python API: find the course, build releases."""
