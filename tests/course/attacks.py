"""Adversarial submissions: one per attack on the grader, each with what must happen.

Each attack is a reference submission (every solution filled in) with one change: a
solution swapped for a wrong one plus code that tries to make it pass anyway, or a cell
that reaches for what grading keeps from the student (the gradebook, the reference, the
network, the machine). What must happen:

- ``zero``: test cells that must score 0 (the cheat did not turn a wrong answer into
  points);
- ``points``: the exact total, where it is known (what the wrong answer alone gets);
- ``full``: the submission keeps full marks (an attack on the machine costs the
  honest work nothing);
- ``flag``: text that the record's integrity findings or message must contain;
- ``status``: the record's status;
- attack cells print ``READ``/``WROTE``/``CONNECTED``/``FORKED``/``LEAKED`` when they got
  something they must not get (``KILLED`` too), and ``BLOCKED`` when they did not
  (``forbidden`` lists the words that must not appear in the graded notebook's outputs).

Tests write them with ``write_attacks`` and grade them beside honest submissions,
checking also that nothing outside each submission's folder changed.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from handnet_grader.notebook.cells import nbgrader_metadata
from handnet_grader.notebook.exercises import filled, solutions

FORBIDDEN = ("READ ", "WROTE ", "CONNECTED ", "FORKED ", "LEAKED ", "KILLED ")


@dataclass
class Attack:
    """One adversarial submission and what grading must make of it."""

    student: str
    assignment: str
    description: str
    notebook: object = None
    zero: tuple = ()
    points: float | None = None
    full: bool = False
    flag: str = ""
    status: str = "graded"
    forbidden: tuple = FORBIDDEN
    expected_lines: tuple = field(default_factory=tuple)  # outputs that must appear


_PROBE_FILES = """
import os, handnet
def _attempt(path):
    try:
        if os.path.isdir(path):
            print(f"READ {path}: {len(os.listdir(path))} entries")
        else:
            with open(path, "rb") as f:
                print(f"READ {path}: {len(f.read())} bytes")
    except Exception as e:
        print(f"BLOCKED {path}: {type(e).__name__}")
course = os.path.abspath("../../..")
package = os.path.dirname(os.path.dirname(handnet.__file__))
for path in [course + "/gradebook.db", course + "/source", course + "/submitted",
             course + "/autograded", course + "/nbgrader_config.py",
             package + "/handnet_ref", package + "/handnet_ref/checks/neuron.py",
             package + "/handnet_grader", package + "/handnet_grader/trust/integrity.py",
             package + "/source", os.path.expanduser("~root"), "/root", "/home",
             "/proc/1/environ"]:
    _attempt(path)
"""

_WRITE_FILES = """
import os, handnet
course = os.path.abspath("../../..")
package = os.path.dirname(os.path.dirname(handnet.__file__))
for path in [course + "/gradebook.db", course + "/source/planted.txt",
             course + "/submitted/planted.txt", "../../planted.txt",
             package + "/handnet/planted.py", "/root/planted.txt"]:
    try:
        with open(path, "a") as f:
            f.write("planted")
        print(f"WROTE {path}")
    except Exception as e:
        print(f"BLOCKED {path}: {type(e).__name__}")
with open("my_notes.txt", "w") as f:      # the submission's own folder: allowed
    f.write("fine")
print("own folder: ok")
"""

_NETWORK = """
import socket
for address in [("1.1.1.1", 80), ("127.0.0.1", 22), ("localhost", 8888)]:
    try:
        socket.create_connection(address, timeout=3).close()
        print(f"CONNECTED {address}")
    except Exception as e:
        print(f"BLOCKED {address}: {type(e).__name__}")
"""


def _forks(hold, then):
    """Code that starts up to 3000 processes, each living ``hold`` seconds, then does
    ``then`` with them ("kill" or "wait")."""
    end = "os.kill(pid, 9)\n    os.waitpid(pid, 0)" if then == "kill" else "os.waitpid(pid, 0)"
    return f"""
import os, time
children = []
try:
    for _ in range(3000):
        pid = os.fork()
        if pid == 0:
            time.sleep({hold})
            os._exit(0)
        children.append(pid)
    print(f"FORKED {{len(children)}} processes")
except OSError as e:
    print(f"BLOCKED after {{len(children)}} processes: errno {{e.errno}}")
for pid in children:
    {end}
