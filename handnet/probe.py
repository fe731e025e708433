"""The kernel's side of trusted grading: run the student's functions for a check whose
verdict is decided by the grader, in another process.

While a submission is graded, the hidden test line of a test cell,

    from handnet_ref.checks.neuron import check_sigmoid; check_sigmoid(sigmoid)

does not import the reference (the grading kernel cannot see it). A stand-in package put
first on the kernel's path (``handnet_grader/kernel_path``) turns the call into
``run_check("neuron", "check_sigmoid", sigmoid)``: this module connects to the grader's
socket (``$HANDNET_VERDICT_SOCKET``), and the grader runs the real check in its own
process. Whenever the check calls the student's function, the grader sends the arguments
here, the function runs in this kernel, and the result goes back as plain data: numbers,
strings, NumPy arrays of numbers, and lists, tuples and dicts of them. Anything else
travels as a handle (``{"$ref": n}``) that the other side can only call or ask for
attributes, so neither side ever runs code the other built. When the student's code calls
a method of an object the check lent it (``self.backprop`` of a stand-in network), the
call goes back to the grader in the same way.

Nothing here decides a verdict: the student can change anything in this process,
including this module, and the grader still compares the raw results with the reference
itself. The verdict comes back only so that the cell shows it.

The wire format (``send``/``receive``, ``encode``/``decode``) is shared with the grader's
side, ``handnet_grader.verdicts``: a message is an 8-byte length and then JSON; arrays are
base64 of their bytes with their dtype and shape. Decoding accepts numeric dtypes only.
"""

import base64
import builtins
import json
import os
import socket
import struct
import types
import warnings

import numpy as np

SOCKET_ENV = "HANDNET_VERDICT_SOCKET"
MAX_MESSAGE = 512 * 1024 * 1024
MAX_DEPTH = 64
_HEADER = struct.Struct("!Q")


class ProtocolError(Exception):
    """A message that is not what the protocol allows (or the other side went away)."""


class CheckFailed(AssertionError):
    """The grader's verdict on a hidden check: failed, with the message for the student."""


# --- the wire -----------------------------------------------------------------------------


def send(sock, message):
    """Send one message (a JSON-able dict) on a connected socket."""
    body = json.dumps(message, allow_nan=True).encode()
    sock.sendall(_HEADER.pack(len(body)) + body)


def _read_exactly(sock, n):
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ProtocolError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock, limit=MAX_MESSAGE):
    """One message from the socket; ProtocolError if it is too large, not JSON, or not a
    dict with an "op"."""
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if size > limit:
        raise ProtocolError(f"a message of {size} bytes (the limit is {limit})")
    try:
        message = json.loads(_read_exactly(sock, size))
    except ValueError as e:
        raise ProtocolError(f"a message that is not JSON ({e})") from None
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise ProtocolError("a message without an operation")
    return message


_NUMERIC = "biufc"


