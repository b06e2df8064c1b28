"""Speed benchmark: one run prints every figure of issue 7 on this machine.

    python benchmarks/speed.py [--photo sample_images/SOME.jpg] [--n 30]

Figures: the floor (bare BlazePose per photo); ``measure`` end to end for 12-megapixel JPEGs
and 1080p PNGs and its ratio to the floor; batch photos per second on 1 and 2 workers and
the speed-up; video frames per second at 720p in tracking mode against real time; the live
camera's time per frame; cold start of ``thomas-cv --help`` and ``thomas-cv measure``; peak
memory per worker. Test inputs are made from one photo of a person (a sample render by
default) in a temporary folder.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def ms(xs) -> str:
    return f"{1000 * statistics.median(xs):7.1f} ms (median of {len(xs)})"


def make_inputs(photo: Path, tmp: Path) -> dict:
    import cv2
    from PIL import Image

    src = Image.open(photo).convert("RGB")
    big = src.resize((4000, 3000), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(0)  # sensor-like noise so the JPEG is not unrealistically small
    arr = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (3000, 4000, 3), dtype=np.int16)
    big = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    paths = {"jpeg12": tmp / "photo_12mp.jpg", "png1080": tmp / "photo_1080p.png"}
    big.save(paths["jpeg12"], quality=92)
    src.resize((1920, 1080), Image.Resampling.BICUBIC).save(paths["png1080"])
    # a 720p, 30 fps clip of 6 s: the photo with a small drifting shift (tracking must follow)
    frame = cv2.cvtColor(np.asarray(src.resize((1280, 720))), cv2.COLOR_RGB2BGR)
    vid = tmp / "clip_720p.mp4"
    w = cv2.VideoWriter(str(vid), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1280, 720))
    for i in range(180):
        M = np.float32([[1, 0, 3 * np.sin(i / 20)], [0, 1, 0]])
        w.write(cv2.warpAffine(frame, M, (1280, 720), borderMode=cv2.BORDER_REPLICATE))
    w.release()
    paths["video"] = vid
    batch = tmp / "batch"
    batch.mkdir()
    for i in range(120):
        shutil.copy(paths["jpeg12"] if i % 2 else photo, batch / f"p{i:03d}{'.jpg' if i % 2 else photo.suffix}")
    paths["batch"] = batch
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photo", type=Path)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args(argv)
    photo = args.photo or sorted((ROOT / "sample_images").glob("*.jpg"))[0]
    tmp = Path(tempfile.mkdtemp(prefix="thomas-cv-speed-"))
    try:
        return run(photo, tmp, args.n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(photo: Path, tmp: Path, n: int) -> int:
    from thomas_cv.analyze import iter_analyze
    from thomas_cv.batch import run_batch
    from thomas_cv.measure import measure
    from thomas_cv.media import load_image, save_image
    from thomas_cv.overlay import draw_overlay
    from thomas_cv.interpret import interpret
    from thomas_cv.pose import BlazePose
    from thomas_cv.video import analyze_video

    print(f"machine: {os.cpu_count()} cores; photo: {photo.name}")
    paths = make_inputs(photo, tmp)
    print(f"inputs: 12 MP JPEG {paths['jpeg12'].stat().st_size / 1e6:.1f} MB, 1080p PNG "
          f"{paths['png1080'].stat().st_size / 1e6:.1f} MB")

    with BlazePose(static=True) as est:
        # the floor: the model alone on an image already decoded at the size the tool feeds it
        rgb = load_image(paths["jpeg12"]).rgb
        est.estimate(rgb)
        floor = timed(lambda: est.estimate(rgb), n)
        print(f"\nfloor: bare BlazePose (static, {rgb.shape[1]}x{rgb.shape[0]} input)   {ms(floor)}")
        f = statistics.median(floor)
        for key, label in (("jpeg12", "12 MP JPEG"), ("png1080", "1080p PNG")):
            many = [paths[key]] * n
            for flip, fmt in ((True, "png"), (True, "jpg"), (False, "png"), (False, "jpg")):
                out = tmp / f"ov_{key}.{fmt}"

                def run_measure(many=many, flip=flip, out=out):
                    # what `thomas-cv measure --out` does per photo: decode (prefetched in a
                    # thread), EXIF, inference, geometry, overlay, write (in a writer thread)
                    with ThreadPoolExecutor(1) as writer:
                        for f in [writer.submit(save_image, r.overlay, out) for r in iter_analyze(many, est, flip=flip)]:
                            f.result()

                run_measure(many[:2])
                t = time.perf_counter()
                run_measure()
                per = (time.perf_counter() - t) / n
                setting = ("flip (default)" if flip else "--no-flip") + f", {fmt.upper()} overlay"
                print(f"measure end to end, {label:10s}, {setting:28s}: {1000 * per:6.1f} ms per photo = {per / f:.2f} x floor")
            t_dec = timed(lambda p=paths[key]: load_image(p), max(5, n // 3))
            print(f"  (decode alone {1000 * statistics.median(t_dec):.1f} ms, overlapped with inference by the prefetch thread)")

    # batch throughput: total, and steady state (after every worker has loaded its model)
    rates = {}
    for w in (1, 2):
        out = tmp / f"batch_out_{w}"
        stamps = []

        def clock(rows, total):
            for row in rows:
                stamps.append(time.perf_counter())
                yield row

        t = time.perf_counter()
        s = run_batch(paths["batch"], out, workers=w, progress=clock)
        dt = time.perf_counter() - t
        k = len(stamps) // 4  # steady state: from the first quarter done to the end
        steady = (len(stamps) - 1 - k) / (stamps[-1] - stamps[k])
        rates[w] = steady
        print(f"batch, {w} worker{'s' if w > 1 else ' '}: {s.total} photos in {dt:5.1f} s (incl. start-up); "
              f"steady state {steady:5.2f} photos/s")
    print(f"batch speed-up on 2 workers (steady state): {rates[2] / rates[1]:.2f} x")

    # video 720p tracking
    with BlazePose(static=False) as est_v:
        t = time.perf_counter()
        vr = analyze_video(paths["video"], est_v)
        dt = time.perf_counter() - t
    nf = vr.frames_total
    print(f"\nvideo 720p tracking: a {nf / vr.fps:.0f} s clip ({nf} frames, every {vr.step}. analysed) in {dt:.1f} s = "
          f"{nf / dt:.1f} clip frames/s = {nf / dt / vr.fps:.2f} x real time ({vr.fps:.0f} fps)")

    # live camera: tracking-mode estimate + measure + interpret + overlay on a 640x480 frame
    import cv2

    frame = cv2.resize(load_image(photo).rgb, (640, 480))
    with BlazePose(static=False) as est_l:
        est_l.estimate(frame)

        def live():
            lm = est_l.estimate(frame)
            m = measure(lm)
            fnd, _ = interpret(m)
            draw_overlay(frame, m, fnd)

        t = timed(live, n)
    print(f"live camera, per 640x480 frame (track + measure + overlay): {ms(t)} = {1 / statistics.median(t):.0f} fps possible")

    # cold starts
    exe = shutil.which("thomas-cv") or str(Path(sys.executable).with_name("thomas-cv"))
    t_help = timed(lambda: subprocess.run([exe, "--help"], capture_output=True, check=True), 5)
    t_meas = timed(lambda: subprocess.run([exe, "measure", str(photo)], capture_output=True, check=True), 3)
    print(f"\ncold start: thomas-cv --help {ms(t_help)}; thomas-cv measure (1 photo) {ms(t_meas)}")

    # peak memory of one worker: a fresh process measuring the 12 MP JPEG 10 times
    code = (
        "import resource,sys;from thomas_cv.pose import BlazePose;from thomas_cv.analyze import analyze_path;"
        "e=BlazePose();[analyze_path(sys.argv[1],e) for _ in range(10)];"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    kb = int(subprocess.run([sys.executable, "-c", code, str(paths["jpeg12"])], capture_output=True, text=True, check=True).stdout.strip())
    print(f"peak memory of one worker (12 MP JPEGs): {kb / 1024:.0f} MB")
    _ = resource  # (ru_maxrss is in KiB on Linux)
    return 0


if __name__ == "__main__":
    sys.exit(main())