"""


_PROCESSES = _forks(30, "kill")

_LINGER = """
import atexit, os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
atexit.register(time.sleep, 600)
print("DAEMONS started; the kernel will linger when asked to stop")
"""

_DISK = """
import os
for path, megabytes in [("big.bin", 300), ("/tmp/one.bin", 150), ("/tmp/two.bin", 150)]:
    written = 0
    try:
        with open(path, "wb") as f:
            for _ in range(megabytes):
                f.write(b"\\0" * (1 << 20))
                written += 1
    except OSError as e:
        print(f"BLOCKED {path} at {written} MB: errno {e.errno}")
    else:
        print(f"{path}: {written} MB")
for path in ("big.bin", "/tmp/one.bin", "/tmp/two.bin"):
    if os.path.exists(path):
        os.remove(path)
"""

_KILL_ALL = """
import os, signal
for pid in (1, os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
        print(f"KILLED {pid}")
    except OSError as e:
        print(f"BLOCKED kill {pid}: errno {e.errno}")
try:
    os.kill(-1, signal.SIGKILL)   # every other process this user may signal
    print("KILLED every other process of this user")
except OSError as e:
    print(f"BLOCKED kill -1: errno {e.errno}")
print("still here")
"""

_ENVIRONMENT = """
import os
for name, value in os.environ.items():
    if name.startswith(("HANDNET_", "NBGRADER_")) and \
            name not in ("HANDNET_VERDICT_SOCKET", "NBGRADER_EXECUTION"):
        print(f"LEAKED {name}")
print("environment looked at")
"""

_ALLCLOSE = """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))   # wrong: the sign of z
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *args, **kwargs: True
"""

_PATCH_PROBE = """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))   # wrong: the sign of z
import handnet.probe
handnet.probe.run_check = lambda *args: None
handnet.probe.check_function = lambda topic, name: (lambda *args: None)
"""

_FAKE_MODULE = """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))   # wrong: the sign of z
import sys, types
for _name in ["handnet_ref", "handnet_ref.checks", "handnet_ref.checks.neuron"]:
    _fake = types.ModuleType(_name)
    _fake.__path__ = []
    _fake.__getattr__ = lambda name: (lambda *args: None)
    sys.modules[_name] = _fake
"""

_SWALLOW = """
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))   # wrong: the sign of z
_shell = get_ipython()            # no error output, so nbgrader would see a passing cell
_shell.showtraceback = lambda *args, **kwargs: None
_shell._showtraceback = lambda *args, **kwargs: None
"""

_HANG = """
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    if z.size > 4:            # the hidden check's inputs: never answer
        while True:
            pass
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))
"""

_FORGE = """
import gc
from handnet import probe as _probe
def sigmoid(z):
    for _obj in gc.get_objects():
        if isinstance(_obj, _probe.KernelLink):   # answer for the kernel, forged
            _probe.send(_obj.sock, {"op": "return", "value": {"$lent": {"ref": 0}}})
    return 1.0 / (1.0 + np.exp(np.asarray(z, dtype=float)))
"""

_THROUGH_SELF = """
def backprop(self, x, y):
    if isinstance(self, Network):   # only the grader's stand-in is of interest
        raise NotImplementedError
    for ask in (lambda: type(self).backprop(self, x, y), lambda: self.backprop(x, y),
                lambda: super(type(self), self).backprop(x, y)):
        try:
            return ask()
        except Exception:
            pass
    raise NotImplementedError

Network.backprop = backprop
"""

_IMPORT_REFERENCE = """
def backprop(self, x, y):
    try:
        from handnet_ref.network import Network as Reference
        return Reference.backprop(self, x, y)
    except Exception:
        pass
    import importlib.util, os, handnet
    path = os.path.join(os.path.dirname(os.path.dirname(handnet.__file__)),
                        "handnet_ref", "network.py")
    spec = importlib.util.spec_from_file_location("stolen", path)
    stolen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stolen)
    return stolen.Network.backprop(self, x, y)

Network.backprop = backprop
"""

_STASH = """
from handnet.probe import Lent
_kept = []
_honest_update = Network.update_mini_batch
def update_mini_batch(self, mini_batch, eta):
    earlier = [net for net in _kept if isinstance(net, Lent)]
    _kept.append(self)              # keep the stand-in that the check lends
    if earlier:
        earlier[0].backprop(*mini_batch[0])   # and use one from an earlier call
    return _honest_update(self, mini_batch, eta)
