"""Batch durability: a batch killed with SIGKILL halfway and rerun with ``--resume`` ends
with every file in results.csv exactly once; a worker that dies mid-file does not hang or
lose the batch.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from make_bad_inputs import DATA, find_samples
from synthetic_landmarks import FakeEstimator, make_landmarks
from thomas_cv.batch import JOURNAL, RESULTS, find_images, run_batch

_SCRIPT = Path(sys.executable).with_name("thomas-cv")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "thomas_cv.cli"]


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def data_lines(path: Path) -> int:
    try:
        return max(0, path.read_bytes().count(b"\n") - 1)
    except FileNotFoundError:
        return 0


def children_of(pid: int) -> set[int]:
    """Direct and indirect child processes of ``pid`` (from /proc)."""
    parent = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = set(), {pid}
    while frontier:
        frontier = {c for c, p in parent.items() if p in frontier} - out
        out |= frontier
    return out


def alive(pid: int) -> bool:
    try:
        st = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return st.rsplit(")", 1)[1].split()[0] != "Z"


def make_source(root: Path, n: int) -> list[str]:
    """``n`` photos in two folders: the sample renders if there are any (real measurements),
    else copies of a photo without a person (every file still gets its row)."""
    samples = [p for p, _ in find_samples()]
    pool = samples or [DATA / "images/no_person.jpg", DATA / "images/name with spaces.jpg"]
    for i in range(n):
        sub = root / ("day 1" if i % 2 else "day 2")
        sub.mkdir(parents=True, exist_ok=True)
        src = pool[i % len(pool)]
        shutil.copyfile(src, sub / f"p{i:03d}{src.suffix}")
    return find_images(root)


@pytest.mark.model
@pytest.mark.slow
def test_sigkill_halfway_then_resume_measures_every_file_once(tmp_path):
    n = 40 if find_samples() else 120
    src = tmp_path / "photos"
    files = make_source(src, n)
    out = tmp_path / "out"
    results = out / RESULTS
    args = CLI + ["batch", str(src), "--out", str(out), "--workers", "2", "--no-overlays"]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")

    kills = []
    for round_, threshold in enumerate((n // 4, n // 2)):  # kill twice, at different points
        proc = subprocess.Popen(args + (["--resume"] if round_ else []), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while data_lines(results) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the batch finished before it could be killed: " + proc.stderr.read().decode()[-2000:]
        kids = children_of(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
        kills.append(data_lines(results))
        # the workers notice their parent is gone and exit (no orphans holding the model)
        t0 = time.monotonic()
        while any(alive(k) for k in kids) and time.monotonic() - t0 < 15:
            time.sleep(0.1)
        assert not any(alive(k) for k in kids), "worker processes outlived the killed batch"
        # what was written before the kill is a valid CSV with no duplicate and no torn row
        raw = results.read_bytes()
        assert raw.endswith(b"\n")
        done = rows_of(results)
        assert len({r["file"] for r in done}) == len(done) == kills[-1]
        assert all(r["file"] in files for r in done)
        assert 0 < kills[-1] < n

    assert kills[1] > kills[0]
    final = subprocess.run(args + ["--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode in (0, 1), final.stderr
    assert "Traceback" not in final.stderr
    assert f"{kills[1]} were already done (resumed)" in final.stdout
    assert f"{n} files in results.csv" in final.stdout
    rows = rows_of(results)
    names = [r["file"] for r in rows]
    assert len(names) == len(set(names)) == n, "a file is missing or doubled"
    assert sorted(names) == sorted(files)
    assert all(r["ok"] == "True" or r["error_code"] for r in rows)
    assert not (out / ".unzipped").exists()


# ------------------------------------------------------------------ a worker that dies

POISON = (255, 0, 255)


class CrashingEstimator:
    """Measures every photo, except that a photo whose first pixel is magenta kills the
    worker process outright (like a segfault in a native library or the OOM killer)."""

    def __init__(self):
        self.inner = FakeEstimator(make_landmarks(thigh=5.0, knee=88.0))

    def estimate(self, rgb, timestamp_ms=None):
        if tuple(int(v) for v in rgb[0, 0]) == POISON and tuple(int(v) for v in rgb[0, 1]) == POISON:
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.estimate(rgb)

    def close(self):
        pass


def crashing_factory():
    return CrashingEstimator()


def _photo(path: Path, poison: bool = False):
    a = np.full((300, 400, 3), 120, np.uint8)
    if poison:
        a[:8, :8] = POISON
    Image.fromarray(a).save(path)  # PNG: the magenta survives exactly


@pytest.mark.parametrize("workers", [2, 3])
def test_worker_killed_mid_file_is_reported_and_the_batch_finishes(tmp_path, workers):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(10):
        _photo(src / f"ok{i}.png")
    _photo(src / "poison_a.png", poison=True)
    _photo(src / "poison_b.png", poison=True)
    out = tmp_path / "out"
    t0 = time.monotonic()
    s = run_batch(src, out, workers=workers, estimator_factory=crashing_factory)
    assert time.monotonic() - t0 < 120
    rows = {r["file"]: r for r in rows_of(out / RESULTS)}
    assert len(rows) == 12 == s.total
    assert rows["poison_a.png"]["error_code"] == rows["poison_b.png"]["error_code"] == "worker_crashed"
    assert all(rows[f"ok{i}.png"]["ok"] == "True" for i in range(10))
    assert (s.measured, s.failed) == (10, 2)


def test_torn_row_and_resume_in_process(tmp_path):
    """A journal line cut in the middle (a crash during a write, a full disk) is dropped on
    resume and its file measured again: exactly one row per file."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(6):
        _photo(src / f"p{i}.png")
    out = tmp_path / "out"
    factory = partial(FakeEstimator, make_landmarks())
    run_batch(src, out, workers=1, estimator_factory=factory)
    journal = out / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:4]) + lines[4][:7])  # header + 3 rows + a torn one
    s = run_batch(src, out, workers=1, resume=True, estimator_factory=factory)
    names = [r["file"] for r in rows_of(out / RESULTS)]
    assert sorted(names) == [f"p{i}.png" for i in range(6)] and s.skipped == 3
    assert journal.read_bytes().endswith(b"\n")


