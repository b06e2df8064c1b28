"""Peak memory of a 2-worker batch on big photos in every format (issue 18).

    nice python benchmarks/batch_memory.py            # prints the figures the README quotes

Builds, in a temporary folder, large photos of every kind whose decoding once cost gigabytes
(a float TIFF, 16-bit PNGs, a big RGB PNG, a progressive JPEG) plus the hostile ones that
are refused from their header, and runs ``run_batch(..., workers=2, time_limit=...)`` on
them while sampling the resident memory (RSS) of the batch and its worker processes every
20 ms from /proc. Prints the peak of the whole process tree and of the largest single
process. The pose model is replaced by a fixed fake (``--model`` uses the real one when it
loads), so the figure is the decoding and drawing side: add the model's own memory (README).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from make_bad_inputs import jpeg_many_scans, png_raw, tiff_declaring  # noqa: E402
from synthetic_landmarks import FakeEstimator, make_landmarks  # noqa: E402


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d.name))
    out, todo = [pid], [pid]
    while todo:
        todo = [c for p in todo for c in kids.get(p, [])]
        out += todo
    return out


def corpus(d: Path) -> None:
    rng = np.random.default_rng(0)
    h, w = 5500, 7300  # 40 MP
    ramp = (np.linspace(0, 1, w, dtype=np.float32)[None, :] * np.linspace(0.2, 1, h, dtype=np.float32)[:, None])
    Image.fromarray(ramp).save(d / "float_40mp.tif", compression="tiff_deflate")
    Image.fromarray((ramp * 65535).astype(np.uint16)).save(d / "gray16_40mp.png", compress_level=1)
    del ramp
    rgb = rng.integers(0, 255, (6000, 8000, 3), dtype=np.uint8)  # 48 MP, incompressible
    rgb[::7] = 0
    Image.fromarray(rgb).save(d / "rgb_48mp.png", compress_level=1)
    Image.fromarray(rgb).save(d / "progressive_48mp.jpg", quality=80, progressive=True)
    rows = b"".join(b"\x00" + (rgb[y].astype(">u2") * 257).tobytes() for y in range(0, 3000))
    (d / "rgb16_24mp.png").write_bytes(png_raw(8000, 3000, 16, 2, rows))
    del rgb, rows
    (d / "float_100mp_declared.tif").write_bytes(tiff_declaring(10000, 10000, "F"))
    (d / "rgb16_80mp_declared.png").write_bytes(png_raw(10000, 8000, 16, 2, None, idat=__import__("zlib").compress(b"\0" * 4096)))
    (d / "many_scans.jpg").write_bytes(jpeg_many_scans((4000, 3000), 300))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="store_true", help="use the real pose model")
    args = ap.parse_args(argv)
    from thomas_cv.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="thomas-cv-mem-") as tmp:
        src, out = Path(tmp, "src"), Path(tmp, "out")
        src.mkdir()
        corpus(src)
        sizes = {p.name: p.stat().st_size for p in src.iterdir()}
        me = os.getpid()
        base = rss_kib(me)
        peak = {"tree": 0, "one": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                pids = tree(me)
                vals = [rss_kib(p) for p in pids]
                peak["tree"] = max(peak["tree"], sum(vals))
                peak["one"] = max(peak["one"], max(vals[1:], default=0))
                time.sleep(0.02)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        t0 = time.monotonic()
        factory = None if args.model else partial(FakeEstimator, make_landmarks(size=(1280, 960)))
        s = run_batch(src, out, workers=2, estimator_factory=factory, time_limit=120)
        dt = time.monotonic() - t0
        stop.set()
        t.join()
        import csv

        rows = list(csv.DictReader(open(out / "results.csv", encoding="utf-8")))
    print(f"{len(sizes)} files, {sum(sizes.values()) / 2**20:.1f} MB on disk; batch of 2 workers took {dt:.1f} s; "
          f"{'real model' if args.model else 'fake pose model'}")
    for r in sorted(rows, key=lambda r: r["file"]):
        print(f"  {r['file']:<28} {sizes[r['file']] / 2**20:7.2f} MB  {'measured' if r['ok'] == 'True' else r['error_code']}")
    print(f"peak RSS, batch process + 2 workers: {peak['tree'] / 1024:.0f} MB "
          f"(the batch process alone before starting: {base / 1024:.0f} MB)")
    print(f"peak RSS of the largest single worker: {peak['one'] / 1024:.0f} MB")
    return 0 if s.total == len(sizes) else 1


if __name__ == "__main__":
    sys.exit(main())
