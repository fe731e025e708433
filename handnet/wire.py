"""The grading protocol between the grader and a grading kernel: its specification, and
everything both sides share (message kinds, data tags, framing, plain data, the sync of
lent objects' attributes); ``handnet.link`` holds a conversation as both sides do. The
kernel's side is ``handnet.probe``; the grader's is ``handnet_grader.trust.grader_link``
and ``handnet_grader.trust.verdicts``. (Over 300 lines: this docstring is the protocol's
specification, kept beside the code it specifies.)

Transport. While a submission is graded the grader listens on a Unix socket whose path
a kernel finds in ``$HANDNET_VERDICT_SOCKET``; the kernel opens one connection per
conversation. A message is an 8-byte big-endian length and then that many bytes of JSON
(at most ``MAX_MESSAGE``): an object whose ``op`` is one of ``Op``.

Conversations. The kernel opens one with
  CHECK   {topic, name, args}  run ``handnet_ref.checks.<topic>.<name>(*args)``, or
  SESSION {}                   the grader runs a test cell's visible tests itself,
and the grader ends it with RETURN {value}: the verdict ``{"passed", "message"}`` of a
check, null for a session. Meanwhile each side may send requests; the sender waits for
the answer, serving the other side's requests that come first (one call stack across
two processes):
  CALL    {ref, method, args, kwargs}  call the receiver's object ``ref``, or its method
          ``method``: the grader calls the student's functions; the kernel calls back a
          function or a listed method of an object the grader lent;
  GETATTR {ref, name}, SETATTR {ref, name, value}  the grader reads or sets an attribute
          of a student's object;
  GLOBAL  {name}  the grader asks for a name of the student's namespace (sessions).
The answer is RETURN {value} or RAISE {type, message, not_implemented}; the kernel's
answer to a CALL also holds ``warnings`` ([category, text] caught while the student's
code ran) and ``mutated`` ({index: data} for the list and array arguments that the call
changed in place, so that the grader changes its own the same way).

Data. Plain data travels by value: null, booleans, numbers (NaN and infinities as in
Python's json), strings and lists as themselves, and
  {"$tuple": [...]}, {"$dict": [[key, value], ...]},
  {"$array": base64 of its C-order bytes, "dtype", "shape"} (numeric dtypes only),
  {"$scalar": base64, "dtype"} (a NumPy number),
  {"$generator": state} (a NumPy Generator on PCG64, by value: a copy).
Anything else is a handle:
  {"$object": ref, ...}  an object of the sender, which the receiver can only call or ask
          about; the first time, with its ``kind`` (``Kind``), ``type`` and ``name``, and
          for an object the grader lends, its ``repr`` and the ``methods`` that may be
          called back;
  {"$back": ref}         an object of the receiver's own, handed back;
  {"$module": name}      a module (from the kernel): the grader uses its own import.
Nothing is ever unpickled or evaluated: neither side runs code the other built. Data
nested deeper than ``MAX_DEPTH`` is refused.

Lent objects. The grader lends the objects of a check (a stand-in network, a cost class,
a function) for one CALL; in the kernel each becomes a ``handnet.probe.Lent`` whose data
attributes live there and whose methods run in the grader. Any message may carry
``state``: {ref: {name: data}}, the public data attributes of lent objects that changed
since the other side last saw them (``Mirror``); an attribute that did not change does
not travel, and so keeps its identity on the other side. In a check both sides forget lent objects when the
outermost CALL returns; in a session, when it ends.

Trust. The grader decides every verdict and trusts nothing the kernel sends: the student
can change anything in the kernel's process, this module included. A message that breaks
this specification is refused (``ProtocolError``) and recorded by the grader.
"""

import base64
import json
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypeAlias, TypedDict

import numpy as np

SOCKET_ENV = "HANDNET_VERDICT_SOCKET"
MAX_MESSAGE = 512 * 1024 * 1024
MAX_DEPTH = 64
HEADER = struct.Struct("!Q")
NUMERIC = "biufc"  # the dtype kinds that travel as data


