"""Batch measurement of a folder or zip of photos: durable, resumable, parallel.

Every finished file is recorded in the journal (:mod:`.journal`, one fsynced line) and
appended to ``results.csv`` the moment it is done, so a batch killed at any point loses
at most the files in flight. ``resume=True`` continues from the journal: every file ends
up in ``results.csv`` exactly once, with the options the batch was started with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from .. import __version__
from ..pipeline.photo import Horizon, pair_photos
from ..core.errors import RETRY_ON_RESUME, InvalidOptionError, ThomasCVError
from ..core.interpret import MUSCLES
from ..outputs import OUTPUT_MARKER, csv_text, display_name, ensure_dir, remove_tree, write_csv
from . import worker
from .journal import Journal
from .walk import walk_folder

RESULTS = "results.csv"
FAILURES = "failures.csv"
OVERLAYS = worker.OVERLAYS
#: where versions before the journal unpacked a zip (removed if a killed batch left it)
UNZIPPED = ".unzipped"


def columns() -> list[str]:
    from ..pipeline.photo import CONTRACT_KEYS

    return list(CONTRACT_KEYS) + [f"{m}_status" for m in MUSCLES] + ["overlay"]


@dataclass(frozen=True)
class BatchSummary:
    """Totals of ``results.csv`` after the run, and what this run did.

    ``total`` rows in all (``measured`` + ``failed``); this run added ``new_measured`` +
    ``new_failed``; ``skipped`` rows were already done before (``--resume``); ``ignored``
    other files (not photos, hidden) were passed over silently.
    """

    total: int
    measured: int
    failed: int
    skipped: int
    out_dir: Path
    new_measured: int = 0
    new_failed: int = 0
    ignored: int = 0
    damaged: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def to_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}

    def text(self) -> str:
        """The summary in plain words: the totals first, then what this run did."""
        s = f"{self.total} files in results.csv: {self.measured} measured, {self.failed} failed."
        if self.skipped:
            s += (f" This run: {self.new_measured + self.new_failed} new ({self.new_measured} measured, "
                  f"{self.new_failed} failed); {self.skipped} were already done (resumed).")
        if self.damaged:
            s += f" {self.damaged} damaged journal lines were dropped and their files measured again."
        if self.ignored:
            s += f" {self.ignored} other files (not photos) were passed over."
        return s


def batch_options(source: Path, side, horizon: Horizon, pain, model, overlays: bool, blur_faces: bool, flip: bool) -> dict:
    """Everything that changes a row: recorded in the journal, compared on resume."""
    return {
        "source": os.path.abspath(source), "side": side, "horizon": repr(horizon), "pain": pain,
        "model": os.path.abspath(model) if model else None, "overlays": overlays, "blur_faces": blur_faces,
        "flip": flip, "version": __version__,
    }


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
    time_limit: Optional[float] = None,
) -> BatchSummary:
    """Measure every image below ``source`` (a folder or a .zip) into ``out``.

    ``estimator_factory`` (a picklable callable returning a PoseEstimator) replaces the
    bundled model in each worker, e.g. for tests. ``time_limit``: seconds one file may
    take before its worker is stopped (a ``timeout`` row); with it, even one worker runs
    in a separate process. Without it, ``workers=1`` measures in this process.
    """
    source = Path(source)
    out = Path(out)
    if not source.exists():
        raise InvalidOptionError(f"{display_name(str(source))}: no such folder or zip file.")
    is_zip = source.is_file()
    if is_zip and source.suffix.lower() != ".zip":
        raise InvalidOptionError(f"{display_name(source.name)}: batch takes a folder or a .zip file.")
    if not is_zip and (source / OUTPUT_MARKER).exists():
        raise InvalidOptionError(f"{display_name(str(source))}: is a thomas-cv output folder, not photos to measure.")
    if not is_zip and out.resolve() == source.resolve():
        raise InvalidOptionError("--out is the input folder itself: choose a folder of its own for the results.")
    has_results = (out / RESULTS).exists() and (out / RESULTS).stat().st_size > 0
    ensure_dir(out)
    options = batch_options(source, side, horizon, pain, model, overlays, blur_faces, flip)
    journal = Journal(out, options, resume=resume, has_results=has_results)
    try:
        remove_tree(out / UNZIPPED)  # left over by an older version's killed batch
        if is_zip:
            from .safezip import list_zip

            found = list_zip(source)
        else:
            found = walk_folder(source, exclude=out)
        done = {k: r for k, r in journal.rows.items() if r.get("error_code") not in RETRY_ON_RESUME}
        # NAME_side + NAME_front (same folder) are one test, measured together, one row keyed by
        # the side photo; every other photo is measured alone (thomas_cv.pipeline.photo.pair_photos)
        grouped = pair_photos(found.photos)
        pairs = {s_: f_ for s_, f_ in grouped if f_ is not None}
        todo = [s_ for s_, _ in grouped if display_name(s_) not in done]
        refused = [(n, e) for n, e in found.skipped if display_name(n) not in done]
        # results.csv restarts from the journal: whole and in our format, whatever happened to it
        cols = columns()
        write_csv(out / RESULTS, cols, done.values())
        opts = dict(
            root=str(source), zip=is_zip, out=str(out), side=side, horizon=horizon, pain=pain, model=model,
            overlays=overlays, blur_faces=blur_faces, estimator_factory=estimator_factory, flip=flip, pairs=pairs,
        )
        results_fd = os.open(out / RESULTS, os.O_WRONLY | os.O_APPEND)
        new = []
        try:
            def record(row: dict) -> None:
                journal.write(row)  # first the journal (what resume trusts), then the CSV
                os.write(results_fd, csv_text(cols, [row], header=False).encode("utf-8", "backslashreplace"))
                new.append(row)

            for name, exc in refused:
                record(worker.error_row(name, exc))
            rows = _execute(todo, opts, workers, executor, scheduler, time_limit)
            if progress is not None:
                rows = progress(rows, total=len(todo))
            for row in rows:
                record(row)
        finally:
            os.close(results_fd)
        final = {k: r for k, r in journal.rows.items()}
        failed = {k: r for k, r in final.items() if not _ok(r)}
        write_csv(out / FAILURES, ["file", "error_code", "error"], [failed[k] for k in sorted(failed)])
        new_failed = sum(1 for r in new if not _ok(r))
        return BatchSummary(
            total=len(final), measured=len(final) - len(failed), failed=len(failed), skipped=len(done), out_dir=out,
            new_measured=len(new) - new_failed, new_failed=new_failed, ignored=found.ignored, damaged=journal.damaged,
        )
    finally:
        journal.close()


def _ok(row: dict) -> bool:
    return row.get("ok") in (True, "True")


def _execute(todo: list[str], opts: dict, workers: Optional[int], executor: str, scheduler: Optional[str],
             time_limit: Optional[float]):
    """Yield result rows as they finish, on the chosen executor."""
    if not todo:
        return
    if executor == "dask":
        from .cluster import run_on_dask

        yield from run_on_dask(todo, opts, scheduler, workers)
        return
    if executor != "local":
        raise InvalidOptionError(f"--executor {executor!r}: use 'local' or 'dask'.")
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise InvalidOptionError(f"--workers {n}: use 1 or more.")
    n = max(1, min(n, len(todo)))
    if n == 1 and time_limit is None:
        worker.init_worker(opts)
        if worker._INIT_ERROR is not None:
            raise worker._INIT_ERROR
        for rel in todo:
            yield worker.process_one(rel)
        return
    from .pool import run_pool

    yield from run_pool(todo, opts, n, time_limit)


__all__ = ["BatchSummary", "RESULTS", "FAILURES", "OVERLAYS", "columns", "run_batch", "ThomasCVError"]