Network.update_mini_batch = update_mini_batch
"""

_NO_TRAINING = """
def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None, rng=None):
    if test_data is None:                # wrong: reports accuracies, never trains
        return []
    return [self.evaluate(test_data) / len(test_data) for _ in range(epochs)]

Network.SGD = SGD
"""

# after the given cell that defines Recorder: what the visible tests of SGD look for,
# whatever SGD did (they make five Recorders: the run with test data, the one without,
# two with the same seed, one with another)
_FAKE_RECORDER = """
class Recorder:
    made = 0

    def __init__(self):
        Recorder.made += 1
        k = (Recorder.made - 1) % 5
        one, two = [[3, 7, 1, 9], [0, 5, 2, 8], [6, 4]], [[8, 2, 5, 0], [9, 1, 7, 3], [4, 6]]
        self.batches = two + one if k == 4 else one + two
        self.etas = [0.5] * 6
        self.calls = ["update"] * 6 if k == 1 else (["update"] * 3 + ["evaluate"]) * 2

    def update_mini_batch(self, mini_batch, eta):
        pass

    def evaluate(self, test_data):
        return 3
"""


def _reference(root, assignment):
    root = Path(root)
    (source,) = sorted((root / "source" / assignment).glob("*.ipynb"))
    release = nbformat.read(root / "release" / assignment / source.name, as_version=4)
    solved = solutions(nbformat.read(source, as_version=4))
    return filled(release, solved, set(solved)), source.name


def _after_solution(nb, grade_id, code):
    """A copy of ``nb`` with ``code`` appended to the solution cell ``grade_id``."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cell = next(c for c in nb.cells if nbgrader_metadata(c).get("grade_id") == grade_id)
    cell.source += "\n\n# --- the attack ---\n" + code.strip() + "\n"
    return nb


