"""Finding a batch's photos in a folder: iterative (no recursion, any depth is safe), with
a depth limit, and a reason for everything that is passed over.

Rules (the README states them): photos are files whose extension is one the tool opens
(``media.IMAGE_EXTS``; the content is checked again when the file is read). A file with
another photo extension (``.dng``, ``.jxl``, ...), a link to a folder (never followed: a
link can loop or lead anywhere), a folder nested more than :data:`MAX_DEPTH` deep, a
folder that cannot be read and a folder written by thomas-cv (it holds
``outputs.OUTPUT_MARKER``) each get a row with the reason. Hidden files and folders (names
starting with ``.``: system files such as ``.DS_Store``) and files that are not photos
(``notes.txt``) are passed over silently and counted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..core.errors import SkippedError, UnsupportedFileError
from ..media import IMAGE_EXTS, OTHER_PHOTO_EXTS
from ..outputs import OUTPUT_MARKER, display_name

#: folders nested deeper than this below the input are not entered (a row says so)
MAX_DEPTH = 32


@dataclass
class Found:
    """What a walk found: ``photos`` (relative POSIX paths, sorted), ``skipped`` (relative
    path, error) with the reason each was passed over, and how many other files it ignored."""

    photos: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    ignored: int = 0


def is_hidden(name: str) -> bool:
    return name.startswith(".")


def walk_folder(root: Path, exclude: Optional[Path] = None, max_depth: int = MAX_DEPTH) -> Found:
    """Walk ``root`` iteratively (see the module's rules). ``exclude``: the batch's own
    output folder, passed over silently when it lies inside ``root``."""
    found = Found()
    skip = exclude.resolve() if exclude is not None else None
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        here = Path(root, rel_dir) if rel_dir else Path(root)
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if rel_dir:
                found.skipped.append((rel_dir + "/", SkippedError(
                    f"{display_name(rel_dir)}/: this folder cannot be read ({exc.strerror or exc}); its photos were not "
                    "measured. Check its permissions.")))
                continue
            raise
        if rel_dir and any(e.name == OUTPUT_MARKER for e in entries):
            if skip is None or here.resolve() != skip:
                found.skipped.append((rel_dir + "/", SkippedError(
                    f"{display_name(rel_dir)}/: a folder written by thomas-cv (results and overlays); not read as input.")))
            continue
        subdirs = []
        for e in entries:
            rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
            if is_hidden(e.name):
                continue
            try:
                is_link = e.is_symlink()
                is_dir = e.is_dir(follow_symlinks=False)
                if is_link and not is_dir:
                    is_dir = e.is_dir()  # a link to a folder
            except OSError:
                is_link, is_dir = False, False
            if is_dir:
                if is_link:
                    found.skipped.append((rel + "/", SkippedError(
                        f"{display_name(rel)}/: a link to another folder; links are not followed (they can loop). "
                        "Give that folder itself.")))
                elif skip is not None and Path(e.path).resolve() == skip:
                    continue
                elif depth + 1 > max_depth:
                    found.skipped.append((rel + "/", SkippedError(
                        f"{display_name(rel)}/: nested more than {max_depth} folders deep; not searched. "
                        "Move its photos higher up.")))
                else:
                    subdirs.append((rel, depth + 1))
                continue
            ext = os.path.splitext(e.name)[1].lower()
            if ext in IMAGE_EXTS:
                found.photos.append(rel)
            elif ext in OTHER_PHOTO_EXTS:
                found.skipped.append((rel, UnsupportedFileError(
                    f"{display_name(e.name)}: {ext} files are not opened (supported: JPEG, PNG, WebP, BMP, TIFF, GIF"
                    "). Export the photo as JPEG.")))
            else:
                found.ignored += 1
        stack.extend(reversed(subdirs))
    found.photos.sort()
    return found


def find_images(root: Path, exclude: Optional[Path] = None) -> list[str]:
    """The photos below ``root`` (relative POSIX paths, sorted); see :func:`walk_folder`."""
    return walk_folder(Path(root), exclude=exclude).photos