def encode(value, as_ref, depth=0):
    """``value`` as JSON-able data; ``as_ref(obj)`` gives the JSON of a handle for
    anything that is not plain data."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in _NUMERIC and not value.dtype.fields:
        # tobytes() is in C order whatever the layout (ascontiguousarray would make a
        # 0-d array 1-d)
        return {"$array": base64.b64encode(value.tobytes()).decode(),
                "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic) and value.dtype.kind in _NUMERIC:
        return {"$scalar": base64.b64encode(value.tobytes()).decode(), "dtype": value.dtype.str}
    if type(value) is list:
        return [encode(v, as_ref, depth + 1) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode(v, as_ref, depth + 1) for v in value]}
    if type(value) is dict:
        return {"$dict": [[encode(k, as_ref, depth + 1), encode(v, as_ref, depth + 1)]
                          for k, v in value.items()]}
    return as_ref(value)


def _dtype(text):
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise ProtocolError(f"unknown dtype {text!r}") from None
    if dtype.kind not in _NUMERIC or dtype.fields or dtype.hasobject:
        raise ProtocolError(f"dtype {text!r} is not numeric")
    return dtype


def decode(data, from_ref, depth=0):
    """The value that ``encode`` produced; ``from_ref(data)`` turns a handle's JSON into
    a value."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, from_ref, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise ProtocolError("malformed data")
    if "$array" in data:
        dtype = _dtype(data.get("dtype"))
        shape = data.get("shape")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise ProtocolError("malformed array shape")
        raw = base64.b64decode(data["$array"])
        if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ProtocolError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "$scalar" in data:
        dtype = _dtype(data.get("dtype"))
        raw = base64.b64decode(data["$scalar"])
        if len(raw) != dtype.itemsize:
            raise ProtocolError("scalar bytes do not match its dtype")
        return np.frombuffer(raw, dtype=dtype)[0]
    if "$tuple" in data and isinstance(data["$tuple"], list):
        return tuple(decode(v, from_ref, depth + 1) for v in data["$tuple"])
    if "$dict" in data and isinstance(data["$dict"], list):
        pairs = [(decode(k, from_ref, depth + 1), decode(v, from_ref, depth + 1))
                 for k, v in (p if isinstance(p, list) and len(p) == 2 else (None, None)
                              for p in data["$dict"])]
        try:
            return dict(pairs)
        except TypeError:
            raise ProtocolError("a dict key that cannot be a key") from None
    if ("$ref" in data and type(data["$ref"]) is int) or "$lent" in data or \
            "$generator" in data or "$module" in data or "$own" in data:
        return from_ref(data)
    raise ProtocolError("malformed data")


def _canonical(data):
    """``data`` with each lent object's description replaced by the handle that the
    kernel sends back for it, so that both sides see an unchanged attribute as equal."""
    if isinstance(data, list):
        return [_canonical(d) for d in data]
    if isinstance(data, dict):
        if isinstance(data.get("$lent"), dict):
            return {"$ref": -1 - data["$lent"].get("ref", 0)}
        return {k: _canonical(v) for k, v in data.items()}
    return data


class AttributeSync:
    """What each side last saw of the data attributes of lent objects, so that only the
    attributes that changed cross, and an attribute that did not change keeps its
    identity (the student's code may hold ``w = self.weights[0]`` and change it in
    place across a call of ``self.feedforward``)."""

    def __init__(self):
        self.seen = {}

    def _changed(self, ref, name, data):
        text = json.dumps(_canonical(data), sort_keys=True)
        seen = self.seen.setdefault(ref, {})
        if seen.get(name) == text:
            return False
        seen[name] = text
        return True

    def outgoing(self, ref, attributes, encode):
        """{name: data} of the attributes that changed since last seen (now seen)."""
        out = {}
        for name, value in attributes.items():
            data = encode(value)
            if self._changed(ref, name, data):
                out[name] = data
        return out

    def incoming(self, ref, attributes):
        """The attributes of a message that differ from what was last seen."""
        return {name: data for name, data in attributes.items()
                if isinstance(name, str) and self._changed(ref, name, data)}

    def forget(self):
        self.seen.clear()


def warning_list(caught):
    """Warnings caught while the student's code ran, as [category name, message] pairs."""
    return [[w.category.__name__, str(w.message)[:500]] for w in caught]


def error_reply(exc):
    """The reply for an exception raised while serving a request."""
    return {"op": "raise", "type": type(exc).__name__, "message": str(exc)[:2000],
            "not_implemented": isinstance(exc, NotImplementedError)}


# --- the kernel's side --------------------------------------------------------------------


