"""Batch measurement of a folder or zip of photos: durable, resumable, parallel.

Every finished file is appended to ``results.csv`` as one complete line the moment it is
done (a single ``write`` on an append-only file, then ``fsync``), so a batch killed at any
point loses at most the files in flight. ``resume=True`` reads what is there (dropping a
torn last line), skips those files and appends the rest: every file ends up exactly once.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from .analyze import Horizon, Result, analyze_path
from .errors import (
    InternalError,
    InvalidOptionError,
    ThomasCVError,
    UnreadableArchiveError,
    UnsafeArchiveError,
    WorkerCrashedError,
)
from .interpret import MUSCLES
from .media import IMAGE_EXTS, save_image

RESULTS = "results.csv"
FAILURES = "failures.csv"
OVERLAYS = "overlays"
#: a zip is unpacked here, inside --out (never in a shared temp folder), and removed after
UNZIPPED = ".unzipped"
LOCK = ".lock"
#: zip safety limits
ZIP_MAX_TOTAL_BYTES = 4 * 1024**3
ZIP_MAX_RATIO = 200
ZIP_MAX_MEMBERS = 100_000


def columns() -> list[str]:
    from .analyze import CONTRACT_KEYS

    return list(CONTRACT_KEYS) + [f"{m}_status" for m in MUSCLES] + ["overlay"]


def display_name(rel: str) -> str:
    """The ``file`` column for a relative path: the path itself, except that bytes that are
    not UTF-8 (``\\xe9``) and control characters (``\\n``) are written as escapes, so that
    every CSV row is one valid UTF-8 line and a resumed batch finds the same key again.

    >>> display_name("sub dir/Müller.jpg"), display_name("caf\\udce9.jpg"), display_name("a\\nb.jpg")
    ('sub dir/Müller.jpg', 'caf\\\\xe9.jpg', 'a\\\\nb.jpg')
    """
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def find_images(root: Path, exclude: Optional[Path] = None) -> list[str]:
    """Image files below ``root`` (relative POSIX paths, sorted), never following symlinked
    folders (so a symlink loop cannot trap the walk); hidden files, unreadable folders and
    the folder ``exclude`` (the batch's own --out, if it lies inside ``root``) skipped."""
    out = []
    skip = exclude.resolve() if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda exc: None):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (skip is None or Path(dirpath, d).resolve() != skip)
        )
        for f in filenames:
            if f.startswith(".") or Path(f).suffix.lower() not in IMAGE_EXTS:
                continue
            out.append(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(out)


def safe_extract_zip(zpath: Path, dest: Path) -> list[tuple[str, ThomasCVError]]:
    """Extract a zip, refusing path traversal (``../``, absolute names) and zip bombs.

    Raises :class:`UnreadableArchiveError` (not a zip) or :class:`UnsafeArchiveError`
    (bomb, too many entries). Returns the photo entries that were not extracted (unsafe
    name, damaged, encrypted) with the reason, so that the batch can report them.
    """
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableArchiveError(f"{zpath.name}: not a readable zip file ({exc}).") from exc
    skipped: list[tuple[str, ThomasCVError]] = []
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise UnsafeArchiveError(f"{zpath.name}: {len(infos)} entries is too many for one batch.")
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > ZIP_MAX_TOTAL_BYTES or total / packed > ZIP_MAX_RATIO:
            raise UnsafeArchiveError(
                f"{zpath.name}: unpacks to {total / 1e9:.1f} GB ({total / packed:.0f}x its size); refused as a "
                "possible zip bomb. Unzip it yourself and pass the folder."
            )
        root = dest.resolve()
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            is_photo = Path(name).suffix.lower() in IMAGE_EXTS and not Path(name).name.startswith(".")
            target = (root / name).resolve()
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or not str(target).startswith(str(root) + os.sep):
                if is_photo:  # path traversal: never written outside dest, but reported
                    skipped.append((name, UnsafeArchiveError(
                        f"{name}: this zip entry points outside the archive (path traversal); it was not unpacked.")))
                continue
            if not is_photo:
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError) as exc:
                target.unlink(missing_ok=True)
                skipped.append((name, UnreadableArchiveError(
                    f"{name}: this zip entry could not be unpacked ({exc}); extract the zip yourself.")))
    return skipped


def read_done(results: Path) -> dict[str, dict]:
    """Rows already in ``results.csv`` by file; a torn last line (no newline) is cut off."""
    if not results.exists():
        return {}
    data = results.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        with open(results, "r+b") as fh:
            fh.truncate(cut)
        data = data[:cut]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return {r["file"]: r for r in rows if r.get("file")}


@dataclass
class BatchSummary:
    total: int
    measured: int
    failed: int
    skipped: int
    out_dir: Path

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


