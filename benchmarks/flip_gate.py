"""Would a cheaper criterion for the mirror look keep the accuracy? (issue 17)

    python benchmarks/accuracy.py --images /work/bench/side_s10 --horizon auto auto+noflip \\
        --workers 2 --dump /tmp/acc_dump.jsonl
    python benchmarks/flip_gate.py /tmp/acc_dump.jsonl

The mirror look (and the third look it may call) costs one to two model passes on every
photo. A gate that takes it only when the first look is doubtful gives, photo by photo,
exactly the ``auto`` (flip) result where the gate opens and the ``auto+noflip`` result where
it stays shut (the model is deterministic, and the first look is the same in both). So the
accuracy of every gate is computed from one dump of both settings, without running the model
again. Prints the yardstick's lines (found, MAE, worst, findings agreement, coverage) for the
default, no flip, and each gate, with the share of photos that take the mirror look.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

LEG = ("hip", "knee", "ankle")


def leg_visibility(d: dict) -> float:
    """Lowest visibility of the measured leg's hip, knee and ankle in a result (0 if none)."""
    pts = ((d.get("landmarks") or {}).get("points")) or {}
    side = d.get("side")
    if side not in ("left", "right"):
        return 0.0
    return min((pts.get(f"{side}_{j}") or {}).get("visibility", 0.0) for j in LEG)


def gates():
    """name -> predicate(noflip result) saying 'doubtful: take the mirror look'."""
    g = {"always (default)": lambda d: True, "never (--no-flip)": lambda d: False}
    g["first look failed"] = lambda d: not d.get("ok")
    for t in (0.9, 0.95, 0.98, 0.99):
        g[f"failed or leg visibility < {t}"] = lambda d, t=t: not d.get("ok") or leg_visibility(d) < t
    for t in (3.0, 4.0, 5.0, 6.0):
        g[f"failed or uncertainty (thigh or knee) >= {t}"] = lambda d, t=t: not d.get("ok") or max(
            d.get("thigh_angle_uncertainty_deg") or 99, d.get("knee_flexion_uncertainty_deg") or 99) >= t
    for t in (0.9, 0.95):
        g[f"failed or confidence < {t}"] = lambda d, t=t: not d.get("ok") or (d.get("confidence") or 0) < t
    g["failed or any flag"] = lambda d: not d.get("ok") or bool(d.get("flags"))
    return g


def main(argv=None) -> int:
    from accuracy import side_stats

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dump", type=Path)
    ap.add_argument("--flip", default="auto")
    ap.add_argument("--noflip", default="auto+noflip")
    args = ap.parse_args(argv)
    recs = [json.loads(ln) for ln in args.dump.read_text().splitlines() if ln.strip()]
    recs = [r for r in recs if r["meta"].get("view", "side") == "side"]
    print(f"{len(recs)} side photos from {args.dump}")
    print(f"{'mirror look taken when':48s} {'taken':>6s} {'found':>6s} {'thigh MAE worst':>16s} "
          f"{'knee MAE worst':>15s} {'agree':>7s} {'opp':>4s} {'cover t/k':>11s}")
    for name, doubtful in gates().items():
        rows, taken = [], 0
        for r in recs:
            nf = r["results"][args.noflip]
            use = doubtful(nf)
            taken += use
            rows.append((r["meta"], r["results"][args.flip] if use else nf))
        s = side_stats(rows)
        et, ek = np.abs(s["et"]), np.abs(s["ek"])
        print(f"{name:48s} {100 * taken / len(recs):5.1f}% {s['found']:6d} {et.mean():7.2f} {et.max():7.1f} "
              f"{ek.mean():7.2f} {ek.max():6.1f} {100 * s['agree'] / max(s['clear'], 1):6.1f}% {s['opposite']:4d} "
              f"{s['cov_t']:5.1f}/{s['cov_k']:4.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
