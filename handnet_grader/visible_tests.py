"""The visible tests of a test cell, run in the grader's process: after a test cell has
run in the kernel, the grader runs the cell's visible code itself (a SESSION of
``handnet.wire``), its names looked up in the kernel: the student's functions and
objects become handles, data comes over as data, modules are the grader's own imports.
Every assertion and every NumPy comparison is then made here, out of the student's reach
(a kernel whose ``np.allclose`` always agrees changes nothing).
"""

import ast
import builtins
import contextlib
import io
import os
import tempfile
import warnings
from collections.abc import Callable

from handnet.wire import ProtocolError

from .grader_link import GraderLink
from .student_objects import StudentError, StudentNotImplemented


@contextlib.contextmanager
def _temporary_files_in(folder):
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
    link: GraderLink, code: str, incident: Callable[[str], None], folder: str | None = None
) -> tuple[bool, str]:
    """(passed, message): a test cell's visible ``code`` run in this process, with the
    names it uses looked up in the kernel over ``link``; ``incident(text)`` records a
    broken conversation; tempfile's folders are made in ``folder`` (seen by the kernel)."""
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        return False, f"the test cell does not parse ({e})"
    namespace = {"__builtins__": builtins, "__name__": "__main__"}
    try:
        for name in sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}):
            if hasattr(builtins, name):
                continue
            with contextlib.suppress(NameError):
                namespace[name] = link.lookup(name)
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
            warnings.catch_warnings(),
            _temporary_files_in(folder),
        ):
            warnings.simplefilter("always")
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