class _Journal:
    """Append-only CSV writer: one ``os.write`` per complete row, fsynced."""

    def __init__(self, path: Path, cols: list[str]):
        self.cols = cols
        new = not path.exists() or path.stat().st_size == 0
        if not new:  # resuming a journal written by another version: keep its columns
            with open(path, newline="", encoding="utf-8", errors="replace") as fh:
                header = next(csv.reader(fh), None)
            if header and "file" in header:
                self.cols = header
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if new:
            self._write(dict(zip(cols, cols)))

    def _write(self, row: dict) -> None:
        buf = io.StringIO()
        csv.DictWriter(buf, self.cols, extrasaction="ignore", lineterminator="\n").writerow(row)
        os.write(self.fd, buf.getvalue().encode("utf-8", "backslashreplace"))
        os.fsync(self.fd)

    def write(self, row: dict) -> None:
        self._write(row)

    def close(self) -> None:
        os.close(self.fd)


# ------------------------------------------------------------------ worker side


def mp_parent_process():
    import multiprocessing as mp

    return mp.parent_process()


def _exit_with_parent() -> None:
    """In a worker: exit when the batch process is gone (e.g. killed with SIGKILL), instead
    of lingering with the model loaded."""
    import threading
    import time

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="thomas-cv-parent-watch").start()

_ESTIMATOR = None
_OPTS: dict = {}


_INIT_ERROR: Optional[ThomasCVError] = None


def _init_worker(opts: dict) -> None:
    """Load the estimator once per worker. A failure (bad --model file, ...) is kept and
    raised by the first :func:`process_one`, so that the batch stops with one clear line
    instead of a broken pool or a traceback from the initializer."""
    global _ESTIMATOR, _OPTS, _INIT_ERROR
    _OPTS = opts
    _INIT_ERROR = None
    if mp_parent_process() is not None:
        _exit_with_parent()
    try:
        factory = opts.get("estimator_factory")
        if factory is not None:
            _ESTIMATOR = factory()
        else:
            from .pose import make_estimator

            _ESTIMATOR = make_estimator(opts.get("model"), static=True)
    except ThomasCVError as exc:
        _INIT_ERROR = exc
    except Exception as exc:  # noqa: BLE001
        _INIT_ERROR = InternalError(f"the pose model could not be loaded ({exc.__class__.__name__}: {exc}).")


def overlay_name(rel: str) -> str:
    """Overlay file name for an input's relative path (folders flattened, unique).

    >>> overlay_name("clinic a/p1.jpg")
    'clinic a__p1_overlay.jpg'
    """
    stem = display_name(rel).rsplit(".", 1)[0].replace("/", "__")
    return f"{stem}_overlay.jpg"


def error_row(rel: str, exc: ThomasCVError) -> dict:
    row = Result(file=display_name(rel), error=exc).to_row()
    row["overlay"] = None
    return row


def process_one(rel: str) -> dict:
    """Measure one file (in a worker); returns its CSV row. Never raises: an unexpected
    failure becomes an ``internal_error`` row and the batch goes on. (Only a worker that
    could not load the model raises: that stops the whole batch.)"""
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    try:
        return _process_one(rel)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop 500 others
        msg = " ".join(str(exc).split())[:200]
        return error_row(rel, InternalError(
            f"{Path(rel).name}: unexpected failure ({exc.__class__.__name__}: {msg}). Please report this file."))


def _process_one(rel: str) -> dict:
    opts = _OPTS
    src = Path(opts["root"], rel)
    res: Result = analyze_path(
        src, _ESTIMATOR, name=rel, side=opts.get("side"), horizon=opts.get("horizon", Horizon()),
        pain=opts.get("pain"), with_overlay=opts.get("overlays", True), flip=opts.get("flip", True),
    )
    row = res.to_row()
    row["file"] = display_name(rel)
    row["overlay"] = None
    if res.overlay is not None:
        img = res.overlay
        if opts.get("blur_faces") and res.landmarks is not None:
            from .privacy import blur_faces

            img = blur_faces(img, res.landmarks)
        name = overlay_name(rel)
        save_image(img, Path(opts["out"], OVERLAYS, name))
        row["overlay"] = f"{OVERLAYS}/{name}"
    return row