class Op:
    """The kinds of message (the ``op`` of each). Plain strings, not an Enum: json
    encodes an Enum's members at half speed."""

    CHECK = "check"
    SESSION = "session"
    CALL = "call"
    GETATTR = "getattr"
    SETATTR = "setattr"
    GLOBAL = "global"
    RETURN = "return"
    RAISE = "raise"


class Tag:
    """The keys that mark data that is not plain JSON."""

    TUPLE = "$tuple"
    DICT = "$dict"
    ARRAY = "$array"
    SCALAR = "$scalar"
    GENERATOR = "$generator"
    OBJECT = "$object"
    BACK = "$back"
    MODULE = "$module"


class Kind:
    """What a handle stands for."""

    FUNCTION = "function"
    CLASS = "class"
    OBJECT = "object"


def _names(constants: type) -> frozenset[str]:
    return frozenset(v for k, v in vars(constants).items() if k.isupper())


OPS, TAGS, KINDS = _names(Op), _names(Tag), _names(Kind)


Data: TypeAlias = "None | bool | int | float | str | list[Data] | dict[str, Data]"
State: TypeAlias = "dict[str, dict[str, Data]]"  # lent ref (as text) -> {name: data}


class _Common(TypedDict, total=False):
    state: State


class CheckRequest(_Common):
    op: str  # Op.CHECK
    topic: str
    name: str
    args: Data  # a list


class SessionRequest(_Common):
    op: str  # Op.SESSION


class CallRequest(_Common):
    op: str  # Op.CALL
    ref: int
    method: str | None
    args: Data  # a list
    kwargs: Data  # a $dict


class AttributeRequest(_Common):
    op: str  # Op.GETATTR, Op.SETATTR (with value) or Op.GLOBAL (no ref)
    ref: NotRequired[int]
    name: str
    value: NotRequired[Data]


class Reply(_Common):
    op: str  # Op.RETURN (with value) or Op.RAISE (with type, message, not_implemented)
    value: NotRequired[Data]
    type: NotRequired[str]
    message: NotRequired[str]
    not_implemented: NotRequired[bool]
    warnings: NotRequired[list[list[str]]]
    mutated: NotRequired[dict[str, Data]]


Message: TypeAlias = CheckRequest | SessionRequest | CallRequest | AttributeRequest | Reply


class ProtocolError(Exception):
    """A message that is not what the protocol allows."""


class Closed(ProtocolError):
    """The other side closed the connection (it finished, died or was stopped)."""


class CheckFailed(AssertionError):
    """A hidden check failed; the message is written for the student. Raised by the
    checks in the grader, and in the kernel when the grader's verdict is a failure."""


