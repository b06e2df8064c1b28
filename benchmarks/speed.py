"""Speed benchmark: where each millisecond of a photo goes, and every speed figure of issue 17.

    nice -n 10 python benchmarks/speed.py [--images DIR] [--n 12] [--skip-batch] [--skip-photos]

Per photo (the same ``--n`` side photos, default: ``sample_images/*.jpg``, for every line):
the bare model (one pass, heavy and full), then ``measure`` as ``thomas-cv measure --out``
runs it, split into decode, each model pass by what asked for it (first look, masked
re-look, small-person crop search, crop refinement, mirror look, third look on a crop,
looking for other people to blur their faces), the table / perspective search, the overlay
drawing, its JPEG and PNG encoding and the write; then the default ``measure`` end to end
(decode prefetched, overlays written in a thread, as the CLI does) and its ratio to the bare
model. Then: batch photos per second on 1 and 2 local workers and on a 2-worker Dask
LocalCluster, video frames per second at 720p against real time, the live camera's time
per frame (``LiveSession.process``, the web page's own path), ``thomas-cv --help``, and peak
memory of one worker.

CPU time (``time.process_time``, all threads of this process, MediaPipe's included; for
child processes ``getrusage(RUSAGE_CHILDREN)``) is printed beside wall time: on a machine
shared with other jobs the wall time grows with the load, the CPU time much less. Ratios
are CPU-time ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: the person.py functions that call the model, innermost first wins; how the budget names them
PASS_LABELS = {
    "search_crops": "small-person crop search",
    "refine_on_crop": "crop refinement (small person)",
    "estimate_mirrored": "mirror look (flip)",
    "estimate_on_crop": "third look on a crop",
    "other_people": "other people (face blur)",
    "find_lying_person": "first look",
}


class Clock:
    """Wall and CPU time of a block, accumulated under a label."""

    def __init__(self):
        self.wall: dict = defaultdict(float)
        self.cpu: dict = defaultdict(float)
        self.count: dict = defaultdict(int)

    def add(self, label, wall, cpu, n=1):
        self.wall[label] += wall
        self.cpu[label] += cpu
        self.count[label] += n

    def time(self, label, fn, *a, **kw):
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            self.add(label, time.perf_counter() - w, time.process_time() - c)


class CountingEstimator:
    """Wraps a PoseEstimator: times every model pass and names it by its caller."""

    def __init__(self, est, clock: Clock):
        self.est, self.clock = est, clock
        self.first_done = False

    def estimate(self, rgb, *a, **kw):
        label = "model pass (other)"
        f = sys._getframe(1)
        while f is not None:
            if f.f_code.co_name in PASS_LABELS:
                label = PASS_LABELS[f.f_code.co_name]
                break
            f = f.f_back
        if label == "first look":
            label = "masked re-look (upright person found)" if self.first_done else label
            self.first_done = True
        return self.clock.time("pass: " + label, self.est.estimate, rgb, *a, **kw)


def cpu_wall(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def budget(photos, model, clock_all: dict) -> None:
    """The instrumented run: decode, each pass, table search, overlay, encode, write."""
    import thomas_cv.pipeline.photo as A
    import thomas_cv.vision.table as H
    from thomas_cv.pipeline.photo import analyze_image
    from thomas_cv.core.errors import ThomasCVError
    from thomas_cv.media import load_image
    from thomas_cv.outputs import write_atomic
    from thomas_cv.vision.pose import BlazePose
    from PIL import Image
    import io

    clock = Clock()
    saved = (H.find_table_edge, H.find_table_perspective, A.draw_overlay)
    H.find_table_edge = lambda *a, **k: clock.time("table edge search", saved[0], *a, **k)
    H.find_table_perspective = lambda *a, **k: clock.time("table perspective search", saved[1], *a, **k)
    A.draw_overlay = lambda *a, **k: clock.time("overlay drawing", saved[2], *a, **k)
    tmp = Path(tempfile.mkdtemp(prefix="thomas-cv-budget-"))
    failed = 0
    try:
        with BlazePose(model, static=True) as est:
            est.estimate(load_image(photos[0]).rgb)  # warm-up
            for p in photos:
                img = clock.time("decode (EXIF, upright, downscale)", load_image, p)
                ce = CountingEstimator(est, clock)
                try:
                    res = clock.time("analyze_image (total)", analyze_image, img.rgb, ce, file=p.name,
                                     focal_35mm=img.focal_35mm)
                except ThomasCVError:
                    failed += 1
                    continue
                if res.overlay is None:
                    continue
                for fmt, kw in (("JPEG", {"quality": 90}), ("PNG", {"compress_level": 1})):
                    buf = io.BytesIO()
                    clock.time(f"overlay encode {fmt}", Image.fromarray(res.overlay).save, buf, format=fmt, **kw)
                    clock.time(f"overlay write {fmt}", write_atomic, tmp / f"o.{fmt.lower()}", buf.getvalue())
    finally:
        H.find_table_edge, H.find_table_perspective, A.draw_overlay = saved
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(photos)
    passes = sum(v for k, v in clock.count.items() if k.startswith("pass: "))
    pass_cpu = sum(v for k, v in clock.cpu.items() if k.startswith("pass: "))
    pass_wall = sum(v for k, v in clock.wall.items() if k.startswith("pass: "))
    inner = ("table edge search", "table perspective search", "overlay drawing")
    rest_cpu = clock.cpu["analyze_image (total)"] - pass_cpu - sum(clock.cpu[k] for k in inner)
    rest_wall = clock.wall["analyze_image (total)"] - pass_wall - sum(clock.wall[k] for k in inner)
    print(f"\nbudget per photo, {model} model, {n} photos ({failed} refused), measured one step at a time:")
    print(f"  {'step':46s} {'calls/photo':>11s} {'CPU ms/photo':>13s} {'wall ms/photo':>14s}")
    order = sorted(clock.cpu, key=lambda k: (not k.startswith("decode"), not k.startswith("pass: "), k))
    for k in order:
        if k == "analyze_image (total)":
            continue
        print(f"  {k:46s} {clock.count[k] / n:11.2f} {1000 * clock.cpu[k] / n:13.1f} {1000 * clock.wall[k] / n:14.1f}")
    print(f"  {'geometry, fusion, checks (the rest)':46s} {'':11s} {1000 * rest_cpu / n:13.1f} {1000 * rest_wall / n:14.1f}")
    print(f"  => model passes per photo: {passes / n:.2f} ({1000 * pass_cpu / max(passes, 1):.1f} CPU ms a pass)")
    clock_all[model] = {"passes": passes / n, "pass_cpu": pass_cpu / max(passes, 1)}


def end_to_end(photos, rgbs, model, tmp: Path, n_rep: int = 1) -> dict:
    """Bare model vs the default ``measure`` (as the CLI runs it), same photos, same process."""
    from concurrent.futures import ThreadPoolExecutor

    from thomas_cv.pipeline.photo import iter_analyze
    from thomas_cv.media import save_image
    from thomas_cv.vision.pose import BlazePose

    out = {}
    with BlazePose(model, static=True) as est:
        est.estimate(rgbs[0])

        def bare():
            for r in rgbs:
                est.estimate(r)

        _, w, c = cpu_wall(bare)
        out["bare"] = (w / len(rgbs), c / len(rgbs))
        for label, kw, ext in (("measure (default: flip, JPEG overlay)", {}, "jpg"),
                               ("measure, PNG overlay", {}, "png"),
                               ("measure --no-flip, JPEG overlay", {"flip": False}, "jpg")):
            def run(kw=kw, ext=ext):
                with ThreadPoolExecutor(1) as writer:
                    futs = [writer.submit(save_image, r.overlay, tmp / f"{i}.{ext}")
                            for i, r in enumerate(iter_analyze(photos, est, **kw)) if r.overlay is not None]
                    for f in futs:
                        f.result()

            _, w, c = cpu_wall(run)
            out[label] = (w / len(photos), c / len(photos))
    b_w, b_c = out["bare"]
    print(f"\n{model} model, {len(photos)} photos, one process, one after the other:")
    print(f"  {'':40s} {'CPU ms/photo':>13s} {'x bare (CPU)':>13s} {'wall ms/photo':>14s} {'x bare (wall)':>14s}")
    for k, (w, c) in out.items():
        name = "bare model (one pass, decoded input)" if k == "bare" else k
        print(f"  {name:40s} {1000 * c:13.1f} {c / b_c:13.2f} {1000 * w:14.1f} {w / b_w:14.2f}")
    return out


def make_inputs(photo: Path, tmp: Path) -> dict:
    import cv2
    from PIL import Image

    src = Image.open(photo).convert("RGB")
    big = src.resize((4000, 3000), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(0)  # sensor-like noise so the JPEG is not unrealistically small
    arr = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (3000, 4000, 3), dtype=np.int16)
    big = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    paths = {"jpeg12": tmp / "photo_12mp.jpg"}
    big.save(paths["jpeg12"], quality=92)
    # a 720p, 30 fps clip of 6 s: the photo with a small drifting shift (tracking must follow)
    frame = cv2.cvtColor(np.asarray(src.resize((1280, 720))), cv2.COLOR_RGB2BGR)
    vid = tmp / "clip_720p.mp4"
    w = cv2.VideoWriter(str(vid), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1280, 720))
    for i in range(180):
        M = np.float32([[1, 0, 3 * np.sin(i / 20)], [0, 1, 0]])
        w.write(cv2.warpAffine(frame, M, (1280, 720), borderMode=cv2.BORDER_REPLICATE))
    w.release()
    paths["video"] = vid
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=Path, default=ROOT / "sample_images", help="folder of side photos (*.jpg)")
    ap.add_argument("--n", type=int, default=12, help="photos used (the first N by name)")
    ap.add_argument("--batch-n", type=int, default=24, help="photos in each batch run")
    ap.add_argument("--skip-batch", action="store_true", help="skip the batch and Dask runs")
    ap.add_argument("--batch-repeat", type=int, default=1,
                    help="rounds of the batch runs (1 worker, 2 workers, Dask), interleaved; medians printed")
    ap.add_argument("--batch-only", action="store_true", help="the batch lines only (implies --skip-photos)")
    ap.add_argument("--batch-cv2-default", action="store_true",
                    help="also 2 workers with OpenCV's default threads (the A/B of the workers' thread setting)")
    ap.add_argument("--batch-no-dask", action="store_true", help="the local batch runs only")
    ap.add_argument("--batch-dask-defaults", action="store_true",
                    help="also Dask with its own defaults (profiler, system monitor): the A/B of LOCAL_CLUSTER_CONFIG")
    ap.add_argument("--batch-dask-fixed", action="store_true",
                    help="also Dask with tasks of one size (the A/B of the task sizes)")
    ap.add_argument("--skip-photos", action="store_true",
                    help="skip the per-photo budget and measure end to end (video, live, start-up, memory only)")
    args = ap.parse_args(argv)
    photos = sorted(args.images.glob("*.jpg"))[: args.n]
    if not photos:
        ap.error(f"no *.jpg in {args.images}")
    tmp = Path(tempfile.mkdtemp(prefix="thomas-cv-speed-"))
    try:
        return run(photos, tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def tree_cpu() -> float:
    """CPU seconds so far of this process and every live process below it (the batch's worker
    processes, Dask's nannies and their workers), all threads."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for p in [me] + me.children(recursive=True):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:  # gone meanwhile
            pass
    return total


def thread_times() -> dict:
    """Per thread of this process and the processes below it: (process, thread name, main
    thread?) -> [CPU s, s waiting in the run queue for a core] (``/proc/PID/task/TID``)."""
    import psutil

    me = psutil.Process()
    out = {}
    for p in [me] + me.children(recursive=True):
        for tid in os.listdir(f"/proc/{p.pid}/task") if os.path.isdir(f"/proc/{p.pid}/task") else ():
            base = f"/proc/{p.pid}/task/{tid}"
            try:
                comm = open(f"{base}/comm").read().strip()
                run, wait = (int(v) / 1e9 for v in open(f"{base}/schedstat").read().split()[:2])
            except OSError:  # gone meanwhile
                continue
            out[(p.pid, int(tid))] = (comm, int(tid) == p.pid, p.pid == me.pid, run, wait)
    return out


def thread_split(a: dict, b: dict, n: int) -> str:
    """What the worker threads did between two :func:`thread_times` readings, per photo: the
    main (Python) thread, MediaPipe's graph threads ('drishti'), every other thread; and the
    busiest of those others in the run queue (a thread that waits for a core most of the time
    and runs little is spinning: OpenCV's pool yields the core in a loop between its jobs)."""
    groups: dict = defaultdict(lambda: [0.0, 0.0, 0])
    spin = (0.0, 0.0)
    # the processes with a model loaded: the worker processes, or this one when it measures itself
    loaded = {key[0] for key, v in b.items() if v[0] == "drishti"}
    workers = {pid for pid in loaded if pid != os.getpid()} or loaded
    for key, (comm, main, parent, run, wait) in b.items():
        _, _, _, run0, wait0 = a.get(key, (comm, main, parent, 0.0, 0.0))
        d_run, d_wait = run - run0, wait - wait0
        if key[0] not in workers:
            g = "this process" if parent else "nannies"
        else:
            g = "main" if main else "mediapipe graph" if comm == "drishti" else "other"
        groups[g][0] += d_run
        groups[g][1] += d_wait
        groups[g][2] += 1
        if g == "other" and d_wait > spin[1]:
            spin = (d_run, d_wait)
    parts = [f"{g} {1000 * groups[g][0] / n:.0f} ms (x{groups[g][2]})" for g in ("main", "mediapipe graph", "other", "this process", "nannies")
             if g in groups]
    return (f"CPU per photo by thread: {', '.join(parts)}; waiting for a core per photo: main "
            f"{1000 * groups['main'][1] / n:.0f} ms, graph {1000 * groups['mediapipe graph'][1] / n:.0f} ms; "
            f"the other thread longest in the run queue: {1000 * spin[1] / n:.0f} ms waiting, {1000 * spin[0] / n:.1f} ms "
            "on a core a photo")


#: the steady state is read from this share of a batch's rows on (the start-up is over by then)
STEADY_FROM = 0.25


def timed_batch(src: Path, out: Path, **kw) -> dict:
    """One ``run_batch``: wall and CPU (this process + its workers) in all, the first row's time,
    and the steady state (from row ``STEADY_FROM`` x n, a multiple of 8 so that a Dask task's
    rows, which arrive together, are not split, to the last row: photos/s and CPU a photo, this
    process's share apart). ``overhead`` = wall - n / steady rate: what start-up (worker
    processes, imports, model loads, cluster), the tail (a worker idle while the other finishes)
    and shutdown cost against running at the steady rate from the first photo."""
    from thomas_cv.batch import run_batch

    marks = {}
    t0, c0, r0 = time.perf_counter(), time.process_time(), children_cpu()

    def progress(rows, total):
        k = min(total, max(8, int(total * STEADY_FROM) // 8 * 8))
        for i, row in enumerate(rows, 1):
            if i in (1, k, total):
                marks[i] = (time.perf_counter(), tree_cpu(), time.process_time(), thread_times())
            yield row

    s = run_batch(src, out, progress=progress, **kw)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0 + children_cpu() - r0
    n = s.total
    k = min(n, max(8, int(n * STEADY_FROM) // 8 * 8))
    (tk, ck, pk, thk), (tn, cn, pn, thn) = marks[k], marks[n]
    rate = (n - k) / (tn - tk)
    return dict(n=n, wall=wall, cpu=cpu, first=marks[1][0] - t0, rate=rate, cpu_photo=(cn - ck) / (n - k),
                parent_photo=(pn - pk) / (n - k), overhead=wall - n / rate, overhead_cpu=cpu - n * (cn - ck) / (n - k),
                threads=thread_split(thk, thn, n - k), rows=(out / "results.csv").read_text(encoding="utf-8").splitlines())


def dask_start(n: int = 2) -> tuple:
    """Wall and CPU (this process + the cluster's) of starting a LocalCluster of ``n`` workers as
    the batch does and connecting to it, then of closing it: the cluster's own start-up, without
    any model."""
    from dask.distributed import Client, LocalCluster

    w, c = time.perf_counter(), tree_cpu()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=40)
    client = Client(cluster)
    client.run(lambda: None)
    start = (time.perf_counter() - w, tree_cpu() - c)
    w = time.perf_counter()
    client.close()
    cluster.close()
    return start, time.perf_counter() - w


def worker_start(opts_root: Path) -> tuple:
    """Wall and CPU of a fresh process that imports the worker and loads the default model,
    as each local worker process does before its first photo."""
    code = ("import time;w=time.perf_counter();from thomas_cv.batch import worker;"
            "worker.init_worker({'root':'/','zip':False,'out':%r});assert worker._INIT_ERROR is None;"
            "print(time.perf_counter()-w, time.process_time())" % str(opts_root))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    w = time.perf_counter()
    c0 = children_cpu()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    inner_wall, inner_cpu = (float(v) for v in out.stdout.split()[-2:])
    return time.perf_counter() - w, children_cpu() - c0, inner_wall, inner_cpu


#: label, run_batch options, environment; "cv2 default": each worker keeps OpenCV's own thread
#: pool (a thread per core), as before the workers shared the cores out (worker.opencv_threads)
BATCH_RUNS = (("local, 1 worker", {"workers": 1}, {}), ("local, 2 workers", {"workers": 2}, {}),
              ("Dask, 2 workers", {"workers": 2, "executor": "dask"}, {}))
CV2_DEFAULT_RUN = ("2 w, cv2 default", {"workers": 2}, {"THOMAS_CV_WORKER_OPENCV_THREADS": "default"})
#: Dask with tasks of one size (the rule before the tasks shrank towards the batch's end)
DASK_FIXED_RUN = ("Dask, fixed tasks", {"workers": 2, "executor": "dask"}, {})
#: Dask with its own defaults (profiler, system monitor), not cluster.LOCAL_CLUSTER_CONFIG
DASK_DEFAULTS_RUN = ("Dask, its defaults", {"workers": 2, "executor": "dask"}, {})


def _fixed_batches(todo: list, n_threads: int) -> list:
    """The former task rule: every task the same size, min(8, photos / (4 x threads))."""
    size = max(1, min(8, len(todo) // max(1, n_threads * 4)))
    return [list(todo[i:i + size]) for i in range(0, len(todo), size)]


def batch_runs(photos, tmp: Path, n: int, repeat: int = 1, cv2_default: bool = False, no_dask: bool = False,
               dask_fixed: bool = False, dask_defaults: bool = False) -> None:
    """The batch lines: ``repeat`` rounds of local 1 worker, local 2 workers, Dask 2 workers,
    interleaved (A B C A B C ...) so that a change of the machine's load hits all alike; the
    start-up of a worker process and of a bare LocalCluster measured apart. ``cv2_default``: a
    4th run, 2 workers with OpenCV's default threads (the A/B of the workers' thread setting);
    ``dask_fixed``: Dask with tasks of one size too (the A/B of the task sizes); ``dask_defaults``:
    Dask with its own settings too (the A/B of cluster.LOCAL_CLUSTER_CONFIG)."""
    src = tmp / "batch"
    src.mkdir()
    for i in range(n):
        p = photos[i % len(photos)]
        shutil.copy(p, src / f"p{i:03d}_{p.name}")
    runs = BATCH_RUNS[:2] if no_dask else BATCH_RUNS
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        runs = BATCH_RUNS[:2]
        print("  (no dask installed: Dask runs skipped)")
    if cv2_default:
        runs = runs[:2] + (CV2_DEFAULT_RUN,) + runs[2:]
    if dask_fixed and len(runs) > 2:
        runs = runs + (DASK_FIXED_RUN,)
    if dask_defaults and len(runs) > 2:
        runs = runs + (DASK_DEFAULTS_RUN,)
    ws = worker_start(tmp)
    print(f"  a worker process's start (python, imports, default model loaded): {ws[0]:.2f} s wall, "
          f"{ws[1]:.2f} s CPU (imports + model load inside: {ws[2]:.2f} s wall)")
    if any(kw.get("executor") == "dask" for _, kw, _ in runs):
        (dw, dc), close = dask_start()
        print(f"  a bare Dask LocalCluster of 2 workers (scheduler, 2 nannies, 2 worker processes, no model): "
              f"{dw:.2f} s wall to start and connect, {dc:.2f} s CPU (this process, nannies, workers); {close:.2f} s to close")
    print(f"  {'':16s} {'photos/s':>8s} {'wall s':>7s} {'CPU s':>6s} | {'1st row s':>9s} | steady from row "
          f"{max(8, int(n * STEADY_FROM) // 8 * 8)}: {'photos/s':>8s} {'CPU ms/photo':>12s} {'of it parent':>12s} "
          f"| {'overhead s':>10s} {'CPU s':>6s}")
    res: dict = defaultdict(list)
    for r in range(repeat):
        for label, kw, env in runs:
            out = tmp / f"out_{r}_{len(res)}_{label.replace(' ', '').replace(',', '_')}"
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)  # the spawned workers inherit it
            import thomas_cv.batch.cluster as C

            rule, config = C.batches, C.LOCAL_CLUSTER_CONFIG
            if label == DASK_FIXED_RUN[0]:
                C.batches = _fixed_batches
            if label == DASK_DEFAULTS_RUN[0]:
                C.LOCAL_CLUSTER_CONFIG = {}
            try:
                m = timed_batch(src, out, **kw)
            finally:
                C.batches, C.LOCAL_CLUSTER_CONFIG = rule, config
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            res[label].append(m)
            print(f"  {label:16s} {m['n'] / m['wall']:8.2f} {m['wall']:7.1f} {m['cpu']:6.1f} | {m['first']:9.2f} | "
                  f"{'':16s}{m['rate']:8.2f} {1000 * m['cpu_photo']:12.1f} {1000 * m['parent_photo']:12.1f} | "
                  f"{m['overhead']:10.1f} {m['overhead_cpu']:6.1f}")
            print(f"  {'':16s} {m['threads']}")
            shutil.rmtree(out, ignore_errors=True)
    med = {k: {f: statistics.median(m[f] for m in v) for f in ("rate", "wall", "cpu_photo")} for k, v in res.items()}
    one, two = med["local, 1 worker"], med["local, 2 workers"]
    print(f"  medians of {repeat}: 2 workers / 1: {one['wall'] / two['wall']:.2f} x with start-up, "
          f"{two['rate'] / one['rate']:.2f} x steady (target 1.9)")
    if CV2_DEFAULT_RUN[0] in med:
        d = med[CV2_DEFAULT_RUN[0]]
        print(f"  medians of {repeat}: 2 workers with OpenCV's default threads / 1 worker: {one['wall'] / d['wall']:.2f} x "
              f"with start-up, {d['rate'] / one['rate']:.2f} x steady; CPU a photo {1000 * d['cpu_photo']:.0f} ms against "
              f"{1000 * two['cpu_photo']:.0f} ms with the cores shared out")
    if "Dask, 2 workers" in med:
        d = med["Dask, 2 workers"]
        print(f"  medians of {repeat}: Dask / local pool, 2 workers: {two['wall'] / d['wall']:.2f} with start-up, "
              f"{d['rate'] / two['rate']:.2f} steady (target 0.9)")
    if DASK_DEFAULTS_RUN[0] in med:
        d = med[DASK_DEFAULTS_RUN[0]]
        print(f"  medians of {repeat}: Dask with its own defaults / local pool: {two['wall'] / d['wall']:.2f} with "
              f"start-up, {d['rate'] / two['rate']:.2f} steady; CPU a photo {1000 * d['cpu_photo']:.0f} ms against "
              f"{1000 * med['Dask, 2 workers']['cpu_photo']:.0f} ms with cluster.LOCAL_CLUSTER_CONFIG")
    if DASK_FIXED_RUN[0] in med:
        d = med[DASK_FIXED_RUN[0]]
        print(f"  medians of {repeat}: Dask with tasks of one size / local pool: {two['wall'] / d['wall']:.2f} with "
              f"start-up, {d['rate'] / two['rate']:.2f} steady")
    first = _rows_without_overlay(res["local, 1 worker"][0]["rows"])
    same = {k: all(_rows_without_overlay(m["rows"]) == first for m in v) for k, v in res.items()}
    print(f"  rows identical to the first 1-worker run's (overlay names aside): {same}")


def _rows_without_overlay(lines):
    import csv

    rows = list(csv.DictReader(lines))
    return sorted(tuple((k, v) for k, v in r.items() if k != "overlay") for r in rows)


def run(photos, tmp: Path, args) -> int:
    import cv2

    from thomas_cv.media import load_image
    from thomas_cv.vision.pose import BlazePose, default_model
    from thomas_cv.pipeline.video import analyze_video

    print(f"machine: {os.cpu_count()} cores, shared with other jobs: wall times vary with the load, "
          "CPU times (process_time: every thread of the process, MediaPipe's included) are the comparable "
          "figures, and ratios are taken on CPU time")
    print(f"photos: {len(photos)} from {args.images} ({photos[0].name} ... {photos[-1].name}); "
          f"default model: photos {default_model(True)}, video/live {default_model(False)}")
    if args.batch_only:
        print(f"\nbatch of {args.batch_n} photos (overlays on, default model):")
        batch_runs(photos, tmp, args.batch_n, args.batch_repeat, args.batch_cv2_default, args.batch_no_dask,
                   args.batch_dask_fixed, args.batch_dask_defaults)
        return 0
    paths = make_inputs(photos[0], tmp)
    rgbs = [load_image(p).rgb for p in photos]
    passes = {}
    if not args.skip_photos:
        for model in ("heavy", "full"):
            budget(photos, model, passes)
        e2e = {m: end_to_end(photos, rgbs, m, tmp) for m in ("heavy", "full")}
        print("\nsummary: default measure (heavy, flip, JPEG overlay) = "
              f"{e2e['heavy']['measure (default: flip, JPEG overlay)'][1] / e2e['heavy']['bare'][1]:.2f} x the bare heavy "
              f"model (CPU), {passes['heavy']['passes']:.2f} model passes a photo (target 1.5 x)")
        fast = e2e["full"]["measure --no-flip, JPEG overlay"][1]  # what a --fast preset would run
        print(f"summary: full model, one look (a --fast preset, not offered) = {1000 * fast:.1f} ms CPU a photo = "
              f"{fast / e2e['heavy']['bare'][1]:.2f} x the bare heavy model, "
              f"{fast / e2e['heavy']['measure (default: flip, JPEG overlay)'][1]:.2f} x the default's time")
    t_dec = [cpu_wall(lambda: load_image(paths["jpeg12"])) for _ in range(5)]
    print(f"decode of a 12 MP JPEG (to the model's size): {1000 * statistics.median(c for _, _, c in t_dec):.1f} ms CPU, "
          f"{1000 * statistics.median(w for _, w, _ in t_dec):.1f} ms wall")

    if not args.skip_batch:
        print(f"\nbatch of {args.batch_n} photos (overlays on, default model):")
        batch_runs(photos, tmp, args.batch_n, args.batch_repeat, args.batch_cv2_default, args.batch_no_dask,
                   args.batch_dask_fixed, args.batch_dask_defaults)

    # video 720p, default video model, tracking
    with BlazePose(static=False) as est_v:
        vr, w, c = cpu_wall(lambda: analyze_video(paths["video"], est_v))
    nf = vr.frames_total
    print(f"\nvideo 720p, {default_model(False)} model, tracking: a {nf / vr.fps:.0f} s clip ({nf} frames at "
          f"{vr.fps:.0f} fps, every {vr.step}. analysed) in {w:.1f} s wall / {c:.1f} s CPU = "
          f"{nf / w / vr.fps:.2f} x real time (wall), {nf / c / vr.fps:.2f} x (CPU)")

    # live camera: the web page's own path (LiveSession.process: tracking-mode estimate, the
    # reference kept once found, the test-position gate, steadiness, overlay and banner) on
    # 640x480 frames of the moving clip, after 15 frames of warm-up (the reference search)
    from thomas_cv.media import iter_video_frames
    from thomas_cv.pipeline.live import LiveSession

    frames = [cv2.resize(f, (640, 480), interpolation=cv2.INTER_AREA)
              for _, _, f in iter_video_frames(paths["video"], max_frames=45)]
    live = LiveSession(lambda: BlazePose(static=False))
    ts = []
    for i, f in enumerate(frames):
        _, w, c = cpu_wall(lambda f=f, i=i: live.process(f, i / 30.0))
        if i >= 15:
            ts.append((w, c))
    live.close()
    print(f"live camera, per 640x480 frame ({default_model(False)}, LiveSession.process: track + measure + steadiness "
          f"+ overlay, {live.frames_measured}/{live.frames_seen} frames measured): "
          f"{1000 * statistics.median(c for _, c in ts):.1f} ms CPU, {1000 * statistics.median(w for w, _ in ts):.1f} ms wall "
          f"(median of {len(ts)}; target 40 ms)")

    # cold start
    exe = shutil.which("thomas-cv") or str(Path(sys.executable).with_name("thomas-cv"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    hs = []
    for _ in range(5):
        c0 = children_cpu()
        _, w, _ = cpu_wall(lambda: subprocess.run([sys.executable, "-m", "thomas_cv", "--help"], capture_output=True,
                                                  check=True, env=env))
        hs.append((w, children_cpu() - c0))
    print(f"\nthomas-cv --help (python -m thomas_cv --help): {1000 * statistics.median(c for _, c in hs):.0f} ms CPU, "
          f"{1000 * statistics.median(w for w, _ in hs):.0f} ms wall (median of 5; target 300 ms)")
    _ = exe

    # peak memory of one worker: a fresh process measuring the 12 MP JPEG 5 times with the default
    # model. Its own peak is VmHWM (the high-water mark of its own memory map): ru_maxrss of a
    # child started by fork/vfork + exec keeps the parent's peak from before the exec, so it
    # read this benchmark's own 550-630 MB, not the worker's (issue 17)
    code = (
        "import resource,sys;from thomas_cv.vision.pose import BlazePose;from thomas_cv.pipeline.photo import analyze_path;"
        "e=BlazePose();[analyze_path(sys.argv[1],e) for _ in range(5)];"
        "hwm=[l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')];"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm[0] if hwm else -1)"
    )
    maxrss, hwm = (int(v) for v in subprocess.run([sys.executable, "-c", code, str(paths["jpeg12"])],
                                                  capture_output=True, text=True, check=True,
                                                  env=env).stdout.strip().splitlines()[-1].split())
    own = f"{hwm / 1024:.0f} MB (VmHWM)" if hwm >= 0 else f"{maxrss / 1024:.0f} MB (ru_maxrss)"
    print(f"peak memory of one worker (default photo model, 12 MP JPEGs): {own}; ru_maxrss {maxrss / 1024:.0f} MB "
          f"(includes this benchmark's own peak, inherited at the worker's start; target 500 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