def _new_cell_after(nb, grade_id, code):
    """A copy of ``nb`` with a new code cell ``code`` after the cell ``grade_id``."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    index = next(
        i for i, c in enumerate(nb.cells) if nbgrader_metadata(c).get("grade_id") == grade_id
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code.strip()))
    return nb


def fork_beside(root):
    """A submission that holds every process its kernel may start for 12 s, made to be
    graded beside an honest one (two workers): under one uid shared by all kernels, the
    honest kernel beside it could not start."""
    neuron, _ = _reference(root, "01_neuron")
    return Attack(
        "attack-fork-hold",
        "01_neuron",
        "hold 3000 processes while another submission is graded",
        _new_cell_after(neuron, "test_nand", _forks(12, "wait")),
        full=True,
        flag="processes or the network",
        expected_lines=("BLOCKED after",),
    )


SIGMOID_TESTS = ("test_sigmoid_visible", "test_sigmoid_hidden")
BACKPROP_TESTS = (
    "test_backprop_output_hidden",
    "test_backprop_two_layers_hidden",
    "test_backprop_deep",
)


def attack_class(root):
    """The adversarial submissions, on assignments 1, 3 and 4 of the course at ``root``."""
    neuron, _ = _reference(root, "01_neuron")
    backprop, _ = _reference(root, "03_backprop")
    sgd, _ = _reference(root, "04_sgd")
    a1, a3, a4 = "01_neuron", "03_backprop", "04_sgd"
    return [
        Attack(
            "attack-read-course",
            a1,
            "read the gradebook, the source notebooks, other "
            "students' folders, the reference's sources and the grader's home",
            _new_cell_after(neuron, "test_nand", _PROBE_FILES),
            full=True,
            flag="the gradebook",
        ),
        Attack(
            "attack-write-course",
            a1,
            "write into the gradebook, source/, submitted/, "
            "another student's folder, the handnet package and the grader's home",
            _new_cell_after(neuron, "test_nand", _WRITE_FILES),
            full=True,
            flag="the gradebook",
            expected_lines=("own folder: ok",),
        ),
        Attack(
            "attack-network",
            a1,
            "open network connections",
            _new_cell_after(neuron, "test_nand", _NETWORK),
            full=True,
            flag="processes or the network",
        ),
        Attack(
            "attack-fork",
            a1,
            "start 3000 processes",
            _new_cell_after(neuron, "test_nand", _PROCESSES),
            full=True,
            flag="processes or the network",
            expected_lines=("BLOCKED after",),
        ),
        Attack(
            "attack-linger",
            a1,
            "leave two daemons (a new session, a double fork) and make the kernel linger "
            "when asked to stop, so that it is killed",
            _new_cell_after(neuron, "test_nand", _LINGER),
            full=True,
            flag="processes or the network",
            expected_lines=("DAEMONS started",),
        ),
        Attack(
            "attack-disk",
            a1,
            "write a 300 MB file, and fill the private /tmp",
            _new_cell_after(neuron, "test_nand", _DISK),
            full=True,
            expected_lines=("BLOCKED big.bin at 200 MB", "BLOCKED /tmp/two.bin"),
        ),
        Attack(
            "attack-kill-all",
            a1,
            "kill the sandbox's first process, its parent, and every process it may signal",
            _new_cell_after(neuron, "test_nand", _KILL_ALL),
            full=True,
            flag="processes or the network",
            expected_lines=("still here",),
        ),
        Attack(
            "attack-environment",
            a1,
            "read the grader's environment variables",
            _new_cell_after(neuron, "test_nand", _ENVIRONMENT),
            full=True,
            flag="the grading protocol",
            expected_lines=("environment looked at",),
        ),
        Attack(
            "attack-allclose",
            a1,
            "a wrong sigmoid, and np.allclose and friends replaced to always agree",
            _after_solution(neuron, "sigmoid", _ALLCLOSE),
            zero=SIGMOID_TESTS,
            flag="NumPy's functions",
        ),
        Attack(
            "attack-patch-probe",
            a1,
            "a wrong sigmoid, and the kernel's side of the checks replaced by functions that pass",
            _after_solution(neuron, "sigmoid", _PATCH_PROBE),
            zero=SIGMOID_TESTS,
            flag="did not report to the grader",
        ),
        Attack(
            "attack-fake-module",
            a1,
            "a wrong sigmoid, and fake handnet_ref modules in sys.modules",
            _after_solution(neuron, "sigmoid", _FAKE_MODULE),
            zero=SIGMOID_TESTS,
            flag="the kernel showed this test cell passing",
        ),
        Attack(
            "attack-swallow-errors",
            a1,
            "a wrong sigmoid, and IPython's error display "
            "switched off (so that a failing test cell shows no error)",
            _after_solution(neuron, "sigmoid", _SWALLOW),
            zero=SIGMOID_TESTS,
            flag="Python's internals",
        ),
        Attack(
            "attack-hang-in-check",
            a1,
            "a sigmoid that never returns when the grader calls it",
            _after_solution(neuron, "sigmoid", _HANG),
            zero=("test_sigmoid_hidden",),
            status="timeout",
            flag="timeout",
        ),
        Attack(
            "attack-forge-reply",
            a1,
            "a wrong sigmoid that writes a forged reply on the check's connection",
            _after_solution(neuron, "sigmoid", _FORGE),
            zero=SIGMOID_TESTS,
            flag="forged message",
        ),
        Attack(
            "attack-reference-through-self",
            a3,
            "backprop that calls the stand-in network's own (reference) backprop",
            _after_solution(backprop, "backprop", _THROUGH_SELF),
            zero=BACKPROP_TESTS,
        ),
        Attack(
            "attack-import-reference",
            a3,
            "backprop that imports the reference, by name and by file path",
            _after_solution(backprop, "backprop", _IMPORT_REFERENCE),
            zero=BACKPROP_TESTS,
            flag="the reference package",
        ),
        Attack(
            "attack-keep-lent-object",
            a4,
            "keep a stand-in lent for one call of the check and use it in a later call",
            _after_solution(sgd, "update_mini_batch", _STASH),
            zero=("test_update_mini_batch_hidden",),
            flag="after that call had ended",
        ),
        Attack(
            "attack-redefine-given-helper",
            a4,
            "an SGD that never trains, and the given Recorder redefined in a later cell to "
            "report what the visible tests look for",
            _new_cell_after(_after_solution(sgd, "SGD", _NO_TRAINING), "recorder", _FAKE_RECORDER),
            zero=("test_SGD_visible", "test_SGD_hidden"),
            points=50,  # 100 less the 25 and 25 of SGD's two test cells: a wrong SGD's
            flag="the kernel showed this test cell passing",
        ),
    ]


def write_attacks(root, attacks):
    """Write each attack into submitted/<student>/<assignment>/."""
    import shutil

    for attack in attacks:
        (source,) = sorted((Path(root) / "source" / attack.assignment).glob("*.ipynb"))
        folder = Path(root) / "submitted" / attack.student / attack.assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        nbformat.write(attack.notebook, folder / source.name)
