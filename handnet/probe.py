"""The kernel's side of trusted grading: run the student's functions for a check whose
verdict is decided by the grader, in another process.

While a submission is graded, the hidden test line of a test cell,

    from handnet_ref.checks.neuron import check_sigmoid; check_sigmoid(sigmoid)

does not import the reference (the grading kernel cannot see it). A stand-in package put
first on the kernel's path (``handnet_grader/kernel_path``) turns the call into
``run_check("neuron", "check_sigmoid", sigmoid)``: this module connects to the grader's
socket, and the grader runs the real check in its own process. Whenever the check calls
the student's function, the arguments come here, the function runs in this kernel, and
the result goes back as data; when the student's code calls a method of an object the
check lent it (``self.backprop`` of a stand-in network), the call goes back to the
grader. The messages, the data and the handles are specified in ``handnet.wire``.

Nothing here decides a verdict: the student can change anything in this process,
including this module, and the grader still compares the raw results with the reference
itself. The verdict comes back only so that the cell shows it. What the kernel's side
shares with the grader's is ``handnet.link.Link``; ``KernelLink`` adds what the kernel
does: the handles it describes, the ``Lent`` objects, and how it serves the grader.
"""

import builtins
import os
import socket
import types
import warnings

import numpy as np

from handnet.link import Link
from handnet.wire import (
    SOCKET_ENV,
    CheckFailed,
    Kind,
    Message,
    Op,
    ProtocolError,
    Reply,
    Tag,
    error_reply,
    same,
    send,
    snapshot,
    warning_list,
)


class Lent:
    """An object the grader lent to the student's code (a stand-in network, a cost class,
    a function of the test): its data attributes live here, its methods run in the
    grader. (Generators are not lent: they come over by value, as real Generators.)"""

    def __init__(self, link, ref, kind, name, methods, text=None):
        self._lent = (link, ref, kind, name, frozenset(methods))
        self._text = text or f"<{name} lent by the grader>"
        if kind in (Kind.CLASS, Kind.FUNCTION):
            self.__name__ = name

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        link, ref, _, what, methods = self._lent
        if name in methods:
            return lambda *args, **kwargs: link.callback(ref, name, args, kwargs)
        raise AttributeError(f"{what} has no attribute {name!r} here")

    def __call__(self, *args, **kwargs):
        link, ref, kind, name, _ = self._lent
        if kind != Kind.FUNCTION:
            raise TypeError(f"{name} is not callable")
        return link.callback(ref, None, args, kwargs)

    def __repr__(self):
        """The original's repr for a class (``str(self.cost)`` is part of a catalogued
        mistake); a plain description otherwise."""
        return self._text


def _kind(obj):
    return Kind.CLASS if isinstance(obj, type) else Kind.FUNCTION if callable(obj) else Kind.OBJECT


