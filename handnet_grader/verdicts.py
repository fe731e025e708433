"""The grader's side of trusted grading: hidden checks run here, in the grader's process,
and only the student's functions run in the (sandboxed) kernel.

A ``VerdictServer`` listens on a Unix socket in the submission's exchange folder while
the submission is graded. When a test cell's hidden line runs in the kernel, the kernel
(``handnet.probe``) connects and names a check; the server runs that check from
``handnet_ref.checks`` with stand-ins for the student's objects (``StudentObject``):
calling one sends the arguments to the kernel and waits for the result, as plain data.
Objects of the check (a stand-in network, a Generator, a cost class) are lent to the
kernel by description: their data attributes travel with them, and only the methods the
topic lists in ``HELPERS`` for this check can be called back (so ``self.backprop`` of the
stand-in cannot answer the check of ``backprop``). A lent object can be used only during
the call it was lent for.

After a test cell has run in the kernel, the server also runs the cell's visible tests
itself (a "session", ``run_visible``): the cell's code executes here, its names looked up
in the kernel (the student's functions and objects become handles, data comes over as
data, modules are this process's own imports), so that every assertion is made here.

Every verdict, with the cell it came from, and every protocol breach (a stale handle, a
method that is not lent, a forged message) is recorded; ``GuardedExecute`` turns them
into the cell's points and the submission's integrity findings.
"""

import ast
import builtins
import contextlib
import functools
import inspect
import io
import itertools
import os
import socket
import threading
import types
import warnings

import numpy as np

from handnet.probe import (AttributeSync, ProtocolError, decode, encode, error_reply, receive,
                           send)


def _is_function(obj):
    return inspect.isroutine(obj) or isinstance(obj, functools.partial)


class StudentError(Exception):
    """An exception raised by the student's code in the kernel (by type name and text)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


class StudentNotImplemented(NotImplementedError):
    """The student's function raised NotImplementedError (it is still the stub)."""

    type_name = "NotImplementedError"


class StudentObject:
    """A handle on an object in the student's kernel: attributes are asked for over the
    link (never dunder names, so NumPy and copy see an opaque object)."""

    __slots__ = ("_handnet_link", "_handnet_ref", "_handnet_type", "_handnet_kind", "_name")

    def __init__(self, link, ref, type_name, kind, name):
        self._handnet_link, self._handnet_ref = link, ref
        self._handnet_type, self._handnet_kind, self._name = type_name, kind, name

    def __getattr__(self, name):
        if name.startswith("__") and name not in ("__name__", "__qualname__"):
            raise AttributeError(name)
        return self._handnet_getattr(name)

    def _handnet_getattr(self, name):
        """The attribute ``name`` of the object in the kernel, dunder names included
        (``Network.__init__``), which plain attribute access finds on this class."""
        if name in ("__name__", "__qualname__") and self._name is not None:
            return self._name
        return self._handnet_link.getattr(self, name)

    def __setattr__(self, name, value):
        if name in StudentObject.__slots__:
            object.__setattr__(self, name, value)
        else:
            self._handnet_link.setattr(self, name, value)

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self):
        label = f" {self._name}" if self._name else ""
        return f"<student's {self._handnet_type}{label}>"


