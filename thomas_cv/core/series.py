"""Time series of per-frame angles: smoothing and the stable stretch. Pure numpy.

The test position in a clip is the longest stretch in which the hanging leg holds still:
both the thigh angle and the knee flexion stay within ``tolerance_deg`` (max - min) for
at least ``min_duration_s``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Optional

import numpy as np


def smooth(values, window: int) -> np.ndarray:
    """Centred moving median over ``window`` samples (odd), ignoring NaN; NaN stays NaN.

    >>> smooth([0, 0, 10, 0, 0], 3).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]
    >>> bool(np.isnan(smooth([1, float('nan'), 3], 3)[1]))
    True
    """
    v = np.asarray(values, dtype=float)
    if window <= 1 or v.size == 0:
        return v.copy()
    half = window // 2
    # every window at once (the clip's ends padded with NaN, which are ignored): sorted, NaN
    # last; the median of the c values present is the mean of the sorted values (c-1)//2 and
    # c//2, exactly as np.nanmedian of each window computes it (issue 17: the live view
    # smooths its last seconds on every frame)
    padded = np.full(v.size + 2 * half, np.nan)
    padded[half : half + v.size] = v
    win = np.sort(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1), axis=1)
    c = np.count_nonzero(~np.isnan(win), axis=1)
    rows = np.arange(v.size)
    lo, hi = win[rows, np.maximum(c - 1, 0) // 2], win[rows, c // 2]
    with np.errstate(invalid="ignore"):
        med = (lo + hi) / 2
    return np.where(np.isnan(v), np.nan, med)


@dataclass(frozen=True)
class Stretch:
    """Frames ``start``..``end`` inclusive, and their times in seconds."""

    start: int
    end: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {
            "start_frame": self.start,
            "end_frame": self.end,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
        }


def longest_stable_stretch(
    times, series: list, tolerance_deg: float = 2.0, min_duration_s: float = 1.0
) -> Optional[Stretch]:
    """Longest run of frames where every series stays within ``tolerance_deg`` (max - min).

    ``series`` is a list of equally long arrays (NaN = not measured, which breaks a run).
    Returns None when no run lasts ``min_duration_s``. O(n) with monotonic queues.

    >>> t = np.arange(10) / 2.0                      # 2 fps
    >>> a = np.array([0, 5, 10, 10, 10.5, 11, 10, 30, 30, 30], float)
    >>> longest_stable_stretch(t, [a], 2.0, 1.0)
    Stretch(start=2, end=6, start_s=1.0, end_s=3.0)
    >>> longest_stable_stretch(t, [a], 0.1, 2.0) is None
    True
    """
    t = np.asarray(times, dtype=float)
    arrs = [np.asarray(s, dtype=float) for s in series]
    n = t.size
    if any(a.size != n for a in arrs):
        raise ValueError("times and series must have the same length")
    best: Optional[tuple[int, int]] = None
    i = 0
    maxq = [deque() for _ in arrs]
    minq = [deque() for _ in arrs]
    for j in range(n):
        if any(np.isnan(a[j]) for a in arrs):
            i = j + 1
            for q in maxq + minq:
                q.clear()
            continue
        for k, a in enumerate(arrs):
            while maxq[k] and a[maxq[k][-1]] <= a[j]:
                maxq[k].pop()
            maxq[k].append(j)
            while minq[k] and a[minq[k][-1]] >= a[j]:
                minq[k].pop()
            minq[k].append(j)
        while any(arrs[k][maxq[k][0]] - arrs[k][minq[k][0]] > tolerance_deg for k in range(len(arrs))):
            i += 1
            for k in range(len(arrs)):
                if maxq[k][0] < i:
                    maxq[k].popleft()
                if minq[k][0] < i:
                    minq[k].popleft()
        if best is None or (t[j] - t[i]) > (t[best[1]] - t[best[0]]):
            best = (i, j)
    if best is None or t[best[1]] - t[best[0]] < min_duration_s:
        return None
    return Stretch(best[0], best[1], float(t[best[0]]), float(t[best[1]]))
