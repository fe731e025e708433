"""Seconds to grade a class: plain ``nbgrader autograde`` against HandNet's pipeline.

One run, on copies of the course with the same sample submissions (by default the
reference, untouched and partial submissions of every assignment; --all adds every
catalogued mistake), measures:
  - nbgrader's CLI, ``nbgrader autograde <assignment>`` once per assignment (one process
    each, grading all students of it), the way nbgrader is usually run;
  - HandNet's pipeline (``grade_class``) with 1 and with 2 worker processes;
  - the same pipeline (2 workers) with nbgrader's plain ``Execute`` in place of
    ``GuardedExecute``: the hidden checks judged inside the kernel, no sandbox, no visible
    tests re-run by the grader; the baseline for what trustworthy grading costs;
  - the pipeline on a Dask cluster (``grade_on_cluster``) with 1 and with 2 local worker
    processes (one thread each; the scheduler in this process): each submission graded
    in a throw-away course on a worker, written back by this process alone.
All use the course's nbgrader_config.py, so the notebooks do the same work; what
differs is the orchestration. The notebook's own work is the execution time recorded per
submission; "overhead" is wall time per submission beyond it (for the CLI, whose runs
record no execution time, the pipeline's 1-worker figure is used as the notebooks' work).
Then the driver's writer alone (``bench_writer``: results written back one at a time
with a gradebook each, and in batches through one session, as a busy run writes them).
From the 1-worker Dask run's time per submission on a worker and the writer's batched
time per result (which no number of workers shares: the driver alone writes) it
estimates how long a class of ``--estimate`` notebooks (7,000) takes on N workers.
Usage: python bench/bench_grading.py [--all] [--json out.json] [--estimate N]
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handnet_grader.classview.sample_class import sample_class, write_sample_class  # noqa: E402
from handnet_grader.cluster.dask_backend import grade_on_cluster  # noqa: E402
from handnet_grader.course.release import generate_release  # noqa: E402
from handnet_grader.course.root import assignments, put_python_first  # noqa: E402
from handnet_grader.run.driver import grade_class  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import bench_writer  # noqa: E402

BASIC = ("reference", "untouched", "partial")


UNTRUSTED = """
# bench: nbgrader's own Execute, the hidden checks inside the kernel, no sandbox
from nbgrader.preprocessors import Execute
c.Autograde.autograde_preprocessors = [Execute if p is GuardedExecute else p
                                       for p in c.Autograde.autograde_preprocessors]