class RemoteError(Exception):
    """An exception raised on the other side, known by its type's name and message."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


@dataclass(frozen=True)
class Remote:
    """What a handle tells the checks about the object in the other process it stands
    for (see ``remote``)."""

    kind: str  # a Kind
    type_name: str  # its type's name, as the student sees it
    name: str | None  # its __name__, for a function or a class
    attribute: Callable[[str], Any]  # its attribute, asked of the other side (dunders too)


def remote(obj: object) -> Remote | None:
    """The description of ``obj`` if it is a handle on an object in the other process
    (its class defines ``__remote__``), else None."""
    describe = getattr(type(obj), "__remote__", None)
    return describe(obj) if describe is not None else None


# --- framing --------------------------------------------------------------------------


def send(sock, message: Message) -> None:
    """Send one message on a connected socket."""
    body = json.dumps(message, allow_nan=True).encode()
    sock.sendall(HEADER.pack(len(body)) + body)


def _read_exactly(sock, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise Closed("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock, limit: int = MAX_MESSAGE) -> Message:
    """One message from the socket; ProtocolError if it is too large, not JSON, or not
    an object with a known ``op``."""
    (size,) = HEADER.unpack(_read_exactly(sock, HEADER.size))
    if size > limit:
        raise ProtocolError(f"a message of {size} bytes (the limit is {limit})")
    try:
        message = json.loads(_read_exactly(sock, size))
    except ValueError as e:
        raise ProtocolError(f"a message that is not JSON ({e})") from None
    if not isinstance(message, dict) or message.get("op") not in OPS:
        raise ProtocolError("a message without a known operation")
    return message


# --- data -----------------------------------------------------------------------------


def _is_numeric(array: np.ndarray | np.generic) -> bool:
    return array.dtype.kind in NUMERIC and not array.dtype.fields


def encode(value: Any, as_handle: Callable[[Any], Data], depth: int = 0) -> Data:
    """``value`` as data; ``as_handle(obj)`` gives the handle of anything not plain."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.ndarray) and _is_numeric(value):
        # tobytes() is in C order whatever the layout
        return {
            Tag.ARRAY: base64.b64encode(value.tobytes()).decode(),
            "dtype": value.dtype.str,
            "shape": list(value.shape),
        }
    if isinstance(value, np.generic) and _is_numeric(value):
        return {Tag.SCALAR: base64.b64encode(value.tobytes()).decode(), "dtype": value.dtype.str}
    if isinstance(value, np.random.Generator) and type(value.bit_generator) is np.random.PCG64:
        return {Tag.GENERATOR: value.bit_generator.state}
    if type(value) is list:
        return [encode(v, as_handle, depth + 1) for v in value]
    if type(value) is tuple:
        return {Tag.TUPLE: [encode(v, as_handle, depth + 1) for v in value]}
    if type(value) is dict:
        return {
            Tag.DICT: [
                [encode(k, as_handle, depth + 1), encode(v, as_handle, depth + 1)]
                for k, v in value.items()
            ]
        }
    return as_handle(value)


def _dtype(text: Any) -> np.dtype:
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise ProtocolError(f"unknown dtype {text!r}") from None
    if dtype.kind not in NUMERIC or dtype.fields or dtype.hasobject:
        raise ProtocolError(f"dtype {text!r} is not numeric")
    return dtype


def _bytes(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ProtocolError("malformed base64")
    try:
        return base64.b64decode(text)
    except ValueError:
        raise ProtocolError("malformed base64") from None


def _generator(state: Any) -> np.random.Generator:
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ProtocolError("only PCG64 generators travel as data")
    bit_generator = np.random.PCG64()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError):
        raise ProtocolError("malformed generator state") from None
    return np.random.Generator(bit_generator)


