"""The same render set measured by two checkouts of thomas-cv, each as a user runs it: the
command line (`thomas-cv measure PHOTOS --format json`) with that checkout's own defaults,
model and Python. Prints the accuracy benchmark's report for each and a summary side by side.

    # the checkout before the Tasks-API move (mediapipe 0.10.21, Python 3.11, numpy 1):
    git archive 78d5249 | tar -x -C /tmp/old && python3.11 -m venv /tmp/old/.venv && /tmp/old/.venv/bin/pip install -e /tmp/old
    python benchmarks/accuracy.py --seed 10 --n 240          # renders bench_out/accuracy_side_s10 once
    python benchmarks/before_after.py --images bench_out/accuracy_side_s10 --old-tree /tmp/old --old-python /tmp/old/.venv/bin/python

Errors are measured minus true 3-D angle (deg), as in ``benchmarks/accuracy.py``, whose report
and statistics are reused here so both checkouts are scored by one rule.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from accuracy import load_set, report_side, side_stats, view_of  # noqa: E402

CHUNK = 40  # photos per command (one model load each): keeps a command line short


def run_checkout(tree: Path, python: str, photos: list[Path]) -> tuple[list[dict], float]:
    """Each photo's result dict from `python -m thomas_cv measure ... --format json` run in
    `tree` (its own package first on the path), in the order given; and the wall seconds."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out: list[dict] = []
    t0 = time.time()
    for i in range(0, len(photos), CHUNK):
        part = photos[i: i + CHUNK]
        p = subprocess.run([python, "-m", "thomas_cv", "measure", *map(str, part), "--format", "json"],
                           cwd=tree, env=env, capture_output=True, text=True)
        rows = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        if len(rows) != len(part):
            raise SystemExit(f"{tree}: {len(rows)} results for {len(part)} photos (exit {p.returncode}):\n"
                             f"{p.stderr[-2000:]}")
        out += rows
    return out, time.time() - t0


def summary_line(label: str, s: dict, seconds: float, n: int) -> str:
    mae = lambda e: f"{np.mean(np.abs(e)):.2f}" if e.size else "n/a"  # noqa: E731
    bias = lambda e: f"{np.mean(e):+.2f}" if e.size else "n/a"  # noqa: E731
    worst = lambda e: f"{np.max(np.abs(e)):.1f}" if e.size else "n/a"  # noqa: E731
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "n/a"  # noqa: E731
    return (f"| {label} | {pct(s['found'], s['n'])} | {pct(s['side_ok'], s['found'])} | "
            f"{mae(s['et'])} / {bias(s['et'])} / {worst(s['et'])} | {mae(s['ek'])} / {bias(s['ek'])} / {worst(s['ek'])} | "
            f"{pct(s['agree'], s['clear'])} / {s['opposite']} | {s['cov_t']:.1f}% / {s['cov_k']:.1f}% | "
            f"{1000 * seconds / max(n, 1):.0f} ms |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, required=True, help="a render set (images + JSON sidecars)")
    ap.add_argument("--old-tree", type=Path, required=True, help="the other checkout (its thomas_cv/ is used)")
    ap.add_argument("--old-python", required=True, help="the Python with that checkout's dependencies")
    ap.add_argument("--old-label", default="before")
    ap.add_argument("--n", type=int, help="only the first N side photos (by name)")
    args = ap.parse_args(argv)

    items = [(img, m) for img, m in load_set(args.images) if view_of(m) == "side"][: args.n]
    if not items:
        print(f"no side photos with sidecars in {args.images}", file=sys.stderr)
        return 2
    photos = [img.resolve() for img, _ in items]
    runs = []
    for label, tree, py in ((args.old_label, args.old_tree.resolve(), args.old_python),
                            ("this checkout", ROOT, sys.executable)):
        print(f"measuring {len(photos)} photos with {label} ({tree}, {py}) ...", flush=True)
        rows, secs = run_checkout(tree, py, photos)
        res = [(m, d) for (_, m), d in zip(items, rows)]
        report_side(res, label)
        runs.append((label, side_stats(res), secs))
    print(f"\nsummary, {len(photos)} side photos from {args.images} (wall time per photo: the command "
          "line, model load included, on this machine):")
    print("| checkout | found and graded | side right | thigh MAE / bias / worst | knee MAE / bias / worst "
          "| clear-cut agree / opposite | uncertainty covers thigh / knee | time a photo |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, s, secs in runs:
        print(summary_line(label, s, secs, len(photos)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
