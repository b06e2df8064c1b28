"""Everything the tool writes into an output folder, in one place: output file names,
CSV cells safe to open in a spreadsheet, atomic writes (one private temp file per writer),
the marker that keeps output folders from being read back as input, and removing a
folder tree of any depth.

These are the rules shared by ``measure --out``, ``video --out``, ``batch`` and the web
app's downloads, so that they cannot drift apart.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable, Union

from .core.errors import OutputWriteError

#: longest file name most file systems accept (ext4, APFS, NTFS: 255 bytes or UTF-16 units)
NAME_MAX_BYTES = 255
#: a file written into every output folder (``batch``, ``measure --out``, ``video --out``);
#: ``batch`` never reads a folder that holds it as input, whatever it is called and on every run
OUTPUT_MARKER = ".thomas-cv-output"
MARKER_TEXT = (
    "This folder was written by thomas-cv. 'thomas-cv batch' never reads a folder holding this\n"
    "file as input, so that its overlays are not measured as patients' photos.\n"
)

#: cells starting with these are formulas (or become formulas) in Excel, LibreOffice, Sheets
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def display_name(rel: str) -> str:
    """A path as text that is safe to print and to store: bytes that are not UTF-8
    (``\\xe9``) and control characters (``\\n``, the terminal's escape ``\\x1b``) are written
    as escapes, so that every CSV row is one valid UTF-8 line, a resumed batch finds the
    same key again and a file name cannot drive the terminal.

    >>> display_name("sub dir/Müller.jpg"), display_name("caf\\udce9.jpg"), display_name("a\\nb.jpg")
    ('sub dir/Müller.jpg', 'caf\\\\xe9.jpg', 'a\\\\nb.jpg')
    >>> display_name("\\x1b[31mred.jpg")
    '\\\\x1b[31mred.jpg'
    """
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in text)


def csv_cell(value):
    """A value made safe for a spreadsheet: text that starts like a formula gets a leading
    apostrophe (shown as text, never evaluated). Numbers are left alone.

    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("-7.5 deg"), csv_cell(-7.5), csv_cell("ok.jpg")
    ('\\'=HYPERLINK("http://x")', "'-7.5 deg", -7.5, 'ok.jpg')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(row: dict) -> dict:
    """Every cell of a row through :func:`csv_cell`."""
    return {k: csv_cell(v) for k, v in row.items()}


def csv_text(columns: list[str], rows: Iterable[dict], header: bool = True) -> str:
    """Rows as CSV text (``\\n`` line ends), every cell neutralised: the one CSV writer."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    if header:
        w.writeheader()
    for r in rows:
        w.writerow(csv_row(r))
    return buf.getvalue()


def write_csv(path: Union[str, os.PathLike], columns: list[str], rows: Iterable[dict]) -> Path:
    """Write a whole CSV file atomically (see :func:`csv_text`)."""
    return write_atomic(path, csv_text(columns, rows).encode("utf-8", "backslashreplace"))


# ------------------------------------------------------------------ names

_PLAIN_PART = re.compile(r"[a-z0-9][a-z0-9 ._-]*")


def _plain(parts: list[str]) -> bool:
    """True when joining ``parts`` with ``__`` is reversible and the result is the same file
    on every file system (lower-case ASCII only: no case folding, no Unicode normalisation)."""
    return all(
        _PLAIN_PART.fullmatch(p) and "__" not in p and not p.endswith("_") and p not in (".", "..") for p in parts
    )


def _cut_utf8(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore")


def overlay_name(rel: str, suffix: str = "_overlay.jpg") -> str:
    """A file name for the output of the input at relative path ``rel``: unique for every
    distinct ``rel``, at most 255 bytes, the same on every run.

    Plain names (lower-case ASCII letters, digits, `` ._-``) keep their whole relative path,
    folders joined by ``__``. Any other name, or one that would be too long, gets a short
    hash of its full relative path (``~`` + 10 hex digits) after a readable, possibly
    shortened, copy of it.

    >>> overlay_name("clinic a/p1.jpg"), overlay_name("p.png")
    ('clinic a__p1.jpg_overlay.jpg', 'p.png_overlay.jpg')
    >>> overlay_name("a__b.jpg") != overlay_name("a/b.jpg"), overlay_name("IMG_1.JPG")
    (True, 'IMG_1.JPG~5ce2a9e849_overlay.jpg')
    """
    parts = rel.split("/")
    flat = "__".join(parts)
    if _plain(parts) and len((flat + suffix).encode("utf-8")) <= NAME_MAX_BYTES:
        return flat + suffix
    digest = hashlib.sha256(rel.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    readable = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|~]", "_", display_name(flat)).lstrip(".-") or "photo"
    tag = f"~{digest}{suffix}"
    return _cut_utf8(readable, NAME_MAX_BYTES - len(tag.encode("utf-8"))) + tag


# ------------------------------------------------------------------ writing


def _write_error(path: Path, exc: OSError) -> OutputWriteError:
    why = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the folder is on a read-only disk",
        errno.EACCES: "no permission to write there",
        errno.EPERM: "no permission to write there",
        errno.ENOTDIR: "a file stands where a folder should be",
        errno.EEXIST: "a file stands where a folder should be",
        errno.ENAMETOOLONG: "the name is too long",
    }.get(exc.errno, exc.strerror or str(exc))
    return OutputWriteError(f"{display_name(str(path))}: cannot be written ({why}).")


def ensure_dir(path: Union[str, os.PathLike]) -> Path:
    """Create an output folder (and its marker); a clear :class:`OutputWriteError` if the
    path is a file, read-only or otherwise cannot hold files."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputWriteError(f"{display_name(str(p))}: is a file, not a folder; choose another --out.")
    try:
        p.mkdir(parents=True, exist_ok=True)
        marker = p / OUTPUT_MARKER
        if not marker.exists():
            write_atomic(marker, MARKER_TEXT.encode("ascii"))
    except OSError as exc:
        raise _write_error(p, exc) from exc
    return p


def ensure_parent(path: Union[str, os.PathLike]) -> None:
    """Create the folder a file goes into; :class:`OutputWriteError` if that fails."""
    parent = Path(path).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(parent, exc) from exc


def write_atomic(path: Union[str, os.PathLike], data: bytes) -> Path:
    """Write ``data`` to ``path`` through a private temp file in the same folder (a unique
    name per writer, so that two processes never share one), then rename it into place:
    a reader sees the old file or the new one, never half of one. Raises
    :class:`OutputWriteError` (disk full, read-only, ...), leaving no temp file behind."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise _write_error(path, exc) from exc
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return path


def _unlink_quietly(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def remove_tree(path: Union[str, os.PathLike]) -> None:
    """Remove a folder tree of any depth without recursion and without ever building a
    long path: each subfolder is first moved up to the top of the tree (a rename within
    one file system), then emptied. Symlinks are removed, never followed. Missing: no-op.
    Whatever cannot be removed (permissions) is left; nothing raises."""
    top = Path(path)
    if top.is_symlink() or top.is_file():
        _unlink_quietly(top)
        return
    if not top.is_dir():
        return
    queue, n = [top], 0
    i = 0
    while i < len(queue):
        d = queue[i]
        i += 1
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if d == top:
                        queue.append(Path(e.path))
                        continue
                    while True:
                        n += 1
                        dst = top / f".rm-{n}"
                        if not os.path.lexists(dst):
                            break
                    os.rename(e.path, dst)
                    queue.append(dst)
                else:
                    os.unlink(e.path)
            except OSError:
                continue
    for d in reversed(queue):
        try:
            os.rmdir(d)
        except OSError:
            pass
