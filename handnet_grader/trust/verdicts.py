"""The grader's side of trusted grading: hidden checks run here, in the grader's process,
and only the student's functions run in the (sandboxed) kernel.

A ``VerdictServer`` listens on a Unix socket in the submission's exchange folder while
the submission is graded (``handnet.wire`` specifies the protocol). When a test cell's
hidden line runs in the kernel, the kernel (``handnet.probe``) connects and names a
check; the server runs that check from ``handnet_ref.checks`` with handles on the
student's objects (``grader_link``). After a test cell has run, the kernel also opens a
session in which the server runs the cell's visible tests itself (``visible_tests``).

Every verdict, with the cell it came from, and every protocol breach is recorded;
``verdict_matching`` (called by ``GuardedExecute``) turns them into the cell's points and
the submission's integrity findings.
"""

import contextlib
import os
import socket
import threading
from collections.abc import Callable

from handnet.wire import CheckFailed, Op, ProtocolError, Tag, receive, send

from .grader_link import GraderLink, ProtocolBreach
from .visible_tests import VisibleTests, run_visible

VISIBLE = "visible tests"


def find_check(topic: str, name: str) -> tuple[Callable, tuple[str, ...]] | None:
    """(check, helpers): the function ``check_*`` of the topic module
    ``handnet_ref.checks.<topic>`` and the stand-in methods it lends (its ``HELPERS``
    entry), or None if there is no such check."""
    from handnet_ref.checks import TOPICS

    for module in TOPICS:
        if module.__name__.rsplit(".", 1)[-1] == topic and name.startswith("check_"):
            check = vars(module).get(name)
            if callable(check) and getattr(check, "__module__", None) == module.__name__:
                return check, getattr(module, "HELPERS", {}).get(name, ())
    return None


class VerdictServer:
    """Runs the checks that a submission's kernel asks for, one at a time, in a thread
    of the grader's process; ``verdicts`` lists (cell, topic, name, passed, message)."""

    def __init__(self, folder: str):
        self.path = os.path.join(folder, "verdicts.sock")
        self.folder = folder
        self.cell = None
        self.sessions: dict[int, VisibleTests] = {}  # cell -> what the grader runs itself
        self.verdicts = []
        self.incidents = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(1)
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True, name="handnet-verdicts")
        self._thread.start()

    def incident(self, text: str) -> None:
        with self._lock:
            self.incidents.append({"cell": self.cell, "message": text})

    def take(self, cell: int) -> tuple[list[dict], list[dict]]:
        """The verdicts and incidents recorded for ``cell`` (removed from the lists)."""
        with self._lock:
            mine = [v for v in self.verdicts if v["cell"] == cell]
            self.verdicts = [v for v in self.verdicts if v["cell"] != cell]
            incidents = [i for i in self.incidents if i["cell"] == cell]
            self.incidents = [i for i in self.incidents if i["cell"] != cell]
        return mine, incidents

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _serve(self):
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                cell = self.cell
                try:
                    self._one_check(conn, cell)
                except (OSError, ProtocolError) as e:
                    self.incident(f"a check's connection broke: {e}")
                except Exception as e:  # never let the server die: the kernel would wait
                    self.incident(f"the verdict server failed: {type(e).__name__}: {e}")

    def _one_check(self, conn, cell):
        request = receive(conn)
        if request["op"] == Op.SESSION:
            self._session(conn, cell)
            return
        topic, name = request.get("topic"), request.get("name")
        found = (
            find_check(topic, name) if isinstance(topic, str) and isinstance(name, str) else None
        )
        if request["op"] != Op.CHECK or found is None:
            self.incident(f"the kernel asked for a check that does not exist: {topic}.{name}")
            send(conn, {"op": Op.RETURN, "value": self._verdict(False, "no such check")})
            return
        check, helpers = found
        link = GraderLink(conn, helpers, self.incident)
        passed, message = self._run(check, link, request)
        with self._lock:
            self.verdicts.append(
                {"cell": cell, "topic": topic, "name": name, "passed": passed, "message": message}
            )
        send(conn, {"op": Op.RETURN, "value": self._verdict(passed, message)})

    def _run(self, check, link, request):
        """(passed, message) of ``check`` run on the kernel's arguments."""
        from handnet_ref.checks.core import scratch_in

        try:
            args = link.decode(request.get("args", []))
            if not isinstance(args, list):
                raise ProtocolError("the check's arguments are not a list")
            with scratch_in(self.folder):
                check(*args)
            return True, ""
        except CheckFailed as e:
            return False, str(e)
        except ProtocolBreach as e:  # recorded already
            return False, f"the check could not talk to the kernel ({e})"
        except (ProtocolError, OSError) as e:
            self.incident(
                f"{check.__name__}: the conversation with the kernel broke the protocol ({e})"
            )
            return False, f"the check could not talk to the kernel ({e})"
        except Exception as e:
            self.incident(f"{check.__name__} stopped with {type(e).__name__}: {e}")
            return False, f"the check could not run ({type(e).__name__}: {e})"

    def _session(self, conn, cell):
        """Run the visible tests of ``cell`` here, the kernel answering for the student's
        names; record the outcome as the verdict "visible tests"."""
        code = self.sessions.pop(cell, None)
        if code is None:
            self.incident("the kernel opened a session the grader did not ask for")
            send(conn, {"op": Op.RETURN, "value": None})
            return
        link = GraderLink(conn, incident=self.incident, keep_lent=True)
        passed, message = run_visible(link, code, self.incident, self.folder)
        with self._lock:
            self.verdicts.append(
                {"cell": cell, "topic": "", "name": VISIBLE, "passed": passed, "message": message}
            )
        send(conn, {"op": Op.RETURN, "value": None})

    @staticmethod
    def _verdict(passed, message):
        return {Tag.DICT: [["passed", bool(passed)], ["message", str(message)]]}
