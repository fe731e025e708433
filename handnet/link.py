"""One conversation of the grading protocol (``handnet.wire``), as both sides hold it:
``Link`` is what the kernel's side (``handnet.probe.KernelLink``) and the grader's side
(``handnet_grader.trust.grader_link.GraderLink``) share, so that each rule of the
protocol is written once.

A side's own objects that the other holds handles to are numbered here, one handle per
object. A message goes out with the ``state`` of the lent objects that changed here, and
a message's ``state`` is applied here. ``wait`` serves the other side's requests until
it answers ours. What a side trusts is what it overrides: how it describes and reads
handles, which attributes of a lent object it reads and lets the other side set, how it
serves a request and what an answer's RAISE becomes. The grader trusts nothing the
kernel sends; the kernel trusts the grader.
"""

import contextlib
import itertools
import socket
from collections.abc import Sequence
from typing import Any

from handnet.wire import (
    CallRequest,
    Data,
    Message,
    Mirror,
    Op,
    ProtocolError,
    Reply,
    Tag,
    decode,
    encode,
)
from handnet.wire import receive as receive_message
from handnet.wire import send as send_message


class Link:
    """One conversation over ``sock``. ``keep_lent``: a session, whose lent objects live
    until it ends (in a check, until the outermost CALL returns)."""

    def __init__(self, sock: socket.socket, keep_lent: bool = False):
        self.sock = sock
        self.keep_lent = keep_lent
        self.mine: dict[int, Any] = {}  # ref -> an object of this side the other holds
        self.refs: dict[int, int] = {}  # id(object) -> its ref, one handle per object
        self.counter = itertools.count()  # refs are never reused in a conversation
        self.lent: dict[int, Any] = {}  # ref -> an object the grader lent
        self.mirror = Mirror()
        self.depth = 0  # calls in progress, as the side counts them (see call_ended)

    # -- what each side decides ----------------------------------------------------------

    def as_handle(self, obj: Any) -> Data:
        """The handle of a value that is not plain data (``handle`` for this side's own)."""
        raise NotImplementedError

    def describe(self, obj: Any) -> dict:
        """What the other side learns of one of this side's objects with its first handle."""
        raise NotImplementedError

    def from_handle(self, data: dict) -> Any:
        """The value for a handle the other side sent."""
        raise NotImplementedError

    def attributes(self, obj: Any) -> dict[str, Any]:
        """The data attributes of a lent object that travel in ``state``."""
        raise NotImplementedError

    def may_change(self, obj: Any) -> bool:
        """Whether the other side's ``state`` may change the lent ``obj`` at all."""
        return True

    def may_set(self, obj: Any, name: Any) -> bool:
        """Whether the other side's ``state`` may set ``name`` on the lent ``obj``."""
        return isinstance(name, str) and not name.startswith("_")

    def serve(self, message: Message) -> Reply:
        """The reply to one of the other side's requests."""
        raise NotImplementedError

    def settle(self, message: Reply, args: Sequence) -> None:
        """What else the answer to our request carries (``args``: our CALL's arguments)."""

    def breach(self, error: ProtocolError) -> ProtocolError:
        """The error to raise for a message or data of the other side's that the protocol
        does not allow."""
        return error

    def remote_error(self, message: Reply) -> Exception:
        """The exception to raise for the other side's RAISE."""
        raise NotImplementedError

    # -- data and handles ----------------------------------------------------------------

    def handle(self, obj: Any) -> dict:
        """The handle of one of this side's objects: the same for the same object, and
        described the first time."""
        ref = self.refs.get(id(obj))
        if ref is not None:
            return {Tag.OBJECT: ref}
        ref = self.refs[id(obj)] = next(self.counter)
        self.mine[ref] = obj
        return {Tag.OBJECT: ref, **self.describe(obj)}

    def encode(self, value: Any) -> Data:
        return encode(value, self.as_handle)

    def decode(self, data: Data) -> Any:
        """The other side's data as values (what breaks the protocol, through ``breach``)."""
        try:
            return decode(data, self.from_handle)
        except ProtocolError as e:
            raise self.breach(e) from None

    def call_request(self, ref: int, method: str | None, args: tuple, kwargs: dict) -> CallRequest:
        """The CALL of the other side's object ``ref`` (or its ``method``)."""
        return {
            "op": Op.CALL,
            "ref": ref,
            "method": method,
            "args": self.encode(list(args)),
            "kwargs": self.encode(dict(kwargs)),
        }

    def arguments(self, message: CallRequest) -> tuple[Any, Any]:
        """(args, kwargs) of a CALL, decoded."""
        args = self.decode(message.get("args", []))
        return args, self.decode(message.get("kwargs", {Tag.DICT: []}))

    # -- lent objects' attributes --------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send ``message`` with the lent objects' attributes that changed here."""
        state = self.mirror.state(self.lent, self.attributes, self.encode)
        if state:
            message["state"] = state
        send_message(self.sock, message)

    def apply_state(self, message: Message) -> None:
        """The other side's changes to lent objects' attributes, applied here (the names
        that ``may_set`` allows)."""
        state = message.get("state")
        for key, attributes in state.items() if isinstance(state, dict) else ():
            ref = int(key) if str(key).isdigit() else None
            obj = self.lent.get(ref)
            if (
                obj is None
                or not isinstance(attributes, dict)
                or not attributes
                or not self.may_change(obj)
            ):
                continue
            for name, data in attributes.items():
                if self.may_set(obj, name):
                    value = self.decode(data)
                    self.mirror.saw(ref, {name: value})
                    with contextlib.suppress(TypeError, ValueError, AttributeError):
                        setattr(obj, name, value)

    def forget(self) -> None:
        """Forget the lent objects (their call or session has ended)."""
        self.lent.clear()
        self.mirror.forget()

    def call_ended(self) -> None:
        """A CALL has ended: in a check, the outermost one takes the lent objects along."""
        if self.depth == 0 and not self.keep_lent:
            self.forget()

    # -- requests ------------------------------------------------------------------------

    def receive(self) -> Message:
        """The other side's next message (what breaks the protocol, through ``breach``)."""
        try:
            return receive_message(self.sock)
        except ProtocolError as e:
            raise self.breach(e) from None

    def wait(self, args: Sequence = ()) -> Any:
        """Serve the other side's requests until it answers ours: the value of its
        RETURN, or the exception for its RAISE."""
        while True:
            message = self.receive()
            op = message["op"]
            if op != Op.RETURN and op != Op.RAISE:
                self.send(self.serve(message))
                if op == Op.CALL:
                    self.call_ended()
                continue
            value = self.decode(message.get("value")) if op == Op.RETURN else None
            self.apply_state(message)
            self.settle(message, args)
            if op == Op.RAISE:
                raise self.remote_error(message)
            return value
