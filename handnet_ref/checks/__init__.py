"""Hidden-test checks, one module per assignment topic, and the catalogue of common
mistakes they recognise. A hidden test cell calls one check in one line, e.g.
``from handnet_ref.checks.neuron import check_sigmoid; check_sigmoid(sigmoid)``.

Each topic module defines ``ASSIGNMENT`` (the assignment whose exercises it checks),
``CHECKS`` (name -> check), optionally ``FUNCTIONS`` (check name -> the notebook's
function it tests, where the two differ), ``REFERENCES`` (name -> the
reference implementation that passes it), ``CATALOGUE`` (its ``Mistake`` entries, each
keyed ``"<check name>.<mistake>"``) and, where a check hands the student's method a
stand-in ``self``, ``HELPERS`` (check function name -> the stand-in's methods the student's
code may call: when the grader runs the check, no other method is lent to the kernel). ``TOPICS`` lists every topic module of this package
(modules whose names start with ``_`` hold shared helpers, not checks).
"""

import importlib
import pkgutil

from .core import CheckFailed, Mistake

TOPICS = tuple(
    importlib.import_module(f"{__name__}.{m.name}")
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
    if m.name != "core" and not m.name.startswith("_")
)
CATALOGUE = tuple(m for topic in TOPICS for m in topic.CATALOGUE)


__all__ = ["CATALOGUE", "CheckFailed", "Mistake", "TOPICS"]
