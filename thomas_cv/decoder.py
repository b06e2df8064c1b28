"""Decoding a photo with a time limit, in a helper process that can be stopped.

The decode budget (:mod:`thomas_cv.media`) keeps every allowed photo to a few seconds;
this is the backstop for whatever slips through: a decode that takes longer than the
limit is stopped by killing the helper process (C code cannot be interrupted otherwise),
and the photo is refused with a ``timeout`` error. Used by the web app, where one
upload must never hold the page (the model's lock is not held while decoding).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from typing import Optional

from .core import constants as C
from .core.errors import FileTimeoutError, ThomasCVError
from .media import LoadedImage, load_image

#: seconds one photo may take to decode in the app
DECODE_TIME_LIMIT_S = 20.0


def _serve(conn) -> None:  # pragma: no cover - runs in the helper process
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        data, name, max_side = job
        try:
            conn.send(("ok", load_image(data, max_side=max_side, name=name)))
        except ThomasCVError as exc:
            conn.send(("error", exc))
        except Exception as exc:  # noqa: BLE001 - reported as one line by the caller
            conn.send(("bug", f"{exc.__class__.__name__}: {exc}"))


class Decoder:
    """One helper process, started on first use, replaced after a timeout or a crash."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="thomas-cv-decoder")
        self._proc.start()
        child.close()

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def decode(self, data: bytes, name: str, max_side: int = C.MODEL_MAX_SIDE_PX,
               time_limit: float = DECODE_TIME_LIMIT_S) -> LoadedImage:
        """:func:`load_image` of ``data`` in the helper process; :class:`FileTimeoutError`
        after ``time_limit`` seconds (the helper is then killed and replaced)."""
        with self._lock:  # one decode at a time per helper
            if self._proc is None or not self._proc.is_alive():
                self._stop()
                self._start()
            self._conn.send((bytes(data), name, max_side))
            if not self._conn.poll(time_limit):
                self._stop()
                raise FileTimeoutError(
                    f"{name}: reading this photo took longer than {time_limit:.0f} s; it was stopped. "
                    "Export it again as a plain JPEG.")
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._stop()
                from .core.errors import UnreadableImageError

                raise UnreadableImageError(f"{name}: reading this photo crashed the decoder; export it again as JPEG.")
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        from .core.errors import InternalError

        raise InternalError(f"{name}: unexpected failure while reading the photo ({value}). Please report this file.")

    def close(self) -> None:
        with self._lock:
            self._stop()


_DEFAULT: Optional[Decoder] = None


def decode(data: bytes, name: str, time_limit: float = DECODE_TIME_LIMIT_S) -> LoadedImage:
    """Decode with the process-wide helper (see :class:`Decoder`)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Decoder()
    return _DEFAULT.decode(data, name, time_limit=time_limit)