class Lent:
    """An object the grader lent to the student's code (a stand-in network, a cost class,
    a function of the test): its data attributes live here, its methods run in the
    grader. (Generators are not lent: they come over by value, as real Generators.)"""

    def __init__(self, link, ref, kind, name, attributes, methods, text=None):
        object.__setattr__(self, "_probe", (link, ref, kind, name, frozenset(methods)))
        object.__setattr__(self, "_text", text or f"<{name} lent by the grader>")
        self.__dict__.update(attributes)

    def __getattr__(self, name):
        link, ref, kind, _, methods = object.__getattribute__(self, "_probe")
        if name in methods:
            return lambda *args, **kwargs: link.callback(self, ref, name, args, kwargs)
        raise AttributeError(f"{object.__getattribute__(self, '_probe')[3]} has no "
                             f"attribute {name!r} here")

    def __call__(self, *args, **kwargs):
        link, ref, kind, name, _ = object.__getattribute__(self, "_probe")
        if kind != "function":
            raise TypeError(f"{name} is not callable")
        return link.callback(self, ref, None, args, kwargs)

    def __repr__(self):
        """The original's repr for a class (``str(self.cost)`` is part of a catalogued
        mistake); a plain description otherwise."""
        return object.__getattribute__(self, "_text")


def _generator(state):
    """A NumPy Generator in the given PCG64 state (the grader lends generators by value)."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ProtocolError("only PCG64 generators can be lent")
    bit_generator = np.random.PCG64()
    bit_generator.state = state
    return np.random.Generator(bit_generator)


def _state(lent):
    return {k: v for k, v in vars(lent).items() if not k.startswith("_")}


class KernelLink:
    """One check's conversation with the grader, from the kernel's side."""

    def __init__(self, sock):
        self.sock = sock
        self.mine = []          # objects of this kernel the grader holds handles to
        self.mine_ids = {}      # id(object) -> its handle, one handle per object
        self.lent = {}          # grader handle -> Lent
        self.sync = AttributeSync()

    def as_ref(self, obj):
        if isinstance(obj, Lent):
            return {"$ref": -1 - object.__getattribute__(obj, "_probe")[1]}
        if isinstance(obj, types.ModuleType):
            return {"$module": obj.__name__}
        known = self.mine_ids.get(id(obj))
        if known is not None:
            return {"$ref": known}
        self.mine.append(obj)
        self.mine_ids[id(obj)] = len(self.mine) - 1
        kind = "class" if isinstance(obj, type) else "function" if callable(obj) else "object"
        name = getattr(obj, "__name__", None) if kind != "object" else None
        return {"$ref": len(self.mine) - 1, "kind": kind, "type": type(obj).__name__[:100],
                "name": name[:100] if isinstance(name, str) else None}

    def from_ref(self, data):
        if "$own" in data:
            try:
                return self.mine[data["$own"]]
            except (IndexError, TypeError):
                raise ProtocolError("the grader sent an unknown handle") from None
        if "$generator" in data:
            return _generator(data["$generator"])
        if "$lent" not in data or not isinstance(data["$lent"], dict):
            raise ProtocolError("the grader sent a bare handle")
        data = data["$lent"]
        ref = data["ref"]
        attributes = {k: self.decode(v) for k, v in
                      self.sync.incoming(ref, data.get("attributes", {})).items()}
        lent = self.lent.get(ref)
        if lent is None:
            text = data.get("repr") if isinstance(data.get("repr"), str) else None
            lent = Lent(self, data["ref"], data["kind"], data["name"], attributes,
                        data["methods"], text)
            self.lent[data["ref"]] = lent
        else:
            lent.__dict__.update(attributes)
        return lent

    def encode(self, value):
        return encode(value, self.as_ref)

    def decode(self, data):
        return decode(data, self.from_ref)

    def states(self):
        return {str(ref): self.sync.outgoing(ref, _state(lent), self.encode)
                for ref, lent in list(self.lent.items())}

    def wait(self):
        """Serve the grader's requests until it answers ours."""
        while True:
            message = receive(self.sock)
            op = message["op"]
            if op == "return":
                for ref, attributes in message.get("states", {}).items():
                    lent = self.lent.get(int(ref))
                    if lent is not None:
                        changed = self.sync.incoming(int(ref), attributes)
                        lent.__dict__.update({k: self.decode(v) for k, v in changed.items()})
                return self.decode(message.get("value"))
            if op == "raise":
                raise _remote_error(message)
            send(self.sock, self.serve(message))

    def serve(self, message):
        op = message["op"]
        if op == "global":
            namespace = _user_namespace()
            name = message.get("name")
            if name not in namespace:
                return {"op": "raise", "type": "NameError", "message": str(name)}
            try:
                return {"op": "return", "value": self.encode(namespace[name])}
            except Exception as e:
                return error_reply(e)
        try:
            target = self.mine[message["ref"]]
        except (KeyError, IndexError, TypeError):
            return {"op": "raise", "type": "ProtocolError", "message": "unknown handle"}
        if op == "getattr":
            try:
                return {"op": "return", "value": self.encode(getattr(target, message["name"]))}
            except Exception as e:
                return error_reply(e)
        if op == "setattr":
            try:
                setattr(target, message["name"], self.decode(message.get("value")))
                return {"op": "return", "value": None}
            except Exception as e:
                return error_reply(e)
        if op == "call":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                args = []
                try:
                    args = self.decode(message.get("args", []))
                    kwargs = self.decode(message.get("kwargs", {"$dict": []}))
                    value = target(*args, **kwargs)
                    reply = {"op": "return", "value": self.encode(value)}
                except BaseException as e:   # the student's code: anything can happen
                    reply = error_reply(e)
            reply["warnings"] = warning_list(caught)
            reply["mutated"] = self._mutated(message.get("args", []), args)
            reply["states"] = self.states()
            return reply
        return {"op": "raise", "type": "ProtocolError", "message": f"unknown operation {op!r}"}

    def _mutated(self, sent, args):
        """{index: data} for list and array arguments the call changed in place."""
        changed = {}
        if not isinstance(sent, list):
            return changed
        for index, (data, arg) in enumerate(zip(sent, args)):
            if isinstance(arg, (list, np.ndarray)) and "$lent" not in json.dumps(data):
                try:
                    now = self.encode(arg)
                except Exception:
                    continue
                if json.dumps(now, sort_keys=True) != json.dumps(data, sort_keys=True):
                    changed[str(index)] = now
        return changed

    def callback(self, lent, ref, method, args, kwargs):
        send(self.sock, {"op": "callback", "ref": ref, "method": method,
                         "args": self.encode(list(args)), "kwargs": self.encode(dict(kwargs)),
                         "states": self.states()})
        return self.wait()