class StudentCallable(StudentObject):
    """A handle on a callable of the student's (a function, a class, a method)."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self._handnet_link.call(self, args, kwargs)


class GraderLink:
    """One check's conversation with the kernel, from the grader's side."""

    def __init__(self, sock, helpers=(), incident=None, keep_lent=False):
        self.sock = sock
        self.keep_lent = keep_lent     # a session: lent objects live until it ends
        self.helpers = frozenset(helpers)
        self.incident = incident or (lambda text: None)
        self.lent = {}                 # ref -> object lent during the current call
        self.refs = {}                 # id(object) -> ref, for the current call
        self.counter = itertools.count()
        self.depth = 0
        self.sync = AttributeSync()
        self.handles = {}              # kernel ref -> StudentObject

    # -- handles both ways ---------------------------------------------------------------

    def _methods(self, obj):
        """The methods of a lent object that the kernel may call back."""
        ours = (getattr(obj, "__module__", "") or "").startswith("handnet_ref") or \
            (type(obj).__module__ or "").startswith("handnet_ref")
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

    def as_ref(self, obj):
        if isinstance(obj, StudentObject):
            if obj._handnet_link is not self:
                raise ProtocolError("a handle from another conversation")
            return {"$own": obj._handnet_ref}
        if isinstance(obj, types.ModuleType):
            raise ProtocolError("a module cannot be lent to the kernel")
        ref = self.refs.get(id(obj))
        if ref is None:
            ref = next(self.counter)
            self.refs[id(obj)] = ref
            self.lent[ref] = obj
        if isinstance(obj, np.random.Generator):
            # by value: the student's code may pass it to np.random.default_rng
            return {"$generator": obj.bit_generator.state}
        is_function = _is_function(obj)
        if isinstance(obj, type):
            attributes = {"__name__": self.encode(obj.__name__)}
        else:
            attributes = {} if is_function else self._state(obj, ref)
        return {"$lent": {"ref": ref, "kind": "function" if is_function else "object",
                          "name": getattr(obj, "__name__", type(obj).__name__),
                          "repr": repr(obj)[:200] if isinstance(obj, type) else None,
                          "attributes": attributes,
                          "methods": [] if is_function else self._methods(obj)}}

    def _state(self, obj, ref):
        """The data attributes of a lent object (its own, and its class's that are not
        methods: ``sizes = [2, 2]`` or a nested ``class cost``) that changed since the
        kernel saw them."""
        attributes = {}
        if isinstance(obj, type) or _is_function(obj):
            return {}
        for klass in reversed(type(obj).__mro__[:-1]):
            for name, value in vars(klass).items():
                if not name.startswith("_") and not inspect.isroutine(value) and \
                        not isinstance(value, (staticmethod, classmethod, property)):
                    attributes[name] = value
        try:
            attributes.update(vars(obj))
        except TypeError:
            pass
        return self.sync.outgoing(
            ref, {k: v for k, v in attributes.items() if not k.startswith("_")}, self.encode)

    def from_ref(self, data):
        if "$module" in data:
            return _module(data["$module"], self.incident)
        ref = data.get("$ref")
        if type(ref) is int and ref >= 0 and ref in self.handles:
            return self.handles[ref]
        if type(ref) is not int:
            self.incident("the kernel sent the description of an object as if it were the "
                          "grader's (a forged message)")
            raise ProtocolError("the kernel sent a description of a lent object")
        if ref < 0:
            obj = self.lent.get(-1 - ref)
            if obj is None:
                self.incident(f"the student's code handed back an object the grader did not "
                              f"lend for this call (handle {-1 - ref})")
                raise ProtocolError("an object that was not lent for this call")
            return obj
        kind = data.get("kind")
        cls = StudentCallable if kind in ("function", "class") else StudentObject
        name = data.get("name") if isinstance(data.get("name"), str) else None
        handle = cls(self, ref, str(data.get("type", "object"))[:100], kind, name)
        self.handles[ref] = handle   # one handle per kernel object: ``is`` works
        return handle

    def encode(self, value):
        return encode(value, self.as_ref)

    def decode(self, data):
        return decode(data, self.from_ref)

    def _apply_states(self, states):
        """The kernel's changes to lent objects' data attributes, applied here (public
        names only, never over a method of the object's class)."""
        if not isinstance(states, dict):
            return
        for key, attributes in states.items():
            ref = int(key) if str(key).isdigit() else None
            obj = self.lent.get(ref)
            if obj is None or not isinstance(attributes, dict):
                continue
            if isinstance(obj, type) or _is_function(obj):
                # a lent class is the grader's own (a reference cost class): never changed
                if self.sync.incoming(ref, attributes):
                    self.incident("the student's code changed a class or function lent by "
                                  "the grader; ignored")
                continue
            for name, value in self.sync.incoming(ref, attributes).items():
                if not name.isidentifier() or name.startswith("_") or \
                        callable(getattr(type(obj), name, None)):
                    self.incident(f"the student's code set {name!r} on a lent object; ignored")
                    continue
                with contextlib.suppress(ProtocolError, TypeError, ValueError, AttributeError):
                    setattr(obj, name, self.decode(value))

    # -- requests ------------------------------------------------------------------------

    def call(self, target, args, kwargs):
        """target(*args, **kwargs) in the kernel; the result as plain data or handles.
        Lists and arrays among ``args`` that the call changed in place are changed here
        the same way."""
        self.depth += 1
        try:
            send(self.sock, {"op": "call", "ref": target._handnet_ref,
                             "args": self.encode(list(args)), "kwargs": self.encode(dict(kwargs))})
            return self.wait(args)
        finally:
            self.depth -= 1
            if self.depth == 0 and not self.keep_lent:
                self.lent.clear()
                self.refs.clear()
                self.sync.forget()

    def getattr(self, target, name):
        return self._ask({"op": "getattr", "ref": target._handnet_ref, "name": name},
                         AttributeError, name)

    def setattr(self, target, name, value):
        return self._ask({"op": "setattr", "ref": target._handnet_ref, "name": name,
                          "value": self.encode(value)}, AttributeError, name)

    def lookup(self, name):
        """The value of the global ``name`` in the kernel (NameError if it has none)."""
        return self._ask({"op": "global", "name": name}, NameError, name)

    def _ask(self, message, error, name):
        self.depth += 1
        try:
            send(self.sock, message)
            try:
                return self.wait()
            except StudentError as e:
                if e.type_name == error.__name__:
                    raise error(name) from None
                raise
        finally:
            self.depth -= 1

    def wait(self, args=()):
        """Serve the kernel's callbacks until it answers the request in flight."""
        while True:
            message = receive(self.sock)
            op = message["op"]
            if op in ("return", "raise"):
                self._apply_states(message.get("states"))
                self._apply_mutations(args, message.get("mutated"))
                for category, text in message.get("warnings", [])[:20]:
                    kind = getattr(builtins, str(category), None)
                    kind = kind if isinstance(kind, type) and issubclass(kind, Warning) \
                        else UserWarning
                    warnings.warn_explicit(str(text), kind, "student", 0)
                if op == "return":
                    return self.decode(message.get("value"))
                raise _student_error(message)
            if op == "callback":
                send(self.sock, self.serve_callback(message))
                continue
            self.incident(f"the kernel sent an unexpected {op!r} message during a check")
            raise ProtocolError(f"unexpected {op!r}")

    def _apply_mutations(self, args, mutated):
        """The kernel changed some list or array arguments in place: change ours."""
        if not isinstance(mutated, dict):
            return
        for key, data in mutated.items():
            index = int(key) if str(key).isdigit() else -1
            if not 0 <= index < len(args):
                continue
            original = args[index]
            with contextlib.suppress(ProtocolError, TypeError, ValueError):
                value = self.decode(data)
                if isinstance(original, list) and isinstance(value, list):
                    original[:] = value
                elif isinstance(original, np.ndarray) and np.shape(value) == original.shape:
                    original[...] = value

    def serve_callback(self, message):
        ref, method = message.get("ref"), message.get("method")
        obj = self.lent.get(ref) if type(ref) is int else None
        if obj is None:
            self.incident("the student's code used an object lent by a check after that "
                          "call had ended (kept from an earlier call)")
            return {"op": "raise", "type": "RuntimeError",
                    "message": "this object was lent for an earlier call and is gone"}
        try:
            self._apply_states(message.get("states"))
            if method is None and _is_function(obj):
                target = obj
            elif isinstance(method, str) and method in self._methods(obj):
                target = getattr(obj, method)
            else:
                self.incident(f"the student's code called {method!r}, which the check does "
                              f"not lend")
                return {"op": "raise", "type": "AttributeError",
                        "message": f"{method!r} is not available here"}
            args = self.decode(message.get("args", []))
            kwargs = self.decode(message.get("kwargs", {"$dict": []}))
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                value = target(*args, **dict(kwargs))
            reply = {"op": "return", "value": self.encode(value)}
        except ProtocolError as e:
            reply = error_reply(e)
        except Exception as e:
            reply = error_reply(e)
            if _is_check_failed(e):
                reply["type"] = "CheckFailed"
        reply["states"] = {str(r): self._state(o, r) for r, o in list(self.lent.items())}
        return reply


# Modules whose names the kernel may hand over for a name in a test cell (``np``): the
# grader uses its own import of them, never the kernel's.
GRADER_MODULES = ("numpy", "math", "cmath", "warnings", "itertools", "functools",
                  "collections", "json", "os", "tempfile", "copy", "types", "random",
                  "statistics", "string", "re", "matplotlib", "handnet")


def _module(name, incident):
    import importlib
    if not isinstance(name, str) or name.split(".")[0] not in GRADER_MODULES or \
            name.startswith("handnet_grader"):
        incident(f"a test cell's name stands for the module {str(name)[:80]!r}, which the "
                 f"grader does not use")
        raise ProtocolError(f"module {str(name)[:80]!r} is not used by the grader")
    return importlib.import_module(name)


def _is_check_failed(exc):
    from handnet_ref.checks.core import CheckFailed
    return isinstance(exc, CheckFailed)


def _student_error(message):
    text, kind = str(message.get("message", "")), str(message.get("type", "Exception"))[:100]
    if message.get("not_implemented"):
        return StudentNotImplemented(text)
    if kind == "CheckFailed":
        from handnet_ref.checks.core import CheckFailed
        return CheckFailed(text)
    return StudentError(kind, text)


def find_check(topic, name):
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

    def __init__(self, folder):
        self.path = os.path.join(folder, "verdicts.sock")
        self.folder = folder
        self.cell = None
        self.sessions = {}      # cell -> the visible test code the grader runs itself
        self.verdicts = []
        self.incidents = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(1)
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name="handnet-verdicts")
        self._thread.start()

    def incident(self, text):
        with self._lock:
            self.incidents.append({"cell": self.cell, "message": text})

    def take(self, cell):
        """The verdicts and incidents recorded for ``cell`` (removed from the lists)."""
        with self._lock:
            mine = [v for v in self.verdicts if v["cell"] == cell]
            self.verdicts = [v for v in self.verdicts if v["cell"] != cell]
            incidents = [i for i in self.incidents if i["cell"] == cell]
            self.incidents = [i for i in self.incidents if i["cell"] != cell]
        return mine, incidents

    def close(self):
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
                except Exception as e:    # never let the server die: the kernel would wait
                    self.incident(f"the verdict server failed: {type(e).__name__}: {e}")

    def _one_check(self, conn, cell):
        request = receive(conn)
        if request.get("op") == "session":
            self._session(conn, cell)
            return
        topic, name = request.get("topic"), request.get("name")
        found = find_check(topic, name) if isinstance(topic, str) and isinstance(name, str) \
            else None
        if request.get("op") != "check" or found is None:
            self.incident(f"the kernel asked for a check that does not exist: {topic}.{name}")
            send(conn, {"op": "return", "value": self._verdict(False, "no such check")})
            return
        check, helpers = found
        link = GraderLink(conn, helpers, self.incident)
        passed, message = self._run(check, link, request)
        with self._lock:
            self.verdicts.append({"cell": cell, "topic": topic, "name": name,
                                  "passed": passed, "message": message})
        send(conn, {"op": "return", "value": self._verdict(passed, message)})

    def _run(self, check, link, request):
        from handnet_ref.checks.core import CheckFailed, scratch_in
        try:
            args = link.decode(request.get("args", []))
            if not isinstance(args, list):
                raise ProtocolError("the check's arguments are not a list")
            with scratch_in(self.folder):
                check(*args)
            return True, ""
        except CheckFailed as e:
            return False, str(e)
        except (ProtocolError, OSError) as e:
            self.incident(f"{check.__name__}: the conversation with the kernel broke the "
                          f"protocol ({e})")
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
            send(conn, {"op": "return", "value": None})
            return
        link = GraderLink(conn, incident=self.incident, keep_lent=True)
        passed, message = run_visible(link, code, self.incident, self.folder)
        with self._lock:
            self.verdicts.append({"cell": cell, "topic": "", "name": VISIBLE,
                                  "passed": passed, "message": message})
        send(conn, {"op": "return", "value": None})

    @staticmethod
    def _verdict(passed, message):
        return {"$dict": [["passed", bool(passed)], ["message", str(message)]]}


VISIBLE = "visible tests"


@contextlib.contextmanager
def _temporary_files_in(folder):
    """tempfile's folders made in ``folder`` and open to the sandboxed kernel, while a
    test cell's code that writes a file for the student's code runs here."""
    if folder is None:
        yield
        return
    import tempfile
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


def run_visible(link, code, incident, folder=None):
    """(passed, message): a test cell's visible code run in this process, with the names
    it uses looked up in the kernel (the student's functions become handles there, data
    comes over as data, modules are this process's own). Every assertion and every
    NumPy comparison is then made here, out of the student's reach."""
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
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings(), _temporary_files_in(folder):
            warnings.simplefilter("always")
            exec(compile(tree, "<test cell>", "exec"), namespace)
    except AssertionError as e:
        return False, f"AssertionError: {e}".rstrip(": ")
    except (StudentError, StudentNotImplemented) as e:
        return False, f"{getattr(e, 'type_name', type(e).__name__)}: {e}"
    except (ProtocolError, OSError) as e:
        incident(f"the visible tests' conversation with the kernel broke ({e})")
        return False, f"the grader could not run the visible tests ({e})"
    except Exception as e:
        return False, f"{type(e).__name__}: {e}"
    return True, ""
