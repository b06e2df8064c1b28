"""Generate the corpus of bad and awkward inputs in ``tests/data/`` (deterministic).

    python tests/make_bad_inputs.py            # (re)write tests/data/

Everything is small by construction (the zip bomb and the decompression bombs are a few
kilobytes: they *declare* huge sizes). ``tests/data/manifest.json`` lists every file with
what the tool must say about it; ``tests/test_bad_inputs.py`` checks exactly that.

Inputs that need a real person (standing, legs cut off, two people, a phone photo stored
on its side) are made from the synthetic renders in ``sample_images/`` when they exist
(``people/``); without them those entries are simply not generated.

Things git cannot carry or that must not sit in a repository (a symlink loop, a FIFO, a
file name that is not UTF-8) are made at test time by :func:`make_awkward_folder`.

Expectation vocabulary in the manifest:

- ``"error": [codes]``  the tool must answer with one of these error codes
- ``"decodes": true``    the file must load (``load_image``) to an upright RGB image;
  through the real model it then measures or says ``no_person_found``/... cleanly
- ``"measure": true``    a person in the test position: the real model must measure it
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SAMPLES = ROOT / "sample_images"

# colours of the orientation pattern's quadrants, upright: TL, TR, BL, BR
QUAD = {"tl": (220, 30, 30), "tr": (30, 200, 30), "bl": (30, 30, 220), "br": (240, 240, 240)}
PATTERN_SIZE = (320, 240)  # landscape, upright
# Pillow's exif_transpose applies these; the file stores the inverse so that the result is upright
_EXIF_METHOD = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_INVERSE = {
    Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
}


def pattern(size=PATTERN_SIZE) -> Image.Image:
    """Four coloured quadrants plus a dark bar along the top: every flip and turn shows."""
    w, h = size
    a = np.zeros((h, w, 3), np.uint8)
    a[: h // 2, : w // 2] = QUAD["tl"]
    a[: h // 2, w // 2 :] = QUAD["tr"]
    a[h // 2 :, : w // 2] = QUAD["bl"]
    a[h // 2 :, w // 2 :] = QUAD["br"]
    return Image.fromarray(a)


def room(size=(640, 480), seed=0) -> Image.Image:
    """A picture with no person in it: wall, floor, a table, some texture."""
    w, h = size
    rng = np.random.default_rng(seed)
    a = np.zeros((h, w, 3), np.float32)
    a[: int(h * 0.6)] = (205, 200, 185)
    a[int(h * 0.6) :] = (140, 105, 70)
    a[int(h * 0.45) : int(h * 0.52), int(w * 0.15) : int(w * 0.8)] = (30, 35, 60)  # table top
    a[int(h * 0.52) : int(h * 0.75), int(w * 0.18) : int(w * 0.21)] = (60, 60, 60)  # legs
    a[int(h * 0.52) : int(h * 0.75), int(w * 0.74) : int(w * 0.77)] = (60, 60, 60)
    # coarse texture (8x8 px cells): gives JPEG something to chew on, PNG still packs it small
    cells = rng.normal(0, 8, (h // 8 + 1, w // 8 + 1, 1)).repeat(8, 0).repeat(8, 1)[:h, :w]
    a += cells
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=kw.pop("quality", 85), **kw)
    return buf.getvalue()


def png_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **kw)
    return buf.getvalue()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_raw(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes | None, idat: bytes | None = None) -> bytes:
    """A PNG written by hand (for 16-bit RGB, and for declaring absurd sizes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = idat if idat is not None else zlib.compress(rows, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def png_bomb(width=100_000, height=100_000) -> bytes:
    """Declares width x height RGB (30 GB decoded); the file holds a few hundred bytes."""
    # one compressed run of zeros: enough to start decoding, nowhere near the declared size
    return png_raw(width, height, 8, 2, None, idat=zlib.compress(b"\x00" * 65536, 9))


def jpeg_declaring(width: int, height: int, base: bytes) -> bytes:
    """A JPEG whose SOF header is patched to declare another size."""
    b = bytearray(base)
    i = 2
    while i < len(b) - 9:
        if b[i] != 0xFF:
            break
        marker = b[i + 1]
        seglen = struct.unpack(">H", b[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            b[i + 5 : i + 9] = struct.pack(">HH", height, width)
            return bytes(b)
        i += 2 + seglen
    raise ValueError("no SOF marker")


def with_app1(jpeg: bytes, payload: bytes) -> bytes:
    """Insert an APP1 (Exif) segment with ``payload`` right after SOI."""
    seg = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + seg + jpeg[2:]


def _zwrite(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Write a member with a fixed timestamp (a reproducible corpus)."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zf.compression
    zf.writestr(info, data)


def gif_animated() -> bytes:
    frames = [room((320, 240), seed=i).convert("P") for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def tiff_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="TIFF", compression="tiff_deflate", **kw)
    return buf.getvalue()


# ------------------------------------------------------------------ issue 18: costly and lying files


def jpeg_many_scans(size=(1200, 900), extra_scans=200) -> bytes:
    """A progressive JPEG that repeats its last (tiny) scan ``extra_scans`` times: a few
    bytes each, but every scan makes the decoder walk over every block of the image (at
    100 megapixels about 0.1 s a scan; a 1 MB file held a batch for minutes)."""
    d = jpeg_bytes(Image.new("L", size, 128), quality=50, progressive=True)
    pos = [j for j in range(len(d) - 1) if d[j] == 0xFF and d[j + 1] == 0xDA]
    last = d[pos[-1]: len(d) - 2]  # the last scan, up to EOI
    return d[:-2] + last * extra_scans + b"\xff\xd9"


def tiff_declaring(width: int, height: int, mode: str = "F") -> bytes:
    """A small TIFF whose IFD is patched to declare ``width`` x ``height`` (the pixel data
    is not there: the tool must refuse it from the header, before decoding)."""
    small = Image.new(mode, (8, 8))
    buf = io.BytesIO()
    small.save(buf, format="TIFF")
    b = bytearray(buf.getvalue())
    order = "<" if b[:2] == b"II" else ">"
    ifd = struct.unpack(order + "I", b[4:8])[0]
    n = struct.unpack(order + "H", b[ifd: ifd + 2])[0]
    for k in range(n):
        e = ifd + 2 + 12 * k
        tag, typ = struct.unpack(order + "HH", b[e: e + 4])
        if tag in (256, 257):
            value = width if tag == 256 else height
            if typ == 3:
                b[e + 8: e + 10] = struct.pack(order + "H", value)
            else:
                b[e + 8: e + 12] = struct.pack(order + "I", value)
    return bytes(b)


def zip_with_lying_entry(photo: bytes) -> bytes:
    """A zip bomb in disguise: photos that unpack ~1000:1 plus one text entry whose
    central-directory record declares a 2 GB compressed size, so that the sum of declared
    compressed sizes hides the ratio (the check that was bypassed)."""
    with zipfile.ZipFile(zbuf := io.BytesIO(), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(4):
            _zwrite(zf, f"p{i}.jpg", b"\x00" * (8 * 1024 * 1024))
        _zwrite(zf, "notes.txt", b"nothing to see")
    b = bytearray(zbuf.getvalue())
    i = b.find(b"PK\x01\x02", b.rfind(b"notes.txt") - 60)
    i = b.rfind(b"PK\x01\x02", 0, b.rfind(b"notes.txt"))
    b[i + 20: i + 24] = struct.pack("<I", 2_000_000_000)  # compressed size in the central directory
    return bytes(b)


def zip_deep(photo: bytes, levels: int = 1000) -> bytes:
    """A zip whose one photo sits ``levels`` folders deep (a 1000-deep tree crashed the
    recursive walk), beside a normal photo."""
    with zipfile.ZipFile(zbuf := io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as zf:
        _zwrite(zf, "ok.jpg", photo)
        _zwrite(zf, "d/" * levels + "deep.jpg", photo)
    return zbuf.getvalue()


EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 320 240\n%%EndComments\n"
       b"newpath 0 0 moveto 320 240 lineto stroke\nshowpage\n%%EOF\n")


# ------------------------------------------------------------------ videos


def write_clip(path: Path, frames: int, fourcc: str = "mp4v", fps: float = 10.0, size=(320, 240), base=None) -> None:
    import cv2

    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    img = np.asarray((base or room(size)).convert("RGB").resize(size))
    for i in range(frames):
        w.write(cv2.cvtColor(np.roll(img, i, axis=1), cv2.COLOR_RGB2BGR))
    w.release()


def rotate_mp4(data: bytes, degrees: int) -> bytes:
    """Set an MP4's display rotation (the track header's matrix), as a phone does."""
    m = {90: (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000),
         180: (-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000),
         270: (0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000)}[degrees]
    b = bytearray(data)
    i = b.find(b"tkhd")  # version 0: the matrix starts 44 bytes after the box type
    b[i + 44: i + 80] = struct.pack(">9i", *m)
    return bytes(b)


def patch_box(data: bytes, box: bytes, offset: int, value: int) -> bytes:
    """Overwrite a big-endian uint32 ``offset`` bytes after an MP4 box's type field start
    (``offset`` counted from the box's 4-byte type)."""
    b = bytearray(data)
    i = b.find(box)
    b[i + offset : i + offset + 4] = struct.pack(">I", value)
    return bytes(b)


# ------------------------------------------------------------------ the corpus


def build(dest: Path = DATA, samples: Path = SAMPLES) -> list[dict]:
    """Write the corpus into ``dest``; returns the manifest entries."""
    entries: list[dict] = []

    def put(rel: str, data: bytes, kind: str = "image", note: str = "", **expect) -> None:
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        entries.append(dict(path=rel, kind=kind, note=note, **expect))

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    base_jpg = jpeg_bytes(room())
    base = room((320, 240))  # lossless variants stay small

    # --- not images, or broken ones
    put("images/zero_bytes.jpg", b"", note="empty file", error=["unreadable_image"])
    put("images/truncated.jpg", base_jpg[: len(base_jpg) // 2], note="JPEG cut in half", error=["unreadable_image"])
    put("images/truncated_header.jpg", base_jpg[:40], note="only the JPEG header", error=["unreadable_image"])
    put("images/text_named.jpg", b"Patient notes, not a photo.\n" * 20, note="text file named .jpg", error=["unreadable_image"])
    put("images/pdf_named.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
        note="a PDF named .jpg", error=["unsupported_file"])
    put("images/html_named.png", b"<!doctype html><html><body>404 Not Found</body></html>", note="an HTML error page saved as .png",
        error=["unreadable_image"])
    put("images/heic_without_plugin.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200,
        note="HEIC header (the pillow-heif extra is not installed)", error=["unsupported_file"], heic=True)
    put("images/zip_named.jpg", b"PK\x05\x06" + b"\x00" * 18, note="an (empty) zip named .jpg", error=["unsupported_file"])

    # --- absurd sizes: tiny files declaring huge images
    put("images/bomb_100000x100000.png", png_bomb(), note="PNG declaring 100000x100000 (10 gigapixels)", error=["image_too_large"])
    put("images/bomb_60000x60000.jpg", jpeg_declaring(60000, 60000, base_jpg), note="JPEG header declaring 60000x60000",
        error=["image_too_large"])
    put("images/bomb_12000x9000.png", png_bomb(12000, 9000), note="PNG declaring 108 megapixels (just over the limit)",
        error=["image_too_large"])
    put("images/one_pixel.png", png_bytes(Image.new("RGB", (1, 1), (128, 128, 128))), note="1x1 pixel", error=["image_too_small"])
    put("images/thin_4000x20.png", png_bytes(Image.new("RGB", (4000, 20), (128, 128, 128))), note="a 4000x20 strip",
        error=["image_too_small"])
    put("images/zero_height.png", png_raw(640, 0, 8, 2, b""), note="PNG declaring 640x0", error=["unreadable_image"])

    # --- unusual but valid formats: must load, upright, as 8-bit RGB
    g = base.convert("L")
    put("images/grayscale.jpg", jpeg_bytes(g), note="8-bit grayscale JPEG", decodes=True)
    a16 = (np.asarray(g, np.uint16) * 257).astype(np.uint16)
    put("images/grayscale_16bit.png", png_bytes(Image.frombytes("I;16", g.size, a16.tobytes())), note="16-bit grayscale PNG", decodes=True)
    rgb16 = (np.asarray(base, np.uint16) * 257).astype(">u2")
    rows = b"".join(b"\x00" + rgb16[y].tobytes() for y in range(rgb16.shape[0]))
    put("images/rgb_16bit.png", png_raw(base.width, base.height, 16, 2, rows), note="16-bit RGB PNG", decodes=True)
    put("images/grayscale_16bit.tif", tiff_bytes(Image.frombytes("I;16", g.size, a16.tobytes())), note="16-bit grayscale TIFF", decodes=True)
    put("images/float32.tif", tiff_bytes(Image.fromarray(np.asarray(g, np.float32) / 255.0)),
        note="32-bit float TIFF", decodes=True)
    put("images/cmyk.jpg", jpeg_bytes(base.convert("CMYK")), note="CMYK JPEG (print export)", decodes=True)
    rgba = base.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(base.size))
    put("images/rgba.png", png_bytes(rgba), note="RGBA PNG with transparency", decodes=True)
    put("images/palette.png", png_bytes(base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)), note="palette PNG",
        decodes=True)
    pt = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    put("images/palette_transparent.png", png_bytes(pt, transparency=0), note="palette PNG with a transparent colour",
        decodes=True)
    put("images/bilevel.png", png_bytes(base.convert("1")), note="1-bit black and white", decodes=True)
    put("images/la.png", png_bytes(base.convert("LA")), note="grayscale + alpha", decodes=True)
    put("images/animated.gif", gif_animated(), note="animated GIF (first frame is used)", decodes=True)
    buf = io.BytesIO()
    base.save(buf, format="TIFF", save_all=True, append_images=[room((320, 240), seed=1)], compression="tiff_deflate")
    put("images/multipage.tif", buf.getvalue(), note="2-page TIFF (first page is used)", decodes=True)
    buf = io.BytesIO()
    base.save(buf, format="WEBP", quality=70)
    put("images/photo.webp", buf.getvalue(), note="WebP", decodes=True)
    buf = io.BytesIO()
    base.resize((320, 240)).save(buf, format="BMP")
    put("images/photo.bmp", buf.getvalue(), note="BMP", decodes=True)
    put("images/png_named.jpg", png_bytes(base), note="a PNG named .jpg", decodes=True)
    put("images/jpeg_named.png", base_jpg, note="a JPEG named .png", decodes=True)
    put("images/no extension", base_jpg, note="a JPEG without extension (given explicitly to measure)", decodes=True)
    put("images/name with spaces.jpg", base_jpg, note="spaces in the name", decodes=True)
    put("images/Müller ñ 写真 é.jpg", base_jpg, note="non-ASCII name", decodes=True)
    put("images/UPPER CASE.JPEG", base_jpg, note="upper-case extension", decodes=True)
    put("images/no_person.jpg", base_jpg, note="a room, no person in it", decodes=True, error=["no_person_found"])

    # --- issue 18: files that cost far more than they weigh, formats not on the allow-list
    put("images/many_scans.jpg", jpeg_many_scans(), note="progressive JPEG repeating one scan 200 times",
        error=["image_too_complex"])
    put("images/float_100mp.tif", tiff_declaring(10000, 10000, "F"), note="float TIFF declaring 100 MP (400 MB decoded)",
        error=["image_too_large"])
    put("images/rgb_80mp.png", png_raw(10000, 8000, 16, 2, None, idat=zlib.compress(b"\x00" * 4096)),
        note="16-bit RGB PNG declaring 80 MP (320 MB decoded)", error=["image_too_large"])
    put("images/eps_named.jpg", EPS, note="an EPS (PostScript) named .jpg: never handed to Ghostscript",
        error=["unreadable_image"])
    put("images/photo.jfif", base_jpg, note="a JPEG with the .jfif extension", decodes=True)

    # --- EXIF orientation 1-8: stored turned/flipped, must come out upright
    up = pattern()
    for k in range(1, 9):
        stored = up if k == 1 else up.transpose(_INVERSE.get(_EXIF_METHOD[k], _EXIF_METHOD[k]))
        exif = Image.Exif()
        exif[0x0112] = k
        put(f"exif/orientation_{k}.jpg", jpeg_bytes(stored, exif=exif.tobytes(), quality=95),
            note=f"EXIF orientation {k}", decodes=True, upright_pattern=True)
    exif = Image.Exif()
    exif[0x0112] = 9
    put("exif/orientation_9_invalid.jpg", jpeg_bytes(up, exif=exif.tobytes(), quality=95), note="EXIF orientation 9 (invalid)",
        decodes=True, upright_pattern=True)
    exif = Image.Exif()
    exif[0x0112] = 0
    put("exif/orientation_0_invalid.jpg", jpeg_bytes(up, exif=exif.tobytes(), quality=95), note="EXIF orientation 0 (invalid)",
        decodes=True, upright_pattern=True)
    plain = jpeg_bytes(up, quality=95)
    put("exif/exif_garbage.jpg", with_app1(plain, b"Exif\x00\x00" + bytes(range(256)) * 4), note="EXIF segment of garbage",
        decodes=True, upright_pattern=True)
    put("exif/exif_bad_offset.jpg", with_app1(plain, b"Exif\x00\x00II*\x00" + struct.pack("<I", 0xFFFFFFF0)),
        note="EXIF IFD offset far beyond the file", decodes=True, upright_pattern=True)
    put("exif/exif_truncated_ifd.jpg",
        with_app1(plain, b"Exif\x00\x00MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 500) + b"\x01\x12\x00\x03"),
        note="EXIF IFD claiming 500 entries, holding one half", decodes=True, upright_pattern=True)
    put("exif/exif_orientation_wrong_type.jpg",
        with_app1(plain, b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
                  + struct.pack("<HHII", 0x0112, 2, 40, 0xFFFF) + struct.pack("<I", 0)),
        note="EXIF orientation stored as a 40-char string pointing nowhere", decodes=True, upright_pattern=True)
    # metadata a phone writes: GPS position, camera, ICC profile, comment (must never reach exports)
    put("exif/with_gps.jpg", jpeg_with_gps(base), note="phone photo with GPS, camera and comment metadata", decodes=True)

    # --- videos
    vdir = dest / "videos"
    vdir.mkdir()
    write_clip(vdir / "no_person_clip.mp4", 12)
    entries.append(dict(path="videos/no_person_clip.mp4", kind="video", note="a valid clip with no person",
                        error=["not_test_position"]))
    import cv2

    cv2.VideoWriter(str(vdir / "no_frames.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240)).release()
    entries.append(dict(path="videos/no_frames.mp4", kind="video", note="MP4 with no frames", error=["unreadable_video"]))
    write_clip(vdir / "no_frames.avi", 0, "MJPG")
    entries.append(dict(path="videos/no_frames.avi", kind="video", note="AVI with no frames", error=["unreadable_video"]))
    write_clip(vdir / "_ok.mp4", 12)
    good = (vdir / "_ok.mp4").read_bytes()
    (vdir / "_ok.mp4").unlink()
    put("videos/truncated.mp4", good[: len(good) // 3], kind="video", note="MP4 cut to a third (no index)",
        error=["unreadable_video"])
    mangled = bytearray(good)
    rng = np.random.default_rng(5)
    for pos in rng.integers(64, len(good) - 64, 60):
        mangled[pos] ^= 0xFF
    put("videos/corrupt.mp4", bytes(mangled), kind="video", note="MP4 with 60 flipped bytes",
        error=["unreadable_video", "not_test_position"])
    put("videos/garbage.mp4", bytes(rng.integers(0, 256, 4096, dtype=np.uint8)), kind="video", note="random bytes named .mp4",
        error=["unreadable_video"])
    put("videos/zero_bytes.mp4", b"", kind="video", note="empty .mp4", error=["unreadable_video"])
    put("videos/photo_named.mp4", base_jpg, kind="video", note="a JPEG named .mp4", error=["unsupported_file"])
    # a phone clip stored sideways: rotation metadata (tkhd matrix, 90 deg) must be honoured
    write_clip(vdir / "_up.mp4", 5, size=(320, 240), base=pattern())
    put("videos/rotated_90.mp4", rotate_mp4((vdir / "_up.mp4").read_bytes(), 90), kind="video",
        note="MP4 with rotation metadata 90 deg (a phone held upright)", error=["not_test_position"],
        rotated_pattern=True)
    (vdir / "_up.mp4").unlink()
    # frame rates that read as (almost) zero: OpenCV's FFmpeg backend never returns exactly 0 or
    # NaN (it falls back to the time base), so the exact 0 / NaN / inf cases are unit-tested
    # with a fake capture in test_bad_inputs.py
    # mdhd: type(4) version+flags(4) creation(4) modification(4) timescale(4)
    put("videos/fps_timescale0.mp4", patch_box(good, b"mdhd", 16, 0), kind="video",
        note="MP4 with media time scale 0 (frame rate reads 0.001)", error=["not_test_position"], fps_assumed=True)
    # stts: type(4) version+flags(4) entry count(4) sample count(4) sample delta(4)
    put("videos/fps_delta0.mp4", patch_box(good, b"stts", 16, 0), kind="video",
        note="MP4 whose frames all have duration 0 (frame rate reads 0.8)", error=["not_test_position"], fps_assumed=True)

    # --- archives
    with zipfile.ZipFile(zbuf := io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as zf:
        _zwrite(zf, "day1/ok.jpg", base_jpg)
        _zwrite(zf, "../escaped.jpg", base_jpg)
        _zwrite(zf, "../../etc/evil.png", base_jpg)
        _zwrite(zf, "/absolute.jpg", base_jpg)
        _zwrite(zf, "notes.txt", b"not a photo")
    put("zips/traversal.zip", zbuf.getvalue(), kind="zip", note="zip with ../ and absolute entries",
        batch=dict(total=4, failed_codes={"unsafe_archive": 3}, written=["day1/ok.jpg"]))
    with zipfile.ZipFile(zbuf := io.BytesIO(), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for i in range(4):
            _zwrite(zf, f"p{i}.jpg", b"\x00" * (8 * 1024 * 1024))  # 32 MB of zeros in ~32 KB
    put("zips/zip_bomb.zip", zbuf.getvalue(), kind="zip", note="zip bomb: 32 MB of zeros packed ~1000:1",
        error=["unsafe_archive"])
    put("zips/not_a_zip.zip", b"this is not a zip archive\n", kind="zip", note="text named .zip", error=["unreadable_archive"])
    put("zips/empty.zip", b"PK\x05\x06" + b"\x00" * 18, kind="zip", note="a valid, empty zip", batch=dict(total=0))
    put("zips/lying_size.zip", zip_with_lying_entry(base_jpg), kind="zip",
        note="zip bomb hidden by an entry declaring a 2 GB compressed size", error=["unsafe_archive"])
    put("zips/deep.zip", zip_deep(base_jpg), kind="zip", note="a photo 1000 folders deep in a zip",
        batch=dict(total=2, failed_codes={"skipped": 1}))

    entries += build_people(dest, samples)
    (dest / "manifest.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return entries


def jpeg_with_gps(img: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0131] = "Camera app 1.0"  # Software
    exif[0x0132] = "2026:01:02 10:20:30"  # DateTime
    gps = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    icc = b"\x00" * 128  # a (meaningless) ICC profile blob
    return jpeg_bytes(img, exif=exif.tobytes(), icc_profile=icc, comment=b"patient J. Doe, room 3")


# ------------------------------------------------------------------ people (from sample renders)


def find_samples(samples: Path = SAMPLES) -> list[tuple[Path, dict]]:
    """Sample renders with a JSON ground-truth sidecar (``x.jpg`` + ``x.json``), sorted."""
    out = []
    if not samples.is_dir():
        return out
    for p in sorted(samples.iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.with_suffix(".json").is_file():
            try:
                out.append((p, json.loads(p.with_suffix(".json").read_text(encoding="utf-8"))))
            except (ValueError, OSError):
                continue
    return out


def _usable(meta: dict) -> bool:
    cam = meta.get("camera", {})
    return (not cam.get("far_side") and abs(cam.get("yaw_deg", 0)) < 5 and abs(cam.get("roll_deg", 0)) < 1
            and not cam.get("helper") and not cam.get("small_subject") and cam.get("orientation", "landscape") == "landscape"
            and "truth_image" in meta and "keypoints_px" in meta)


def build_people(dest: Path, samples: Path = SAMPLES, max_side: int = 640) -> list[dict]:
    """Person inputs made from one sample render (a normal, level, side-on landscape one)."""
    found = [(p, m) for p, m in find_samples(samples) if _usable(m)]
    found.sort(key=lambda pm: ("normal" not in pm[0].name, pm[0].name))
    if not found:
        return []
    src, meta = found[0]
    truth = {k: meta["truth_image"][k] for k in ("thigh_angle_deg", "knee_flexion_deg")}
    orig = Image.open(src).convert("RGB")
    img = orig.copy()
    img.thumbnail((max_side, max_side))
    f = img.width / orig.width
    kp = {k: (v[0] * f, v[1] * f) for k, v in meta["keypoints_px"].items()}
    side = meta["tested_side"]
    d = dest / "people"
    d.mkdir(parents=True, exist_ok=True)
    entries = []

    def put(rel, im: Image.Image, **expect):
        im.save(d / rel, quality=88)
        entries.append(dict(path=f"people/{rel}", kind="image", source=src.name, **expect))

    put("lying.jpg", img, note="a person in the test position (a sample render, downscaled)", measure=True, truth=truth)
    # a phone photo stored on its side with EXIF orientation 6: must measure like the upright one
    exif = Image.Exif()
    exif[0x0112] = 6
    img.transpose(Image.Transpose.ROTATE_90).save(d / "lying_exif6.jpg", quality=88, exif=exif.tobytes())
    entries.append(dict(path="people/lying_exif6.jpg", kind="image", source=src.name, measure=True, truth=truth,
                        note="the same photo stored on its side, EXIF orientation 6"))
    put("standing.jpg", img.transpose(Image.Transpose.ROTATE_270),
        note="the same person turned upright: standing, not lying",
        error=["not_test_position", "landmark_not_visible", "no_person_found"])
    # legs cut off: the frame edge runs through the tested thigh, knee and shank outside
    hx, kx = kp[f"{side}_hip"][0], kp[f"{side}_knee"][0]
    cut = hx + 0.45 * (kx - hx)
    box = (int(cut), 0, img.width, img.height) if kx < hx else (0, 0, int(cut), img.height)
    put("legs_cut.jpg", img.crop(box), note="the hanging leg cut off by the frame edge above the knee",
        error=["landmark_not_visible", "not_test_position", "no_person_found"], measure_ok_allowed=True)
    # two people: a standing person beside the lying subject (the legs' end of the table)
    w, h = img.size
    person = img.crop((int(min(kp[f"{side}_hip"][0], kp[f"{side}_ankle"][0]) - 20), 0, w, h)) if kx < hx else img
    standing = person.transpose(Image.Transpose.ROTATE_270)
    standing.thumbnail((h, h))
    two = Image.new("RGB", (w + standing.width, h), (205, 200, 185))
    if kx < hx:  # legs on the left: the helper stands on the left
        two.paste(standing, (0, 0))
        two.paste(img, (standing.width, 0))
    else:
        two.paste(img, (0, 0))
        two.paste(standing, (w, 0))
    put("two_people.jpg", two, note="the lying subject and a standing person beside the table",
        error=["not_test_position", "landmark_not_visible"], measure_ok_allowed=True, truth=truth)
    return entries


# ------------------------------------------------------------------ made at test time


def make_awkward_folder(root: Path, data: Path = DATA) -> dict:
    """A clinic-like folder for ``batch``: corpus images, a symlink loop, a dangling link,
    a FIFO named .jpg, a name that is not UTF-8, a name with a newline, nested folders.
    Returns {kind: relative path} for the awkward ones."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    for e in manifest:
        if e["kind"] == "image" and not e.get("heic"):
            dst = root / Path(e["path"]).name
            if dst.suffix.lower() in (".jpg", ".jpeg", ".png", ".gif", ".tif", ".webp", ".bmp", ".heic"):
                shutil.copyfile(data / e["path"], dst)
    (root / "sub folder" / "deeper").mkdir(parents=True)
    shutil.copyfile(data / "images/no_person.jpg", root / "sub folder" / "deeper" / "nested.jpg")
    os.symlink(".", root / "sub folder" / "loop")  # a symlink loop
    os.symlink("..", root / "sub folder" / "deeper" / "up")
    os.symlink("does-not-exist.jpg", root / "dangling.jpg")
    os.mkfifo(root / "fifo.jpg")  # reading it would block forever
    raw = os.fsencode(root) + b"/caf\xe9_latin1.jpg"  # not valid UTF-8
    with open(raw, "wb") as fh:
        fh.write((data / "images/no_person.jpg").read_bytes())
    (root / "new\nline.jpg").write_bytes((data / "images/no_person.jpg").read_bytes())
    (root / "folder.jpg").mkdir()  # a folder named like a photo
    (root / ".hidden.jpg").write_bytes(b"ignored")
    (root / "readme.txt").write_text("ignored")
    return {"loop": "sub folder/loop", "dangling": "dangling.jpg", "fifo": "fifo.jpg", "latin1": "caf\\xe9_latin1.jpg",
            "newline": "new\\nline.jpg"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--samples", type=Path, default=SAMPLES)
    args = ap.parse_args(argv)
    entries = build(args.out, args.samples)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"{len(entries)} inputs, {total / 1024:.0f} KiB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
