"""The grader's end of one conversation with a grading kernel (``handnet.wire`` is the
protocol): the student's objects as handles, the check's objects lent to the student's
code, and everything the grader refuses.

Over 300 lines, as one class: what the two sides share is ``handnet.link.Link``; what is
left here is the grader's trust at every step of a conversation (handles, lent objects'
attributes, callbacks, answers), each step reading and changing the one conversation's
state; split into modules, each would reach into the others' state.

A handle (``student_objects``) sends a CALL when it is called and a GETATTR when an
attribute is asked for, and waits for the result, as data. Objects of the check (a
stand-in network, a cost class, a function) are lent to the kernel for one call: only
the methods that the topic's ``HELPERS`` list for this check can be called back (so
``self.backprop`` of the stand-in cannot answer the check of ``backprop``), and a lent
object used after its call has ended is refused.

Every breach (a stale or unknown handle, a method that is not lent, malformed or forged
data) is recorded through ``incident``; ``GuardedExecute`` turns it into the
submission's integrity findings.
"""

import builtins
import contextlib
import functools
import inspect
import socket
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from handnet.link import Link
from handnet.wire import Data, Kind, Message, Op, ProtocolError, Reply, Tag, error_reply

from .student_objects import (
    StudentCallable,
    StudentError,
    StudentObject,
    grader_module,
    student_error,
)


class ProtocolBreach(ProtocolError):
    """Data or a request from the kernel that the grader refused (already recorded as an
    incident)."""


def _is_function(obj):
    return inspect.isroutine(obj) or isinstance(obj, functools.partial)


