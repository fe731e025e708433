"""The visible tests of a test cell, run in the grader's process: after a test cell has
run in the kernel, the grader runs the cell's visible code itself (a SESSION of
``handnet.wire``), its names looked up in the kernel: the student's functions and
objects become handles, data comes over as data, modules are the grader's own imports.
Every assertion and every NumPy comparison is then made here, out of the student's reach
(a kernel whose ``np.allclose`` always agrees changes nothing).

The helpers of the notebook's given cells that the tests use (``Recorder``, ``numbered``)
are not the kernel's either: the grader defines them first, from the instructor's
notebook (``given_definitions``), and their names win over the kernel's. What they make
is the grader's, lent to the student's code like any other object of the test.
"""

import ast
import builtins
import contextlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from typing import NamedTuple

from handnet.wire import ProtocolError

from .grader_link import GraderLink
from .student_objects import StudentError, StudentNotImplemented


class VisibleTests(NamedTuple):
    """What the grader runs for a test cell: its visible ``code``, after ``given``, the
    definitions of the notebook's given cells (``given_definitions.given_code``)."""

    code: str
    given: str = ""


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Output and warnings of code run here kept from the grader's streams."""
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("always")
        yield


def _define_given(given: str, namespace: dict) -> str | None:
    """Run the given definitions into ``namespace``; None, or the message for the test
    cell when they fail (the course's fault: the grader's log says so too)."""
    try:
        with _quiet():
            exec(compile(given, "<given cells>", "exec"), namespace)
    except Exception as e:
        logging.getLogger("handnet").error(
            "the given cells of the source notebook could not be run: %s: %s",
            type(e).__name__,
            e,
        )
        return (
            f"the grader could not define this notebook's given helpers "
            f"({type(e).__name__}: {e}): a fault in the course, not in your code; "
            f"please tell your instructor."
        )
    return None


@contextlib.contextmanager
def _temporary_files_in(folder: str | None) -> Iterator[None]:
    """tempfile's folders made in ``folder`` and open to the sandboxed kernel, while a
    test cell's code that writes a file for the student's code runs here."""
    if folder is None:
        yield
        return
    saved_dir, saved_mkdtemp = tempfile.tempdir, tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):
        path = saved_mkdtemp(*args, **kwargs)
        os.chmod(path, 0o777)
        return path

    tempfile.tempdir, tempfile.mkdtemp = folder, mkdtemp
    try:
        yield
    finally:
        tempfile.tempdir, tempfile.mkdtemp = saved_dir, saved_mkdtemp


def run_visible(
    link: GraderLink,
    code: str | VisibleTests,
    incident: Callable[[str], None],
    folder: str | None = None,
) -> tuple[bool, str]:
    """(passed, message): a test cell's visible ``code`` run in this process, after the
    notebook's given definitions if ``code`` is ``VisibleTests``, with the other names it
    uses looked up in the kernel over ``link``; ``incident(text)`` records a broken
    conversation; tempfile's folders are made in ``folder`` (seen by the kernel)."""
    tests = code if isinstance(code, VisibleTests) else VisibleTests(code)
    try:
        tree = ast.parse(tests.code)
    except SyntaxError as e:
        return False, f"the test cell does not parse ({e})"
    namespace = {"__builtins__": builtins, "__name__": "__main__"}
    if tests.given:
        failure = _define_given(tests.given, namespace)
        if failure is not None:
            return False, failure
    try:
        for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}):
            if hasattr(builtins, name) or name in namespace:
                continue
            with contextlib.suppress(NameError):
                namespace[name] = link.lookup(name)
        with _quiet(), _temporary_files_in(folder):
            exec(compile(tree, "<test cell>", "exec"), namespace)
    except AssertionError as e:
        return False, f"AssertionError: {e}".rstrip(": ")
    except (StudentError, StudentNotImplemented) as e:
        return False, f"{e.type_name}: {e}"
    except (ProtocolError, OSError) as e:
        incident(f"the visible tests' conversation with the kernel broke ({e})")
        return False, f"the grader could not run the visible tests ({e})"
    except Exception as e:
        return False, f"{type(e).__name__}: {e}"
    return True, ""
