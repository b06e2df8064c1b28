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
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .core import constants as C
from .core.errors import (
    ImageTooComplexError,
    ImageTooLargeError,
    ImageTooSmallError,
    UnreadableImageError,
    UnreadableVideoError,
    UnsupportedFileError,
)

Image.MAX_IMAGE_PIXELS = C.MAX_IMAGE_PIXELS

try:  # optional HEIC/HEIF support
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the optional extra
    HEIF_SUPPORTED = False

try:
    from PIL import features as _features

    AVIF_SUPPORTED = bool(_features.check("avif"))
except (ImportError, ValueError):  # pragma: no cover - old Pillow
    AVIF_SUPPORTED = False

#: the only decoders a photo is ever handed to, whatever its name says (checked by content:
#: an EPS or a PSD named .jpg never reaches its plug-in). MPO is the JPEG of many phones.
Image.init()
ALLOWED_FORMATS = tuple(f for f in ("JPEG", "MPO", "PNG", "WEBP", "BMP", "TIFF", "GIF", "AVIF", "HEIF") if f in Image.OPEN)
#: extensions of files taken as photos (the content decides how they are read)
IMAGE_EXTS = {".jpg", ".jpeg", ".jfif", ".jpe", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"} | (
    {".avif"} if AVIF_SUPPORTED else set())
#: other photo formats: never opened, but a batch lists them with the reason
OTHER_PHOTO_EXTS = {".avif", ".jxl", ".jp2", ".j2k", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf",
                    ".raw", ".psd", ".svg", ".ico", ".eps", ".tga", ".ppm", ".pgm", ".pcx", ".xcf"} - IMAGE_EXTS
VIDEO_EXTS = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm"}
#: the formats named in messages
FORMATS_TEXT = "JPEG, PNG, WebP, BMP, TIFF, GIF" + (", AVIF" if AVIF_SUPPORTED else "") + (", HEIC" if HEIF_SUPPORTED else "")

Source = Union[str, os.PathLike, bytes]


@dataclass(frozen=True)
class LoadedImage:
    """An upright RGB image ready for the model, and how it relates to the file."""

    rgb: np.ndarray
    original_size: tuple[int, int]  # (width, height) after EXIF rotation, before downscaling
    scale: float  # rgb pixels per original pixel (<= 1)
    focal_35mm: "float | None" = None  # EXIF FocalLengthIn35mmFilm, when the camera wrote it


def is_image_path(path: Union[str, os.PathLike]) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTS


def is_video_path(path: Union[str, os.PathLike]) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def _name(src: Source) -> str:
    from .outputs import display_name

    return "the upload" if isinstance(src, (bytes, bytearray)) else display_name(Path(src).name)


#: Pillow's bytes per pixel in memory, by mode (RGB is stored as 4 bytes)
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}


def decoded_bytes(img: Image.Image) -> int:
    """Memory Pillow needs to hold ``img`` decoded at its current size (after ``draft``),
    plus, for a progressive JPEG, every DCT coefficient of the full image (2 bytes each)."""
    w, h = img.size
    total = w * h * _MODE_BYTES.get(img.mode, 4)
    if img.format in ("JPEG", "MPO") and ("progressive" in img.info or "progression" in img.info):
        layers = getattr(img, "layer", None) or [("", 1, 1, 0)] * 3
        hmax = max(int(l_[1]) for l_ in layers) or 1
        vmax = max(int(l_[2]) for l_ in layers) or 1
        fw, fh = getattr(img, "_thomas_full_size", img.size)
        total += int(sum(fw * fh * int(l_[1]) * int(l_[2]) / (hmax * vmax) for l_ in layers) * 2)
    return total