"""


def course_copy(parent, name, samples, untrusted=False):
    root = Path(parent) / name
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    if untrusted:
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(UNTRUSTED)
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder, root / folder)
    generate_release(root)
    write_sample_class(root, samples)
    return root


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="grade every catalogued mistake too")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--estimate",
        type=int,
        default=7000,
        help="notebooks in the class to estimate for (default 7000)",
    )
    args = parser.parse_args(argv)
    put_python_first()
    samples = [s for s in sample_class(REPO, broken_in=[]) if args.all or s.student in BASIC]
    n = len(samples)
    print(f"{n} submissions over {len(assignments(REPO))} assignments")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = course_copy(tmp, "cli", samples)
        start = time.perf_counter()
        for a in assignments(root):
            subprocess.run(
                [sys.executable, "-m", "nbgrader", "autograde", a, "--force"],
                cwd=root,
                check=True,
                capture_output=True,
            )
        results["nbgrader_cli"] = {"seconds": time.perf_counter() - start}
        for workers in (1, 2):
            root = course_copy(tmp, f"pipeline{workers}", samples)
            start = time.perf_counter()
            records = grade_class(root, workers=workers)
            wall = time.perf_counter() - start
            results[f"pipeline_{workers}_workers"] = {
                "seconds": wall,
                "execution_seconds": sum(r.execution_seconds for r in records),
                "statuses": sorted({r.status for r in records}),
                "points": sum(r.points for r in records),
            }
        root = course_copy(tmp, "untrusted", samples, untrusted=True)
        start = time.perf_counter()
        records = grade_class(root, workers=2)
        results["untrusted_2_workers"] = {
            "seconds": time.perf_counter() - start,
            "statuses": sorted({r.status for r in records}),
            "points": sum(r.points for r in records),
        }
        for workers in (1, 2):
            root = course_copy(tmp, f"dask{workers}", samples)
            results[f"dask_{workers}_workers"] = dask_run(root, workers)
        writer = bench_writer.measure()  # before tmp goes: the working directory is in it
    work = results["pipeline_1_workers"]["execution_seconds"]
    base = results["nbgrader_cli"]["seconds"]
    print(f"\n{'how':<22}{'wall s':>9}{'s/notebook':>12}{'vs CLI':>8}{'overhead s/nb':>15}")
    for name, r in results.items():
        r["seconds_per_notebook"] = r["seconds"] / n
        r["speedup_vs_cli"] = base / r["seconds"]
        if name == "untrusted_2_workers" or name.startswith("dask"):
            continue
        workers = 2 if name.endswith("2_workers") else 1
        r["overhead_per_notebook"] = (r["seconds"] * workers - work) / n
        print(
            f"{name:<22}{r['seconds']:>9.1f}{r['seconds_per_notebook']:>12.2f}"
            f"{r['speedup_vs_cli']:>7.2f}x{r['overhead_per_notebook']:>15.2f}"
        )
    print(
        "\n(notebooks' own work, from the 1-worker records: "
        f"{work:.1f} s, {work / n:.2f} s per notebook)"
    )
    untrusted, trusted = results["untrusted_2_workers"], results["pipeline_2_workers"]
    trusted["cost_vs_untrusted"] = trusted["seconds"] / untrusted["seconds"]
    print(
        f"\ntrustworthy grading (sandbox, verdicts and visible tests in the grader), 2 workers: "
        f"{trusted['seconds']:.1f} s against {untrusted['seconds']:.1f} s with nbgrader's "
        f"Execute and in-kernel checks: {trusted['cost_vs_untrusted']:.2f}x"
    )
    results["writer"] = writer
    print_dask(results, n, args.estimate)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def dask_run(root, workers):
    """Grade the course at ``root`` on a local Dask cluster of ``workers`` one-thread
    worker processes; the wall time (from connecting, course bundles included) and the
    per-notebook costs."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        start = time.perf_counter()
        run = grade_on_cluster(root, cluster.scheduler_address)
        wall = time.perf_counter() - start
    records = run.records
    return {
        "seconds": wall,
        "worker_seconds": sum(r.seconds for r in records),
        "writer_seconds": run.writer_seconds,
        "execution_seconds": sum(r.execution_seconds for r in records),
        "statuses": sorted({r.status for r in records}),
        "points": sum(r.points for r in records),
    }


def print_dask(results, n, estimate):
    """The Dask rows beside -j 1 and -j 2, and the estimate for ``estimate`` notebooks."""
    print(f"\n{'how':<22}{'wall s':>9}{'s/notebook':>12}{'points':>9}")
    for name in ("pipeline_1_workers", "pipeline_2_workers", "dask_1_workers", "dask_2_workers"):
        r = results[name]
        print(f"{name:<22}{r['seconds']:>9.1f}{r['seconds'] / n:>12.2f}{r['points']:>9g}")
    one = results["dask_1_workers"]
    grade, run_write = one["worker_seconds"] / n, one["writer_seconds"] / n
    fixed = max(one["seconds"] - n * grade, 0.0)
    print(
        f"\nper notebook, 1 Dask worker: {grade:.2f} s on the worker (of which "
        f"{one['execution_seconds'] / n:.2f} s running it), {run_write:.3f} s writing it back "
        f"in that run; {fixed:.1f} s for the run's start"
    )
    bench_writer.report(results["writer"])
    write = results["writer"]["seconds_per_result"]["batched"]
    print(
        f"estimate for {estimate:,} notebooks, one core per worker "
        f"(start + {estimate:,} x max(worker time / N, batched write time {write:.3f} s)):"
    )
    results["estimate"] = {
        "notebooks": estimate,
        "worker_seconds_per_notebook": grade,
        "writer_seconds_per_notebook": write,
        "start_seconds": fixed,
        "hours": {},
    }
    for workers in (1, 2, 4, 8, 16, 32, 64):
        seconds = fixed + estimate * max(grade / workers, write)
        results["estimate"]["hours"][workers] = seconds / 3600
        print(f"  {workers:>3} workers: {seconds / 3600:6.2f} h ({seconds / 60:5.1f} min)")


if __name__ == "__main__":
    main()
