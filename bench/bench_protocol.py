"""Seconds per round trip of the grading protocol: a check in the grader's process calling
the student's code in another process, over the real path (``VerdictServer`` in the
grader, ``handnet.probe.run_check`` in the kernel, a Unix socket between them).

The kernel here is a plain Python process running what a grading kernel runs for a
hidden test line (starting a Jupyter kernel would only add a constant). Four cases:
  - ``calls``: a check calls a student function --calls times with a (30, 1) array;
  - ``lent``: a check lends a stand-in network of sizes [784, 30, 10] to a student
    function that calls its ``backprop`` (run in the grader) for each of 10 examples and
    changes the weights in place after each: the data attributes cross both ways;
  - ``update_mini_batch``, ``SGD``: the course's real checks (``check_update_mini_batch``,
    ``check_SGD``) with the reference functions as the student's, --checks times each.

With ``--before REV`` the same cases also run on the packages of commit REV (taken with
``git archive``), alternating with this tree's, and the table gives before / after.
Figures are medians over --repeats runs; on a loaded machine compare ratios, not seconds.

Usage: python bench/bench_protocol.py [--before REV] [--repeats 5] [--calls 1000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("handnet", "handnet_grader", "handnet_ref")
TOPIC = "bench_protocol"

# The kernel's side: the student's functions, and one hidden test line per case, timed.
KERNEL = r"""
import json, sys, time
import numpy as np
import handnet.probe
from handnet.probe import run_check
from handnet_ref.checks.sgd import reference_SGD, reference_update_mini_batch

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def update(net, batch):
    for x in batch:
        nabla_w = net.backprop(x)
        for w, nw in zip(net.weights, nabla_w):
            w -= 0.1 * nw

case, times = sys.argv[1], int(sys.argv[2])
topic, name, student = {
    "calls": ("bench_protocol", "check_calls", sigmoid),
    "lent": ("bench_protocol", "check_lent", update),
    "update_mini_batch": ("sgd", "check_update_mini_batch", reference_update_mini_batch),
    "SGD": ("sgd", "check_SGD", reference_SGD),
}[case]
started = time.perf_counter()
for _ in range(times):
    run_check(topic, name, student)
print(json.dumps([time.perf_counter() - started, handnet.probe.__file__]))
"""


def bench_topic(calls, lent_calls):
    """A topic module ``handnet_ref.checks.bench_protocol`` with the checks of the cases
    ``calls`` and ``lent`` (added to the topics that the grader finds checks in)."""
    import numpy as np

    from handnet_ref.checks.core import CheckFailed

    module = types.ModuleType(f"handnet_ref.checks.{TOPIC}")

    class StandIn:
        """A network lent to the student's code; ``backprop`` runs in the grader."""

        def __init__(self, rng):
            self.sizes = [784, 30, 10]
            self.weights = [
                rng.normal(0, 1, (b, a)) for a, b in zip(self.sizes[:-1], self.sizes[1:])
            ]

        def backprop(self, x):
            return [0.01 * float(x.mean()) * w for w in self.weights]

    def check_calls(fn):
        rng = np.random.default_rng(0)
        for _ in range(calls):
            z = rng.normal(0, 1, (30, 1))
            if not np.allclose(fn(z), 1.0 / (1.0 + np.exp(-z))):
                raise CheckFailed("sigmoid came back wrong")

    def check_lent(fn):
        rng = np.random.default_rng(1)
        for _ in range(lent_calls):
            net = StandIn(rng)
            expected = [w.copy() for w in net.weights]
            batch = [rng.normal(0, 1, (784, 1)) for _ in range(10)]
            fn(net, batch)
            for x in batch:
                for w in expected:
                    w -= 0.1 * 0.01 * float(x.mean()) * w
            if not all(np.allclose(w, e) for w, e in zip(net.weights, expected)):
                raise CheckFailed("the lent network's weights came back wrong")

    for thing in (StandIn, check_calls, check_lent):
        thing.__module__ = module.__name__
        vars(module)[thing.__name__] = thing
    module.HELPERS = {"check_lent": ("backprop",)}
    module.CATALOGUE = ()
    return module


def run_cases(tree, calls, checks):
    """{case: seconds} for the packages in ``tree`` (this process is the grader)."""
    sys.path.insert(0, str(tree))
    os.environ["HANDNET_CHECK_SEED"] = "2026"
    import handnet_ref.checks as checks_package
    from handnet_grader.trust.verdicts import VerdictServer

    if not Path(checks_package.__file__).is_relative_to(tree):
        raise SystemExit(f"the grader imported {checks_package.__file__}, not {tree}'s")

    module = bench_topic(calls, max(1, calls // 50))
    sys.modules[module.__name__] = module
    checks_package.TOPICS = checks_package.TOPICS + (module,)
    times = {"calls": 1, "lent": 1, "update_mini_batch": checks, "SGD": checks}
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        server = VerdictServer(folder)
        env = dict(os.environ, PYTHONPATH=str(tree), HANDNET_VERDICT_SOCKET=server.path)
        try:
            for case, n in times.items():
                out = subprocess.run(
                    [sys.executable, "-c", KERNEL, case, str(n)],
                    env=env,
                    cwd=folder,
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    raise SystemExit(f"{tree}: the kernel of {case!r} failed:\n{out.stderr}")
                seconds[case], probe_file = json.loads(out.stdout)
                if not Path(probe_file).is_relative_to(tree):
                    raise SystemExit(f"the kernel imported {probe_file}, not {tree}'s")
        finally:
            server.close()
        failed = [v for v in server.verdicts if not v["passed"]]
        if failed or server.incidents:
            raise SystemExit(f"{tree}: a check failed: {failed} {server.incidents}")
    return seconds


def per_round_trip(case, seconds, calls, checks):
    """A readable unit for each case."""
    if case == "calls":
        return f"{seconds / calls * 1e6:8.0f} us per call"
    if case == "lent":
        return f"{seconds / (max(1, calls // 50) * 10) * 1e3:8.2f} ms per callback"
    return f"{seconds / checks * 1e3:8.1f} ms per check"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a commit to compare with (e.g. HEAD~3)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--run", help=argparse.SUPPRESS)  # one run on a tree, as JSON
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(run_cases(Path(args.run), args.calls, args.checks)))
        return
    trees = {"after": REPO}
    with tempfile.TemporaryDirectory() as scratch:
        if args.before:
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", args.before, *PACKAGES],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
            trees = {"before": Path(scratch), "after": REPO}
        runs = {label: [] for label in trees}
        for repeat in range(args.repeats):
            for label, tree in trees.items():
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--run",
                        str(tree),
                        "--calls",
                        str(args.calls),
                        "--checks",
                        str(args.checks),
                    ],
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    raise SystemExit(f"the {label} run failed:\n{out.stderr}")
                runs[label].append(json.loads(out.stdout.splitlines()[-1]))
            print(f"run {repeat + 1} of {args.repeats} done", file=sys.stderr)
    print(
        f"protocol round trips, median of {args.repeats} runs "
        f"({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)"
    )
    for case in runs["after"][0]:
        median = {label: statistics.median(r[case] for r in runs[label]) for label in runs}
        line = f"  {case:18s}"
        for label in runs:
            line += f"  {label}: {per_round_trip(case, median[label], args.calls, args.checks)}"
        if "before" in median:
            line += f"  before/after: {median['before'] / median['after']:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