def run_batch(
    source: Path,
    out: Path,
    *,
    workers: Optional[int] = None,
    resume: bool = False,
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    model: Optional[str] = None,
    overlays: bool = True,
    blur_faces: bool = True,
    progress: Optional[Callable[[Iterable], Iterator]] = None,
    executor: str = "local",
    scheduler: Optional[str] = None,
    estimator_factory: Optional[Callable[[], object]] = None,
    flip: bool = True,
) -> BatchSummary:
    """Measure every image below ``source`` (a folder or a .zip) into ``out``.

    ``estimator_factory`` (a picklable callable returning a PoseEstimator) replaces the
    bundled model in each worker, e.g. for tests.
    """
    source = Path(source)
    out = Path(out)
    if not source.exists():
        raise InvalidOptionError(f"{source}: no such folder or zip file.")
    if source.is_file() and source.suffix.lower() != ".zip":
        raise InvalidOptionError(f"{source.name}: batch takes a folder or a .zip file.")
    out.mkdir(parents=True, exist_ok=True)
    lock = _lock(out)
    results_path = out / RESULTS
    tmp = out / UNZIPPED
    try:
        if results_path.exists() and results_path.stat().st_size > 0 and not resume:
            raise InvalidOptionError(
                f"{results_path} already exists: add --resume to continue that batch, or choose another --out folder."
            )
        shutil.rmtree(tmp, ignore_errors=True)  # left over from a batch that was killed
        skipped: list = []
        if source.is_file():
            tmp.mkdir()
            skipped = safe_extract_zip(source, tmp)
            root = tmp
        else:
            root = source
        files = find_images(root, exclude=out)
        done = read_done(results_path) if resume else {}
        todo = [f for f in files if display_name(f) not in done]
        refused = [(n, e) for n, e in skipped if display_name(n) not in done]
        opts = dict(
            root=str(root), out=str(out), side=side, horizon=horizon, pain=pain, model=model,
            overlays=overlays, blur_faces=blur_faces, estimator_factory=estimator_factory, flip=flip,
        )
        journal = _Journal(results_path, columns())
        try:
            for name, exc in refused:
                journal.write(error_row(name, exc))
            rows = _execute(todo, opts, workers, executor, scheduler)
            if progress is not None:
                rows = progress(rows, total=len(todo))
            for row in rows:
                journal.write(row)
        finally:
            journal.close()
        final = read_done(results_path)
        failed = {k: r for k, r in final.items() if r.get("ok") != "True"}
        _write_failures(out / FAILURES, failed)
        total = len(files) + len(skipped)
        return BatchSummary(
            total=total, measured=len(final) - len(failed), failed=len(failed),
            skipped=total - len(todo) - len(refused), out_dir=out,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(lock)


def _lock(out: Path) -> int:
    """An exclusive lock on the output folder for the batch's lifetime (released by the
    kernel even on SIGKILL), so that two batches never append to the same results.csv."""
    import fcntl

    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise InvalidOptionError(f"{out}: another batch is writing to this folder; wait for it or choose another --out.")
    return fd


def _write_failures(path: Path, failed: dict[str, dict]) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "error_code", "error"])
        for f, r in sorted(failed.items()):
            w.writerow([f, r.get("error_code"), r.get("error")])
    os.replace(tmp, path)


def _execute(todo: list[str], opts: dict, workers: Optional[int], executor: str, scheduler: Optional[str]):
    """Yield result rows as they finish, on the chosen executor."""
    if not todo:
        return
    if executor == "dask":
        from .distributed import run_on_dask

        yield from run_on_dask(todo, opts, scheduler, workers)
        return
    if executor != "local":
        raise InvalidOptionError(f"--executor {executor!r}: use 'local' or 'dask'.")
    n = workers or os.cpu_count() or 1
    n = max(1, min(n, len(todo)))
    if n == 1:
        _init_worker(opts)
        if _INIT_ERROR is not None:
            raise _INIT_ERROR
        for rel in todo:
            yield process_one(rel)
        return
    yield from _execute_pool(todo, opts, n)


def _execute_pool(todo: list[str], opts: dict, n: int):
    """Run ``process_one`` on ``n`` spawned worker processes, at most ``n`` files in flight.

    A worker that dies (segfault in a native library, out-of-memory kill) breaks the pool;
    ``multiprocessing.Pool`` would then wait forever. Here the files that were in flight
    are retried one at a time in a fresh pool: the one that kills its worker again gets a
    ``worker_crashed`` row, the others their results. Nothing hangs, nothing is lost.
    """
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")  # mediapipe graphs are not fork-safe
    queue, suspects = deque(todo), deque()
    barren = 0  # pools in a row that broke before finishing any file
    while queue or suspects:
        if barren >= 3:
            raise InternalError(
                "the worker processes keep dying before measuring anything (out of memory?). "
                "Try --workers 1; rerun with --resume to continue."
            )
        isolate = bool(suspects)
        width, src = (1, suspects) if isolate else (n, queue)
        pool = ProcessPoolExecutor(width, mp_context=ctx, initializer=_init_worker, initargs=(opts,))
        inflight: dict = {}
        broken = False
        progressed = False
        try:
            while (src or inflight) and not broken:
                while src and len(inflight) < width:
                    rel = src.popleft()
                    try:
                        inflight[pool.submit(process_one, rel)] = rel
                    except BrokenProcessPool:  # broke before we saw which file did it
                        src.appendleft(rel)
                        break
                if not inflight:
                    broken = True
                    break
                finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in finished:
                    rel = inflight.pop(fut)
                    try:
                        row = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if isolate:
                            progressed = True
                            yield error_row(rel, WorkerCrashedError(
                                f"{Path(rel).name}: measuring this file crashed the worker process "
                                "(out of memory or a fault in the pose model). Please report this file."))
                        else:
                            suspects.append(rel)
                        continue
                    except ThomasCVError:
                        raise  # the worker could not start (e.g. a bad --model): stop the batch
                    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
                        row = error_row(rel, InternalError(f"{Path(rel).name}: unexpected failure ({exc.__class__.__name__})."))
                    progressed = True
                    yield row
            if broken:
                suspects.extend(inflight.values())
                inflight.clear()
            barren = 0 if progressed or not broken else barren + 1
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
