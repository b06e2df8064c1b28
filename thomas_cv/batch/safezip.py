"""Zips of photos, read safely.

``batch`` never unpacks a zip to disk: each worker reads its photo straight from the
archive into memory (:func:`read_member`), so nothing is left behind whatever happens,
even a SIGKILL. Sizes are checked as the bytes come out, never trusted from the zip's
own headers (which an attacker writes): a member stops at ``MAX_PHOTO_FILE_BYTES`` and at
:data:`ZIP_MAX_RATIO` times its packed size.

:func:`extract_photos` (for callers that need files, e.g. the web app) writes under a
total cap counted from the bytes really written.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..core import constants as C
from ..core.errors import ImageTooLargeError, SkippedError, ThomasCVError, UnreadableArchiveError, UnreadableImageError, \
    UnsafeArchiveError, UnsupportedFileError
from ..media import IMAGE_EXTS, OTHER_PHOTO_EXTS
from ..outputs import display_name
from .walk import MAX_DEPTH, is_hidden

#: zip safety limits: entries, unpacked bytes in all, unpacked/packed ratio of one member
ZIP_MAX_TOTAL_BYTES = 4 * 1024**3
ZIP_MAX_RATIO = 200
ZIP_MAX_MEMBERS = 100_000
_CHUNK = 1 << 20


@dataclass
class ZipListing:
    """Photo members (names, sorted), members passed over with the reason, others ignored."""

    photos: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    ignored: int = 0


def open_zip(zpath: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise UnreadableArchiveError(f"{display_name(Path(zpath).name)}: not a readable zip file ({exc}).") from exc


def _unsafe_name(name: str) -> bool:
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return name.startswith(("/", "\\")) or ".." in parts or (len(name) > 1 and name[1] == ":") or "\x00" in name


def list_zip_bytes(data: bytes, name: str) -> tuple[zipfile.ZipFile, ZipListing]:
    """A zip held in memory (an upload): the open archive and its listing (see :func:`list_zip`)."""
    import io

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise UnreadableArchiveError(f"{display_name(name)}: not a readable zip file ({exc}).") from exc
    try:
        return zf, _listing(zf.infolist(), name, len(data))
    except BaseException:
        zf.close()
        raise


def list_zip(zpath: Path) -> ZipListing:
    """The photos in a zip and a reason for every photo-like member passed over (unsafe
    path, nested too deep, a duplicate name, a format not opened). Raises
    :class:`UnreadableArchiveError` or :class:`UnsafeArchiveError` (too many members, a
    possible zip bomb)."""
    zpath = Path(zpath)
    with open_zip(zpath) as zf:
        infos = zf.infolist()
    return _listing(infos, zpath.name, zpath.stat().st_size)


def _listing(infos: list, zname: str, zsize: int) -> ZipListing:
    if len(infos) > ZIP_MAX_MEMBERS:
        raise UnsafeArchiveError(f"{display_name(zname)}: {len(infos)} entries is too many for one batch.")
    out = ZipListing()
    seen = set()
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        parts = name.split("/")
        ext = os.path.splitext(parts[-1])[1].lower()
        photo_like = ext in IMAGE_EXTS or ext in OTHER_PHOTO_EXTS
        if any(is_hidden(p) for p in parts if p) and not _unsafe_name(name):
            continue  # __MACOSX/._x.jpg, .DS_Store: system files
        if not photo_like:
            out.ignored += 1
            continue
        if _unsafe_name(name):
            out.skipped.append((name, UnsafeArchiveError(
                f"{display_name(name)}: this zip entry points outside the archive (path traversal); it was not read.")))
        elif len(parts) - 1 > MAX_DEPTH:
            out.skipped.append((name, SkippedError(
                f"{display_name(name[:80])}...: nested more than {MAX_DEPTH} folders deep in the zip; not read.")))
        elif name in seen:
            out.skipped.append((name + f" (copy {sum(1 for n in seen if n == name) + 1})", SkippedError(
                f"{display_name(name)}: the zip holds two entries with this name; only the first was measured.")))
        elif ext in OTHER_PHOTO_EXTS:
            out.skipped.append((name, UnsupportedFileError(
                f"{display_name(parts[-1])}: {ext} files are not opened. Export the photo as JPEG.")))
        else:
            seen.add(name)
            out.photos.append(name)
    out.photos.sort()
    declared = sum(i.file_size for i in infos if i.filename in seen)
    on_disk = max(zsize, 1024)
    if declared > ZIP_MAX_TOTAL_BYTES or declared / on_disk > ZIP_MAX_RATIO:
        raise UnsafeArchiveError(
            f"{display_name(zname)}: its photos unpack to {declared / 1e9:.1f} GB ({declared / on_disk:.0f}x the "
            "zip's size); refused as a possible zip bomb. Unzip it yourself and pass the folder."
        )
    return out


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes, read in chunks and stopped as soon as the real size passes
    ``MAX_PHOTO_FILE_BYTES`` or ``ZIP_MAX_RATIO`` times the member's packed size."""
    try:
        info = zf.getinfo(name)
    except KeyError as exc:
        raise UnreadableImageError(f"{display_name(name)}: not found in the zip.") from exc
    cap = min(C.MAX_PHOTO_FILE_BYTES, ZIP_MAX_RATIO * max(info.compress_size, 1024))
    chunks, total = [], 0
    try:
        with zf.open(info) as src:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise ImageTooLargeError(
                        f"{display_name(name)}: this zip entry unpacks to more than {cap / 2**20:,.0f} MB "
                        f"(declared {info.file_size / 2**20:,.1f} MB); refused as a possible zip bomb.")
                chunks.append(chunk)
    except ThomasCVError:
        raise
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError, ValueError, zipfile.LargeZipFile) \
            as exc:
        raise UnreadableArchiveError(
            f"{display_name(name)}: this zip entry could not be read ({exc}); extract the zip yourself.") from exc
    return b"".join(chunks)


def extract_photos(zpath: Path, dest: Path, total_cap: int = ZIP_MAX_TOTAL_BYTES) -> tuple[list, list]:
    """Write the zip's photos below ``dest`` (safe names only). Returns (photos written,
    skipped with reasons). The bytes really written are counted: past ``total_cap`` or
    ``ZIP_MAX_RATIO`` times the zip's own size on disk, :class:`UnsafeArchiveError`."""
    zpath, dest = Path(zpath), Path(dest)
    listing = list_zip(zpath)
    cap = min(total_cap, ZIP_MAX_RATIO * max(zpath.stat().st_size, 1024))
    written, skipped = [], list(listing.skipped)
    total = 0
    root = dest.resolve()
    with open_zip(zpath) as zf:
        for name in listing.photos:
            target = (root / name).resolve()
            if not str(target).startswith(str(root) + os.sep):
                skipped.append((name, UnsafeArchiveError(f"{display_name(name)}: unsafe name; not unpacked.")))
                continue
            try:
                data = read_member(zf, name)
            except ThomasCVError as exc:
                skipped.append((name, exc))
                continue
            total += len(data)
            if total > cap:
                raise UnsafeArchiveError(
                    f"{display_name(zpath.name)}: unpacks to more than {cap / 2**20:,.0f} MB ({ZIP_MAX_RATIO}x its size); "
                    "refused as a possible zip bomb. Unzip it yourself and pass the folder.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(name)
    return written, skipped


def safe_extract_zip(zpath: Path, dest: Path) -> list:
    """Compatibility wrapper: extract the photos, return the skipped (name, error) pairs."""
    return extract_photos(zpath, dest)[1]