class KernelLink(Link):
    """One conversation with the grader, from the kernel's side: ``mine`` holds the
    student's objects the grader has handles to, ``lent`` the grader's ``Lent`` objects."""

    def as_handle(self, obj):
        if isinstance(obj, Lent):
            return {Tag.BACK: obj._lent[1]}
        if isinstance(obj, types.ModuleType):
            return {Tag.MODULE: obj.__name__}
        return self.handle(obj)

    def describe(self, obj):
        kind = _kind(obj)
        name = getattr(obj, "__name__", None) if kind != Kind.OBJECT else None
        return {
            "kind": kind,
            "type": type(obj).__name__[:100],
            "name": name[:100] if isinstance(name, str) else None,
        }

    def from_handle(self, data):
        if Tag.BACK in data:
            if data[Tag.BACK] not in self.mine:
                raise ProtocolError("the grader sent an unknown handle")
            return self.mine[data[Tag.BACK]]
        if Tag.OBJECT not in data:
            raise ProtocolError("the grader sent a module")
        ref = data[Tag.OBJECT]
        lent = self.lent.get(ref)
        if lent is None:
            text = data.get("repr") if isinstance(data.get("repr"), str) else None
            lent = self.lent[ref] = Lent(
                self, ref, data.get("kind"), str(data.get("name")), data.get("methods") or (), text
            )
        return lent

    def attributes(self, obj):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}

    def remote_error(self, message):
        return _remote_error(message)

    def serve(self, message: Message) -> Reply:
        """The reply to one of the grader's requests."""
        op = message["op"]
        try:
            if op == Op.GLOBAL:
                self.apply_state(message)
                namespace = _user_namespace()
                name = message.get("name")
                if name not in namespace:
                    return {"op": Op.RAISE, "type": "NameError", "message": str(name)}
                return {"op": Op.RETURN, "value": self.encode(namespace[name])}
            ref = message.get("ref")
            if type(ref) is not int or ref not in self.mine:
                return {"op": Op.RAISE, "type": "ProtocolError", "message": "unknown handle"}
            target = self.mine[ref]
            if op == Op.GETATTR:
                self.apply_state(message)
                return {"op": Op.RETURN, "value": self.encode(getattr(target, message["name"]))}
            if op == Op.SETATTR:
                value = self.decode(message.get("value"))
                self.apply_state(message)
                setattr(target, message["name"], value)
                return {"op": Op.RETURN, "value": None}
        except Exception as e:
            return error_reply(e)
        if op == Op.CALL:
            self.depth += 1
            try:
                return self._call(target, message)
            finally:
                self.depth -= 1
        return {"op": Op.RAISE, "type": "ProtocolError", "message": f"unknown operation {op!r}"}

    def _call(self, target, message):
        """Call the student's ``target`` as the grader asks: the reply says what came
        back, the warnings, and the list and array arguments changed in place."""
        args, watched = [], {}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                args, kwargs = self.arguments(message)
                self.apply_state(message)
                watched = {
                    i: snapshot(a)
                    for i, a in enumerate(args)
                    if type(a) is list or isinstance(a, np.ndarray)
                }
                reply = {"op": Op.RETURN, "value": self.encode(target(*args, **kwargs))}
            except BaseException as e:  # the student's code: anything can happen
                reply = error_reply(e)
        reply["warnings"] = warning_list(caught)
        reply["mutated"] = {}
        for index, before in watched.items():
            if not same(args[index], before):
                try:
                    reply["mutated"][str(index)] = self.encode(args[index])
                except Exception:
                    pass
        return reply

    def callback(self, ref: int, method: str | None, args: tuple, kwargs: dict):
        """Call the grader's lent object ``ref`` (or its ``method``)."""
        self.send(self.call_request(ref, method, args, kwargs))
        return self.wait()


def _remote_error(message):
    """The exception for the grader's RAISE: a builtin by name, CheckFailed, or else a
    RuntimeError that names the type."""
    text = str(message.get("message", ""))
    if message.get("not_implemented"):
        return NotImplementedError(text)
    kind = message.get("type")
    if kind == "CheckFailed":
        return CheckFailed(text)
    builtin = getattr(builtins, str(kind), None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(text)
        except Exception:
            pass
    return RuntimeError(f"{kind}: {text}")


def _connect():
    path = os.environ.get(SOCKET_ENV)
    if not path:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def run_check(topic: str, name: str, *objects) -> None:
    """Have the grader run ``handnet_ref.checks.<topic>.<name>(*objects)``; raises
    CheckFailed with the grader's message if the check failed."""
    sock = _connect()
    if sock is None:
        raise RuntimeError("the hidden checks run only while the grader grades this notebook")
    with sock:
        link = KernelLink(sock)
        link.send(
            {"op": Op.CHECK, "topic": topic, "name": name, "args": link.encode(list(objects))}
        )
        verdict = link.wait()
    if not (isinstance(verdict, dict) and verdict.get("passed")):
        message = verdict.get("message") if isinstance(verdict, dict) else None
        raise CheckFailed(message or "the check failed")


def _user_namespace():
    """The kernel's namespace of the student's names."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:
        pass
    import __main__

    return vars(__main__)


def serve_grader() -> None:
    """Answer the grader while it runs a test cell's visible tests in its own process:
    it asks for the student's names and calls them here (grading kernels only)."""
    sock = _connect()
    if sock is None:
        return
    with sock:
        link = KernelLink(sock, keep_lent=True)
        link.send({"op": Op.SESSION})
        link.wait()


def check_function(topic: str, name: str):
    """A stand-in for ``handnet_ref.checks.<topic>.<name>`` that asks the grader."""

    def check(*objects):
        return run_check(topic, name, *objects)

    check.__name__ = check.__qualname__ = name
    check.__module__ = f"handnet_ref.checks.{topic}"
    return check


__all__ = [
    "CheckFailed",
    "KernelLink",
    "Lent",
    "ProtocolError",
    "check_function",
    "run_check",
    "send",
    "serve_grader",
]
