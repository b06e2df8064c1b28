"""Issue 18's attacks on batch and files, run against a checkout: how many are handled
cleanly, crash, hang, or lose / mix up data (or write unsafe output).

    python benchmarks/attacks.py                       # this checkout
    python benchmarks/attacks.py --tree /tmp/old      # another (git archive 78d5249 thomas_cv | tar -x -C /tmp/old)

Each attack runs in its own subprocess with a time limit (a hang is a hang), using only the
API both old and new versions have (``run_batch``, ``load_image``) and a fake pose model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60

PRELUDE = textwrap.dedent('''
    import csv, io, json, os, sys, time, zipfile, struct, zlib
    from functools import partial
    from pathlib import Path
    import numpy as np
    from PIL import Image
    from synthetic_landmarks import FakeEstimator, make_landmarks
    from thomas_cv.pipeline.photo import Horizon
    from thomas_cv.batch import run_batch as _rb
    def run_batch(*a, **k):  # the image axis: no table-edge search (OpenCV 5 broke it on 78d5249)
        k.setdefault("horizon", Horizon("image"))
        return _rb(*a, **k)
    W = Path(sys.argv[1])
    factory = partial(FakeEstimator, make_landmarks(thigh=8.0, knee=85.0))
    def photo(p, c=(120, 120, 120)):
        p.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((300, 400, 3), c, np.uint8)).save(p)
    def rows(out):
        with open(out / "results.csv", encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    def verdict(v, why=""):
        print(json.dumps({"verdict": v, "why": why})); sys.exit(0)
''')

ATTACKS = {
    "colliding names, 2 workers (p.jpg/p.png/p.tif, a/b.jpg vs a__b.jpg)": '''
        cols = {"p.jpg": (200, 40, 40), "p.png": (40, 200, 40), "p.tif": (40, 40, 200), "a/b.jpg": (200, 200, 40), "a__b.jpg": (40, 200, 200)}
        for r, c in cols.items(): photo(W / "src" / r, c)
        run_batch(W / "src", W / "out", workers=2, estimator_factory=factory, blur_faces=False)
        rs = rows(W / "out")
        ov = [r["overlay"] for r in rs if r["ok"] == "True"]
        verdict("clean" if len(ov) == 5 and len(set(ov)) == 5 else "data", f"{len(set(ov))} overlays for {len(rs)} rows, {sum(r['ok'] == 'True' for r in rs)} measured")
    ''',
    "overlay name over 255 bytes": '''
        photo(W / "src" / ("n" * 240 + ".png"))
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        r = rows(W / "out")[0]
        verdict("clean" if r["ok"] == "True" else "data", r.get("error_code") or "")
    ''',
    "file names starting with = + - @ (CSV formula injection)": '''
        for n in ("=1+1.png", "+a.png", "-b.png", "@c.png"): photo(W / "src" / n)
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        bad = [r["file"] for r in rows(W / "out") if r["file"][:1] in "=+-@"]
        verdict("clean" if not bad else "unsafe", f"{len(bad)} raw formula cells")
    ''',
    "folder tree 1000 levels deep": '''
        photo(W / "src" / "top.png")
        d = W / "src"
        for _ in range(1000):
            d = d / "d"; os.mkdir(d)
        photo(d / "deep.png")
        try:
            run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        except RecursionError as e:
            verdict("crash", "RecursionError")
        verdict("clean", f"{len(rows(W / 'out'))} rows")
    ''',
    "zip with a photo 1000 folders deep, then a second batch into the same --out": '''
        z = W / "deep.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("ok.png", (lambda b: (Image.new("RGB", (400, 300)).save(b, "PNG"), b.getvalue())[1])(io.BytesIO()))
            zf.writestr("d/" * 1000 + "deep.png", b"x")
        try:
            run_batch(z, W / "out", workers=1, estimator_factory=factory)
        except RecursionError:
            pass
        except Exception as e:
            pass
        try:
            run_batch(z, W / "out2", workers=1, estimator_factory=factory)
            run_batch(z, W / "out", workers=1, estimator_factory=factory, resume=True)
        except (RecursionError, OSError) as e:
            verdict("crash", type(e).__name__)
        verdict("clean", "")
    ''',
    "zip bomb hidden by an entry declaring a 2 GB compressed size": '''
        from make_bad_inputs import zip_with_lying_entry
        z = W / "lying.zip"; z.write_bytes(zip_with_lying_entry(b""))
        try:
            run_batch(z, W / "out", workers=1, estimator_factory=factory)
        except Exception as e:
            verdict("clean" if "unsafe" in type(e).__name__.lower() or getattr(e, "code", "") == "unsafe_archive" else "crash", type(e).__name__)
        verdict("unsafe", "the bomb was unpacked and measured")
    ''',
    "progressive JPEG repeating one scan (48 MP, 300 extra scans, 0.1 MB)": '''
        from make_bad_inputs import jpeg_many_scans
        from thomas_cv.media import load_image
        p = W / "scans.jpg"; p.write_bytes(jpeg_many_scans((8000, 6000), 300))
        t0 = time.process_time()
        try:
            load_image(p)
        except Exception as e:
            pass
        dt = time.process_time() - t0
        verdict("clean" if dt < 3 else "hang", f"{dt:.1f} s CPU for {p.stat().st_size // 1024} KB")
    ''',
    "40 MP float TIFF (peak memory of one decode)": '''
        import resource
        from thomas_cv.media import load_image
        ramp = np.linspace(0, 1, 7300, dtype=np.float32)[None, :] * np.linspace(0.2, 1, 5500, dtype=np.float32)[:, None]
        Image.fromarray(ramp).save(W / "f.tif", compression="tiff_deflate"); del ramp
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            load_image(W / "f.tif")
        except Exception as e:
            pass
        mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        verdict("clean" if mb < 600 else "memory", f"peak RSS {mb:.0f} MB")
    ''',
    "a photo that hangs its worker (no per-file limit?)": '''
        import hang_helper
        for i in range(3): photo(W / "src" / f"ok{i}.png")
        photo(W / "src" / "hang.png", (255, 0, 0))
        kw = {"time_limit": 5} if "time_limit" in _rb.__code__.co_varnames else {}
        run_batch(W / "src", W / "out", workers=2, estimator_factory=hang_helper.factory, **kw)
        rs = {r["file"]: r for r in rows(W / "out")}
        verdict("clean" if rs.get("hang.png", {}).get("error_code") == "timeout" else "data", "")
    ''',
    "--out inside the input folder, second batch into another --out inside it": '''
        for i in range(3): photo(W / "src" / f"p{i}.png")
        run_batch(W / "src", W / "src" / "out1", workers=1, estimator_factory=factory)
        run_batch(W / "src", W / "src" / "out2", workers=1, estimator_factory=factory)
        measured = [r["file"] for r in rows(W / "src" / "out2") if r["ok"] == "True"]
        verdict("clean" if len(measured) == 3 else "data", f"{len(measured)} measured (3 photos)")
    ''',
    "resume with another --side": '''
        for i in range(4): photo(W / "src" / f"p{i}.png")
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory, side="left")
        res = W / "out" / "results.csv"
        lines = res.read_text(encoding="utf-8").splitlines(keepends=True)
        res.write_text("".join(lines[:3]), encoding="utf-8")
        for j in W.joinpath("out").glob("*.jsonl"):
            jl = j.read_text(encoding="utf-8").splitlines(keepends=True); j.write_text("".join(jl[:3]), encoding="utf-8")
        try:
            run_batch(W / "src", W / "out", workers=1, estimator_factory=factory, side="right", resume=True)
        except Exception as e:
            verdict("clean" if "side" in str(e) else "crash", type(e).__name__)
        verdict("data", "two sides mixed in one results.csv, silently")
    ''',
    "resume after a spreadsheet saved results.csv (BOM, ';')": '''
        for i in range(4): photo(W / "src" / f"p{i}.png")
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        res = W / "out" / "results.csv"
        res.write_bytes(b"\\xef\\xbb\\xbf" + res.read_bytes().replace(b",", b";"))
        try:
            s = run_batch(W / "src", W / "out", workers=1, estimator_factory=factory, resume=True)
        except Exception as e:
            verdict("crash", type(e).__name__)
        with open(res, encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for _ in fh) - 1
        verdict("clean" if n == 4 else "data", f"{n} rows for 4 photos")
    ''',
    "symlinked folder, .jfif and .avif files": '''
        photo(W / "src" / "a.png")
        photo(W / "elsewhere" / "b.png")
        os.symlink(W / "elsewhere", W / "src" / "linked")
        Image.new("RGB", (400, 300)).save(W / "src" / "c.jfif", "JPEG")
        (W / "src" / "d.jxl").write_bytes(b"\\xff\\x0a")
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        files = {r["file"] for r in rows(W / "out")}
        miss = [f for f in ("linked/", "c.jfif", "d.jxl") if f not in files]
        verdict("clean" if not miss else "data", "no row for " + ", ".join(miss) if miss else "")
    ''',
    "an EPS named .jpg (reaches the Ghostscript plug-in?)": '''
        from PIL import EpsImagePlugin
        called = []
        EpsImagePlugin.Ghostscript = lambda *a, **k: called.append(1) or (_ for _ in ()).throw(OSError("gs"))
        from thomas_cv.media import load_image
        p = W / "x.jpg"
        p.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\\n%%BoundingBox: 0 0 320 240\\n%%EndComments\\nshowpage\\n%%EOF\\n")
        try:
            load_image(p)
        except Exception:
            pass
        from PIL import Image as I
        opened = []
        try:
            I.open(p, formats=None).format
        except Exception:
            pass
        import thomas_cv.media as M
        verdict("clean" if hasattr(M, "ALLOWED_FORMATS") and "EPS" not in M.ALLOWED_FORMATS and not called else "unsafe", "")
    ''',
    "stray files left in --out (the empty .lock)": '''
        photo(W / "src" / "a.png")
        run_batch(W / "src", W / "out", workers=1, estimator_factory=factory)
        stray = [p.name for p in (W / "out").iterdir() if p.name in (".lock",) or p.name.endswith(".part")]
        verdict("clean" if not stray else "data", ", ".join(stray))
    ''',
}

HANG_HELPER = '''
import time
from synthetic_landmarks import FakeEstimator, make_landmarks
class Slow(FakeEstimator):
    def estimate(self, rgb, **kw):
        if tuple(int(v) for v in rgb[0, 0]) == (255, 0, 0):
            time.sleep(3600)
        return super().estimate(rgb)
def factory():
    return Slow(make_landmarks(thigh=8.0, knee=85.0))
'''


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=ROOT, help="checkout whose thomas_cv is attacked")
    args = ap.parse_args(argv)
    import tempfile

    counts: dict = {}
    print(f"attacks on {args.tree}")
    for name, body in ATTACKS.items():
        with tempfile.TemporaryDirectory(prefix="thomas-cv-attack-") as tmp:
            helper = Path(tmp, "lib")
            helper.mkdir()
            (helper / "hang_helper.py").write_text(HANG_HELPER)
            work = Path(tmp, "w")
            work.mkdir()
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(args.tree), str(ROOT / "tests"), str(helper)]),
                       PYTHONDONTWRITEBYTECODE="1")
            code = PRELUDE + textwrap.dedent(body)
            try:
                p = subprocess.run([sys.executable, "-c", code, str(work)], capture_output=True, text=True,
                                   timeout=LIMIT_S, env=env, cwd=tmp, start_new_session=True)
                lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
                res = json.loads(lines[-1]) if lines else {"verdict": "crash",
                                                           "why": (p.stderr.strip().splitlines() or ["?"])[-1][:100]}
            except subprocess.TimeoutExpired:
                res = {"verdict": "hang", "why": f"still running after {LIMIT_S} s"}
            finally:
                # a 1000-deep tree defeats the recursive clean-up of TemporaryDirectory
                sys.path.insert(0, str(ROOT))
                from thomas_cv.outputs import remove_tree

                remove_tree(work)
        counts[res["verdict"]] = counts.get(res["verdict"], 0) + 1
        print(f"  {res['verdict']:<7} {name}  {res.get('why', '')}")
    total = sum(counts.values())
    print(f"{total} attacks: {counts.get('clean', 0)} handled cleanly, {counts.get('crash', 0)} crashed, "
          f"{counts.get('hang', 0)} hung, {counts.get('data', 0)} lost or mixed up data, "
          f"{counts.get('unsafe', 0)} unsafe output, {counts.get('memory', 0)} unbounded memory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
