"""Seconds to grade a class: plain ``nbgrader autograde`` against HandNet's pipeline.

One run, on copies of the course with the same sample submissions (by default the
reference, untouched and partial submissions of every assignment; --all adds every
catalogued mistake), measures:
  - nbgrader's CLI, ``nbgrader autograde <assignment>`` once per assignment (one process
    each, grading all students of it), the way nbgrader is usually run;
  - HandNet's pipeline (``grade_class``) with 1 and with 2 worker processes.
All three use the course's nbgrader_config.py, so the notebooks do the same work; what
differs is the orchestration. The notebook's own work is the execution time recorded per
submission; "overhead" is wall time per submission beyond it (for the CLI, whose runs
record no execution time, the pipeline's 1-worker figure is used as the notebooks' work).
Usage: python bench/bench_grading.py [--all] [--json out.json]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handnet.course.grading import grade_class  # noqa: E402
from handnet.course.layout import assignments  # noqa: E402
from handnet.course.release import generate_release  # noqa: E402
from handnet.course.samples import sample_class, write_sample_class  # noqa: E402

BASIC = ("reference", "untouched", "partial")


def course_copy(parent, name, samples):
    root = Path(parent) / name
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
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
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
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
    work = results["pipeline_1_workers"]["execution_seconds"]
    base = results["nbgrader_cli"]["seconds"]
    print(f"\n{'how':<22}{'wall s':>9}{'s/notebook':>12}{'vs CLI':>8}{'overhead s/nb':>15}")
    for name, r in results.items():
        r["seconds_per_notebook"] = r["seconds"] / n
        r["speedup_vs_cli"] = base / r["seconds"]
        workers = 2 if name.endswith("2_workers") else 1
        r["overhead_per_notebook"] = (r["seconds"] * workers - work) / n
        print(f"{name:<22}{r['seconds']:>9.1f}{r['seconds_per_notebook']:>12.2f}"
              f"{r['speedup_vs_cli']:>7.2f}x{r['overhead_per_notebook']:>15.2f}")
    print("\n(notebooks' own work, from the 1-worker records: "
          f"{work:.1f} s, {work / n:.2f} s per notebook)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
