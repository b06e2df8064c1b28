"""The batch journal: what ``--resume`` trusts, kept apart from ``results.csv``.

``results.csv`` is for people, and people open it in spreadsheets that rewrite it (a BOM,
``;`` separators, another encoding, a deleted header). The journal,
``batch-journal.jsonl`` beside it, is the tool's own record:

- line 1, the header: ``{"thomas_cv_batch_journal": FORMAT, "options": {...}}``, the
  journal's format version and every option that changes a result;
- then one line per finished file: ``{"row": {...}, "sha256": "..."}``, the CSV row and a
  checksum of it. Each line is written with one ``write`` and fsynced.

On ``--resume``: a torn last line (a kill during a write) is cut off; a line that does
not parse or whose checksum does not match is dropped and its file measured again; the
last line for a file wins (a file retried after a failure outside the photo, such as a
full disk); other options than the journal's are refused with the differences named.
``results.csv`` is then rewritten from the journal, so it is whole again whatever a
spreadsheet did to it.

The journal file also holds the batch's lock (``flock``, released by the kernel even on
SIGKILL): two batches never write into one folder, and no separate lock file is left.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

from ..core.errors import InvalidOptionError, OutputWriteError, ResumeMismatchError

JOURNAL = "batch-journal.jsonl"
FORMAT = 1
_KEY = "thomas_cv_batch_journal"


def checksum(row: dict) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=True).encode("ascii")).hexdigest()[:16]


def _line(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=True, default=str) + "\n").encode("ascii")


class Journal:
    """Open (and lock) the journal in ``out``; ``rows`` holds the valid finished rows by file.

    Raises :class:`InvalidOptionError` (another batch holds the folder; results exist and
    ``resume`` is False) or :class:`ResumeMismatchError` (options differ, no journal to
    resume from, another format version).
    """

    def __init__(self, out: Path, options: dict, resume: bool, has_results: bool):
        import fcntl

        self.path = Path(out) / JOURNAL
        self.options = options
        self.rows: dict[str, dict] = {}
        self.damaged = 0
        existed = self.path.exists()
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputWriteError(f"{out}: the batch journal cannot be written there ({exc.strerror or exc}).") from exc
        try:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise InvalidOptionError(
                    f"{out}: another batch is writing to this folder; wait for it or choose another --out.") from None
            size = os.fstat(self.fd).st_size
            if size == 0:
                if has_results and not resume:
                    raise InvalidOptionError(
                        f"{out / 'results.csv'} already exists: choose another --out folder.")
                if resume and has_results:
                    raise ResumeMismatchError(
                        f"{out}: results.csv is there but not its journal ({JOURNAL}: written by an older version, or "
                        "deleted), so the batch cannot be resumed safely. Start it again into a new --out folder.")
                self._write(_line({_KEY: FORMAT, "options": options}))
            elif not resume:
                raise InvalidOptionError(
                    f"{out}: holds a batch already (results.csv, {JOURNAL}): add --resume to continue it, or choose "
                    "another --out folder.")
            else:
                self._load()
        except BaseException:
            os.close(self.fd)
            if not existed:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            raise

    def _load(self) -> None:
        with open(self.path, "rb") as fh:
            data = fh.read()
        if not data.endswith(b"\n"):  # torn last line: a kill in the middle of a write
            cut = data.rfind(b"\n") + 1
            os.ftruncate(self.fd, cut)
            data = data[:cut]
            self.damaged += 1
        lines = data.split(b"\n")[:-1]
        try:
            head = json.loads(lines[0]) if lines else None
        except ValueError:
            head = None
        if not isinstance(head, dict) or _KEY not in head:
            raise ResumeMismatchError(f"{self.path}: not a thomas-cv batch journal; cannot resume. Use a new --out folder.")
        if head[_KEY] != FORMAT:
            raise ResumeMismatchError(
                f"{self.path}: journal format {head[_KEY]!r}, this version reads format {FORMAT}; start the batch "
                "again into a new --out folder.")
        diff = differences(head.get("options") or {}, self.options)
        if diff:
            raise ResumeMismatchError(
                "--resume with other options than the batch was started with (" + "; ".join(diff) + "). Resume "
                "with the same options, or measure into a new --out folder.")
        for raw in lines[1:]:
            try:
                rec = json.loads(raw)
                row = rec["row"]
                ok = isinstance(row, dict) and isinstance(row.get("file"), str) and rec.get("sha256") == checksum(row)
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                self.damaged += 1
                continue
            self.rows[row["file"]] = row

    def _write(self, data: bytes) -> None:
        try:
            os.write(self.fd, data)
            os.fsync(self.fd)
        except OSError as exc:
            raise OutputWriteError(f"{self.path}: cannot be written ({exc.strerror or exc}); the batch stops. Free some "
                                   "space and rerun with --resume.") from exc

    def write(self, row: dict) -> None:
        self._write(_line({"row": row, "sha256": checksum(row)}))
        self.rows[row["file"]] = row

    def close(self) -> None:
        os.close(self.fd)


def differences(old: dict, new: dict) -> list[str]:
    """Human-readable option differences, e.g. ``side: left then, right now``."""
    out = []
    for k in sorted(set(old) | set(new)):
        if old.get(k) != new.get(k):
            out.append(f"{k}: {_show(old.get(k))} then, {_show(new.get(k))} now")
    return out


def _show(v: Optional[object]) -> str:
    return "not set" if v is None else str(v)