def _shrink(img: Image.Image, max_side: int) -> Image.Image:
    """A decoded image reduced by an integer factor so that its longer side stays at least
    ``2 * max_side`` (box filter; nearest neighbour for modes ``reduce`` lacks), before any
    conversion that would copy it at more bytes per pixel."""
    k = -(-max(img.size) // (2 * max_side))  # ceil: the longer side ends between max_side and 2 * max_side
    if k < 2:
        return img
    try:
        return img.reduce(k)
    except ValueError:  # 1, P, I;16: no reduce
        return img.resize((max(1, img.size[0] // k), max(1, img.size[1] // k)), Image.Resampling.NEAREST)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB (alpha composited on white, 16-bit scaled down)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # float32, in place: 4 bytes a pixel at most
        arr = np.asarray(img).astype(np.float32)
        np.nan_to_num(arr, copy=False)
        lo = float(arr.min()) if img.mode == "F" and arr.size else 0.0
        hi = float(arr.max()) if arr.size else 1.0
        arr -= lo
        arr *= 255.0 / ((hi - lo) or 1.0)
        np.clip(arr, 0, 255, out=arr)
        img = Image.fromarray(arr.astype(np.uint8), mode="L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    return img if img.mode == "RGB" else img.convert("RGB")  # no needless full-size copy


def _sniff(head: bytes) -> str | None:
    """What a file's first bytes say it is, for the few kinds that are worth a specific
    message (videos, HEIC without its plug-in, PDFs, archives). None = ask Pillow.

    >>> _sniff(b"%PDF-1.7"), _sniff(b"\\x00\\x00\\x00\\x18ftypheic"), _sniff(b"\\x89PNG")
    ('pdf', 'heic', None)
    """
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"avif"):
            return "heic"
        return "video"
    if head.startswith(b"\x1aE\xdf\xa3") or (head.startswith(b"RIFF") and head[8:12] == b"AVI "):
        return "video"
    return None


def _check_regular_file(p: Path, error, what: str, empty_advice: str) -> None:
    """Refuse folders, missing or special files (never opened: a FIFO could block) and empty
    files with ``error`` and a one-line message."""
    if p.is_dir():
        raise error(f"{p.name}: is a folder, not {what}.")
    if not p.is_file():  # missing, dangling link, FIFO, device
        raise error(f"{p.name}: file not found (or not a regular file). Check the path.")
    if p.stat().st_size == 0:
        raise error(f"{p.name}: the file is empty (0 bytes). {empty_advice}")


def load_image(src: Source, max_side: int = C.MODEL_MAX_SIDE_PX, name: "str | None" = None) -> LoadedImage:
    """Read a photo from a path or bytes, upright and at most ``max_side`` pixels long.

    Raises :class:`UnreadableImageError` (not an image, damaged, truncated, not a file),
    :class:`UnsupportedFileError` (a video, PDF, zip or HEIC without its plug-in),
    :class:`ImageTooLargeError` (declared size beyond ``MAX_IMAGE_PIXELS``) or
    :class:`ImageTooSmallError`. Never anything else for bad input.
    """
    name = name or _name(src)
    data = _read_photo_bytes(src, name)
    fh = io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data": handled here, not printed
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                kind = _sniff(data[:16])
                if kind is not None and not (kind == "heic" and HEIF_SUPPORTED):
                    raise UnsupportedFileError(_SNIFF_MESSAGES[kind].format(name=name))
                img = Image.open(fh, formats=ALLOWED_FORMATS)
                w0, h0 = img.size
                if w0 * h0 > C.MAX_IMAGE_PIXELS:
                    raise ImageTooLargeError(
                        f"{name}: {w0}x{h0} pixels is too large to process safely. Resize it below "
                        f"{C.MAX_IMAGE_PIXELS // 1_000_000} megapixels."
                    )
                if img.format in ("JPEG", "MPO"):
                    _check_scans(data, w0 * h0, name)
                    img._thomas_full_size = (w0, h0)
                    _draft(img, max_side)
                need = decoded_bytes(img)
                if need > C.MAX_DECODE_BYTES:
                    raise ImageTooLargeError(
                        f"{name}: decoding this {w0}x{h0} {img.format} ({img.mode}) would take {need / 2**20:,.0f} MB of "
                        f"memory, more than the {C.MAX_DECODE_BYTES // 2**20} MB allowed per photo; it is refused. "
                        "Re-export it as an 8-bit JPEG."
                    )
                img.load()
                focal_35mm = _focal_35mm(img)
                img = _shrink(img, max_side)
                img = _upright(img)
                rgb_img = _to_rgb(img)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                m = re.search(r"\((\d+) pixels\)", str(exc))
                declared = f"{int(m.group(1)) / 1e6:,.0f} megapixels" if m else "an absurd size"
                raise ImageTooLargeError(
                    f"{name}: the image declares {declared}, more than the "
                    f"{C.MAX_IMAGE_PIXELS // 1_000_000} megapixels that can be processed safely; it is refused. "
                    "Re-export it at a normal size."
                ) from exc
            except MemoryError as exc:
                raise ImageTooLargeError(f"{name}: not enough memory to decode this image; re-export it smaller.") from exc
            except UnidentifiedImageError as exc:
                if not isinstance(src, (bytes, bytearray)) and is_video_path(src):
                    raise UnsupportedFileError(_SNIFF_MESSAGES["video"].format(name=name)) from exc
                raise UnreadableImageError(
                    f"{name}: not a readable image (the content is not {FORMATS_TEXT}). "
                    "Check the file or export it again as JPEG."
                ) from exc
            except (OSError, SyntaxError, ValueError, EOFError, TypeError, IndexError, KeyError,
                    struct.error, ZeroDivisionError, OverflowError, RuntimeError) as exc:
                msg = " ".join((str(exc) or exc.__class__.__name__).split())[:120]
                raise UnreadableImageError(
                    f"{name}: the image is damaged, incomplete or in an unusual format ({msg}). "
                    "Copy it again from the source or export it again as JPEG."
                ) from exc
    finally:
        fh.close()
        del data
    # exif_transpose may have swapped the sides; draft may have reduced them
    ow, oh = (h0, w0) if _swaps_sides(rgb_img, w0, h0) else (w0, h0)
    w, h = rgb_img.size
    if min(w, h) < 1:
        raise UnreadableImageError(f"{name}: the image has no pixels.")
    if min(ow, oh) < C.MIN_IMAGE_SIDE_PX:
        raise ImageTooSmallError(
            f"{name}: {ow}x{oh} pixels is too small to find joints reliably. Use a photo at least "
            f"{C.MIN_IMAGE_SIDE_PX} pixels on its shorter side."
        )
    longest = max(w, h)
    if longest > max_side:
        f = max_side / longest
        rgb_img = rgb_img.resize(
            (max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BILINEAR, reducing_gap=2.0
        )
    rgb = np.asarray(rgb_img, dtype=np.uint8)
    return LoadedImage(rgb=rgb, original_size=(ow, oh), scale=rgb.shape[1] / ow, focal_35mm=focal_35mm)


def _read_photo_bytes(src: Source, name: str) -> bytes:
    """The whole file (at most ``MAX_PHOTO_FILE_BYTES``), with one-line errors."""
    if isinstance(src, (bytes, bytearray)):
        if len(src) == 0:
            raise UnreadableImageError(f"{name}: the file is empty (0 bytes).")
        data = bytes(src)
    else:
        p = Path(src)
        _check_regular_file(p, UnreadableImageError, "a photo. Use 'thomas-cv batch' for folders",
                            "Copy it again from the camera or phone.")
        try:
            with open(src, "rb") as fh:  # (read(n) would allocate n bytes up front)
                size = os.fstat(fh.fileno()).st_size
                data = fh.read(min(size, C.MAX_PHOTO_FILE_BYTES) + 1)
        except OSError as exc:
            raise UnreadableImageError(f"{name}: the file cannot be opened ({exc.strerror or exc}). Check its permissions.") from exc
    if len(data) > C.MAX_PHOTO_FILE_BYTES:
        raise ImageTooLargeError(
            f"{name}: the file is larger than {C.MAX_PHOTO_FILE_BYTES // 2**20} MB, more than any photo needs; "
            "re-export it as JPEG."
        )
    return data


def jpeg_scan_count(data: bytes) -> int:
    """Scans (SOS markers) in a JPEG file: 1 for a baseline JPEG, 3-12 for a progressive one.
    (An SOS byte pair cannot occur inside entropy-coded data, where 0xFF is always stuffed.)"""
    return data.count(b"\xff\xda")


def _check_scans(data: bytes, pixels: int, name: str) -> None:
    scans = jpeg_scan_count(data)
    if scans > C.MAX_JPEG_SCANS or scans * pixels > C.MAX_JPEG_SCAN_PIXELS:
        raise ImageTooComplexError(
            f"{name}: this JPEG is stored in {scans} scans (a camera writes 1-12); decoding it would take far "
            "longer than any photo, so it is refused. Re-export it as a baseline JPEG."
        )


_SNIFF_MESSAGES = {
    "pdf": "{name}: is a PDF document, not a photo. Export the page as JPEG or PNG.",
    "zip": "{name}: is a zip archive, not a photo. Use 'thomas-cv batch' on the zip.",
    "video": "{name}: is a video, not a photo. Use 'thomas-cv video' for clips.",
    "heic": "{name}: is a HEIC/HEIF photo and HEIC support is not installed. "
    "Install it with: pip install 'thomas-cv[heic]', or export the photo as JPEG.",
}


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; corrupt or absurd EXIF leaves the pixels as stored."""
    if not _has_exif(img):
        return img
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - any EXIF damage: the stored pixels are still good
        return img


#: a JPEG may be decoded this much below ``max_side`` if that allows a coarser DCT scale
DRAFT_SLACK = 0.75


#: EXIF tags: the Exif sub-IFD and its FocalLengthIn35mmFilm (mm)
_EXIF_IFD, _FOCAL_35MM = 0x8769, 0xA405


def _focal_35mm(img: Image.Image) -> "float | None":
    """The 35 mm-equivalent focal length the camera recorded, if plausible (8-300 mm)."""
    if not _has_exif(img):
        return None
    try:
        value = img.getexif().get_ifd(_EXIF_IFD).get(_FOCAL_35MM)
        value = float(value) if value is not None else None
    except (TypeError, ValueError, KeyError, OSError, struct.error):
        return None  # damaged EXIF: the photo is still good, the focal length unknown
    return value if value is not None and 8.0 <= value <= 300.0 else None


def _draft(img: Image.Image, max_side: int) -> None:
    """Decode a large JPEG at 1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg), the
    coarsest that keeps the longer side at least ``DRAFT_SLACK * max_side``."""
    longest = max(img.size)
    for k in (8, 4, 2):
        if longest / k >= DRAFT_SLACK * max_side:
            img.draft("RGB", (img.size[0] // k, img.size[1] // k))
            return


def _has_exif(img: Image.Image) -> bool:
    try:
        return bool(img.getexif())
    except Exception:  # noqa: BLE001
        return False  # corrupt EXIF: use the pixels as stored


def _swaps_sides(img: Image.Image, w0: int, h0: int) -> bool:
    w, h = img.size
    return w0 != h0 and (w >= h) != (w0 >= h0)


def save_image(rgb: np.ndarray, path: Union[str, os.PathLike]) -> Path:
    """Write an RGB array as PNG or JPEG (by suffix), with no metadata at all, atomically
    through a temp file of its own (see :func:`thomas_cv.outputs.write_atomic`). Raises
    :class:`~thomas_cv.core.errors.OutputWriteError` when the place cannot be written."""
    from .outputs import ensure_parent, write_atomic

    path = Path(path)
    ensure_parent(path)
    fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else "PNG"
    kwargs = {"quality": 90} if fmt == "JPEG" else {"compress_level": 1}  # fast PNG: 200 -> ~20 ms
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **kwargs)  # Pillow writes no EXIF unless given one
    return write_atomic(path, buf.getvalue())


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
    """Open a video with OpenCV; returns (capture, VideoInfo). Raises UnreadableVideoError,
    or UnsupportedFileError for a photo given as a clip."""
    # FFmpeg's own console chatter ("moov atom not found", ...) is silenced: the tool
    # reports every problem itself, in one line. Read by OpenCV when it first opens a file.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    p = Path(path)
    name = p.name
    _check_regular_file(p, UnreadableVideoError, "a video clip", "Copy the clip again.")
    try:
        with open(p, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise UnreadableVideoError(f"{name}: the file cannot be opened ({exc.strerror or exc}). Check its permissions.") from exc
    if is_image_path(p) or head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8")) or _sniff(head) == "heic":
        raise UnsupportedFileError(f"{name}: is a photo, not a video clip. Use 'thomas-cv measure' for photos.")
    if _sniff(head) in ("pdf", "zip"):
        raise UnsupportedFileError(f"{name}: is a {_sniff(head).upper()} file, not a video clip.")
    cap = cv2.VideoCapture(str(p))
    # a phone clip stored sideways carries its rotation as metadata: frames come out upright
    # (OpenCV applies it when asked; the default differs between versions and backends)
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    if not cap.isOpened():
        cap.release()
        raise UnreadableVideoError(
            f"{name}: the video cannot be opened (damaged, or a codec OpenCV lacks). Re-export it as MP4 (H.264)."
        )
    fps = cap.get(cv2.CAP_PROP_FPS)
    assumed = not (isinstance(fps, float) and math.isfinite(fps) and 1.0 <= fps <= 1000.0)
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    width, height = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    info = VideoInfo(
        fps=30.0 if assumed else float(fps),
        frame_count=int(count) if math.isfinite(count) and 0 < count < 1e9 else 0,
        width=int(width) if math.isfinite(width) and width > 0 else 0,
        height=int(height) if math.isfinite(height) and height > 0 else 0,
        fps_assumed=assumed,
    )
    if info.width * info.height > C.MAX_IMAGE_PIXELS:
        cap.release()
        raise ImageTooLargeError(
            f"{name}: frames of {info.width}x{info.height} pixels are too large to process safely."
        )
    return cap, info


def iter_video_frames(
    path: Union[str, os.PathLike], max_side: int = 960, max_frames: int = C.MAX_VIDEO_FRAMES, step: int = 1
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (frame index, time in s, RGB frame) downscaled to ``max_side``, every ``step``-th
    frame (the frames in between are only grabbed, not decoded into images).

    Raises :class:`UnreadableVideoError` if no frame at all can be read.
    """
    import cv2

    cap, info = open_video(path)
    n = 0
    try:
        while n < max_frames:
            try:
                if n % step:
                    if not cap.grab():
                        break
                    n += 1
                    continue
                ok, frame = cap.read()
            except cv2.error:  # a damaged frame: treat as the end of the clip
                break
            if not ok or frame is None or frame.ndim != 3 or frame.shape[2] != 3 or frame.size == 0:
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