def decode(data: Data, from_handle: Callable[[dict], Any], depth: int = 0) -> Any:
    """The value that ``encode`` made; ``from_handle(data)`` turns a handle into a value."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"data nested deeper than {MAX_DEPTH} levels")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, from_handle, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise ProtocolError("malformed data")
    if Tag.ARRAY in data:
        dtype, shape = _dtype(data.get("dtype")), data.get("shape")
        if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
            raise ProtocolError("malformed array shape")
        raw = _bytes(data[Tag.ARRAY])
        if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
            raise ProtocolError("array bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if Tag.SCALAR in data:
        dtype, raw = _dtype(data.get("dtype")), _bytes(data[Tag.SCALAR])
        if len(raw) != dtype.itemsize:
            raise ProtocolError("scalar bytes do not match its dtype")
        return np.frombuffer(raw, dtype=dtype)[0]
    if Tag.GENERATOR in data:
        return _generator(data[Tag.GENERATOR])
    if isinstance(data.get(Tag.TUPLE), list):
        return tuple(decode(v, from_handle, depth + 1) for v in data[Tag.TUPLE])
    if isinstance(data.get(Tag.DICT), list):
        pairs = [
            (decode(k, from_handle, depth + 1), decode(v, from_handle, depth + 1))
            for k, v in (
                p if isinstance(p, list) and len(p) == 2 else (None, None) for p in data[Tag.DICT]
            )
        ]
        try:
            return dict(pairs)
        except TypeError:
            raise ProtocolError("a dict key that cannot be a key") from None
    if (
        type(data.get(Tag.OBJECT)) is int
        or type(data.get(Tag.BACK)) is int
        or isinstance(data.get(Tag.MODULE), str)
    ):
        return from_handle(data)
    raise ProtocolError("malformed data")


# --- lent objects' attributes -----------------------------------------------------------


def same(a: Any, b: Any, depth: int = 0) -> bool:
    """Whether two values are the same plain data (arrays by dtype, shape and bytes;
    NaN equal to NaN), or the same object."""
    if a is b:
        return True
    if type(a) is not type(b) or depth > MAX_DEPTH:
        return False
    if isinstance(a, np.ndarray):  # byte for byte: any change at all is a change
        return (
            _is_numeric(a)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and a.tobytes() == b.tobytes()
        )
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y, depth + 1) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k], depth + 1) for k in a)
    if type(a) in (bool, int, str):
        return a == b
    if type(a) is float or (isinstance(a, np.generic) and _is_numeric(a)):
        return bool(a == b) or bool(np.isnan(a) and np.isnan(b))
    return False


def snapshot(value: Any, depth: int = 0) -> Any:
    """A copy of the plain data in ``value`` (other objects as themselves), to compare
    with later by ``same``."""
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, np.ndarray):
        return value.copy() if _is_numeric(value) else value
    if type(value) in (list, tuple):
        return type(value)(snapshot(v, depth + 1) for v in value)
    if type(value) is dict:
        return {k: snapshot(v, depth + 1) for k, v in value.items()}
    return value


class Mirror:
    """What the other side last saw of each lent object's data attributes."""

    def __init__(self):
        self.seen: dict[int, dict[str, Any]] = {}

    def changes(self, ref: int, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """The attributes that differ from what the other side last saw (now seen)."""
        seen = self.seen.setdefault(ref, {})
        changed = {
            name: value
            for name, value in attributes.items()
            if name not in seen or not same(value, seen[name])
        }
        self.saw(ref, changed)
        return changed

    def state(
        self,
        lent: Mapping[int, Any],
        attributes: Callable[[Any], dict[str, Any]],
        encode: Callable[[Any], Data],
    ) -> State:
        """The ``state`` of a message: for each lent object (ref -> object), the data of
        its ``attributes(object)`` that changed (now seen)."""
        state = {}
        for ref, obj in list(lent.items()):
            changed = self.changes(ref, attributes(obj))
            if changed:
                state[str(ref)] = {name: encode(value) for name, value in changed.items()}
        return state

    def saw(self, ref: int, attributes: Mapping[str, Any]) -> None:
        """Note the attributes that came from the other side."""
        seen = self.seen.setdefault(ref, {})
        for name, value in attributes.items():
            seen[name] = snapshot(value)

    def forget(self) -> None:
        self.seen.clear()


# --- replies ----------------------------------------------------------------------------


def error_reply(exc: BaseException) -> Reply:
    """The RAISE for an exception raised while serving a request."""
    kind = "CheckFailed" if isinstance(exc, CheckFailed) else type(exc).__name__
    return {
        "op": Op.RAISE,
        "type": kind,
        "message": str(exc)[:2000],
        "not_implemented": isinstance(exc, NotImplementedError),
    }


def warning_list(caught) -> list[list[str]]:
    """Warnings caught while the student's code ran, as [category name, message] pairs."""
    return [[w.category.__name__, str(w.message)[:500]] for w in caught]


__all__ = [
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "SOCKET_ENV",
    "CheckFailed",
    "Closed",
    "Data",
    "Kind",
    "Message",
    "Mirror",
    "Op",
    "ProtocolError",
    "Remote",
    "RemoteError",
    "Tag",
    "decode",
    "encode",
    "error_reply",
    "receive",
    "remote",
    "same",
    "send",
    "snapshot",
    "warning_list",
]