class GraderLink(Link):
    """One conversation with the kernel, from the grader's side. ``helpers``: the
    methods of the check's own objects that the kernel may call back; ``incident``
    records each breach; ``keep_lent``: a session, whose lent objects live until it
    ends. ``handles`` holds the grader's handles on the student's objects; everything
    the grader hands over is lent, so ``mine`` is ``lent``."""

    def __init__(
        self,
        sock: socket.socket,
        helpers: Iterable[str] = (),
        incident: Callable[[str], None] | None = None,
        keep_lent: bool = False,
    ):
        super().__init__(sock, keep_lent)
        self.helpers = frozenset(helpers)
        self.incident = incident or (lambda text: None)
        self.lent = self.mine
        self.handles = {}  # kernel ref -> StudentObject (one per object)
        self.handle_refs = {}  # id(StudentObject) -> kernel ref

    def refuse(self, text: str) -> ProtocolBreach:
        """Record ``text`` as an incident; the error to raise."""
        self.incident(text)
        return ProtocolBreach(text)

    def breach(self, error: ProtocolError) -> ProtocolError:
        """A message or data of the kernel's that the protocol does not allow, refused
        and recorded (a ProtocolBreach); a closed connection or a breach already
        recorded, as it is."""
        if type(error) is not ProtocolError:
            return error
        return self.refuse(f"the kernel sent a forged message or malformed data ({error})")

    # -- data and handles ----------------------------------------------------------------

    def methods(self, obj: Any) -> list[str]:
        """The methods of a lent object that the kernel may call back."""
        ours = (getattr(obj, "__module__", "") or "").startswith("handnet_ref") or (
            type(obj).__module__ or ""
        ).startswith("handnet_ref")
        names = []
        for name in dir(obj):
            if name.startswith("_") or (ours and name not in self.helpers):
                continue
            try:
                value = getattr(obj, name)
            except Exception:
                continue
            if callable(value) and not isinstance(value, type):
                names.append(name)
        return names

    def as_handle(self, obj: Any) -> Data:
        if isinstance(obj, StudentObject):
            return {Tag.BACK: self.ref_of(obj)}
        if isinstance(obj, types.ModuleType):
            raise ProtocolError("a module cannot be lent to the kernel")
        return self.handle(obj)

    def describe(self, obj: Any) -> dict:
        kind = (
            Kind.FUNCTION
            if _is_function(obj)
            else Kind.CLASS
            if isinstance(obj, type)
            else Kind.OBJECT
        )
        return {
            "kind": kind,
            "name": getattr(obj, "__name__", type(obj).__name__),
            "repr": repr(obj)[:200] if kind == Kind.CLASS else None,
            "methods": [] if kind == Kind.FUNCTION else self.methods(obj),
        }

    def from_handle(self, data: dict) -> Any:
        if Tag.MODULE in data:
            module = grader_module(data[Tag.MODULE])
            if module is None:
                raise self.refuse(
                    f"a test cell's name stands for the module "
                    f"{str(data[Tag.MODULE])[:80]!r}, which the grader does "
                    f"not use"
                )
            return module
        if Tag.BACK in data:
            obj = self.lent.get(data[Tag.BACK])
            if obj is None:
                raise self.refuse(
                    f"the student's code handed back an object the grader did "
                    f"not lend for this call (handle {data[Tag.BACK]})"
                )
            return obj
        ref = data[Tag.OBJECT]
        if ref not in self.handles:
            kind = data.get("kind")
            cls = StudentCallable if kind in (Kind.FUNCTION, Kind.CLASS) else StudentObject
            name = data.get("name") if isinstance(data.get("name"), str) else None
            handle = cls(self, kind, str(data.get("type", "object"))[:100], name)
            self.handles[ref], self.handle_refs[id(handle)] = handle, ref
        return self.handles[ref]

    def ref_of(self, handle: StudentObject) -> int:
        """The kernel's ref of a handle of this conversation."""
        ref = self.handle_refs.get(id(handle))
        if ref is None:
            raise ProtocolError("a handle from another conversation")
        return ref

    # -- lent objects' attributes --------------------------------------------------------

    def attributes(self, obj: Any) -> dict[str, Any]:
        """The public data attributes of a lent object: its own, and its class's that are
        not methods (``sizes = [2, 2]``, a nested ``class cost``)."""
        if isinstance(obj, type) or _is_function(obj):
            return {}
        attributes = {}
        for klass in reversed(type(obj).__mro__[:-1]):
            for name, value in vars(klass).items():
                if not inspect.isroutine(value) and not isinstance(
                    value, (staticmethod, classmethod, property)
                ):
                    attributes[name] = value
        with contextlib.suppress(TypeError):
            attributes.update(vars(obj))
        return {k: v for k, v in attributes.items() if not k.startswith("_")}

    def may_change(self, obj: Any) -> bool:
        """Never a class or a function lent by the grader."""
        if isinstance(obj, type) or _is_function(obj):
            self.incident(
                "the student's code changed a class or function lent by the grader; ignored"
            )
            return False
        return True

    def may_set(self, obj: Any, name: Any) -> bool:
        """Public names only, never over a method of the object's class."""
        if (
            super().may_set(obj, name)
            and name.isidentifier()
            and not callable(getattr(type(obj), name, None))
        ):
            return True
        self.incident(f"the student's code set {str(name)[:80]!r} on a lent object; ignored")
        return False

    def forget(self) -> None:
        super().forget()
        self.refs.clear()

    # -- requests ------------------------------------------------------------------------

    def call(self, target: StudentObject, args: tuple, kwargs: dict) -> Any:
        """target(*args, **kwargs) in the kernel; the result as data or handles. Lists
        and arrays among ``args`` that the call changed in place are changed here too."""
        try:
            return self._ask(self.call_request(self.ref_of(target), None, args, kwargs), args)
        finally:
            self.call_ended()

    def getattr(self, target: StudentObject, name: str) -> Any:
        return self._ask(
            {"op": Op.GETATTR, "ref": self.ref_of(target), "name": name},
            error=AttributeError,
            name=name,
        )

    def setattr(self, target: StudentObject, name: str, value: Any) -> None:
        return self._ask(
            {
                "op": Op.SETATTR,
                "ref": self.ref_of(target),
                "name": name,
                "value": self.encode(value),
            },
            error=AttributeError,
            name=name,
        )

    def lookup(self, name: str) -> Any:
        """The value of the global ``name`` in the kernel (NameError if it has none)."""
        return self._ask({"op": Op.GLOBAL, "name": name}, error=NameError, name=name)

    def _ask(self, message, args=(), error=None, name=None):
        self.depth += 1
        try:
            self.send(message)
            return self.wait(args)
        except StudentError as e:
            if error is not None and e.type_name == error.__name__:
                raise error(name) from None
            raise
        finally:
            self.depth -= 1

    def settle(self, message: Reply, args: Sequence) -> None:
        """The kernel's answer: its changes to list and array arguments made here too,
        its warnings warned again here."""
        self._apply_mutations(args, message.get("mutated"))
        warned = message.get("warnings")
        for category, text in warned[:20] if isinstance(warned, list) else ():
            kind = getattr(builtins, str(category), None)
            kind = kind if isinstance(kind, type) and issubclass(kind, Warning) else UserWarning
            warnings.warn_explicit(str(text), kind, "student", 0)

    def remote_error(self, message: Reply) -> Exception:
        return student_error(message)

    def _apply_mutations(self, args, mutated):
        """The kernel changed some list or array arguments in place: change ours."""
        for key, data in mutated.items() if isinstance(mutated, dict) else ():
            index = int(key) if str(key).isdigit() else -1
            if not 0 <= index < len(args):
                continue
            original, value = args[index], self.decode(data)
            with contextlib.suppress(TypeError, ValueError):
                if isinstance(original, list) and isinstance(value, list):
                    original[:] = value
                elif isinstance(original, np.ndarray) and np.shape(value) == original.shape:
                    original[...] = value

    def serve(self, message: Message) -> Reply:
        """The reply to the kernel's call of a lent function or method (the only request
        the kernel may make)."""
        op, ref, method = message["op"], message.get("ref"), message.get("method")
        if op != Op.CALL:
            raise self.refuse(f"the kernel sent an unexpected {op!r} message during a check")
        obj = self.lent.get(ref) if type(ref) is int else None
        if obj is None:
            self.incident(
                "the student's code used an object lent by a check after that "
                "call had ended (kept from an earlier call)"
            )
            return {
                "op": Op.RAISE,
                "type": "RuntimeError",
                "message": "this object was lent for an earlier call and is gone",
            }
        try:
            self.apply_state(message)
            if method is None and _is_function(obj):
                target = obj
            elif isinstance(method, str) and method in self.methods(obj):
                target = getattr(obj, method)
            else:
                self.incident(
                    f"the student's code called {str(method)[:80]!r}, which the check does not lend"
                )
                return {
                    "op": Op.RAISE,
                    "type": "AttributeError",
                    "message": f"{str(method)[:80]!r} is not available here",
                }
            args, kwargs = self.arguments(message)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                value = target(*args, **dict(kwargs))
            return {"op": Op.RETURN, "value": self.encode(value)}
        except Exception as e:
            return error_reply(e)
