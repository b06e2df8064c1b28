"""Reading photos and videos: formats, EXIF orientation, size limits, frame iteration.

Images come back as (H, W, 3) uint8 RGB arrays, upright (EXIF orientation applied) and
downscaled so that the longer side is at most ``max_side`` pixels (the model sees a few
hundred pixels; the overlay does not need more). JPEGs are decoded at reduced size
directly (libjpeg DCT scaling) when they are much larger than needed.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import constants as C
from .errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    UnreadableImageError,
    UnreadableVideoError,
    UnsupportedFileError,
)

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"}
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm"}

Image.MAX_IMAGE_PIXELS = C.MAX_IMAGE_PIXELS

try:  # optional HEIC/HEIF support
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the optional extra
    HEIF_SUPPORTED = False

Source = Union[str, os.PathLike, bytes]


@dataclass(frozen=True)
class LoadedImage:
    """An upright RGB image ready for the model, and how it relates to the file."""

    rgb: np.ndarray
    original_size: tuple[int, int]  # (width, height) after EXIF rotation, before downscaling
    scale: float  # rgb pixels per original pixel (<= 1)


def is_image_path(path: Union[str, os.PathLike]) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTS


def is_video_path(path: Union[str, os.PathLike]) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def _name(src: Source) -> str:
    return "the upload" if isinstance(src, (bytes, bytearray)) else Path(src).name


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB (alpha composited on white, 16-bit scaled down)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = arr.max() if arr.size else 1.0
        arr = (arr / (hi if hi > 0 else 1.0) * 255.0).astype(np.uint8)
        img = Image.fromarray(arr, mode="L")
    elif img.mode == "F":
        arr = np.nan_to_num(np.asarray(img, dtype=np.float64))
        lo, hi = float(arr.min()), float(arr.max())
        arr = ((arr - lo) / ((hi - lo) or 1.0) * 255.0).astype(np.uint8)
        img = Image.fromarray(arr, mode="L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    return img.convert("RGB")


def load_image(src: Source, max_side: int = C.MODEL_MAX_SIDE_PX) -> LoadedImage:
    """Read a photo from a path or bytes, upright and at most ``max_side`` pixels long.

    Raises :class:`UnreadableImageError` (not an image, damaged, truncated),
    :class:`ImageTooLargeError` (declared size beyond ``MAX_IMAGE_PIXELS``) or
    :class:`ImageTooSmallError`.
    """
    name = _name(src)
    if not isinstance(src, (bytes, bytearray)):
        p = Path(src)
        if not p.is_file():
            raise UnreadableImageError(f"{name}: file not found. Check the path.")
        if p.stat().st_size == 0:
            raise UnreadableImageError(f"{name}: the file is empty (0 bytes). Copy it again from the camera or phone.")
    fh = io.BytesIO(src) if isinstance(src, (bytes, bytearray)) else open(src, "rb")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(fh)
                w0, h0 = img.size
                if w0 * h0 > C.MAX_IMAGE_PIXELS:
                    raise ImageTooLargeError(
                        f"{name}: {w0}x{h0} pixels is too large to process safely. Resize it below "
                        f"{C.MAX_IMAGE_PIXELS // 1_000_000} megapixels."
                    )
                if img.format == "JPEG" and max(w0, h0) > 2 * max_side:
                    img.draft("RGB", (max_side, max_side))  # DCT-domain downscaling: fast
                img = ImageOps.exif_transpose(img) if _has_exif(img) else img
                img.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise ImageTooLargeError(
                    f"{name}: the image declares an absurd size ({exc.__class__.__name__}). "
                    "It is refused as unsafe; re-export it at a normal size."
                ) from exc
            except UnidentifiedImageError as exc:
                raise UnreadableImageError(
                    f"{name}: not a readable image (the content is not JPEG, PNG, WebP, BMP, TIFF"
                    f"{', HEIC' if HEIF_SUPPORTED else ''} or GIF). Check the file or export it again as JPEG."
                ) from exc
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise UnreadableImageError(
                    f"{name}: the image is damaged or incomplete ({str(exc) or exc.__class__.__name__}). "
                    "Copy it again from the source."
                ) from exc
        rgb_img = _to_rgb(img)
    finally:
        fh.close()
    # exif_transpose may have swapped the sides; draft may have reduced them
    ow, oh = (h0, w0) if _swaps_sides(rgb_img, w0, h0) else (w0, h0)
    w, h = rgb_img.size
    if min(w, h) < 1:
        raise UnreadableImageError(f"{name}: the image has no pixels.")
    longest = max(w, h)
    if longest > max_side:
        f = max_side / longest
        rgb_img = rgb_img.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.LANCZOS)
    rgb = np.asarray(rgb_img, dtype=np.uint8)
    if min(ow, oh) < C.MIN_IMAGE_SIDE_PX:
        raise ImageTooSmallError(
            f"{name}: {ow}x{oh} pixels is too small to find joints reliably. Use a photo at least "
            f"{C.MIN_IMAGE_SIDE_PX} pixels on its shorter side."
        )
    return LoadedImage(rgb=rgb, original_size=(ow, oh), scale=rgb.shape[1] / ow)


def _has_exif(img: Image.Image) -> bool:
    try:
        return bool(img.getexif())
    except (OSError, SyntaxError, ValueError, TypeError):
        return False  # corrupt EXIF: use the pixels as stored


def _swaps_sides(img: Image.Image, w0: int, h0: int) -> bool:
    w, h = img.size
    return w0 != h0 and (w >= h) != (w0 >= h0)


def save_image(rgb: np.ndarray, path: Union[str, os.PathLike]) -> Path:
    """Write an RGB array as PNG or JPEG (by suffix), with no metadata at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(rgb)
    tmp = path.with_name(path.name + ".part")
    fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    kwargs = {"quality": 90} if fmt == "JPEG" else {}
    img.save(tmp, format=fmt, **kwargs)  # Pillow writes no EXIF unless given one
    os.replace(tmp, path)
    return path


