"""Seconds to grade a class: plain ``nbgrader autograde`` against HandNet's pipeline.

One run, on copies of the course with the same sample submissions (by default the
reference, untouched and partial submissions of every assignment; --all adds every
catalogued mistake), measures:
  - nbgrader's CLI, ``nbgrader autograde <assignment>`` once per assignment (one process
    each, grading all students of it), the way nbgrader is usually run;
  - HandNet's pipeline (``grade_class``) with 1 and with 2 worker processes;
  - the same pipeline (2 workers) with nbgrader's plain ``Execute`` in place of
    ``GuardedExecute``: the hidden checks judged inside the kernel, no sandbox, no visible
    tests re-run by the grader; the baseline for what trustworthy grading costs.
All use the course's nbgrader_config.py, so the notebooks do the same work; what
differs is the orchestration. The notebook's own work is the execution time recorded per
submission; "overhead" is wall time per submission beyond it (for the CLI, whose runs
record no execution time, the pipeline's 1-worker figure is used as the notebooks' work).
Usage: python bench/bench_grading.py [--all] [--json out.json]
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

from handnet_grader.grading import grade_class  # noqa: E402
from handnet_grader.layout import assignments, put_python_first  # noqa: E402
from handnet_grader.release import generate_release  # noqa: E402
from handnet_grader.samples import sample_class, write_sample_class  # noqa: E402

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
            subprocess.run([sys.executable, "-m", "nbgrader", "autograde", a, "--force"],
                           cwd=root, check=True, capture_output=True)
        results["nbgrader_cli"] = {"seconds": time.perf_counter() - start}
        for workers in (1, 2):
            root = course_copy(tmp, f"pipeline{workers}", samples)
            start = time.perf_counter()
            records = grade_class(root, workers=workers)
            wall = time.perf_counter() - start
            results[f"pipeline_{workers}_workers"] = {
                "seconds": wall, "execution_seconds": sum(r.execution_seconds for r in records),
                "statuses": sorted({r.status for r in records})}
        root = course_copy(tmp, "untrusted", samples, untrusted=True)
        start = time.perf_counter()
        records = grade_class(root, workers=2)
        results["untrusted_2_workers"] = {"seconds": time.perf_counter() - start,
                                          "statuses": sorted({r.status for r in records}),
                                          "points": sum(r.points for r in records)}
    work = results["pipeline_1_workers"]["execution_seconds"]
    base = results["nbgrader_cli"]["seconds"]
    print(f"\n{'how':<22}{'wall s':>9}{'s/notebook':>12}{'vs CLI':>8}{'overhead s/nb':>15}")
    for name, r in results.items():
        r["seconds_per_notebook"] = r["seconds"] / n
        r["speedup_vs_cli"] = base / r["seconds"]
        if name == "untrusted_2_workers":
            continue
        workers = 2 if name.endswith("2_workers") else 1
        r["overhead_per_notebook"] = (r["seconds"] * workers - work) / n
        print(f"{name:<22}{r['seconds']:>9.1f}{r['seconds_per_notebook']:>12.2f}"
              f"{r['speedup_vs_cli']:>7.2f}x{r['overhead_per_notebook']:>15.2f}")
    print("\n(notebooks' own work, from the 1-worker records: "
          f"{work:.1f} s, {work / n:.2f} s per notebook)")
    untrusted, trusted = results["untrusted_2_workers"], results["pipeline_2_workers"]
    trusted["cost_vs_untrusted"] = trusted["seconds"] / untrusted["seconds"]
    print(f"\ntrustworthy grading (sandbox, verdicts and visible tests in the grader), 2 workers: "
          f"{trusted['seconds']:.1f} s against {untrusted['seconds']:.1f} s with nbgrader's "
          f"Execute and in-kernel checks: {trusted['cost_vs_untrusted']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
