"""HandNet's public helpers for students and instructors: the MNIST loader and plots.

Everything here may be read by students; the grader-only reference is ``handnet_ref``.
"""