def encode_image(rgb: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt)
    return buf.getvalue()


# ----------------------------------------------------------------------------- video


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int
    width: int
    height: int
    fps_assumed: bool  # the file's frame rate was missing or absurd; 30 fps assumed


def open_video(path: Union[str, os.PathLike]):
    """Open a video with OpenCV; returns (capture, VideoInfo). Raises UnreadableVideoError."""
    import cv2

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise UnreadableVideoError(f"{name}: file not found. Check the path.")
    if p.stat().st_size == 0:
        raise UnreadableVideoError(f"{name}: the file is empty (0 bytes). Copy the clip again.")
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        raise UnreadableVideoError(
            f"{name}: the video cannot be opened (damaged, or a codec OpenCV lacks). Re-export it as MP4 (H.264)."
        )
    fps = cap.get(cv2.CAP_PROP_FPS)
    assumed = not (isinstance(fps, float) and math.isfinite(fps) and 1.0 <= fps <= 1000.0)
    info = VideoInfo(
        fps=30.0 if assumed else float(fps),
        frame_count=int(max(0, cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)),
        width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
        fps_assumed=assumed,
    )
    return cap, info


def iter_video_frames(
    path: Union[str, os.PathLike], max_side: int = 960, max_frames: int = C.MAX_VIDEO_FRAMES
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (frame index, time in s, RGB frame) downscaled to ``max_side``.

    Raises :class:`UnreadableVideoError` if no frame at all can be read.
    """
    import cv2

    cap, info = open_video(path)
    n = 0
    try:
        while n < max_frames:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            h, w = frame.shape[:2]
            if max(h, w) > max_side:
                f = max_side / max(h, w)
                frame = cv2.resize(frame, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
            yield n, n / info.fps, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            n += 1
    finally:
        cap.release()
    if n == 0:
        raise UnreadableVideoError(
            f"{Path(path).name}: no frame could be read (empty or damaged video). Re-export it as MP4 (H.264)."
        )


def check_supported(path: Union[str, os.PathLike]) -> None:
    p = Path(path)
    if not (is_image_path(p) or is_video_path(p)):
        raise UnsupportedFileError(
            f"{p.name}: '{p.suffix or 'no extension'}' is not a supported photo or video type "
            "(JPEG, PNG, WebP, BMP, TIFF, HEIC; MP4, MOV, AVI)."
        )

