"""What the student's objects become in the grader: a ``StudentObject`` stands for an
object in the grading kernel, a ``StudentCallable`` for a function, class or method
there (each answers ``handnet.wire.remote`` with what it stands for, and asks its
``GraderLink`` for everything else); a module named by the kernel is the grader's own
import of it (``grader_module``); an exception raised there is a ``StudentError``.
"""

import importlib
import types
from typing import Any

from handnet.wire import CheckFailed, Remote, RemoteError, Reply

# Modules whose names the kernel may hand over for a name in a test cell (``np``): the
# grader uses its own import of them, never the kernel's.
GRADER_MODULES = (
    "numpy",
    "math",
    "cmath",
    "warnings",
    "itertools",
    "functools",
    "collections",
    "json",
    "os",
    "tempfile",
    "copy",
    "types",
    "random",
    "statistics",
    "string",
    "re",
    "matplotlib",
    "handnet",
)


class StudentError(RemoteError):
    """An exception raised by the student's code in the kernel (by type name and text)."""


class StudentNotImplemented(NotImplementedError, StudentError):
    """The student's function raised NotImplementedError (it is still the stub)."""

    def __init__(self, message):
        StudentError.__init__(self, "NotImplementedError", message)


class StudentObject:
    """A handle on an object in the student's kernel: attributes are asked for over the
    link (never dunder names, so NumPy and copy see an opaque object)."""

    __slots__ = ("_link", "_remote")

    def __init__(self, link, kind: str, type_name: str, name: str | None):
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_remote", Remote(kind, type_name, name, self._attribute))

    def __remote__(self) -> Remote:
        """What the checks may know of the object (``handnet.wire.remote``)."""
        return self._remote

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__name__", "__qualname__"):
            raise AttributeError(name)
        return self._attribute(name)

    def _attribute(self, name):
        """The attribute ``name`` of the object in the kernel, dunder names included
        (``Network.__init__``, which plain attribute access finds on this class)."""
        if name in ("__name__", "__qualname__") and self._remote.name is not None:
            return self._remote.name
        return self._link.getattr(self, name)

    def __setattr__(self, name, value):
        self._link.setattr(self, name, value)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self):
        label = f" {self._remote.name}" if self._remote.name else ""
        return f"<student's {self._remote.type_name}{label}>"


class StudentCallable(StudentObject):
    """A handle on a callable of the student's (a function, a class, a method)."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self._link.call(self, args, kwargs)


def grader_module(name: Any) -> types.ModuleType | None:
    """The grader's own import of a module the kernel named (only ``GRADER_MODULES``)."""
    if (
        not isinstance(name, str)
        or name.split(".")[0] not in GRADER_MODULES
        or name.startswith("handnet_grader")
    ):
        return None
    return importlib.import_module(name)


def student_error(message: Reply) -> Exception:
    """The exception for the kernel's RAISE: what the student's code raised, by name."""
    text, kind = str(message.get("message", "")), str(message.get("type", "Exception"))[:100]
    if message.get("not_implemented"):
        return StudentNotImplemented(text)
    if kind == "CheckFailed":
        return CheckFailed(text)
    return StudentError(kind, text)