def _remote_error(message):
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


def run_check(topic, name, *objects):
    """Have the grader run ``handnet_ref.checks.<topic>.<name>(*objects)``; raises
    CheckFailed with the grader's message if the check failed."""
    path = os.environ.get(SOCKET_ENV)
    if not path:
        raise RuntimeError("the hidden checks run only while the grader grades this notebook")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        link = KernelLink(sock)
        send(sock, {"op": "check", "topic": topic, "name": name,
                    "args": link.encode(list(objects))})
        verdict = link.wait()
    finally:
        sock.close()
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


def serve_grader():
    """Answer the grader while it runs a test cell's visible tests in its own process:
    it asks for the student's names and calls them here (grading kernels only)."""
    path = os.environ.get(SOCKET_ENV)
    if not path:
        return
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        send(sock, {"op": "session"})
        KernelLink(sock).wait()
    finally:
        sock.close()


def check_function(topic, name):
    """A stand-in for ``handnet_ref.checks.<topic>.<name>`` that asks the grader."""
    def check(*objects):
        return run_check(topic, name, *objects)
    check.__name__ = check.__qualname__ = name
    check.__module__ = f"handnet_ref.checks.{topic}"
    return check


__all__ = ["CheckFailed", "ProtocolError", "check_function", "decode", "encode", "receive",
           "run_check", "send", "serve_grader"]
