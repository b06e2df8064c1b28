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
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from .analyze import Horizon, Result, analyze_path
from .errors import InvalidOptionError, UnreadableImageError
from .interpret import MUSCLES
from .media import IMAGE_EXTS, save_image

RESULTS = "results.csv"
FAILURES = "failures.csv"
OVERLAYS = "overlays"
#: zip safety limits
ZIP_MAX_TOTAL_BYTES = 4 * 1024**3
ZIP_MAX_RATIO = 200
ZIP_MAX_MEMBERS = 100_000


def columns() -> list[str]:
    from .analyze import CONTRACT_KEYS

    return list(CONTRACT_KEYS) + [f"{m}_status" for m in MUSCLES] + ["overlay"]


def find_images(root: Path) -> list[str]:
    """Image files below ``root`` (relative POSIX paths, sorted), never following symlinked
    folders (so a symlink loop cannot trap the walk); hidden files skipped."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in filenames:
            if f.startswith(".") or Path(f).suffix.lower() not in IMAGE_EXTS:
                continue
            out.append(Path(dirpath, f).relative_to(root).as_posix())
    return sorted(out)


def safe_extract_zip(zpath: Path, dest: Path) -> None:
    """Extract a zip, refusing path traversal (``../``, absolute names) and zip bombs."""
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableImageError(f"{zpath.name}: not a readable zip file ({exc}).") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise InvalidOptionError(f"{zpath.name}: {len(infos)} entries is too many for one batch.")
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > ZIP_MAX_TOTAL_BYTES or total / packed > ZIP_MAX_RATIO:
            raise InvalidOptionError(
                f"{zpath.name}: unpacks to {total / 1e9:.1f} GB ({total / packed:.0f}x its size); refused as a "
                "possible zip bomb. Unzip it yourself and pass the folder."
            )
        root = dest.resolve()
        for info in infos:
            name = info.filename
            target = (root / name).resolve()
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or not str(target).startswith(str(root) + os.sep):
                continue  # path traversal: skipped, never written outside dest
            if info.is_dir():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)


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
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if new:
            self._write(dict(zip(cols, cols)))

    def _write(self, row: dict) -> None:
        buf = io.StringIO()
        csv.DictWriter(buf, self.cols, extrasaction="ignore", lineterminator="\n").writerow(row)
        os.write(self.fd, buf.getvalue().encode("utf-8"))
        os.fsync(self.fd)

    def write(self, row: dict) -> None:
        self._write(row)

    def close(self) -> None:
        os.close(self.fd)


# ------------------------------------------------------------------ worker side

_ESTIMATOR = None
_OPTS: dict = {}


def _init_worker(opts: dict) -> None:
    global _ESTIMATOR, _OPTS
    _OPTS = opts
    factory = opts.get("estimator_factory")
    if factory is not None:
        _ESTIMATOR = factory()
    else:
        from .pose import make_estimator

        _ESTIMATOR = make_estimator(opts.get("model"), static=True)


def overlay_name(rel: str) -> str:
    """Overlay file name for an input's relative path (folders flattened, unique).

    >>> overlay_name("clinic a/p1.jpg")
    'clinic a__p1_overlay.jpg'
    """
    stem = rel.rsplit(".", 1)[0].replace("/", "__")
    return f"{stem}_overlay.jpg"


def process_one(rel: str) -> dict:
    """Measure one file (in a worker); returns its CSV row. Never raises for bad input."""
    opts = _OPTS
    src = Path(opts["root"], rel)
    res: Result = analyze_path(
        src, _ESTIMATOR, name=rel, side=opts.get("side"), horizon=opts.get("horizon", Horizon()),
        pain=opts.get("pain"), with_overlay=opts.get("overlays", True),
    )
    row = res.to_row()
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
) -> BatchSummary:
    """Measure every image below ``source`` (a folder or a .zip) into ``out``.

    ``estimator_factory`` (a picklable callable returning a PoseEstimator) replaces the
    bundled model in each worker, e.g. for tests.
    """
    source = Path(source)
    out = Path(out)
    if not source.exists():
        raise InvalidOptionError(f"{source}: no such folder or zip file.")
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS
    if results_path.exists() and results_path.stat().st_size > 0 and not resume:
        raise InvalidOptionError(
            f"{results_path} already exists: add --resume to continue that batch, or choose another --out folder."
        )
    tmp = None
    try:
        if source.is_file():
            if source.suffix.lower() != ".zip":
                raise InvalidOptionError(f"{source.name}: batch takes a folder or a .zip file.")
            tmp = Path(tempfile.mkdtemp(prefix="thomas-cv-zip-"))
            safe_extract_zip(source, tmp)
            root = tmp
        else:
            root = source
        files = find_images(root)
        done = read_done(results_path) if resume else {}
        todo = [f for f in files if f not in done]
        opts = dict(
            root=str(root), out=str(out), side=side, horizon=horizon, pain=pain, model=model,
            overlays=overlays, blur_faces=blur_faces, estimator_factory=estimator_factory,
        )
        journal = _Journal(results_path, columns())
        try:
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
        return BatchSummary(
            total=len(files), measured=len(final) - len(failed), failed=len(failed),
            skipped=len(files) - len(todo), out_dir=out,
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


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
        for rel in todo:
            yield process_one(rel)
        return
    import multiprocessing as mp

    ctx = mp.get_context("spawn")  # mediapipe graphs are not fork-safe
    with ctx.Pool(n, initializer=_init_worker, initargs=(opts,)) as pool:
        yield from pool.imap_unordered(process_one, todo, chunksize=1)
