"""Batch measurement of a folder or zip of photos (see :mod:`.runner`).

``walk`` finds the photos, ``safezip`` reads zips, ``worker`` measures one file, ``cluster`` runs them on Dask,
``pool`` runs workers with a time limit, ``journal`` records what ``--resume`` trusts.
"""

from ..outputs import display_name, overlay_name
from .journal import JOURNAL
from .runner import FAILURES, OVERLAYS, RESULTS, BatchSummary, columns, run_batch
from .safezip import ZIP_MAX_MEMBERS, ZIP_MAX_RATIO, ZIP_MAX_TOTAL_BYTES, extract_photos, list_zip, safe_extract_zip
from .walk import MAX_DEPTH, find_images, walk_folder
from .worker import error_row, process_one


def read_done(results) -> dict:
    """Rows of a ``results.csv`` by file (for reading results; ``--resume`` uses the journal)."""
    import csv
    from pathlib import Path

    p = Path(results)
    if not p.exists():
        return {}
    with open(p, encoding="utf-8", errors="replace", newline="") as fh:
        return {r["file"]: r for r in csv.DictReader(fh) if r.get("file")}


__all__ = [
    "BatchSummary", "FAILURES", "JOURNAL", "MAX_DEPTH", "OVERLAYS", "RESULTS", "ZIP_MAX_MEMBERS", "ZIP_MAX_RATIO",
    "ZIP_MAX_TOTAL_BYTES", "columns", "display_name", "error_row", "extract_photos", "find_images", "list_zip",
    "overlay_name", "process_one", "read_done", "run_batch", "safe_extract_zip", "walk_folder",
]