def test_zip_batch_killed_midway_resumes_clean(tmp_path):
    """A zip batch killed mid-way resumes with only the rest; photos are read from the zip in
    memory, so nothing is unpacked; the unpacked copy an older version left in
    --out/.unzipped (here 300 folders deep) is removed."""
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    for i in range(5):
        _photo(src / f"p{i}.png")
    z = tmp_path / "clinic.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(5):
            zf.write(src / f"p{i}.png", f"day 1/p{i}.png")
    out = tmp_path / "out"
    factory = partial(FakeEstimator, make_landmarks())
    run_batch(z, out, workers=1, estimator_factory=factory)
    journal = out / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:3]))  # as if killed after two files
    stale = out / ".unzipped" / "day 1"
    stale.mkdir(parents=True)
    (stale / "p0.png").write_bytes(b"half-written leftover")
    deep = out / ".unzipped"
    for _ in range(300):
        deep = deep / "d"
        os.mkdir(deep)
    s = run_batch(z, out, workers=1, resume=True, estimator_factory=factory)
    names = [r["file"] for r in rows_of(out / RESULTS)]
    assert sorted(names) == [f"day 1/p{i}.png" for i in range(5)] and s.skipped == 2 and s.failed == 0
    assert not (out / ".unzipped").exists()


def test_out_folder_inside_the_source_is_not_measured(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        _photo(src / f"p{i}.png")
    out = src / "results"
    factory = partial(FakeEstimator, make_landmarks())
    run_batch(src, out, workers=1, estimator_factory=factory)
    assert len(list((out / "overlays").iterdir())) == 3
    s = run_batch(src, out, workers=1, resume=True, estimator_factory=factory)
    assert s.total == 3 and s.skipped == 3  # the overlays are not taken for new photos
    assert len(rows_of(out / RESULTS)) == 3
