"""Run one test file several times, each in a fresh pytest process (so module fixtures such as
the browser tests' app server start cold every time), and count each test's outcomes: how often
an intermittent failure happens. Issue 16 measured the point editor's mount with it.

    python tools/repeat_tests.py 10 tests/test_browser_clinic.py [--keep DIR] [-- extra pytest args]

Prints one line per run and a table per test (passed / failed / xfailed / skipped / error);
the per-run pytest logs and JUnit XML files stay in ``--keep`` (default: a temporary folder).
Exit status 0 when every run of every test passed.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def outcome(case: ET.Element) -> str:
    """A JUnit test case's outcome in pytest's words."""
    for child in case:
        if child.tag == "failure":
            return "failed"
        if child.tag == "error":
            return "error"
        if child.tag == "skipped":
            return "xfailed" if (child.get("type") or "").endswith("xfail") else "skipped"
    return "passed"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", type=int)
    ap.add_argument("test_file")
    ap.add_argument("--keep", help="folder for the per-run logs and JUnit files")
    args = ap.parse_args(argv)
    keep = Path(args.keep or tempfile.mkdtemp(prefix="repeat_tests_"))
    keep.mkdir(parents=True, exist_ok=True)
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    for run in range(1, args.runs + 1):
        xml, log = keep / f"run{run:02d}.xml", keep / f"run{run:02d}.log"
        cmd = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", f"--basetemp={keep / f'bt{run:02d}'}",
               f"--junitxml={xml}", args.test_file, *extra]
        t0 = time.time()
        with open(log, "wb") as fh:
            rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode
        results = {}
        if xml.exists():
            for case in ET.parse(xml).getroot().iter("testcase"):
                results[case.get("name")] = outcome(case)
        for name, what in results.items():
            counts[name][what] += 1
        bad = {n: w for n, w in results.items() if w != "passed"}
        print(f"run {run:2d}: exit {rc}, {time.time() - t0:5.0f} s, {len(results)} tests"
              + (", " + ", ".join(f"{n} {w}" for n, w in bad.items()) if bad else ", all passed"), flush=True)
    kinds = ["passed", "failed", "xfailed", "error", "skipped"]
    width = max([len(n) for n in counts] + [4])
    print(f"\n{'test':<{width}}  " + "  ".join(f"{k:>7}" for k in kinds))
    for name, c in counts.items():
        print(f"{name:<{width}}  " + "  ".join(f"{c[k]:>7}" for k in kinds))
    print(f"\n{args.runs} runs of {args.test_file}; logs in {keep}")
    return 0 if counts and all(set(c) == {"passed"} for c in counts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
