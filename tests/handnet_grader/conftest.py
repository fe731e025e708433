"""A grading kernel's side of the protocol served in a thread, for the grader's tests."""

import socket
import threading

import pytest

from handnet import probe
from handnet.wire import ProtocolError
from handnet_grader.trust.grader_link import GraderLink


class Kernel:
    """A KernelLink serving the grader from a thread, with ``namespace`` as the student's
    names; ``handle(grader, obj)`` is the grader's handle on a kernel object."""

    def __init__(self, namespace, monkeypatch, keep_lent):
        self.grader_sock, self.kernel_sock = socket.socketpair()
        self.link = probe.KernelLink(self.kernel_sock, keep_lent=keep_lent)
        monkeypatch.setattr(probe, "_user_namespace", lambda: namespace)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            self.link.wait()
        except (ProtocolError, OSError):
            pass

    def handle(self, grader, obj):
        return grader.from_handle(self.link.as_handle(obj))


@pytest.fixture
def kernel(monkeypatch):
    """make(namespace, helpers, keep_lent) -> (Kernel, GraderLink, incidents)."""
    made = []

    def make(namespace=None, helpers=(), keep_lent=False):
        k = Kernel(namespace or {}, monkeypatch, keep_lent)
        incidents = []
        grader = GraderLink(k.grader_sock, helpers, incidents.append, keep_lent)
        made.append(k)
        return k, grader, incidents

    yield make
    for k in made:
        k.grader_sock.close()
        k.kernel_sock.close()
