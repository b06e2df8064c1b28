"""The ``thomas-cv`` command line: thin wiring over :mod:`thomas_cv.analyze`, no maths.

Heavy modules (mediapipe, OpenCV, pandas) are imported inside the commands so that
``thomas-cv --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

DISCLAIMER = "thomas-cv is a measurement aid, not a diagnosis."
EPILOG = (
    "Angles: thigh_angle_deg > 0 = knee below the hip (0 = parallel to the table, +10 optimal); "
    "knee_flexion_deg 0 = straight leg, about 90 normal. " + DISCLAIMER
)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--side", choices=["left", "right"], help="tested (hanging) leg; found automatically if omitted")
    p.add_argument(
        "--horizon",
        default="auto",
        help="horizontal reference: 'auto' (default: the table edge found in the photo, else the image x axis), "
        "'image' (the image x axis), an angle in degrees that a level line "
        "makes with the image x axis (counter-clockwise positive), or two points on the table edge X1,Y1,X2,Y2",
    )
    p.add_argument("--pain", choices=["hip", "knee"], help="pain felt in the test position: rule out a joint problem first")
    p.add_argument("--model", metavar="PATH", help="a MediaPipe pose landmarker .task file to use instead of the bundled model")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="thomas-cv",
        description="Measure the Thomas test (hip-flexor length) from side-view photos and videos.",
        epilog=EPILOG,
    )
    ap.add_argument("--version", action="version", version="thomas-cv 0.1.0")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser("measure", help="measure one or more photos", epilog=EPILOG)
    m.add_argument("photos", nargs="+", metavar="PHOTO")
    _common(m)
    m.add_argument("--out", metavar="DIR", help="save overlays and results.json here")
    m.add_argument("--overlay-format", choices=["png", "jpg"], default="png",
                   help="overlay image format with --out (png: lossless, default; jpg: 15x faster to write)")
    m.add_argument("--format", choices=["table", "json", "csv"], default="table")
    m.add_argument("--blur-faces", action="store_true", help="blur the face in saved overlays")
    m.add_argument("--no-flip", dest="flip", action="store_false",
                   help="skip the test-time flip (measuring the mirror image too): twice as fast, a little less accurate")

    b = sub.add_parser("batch", help="measure every photo in a folder or zip into a table", epilog=EPILOG)
    b.add_argument("source", metavar="DIR_OR_ZIP")
    b.add_argument("--out", metavar="DIR", required=True)
    b.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--resume", action="store_true", help="continue a batch: skip files already in results.csv")
    _common(b)
    b.add_argument("--no-overlays", action="store_true", help="do not save overlay images")
    b.add_argument("--no-flip", dest="flip", action="store_false",
                   help="skip the test-time flip (measuring the mirror image too): twice as fast, a little less accurate")
    b.add_argument("--no-blur-faces", action="store_true", help="keep faces sharp in saved overlays (blurred by default)")
    b.add_argument("--executor", choices=["local", "dask"], default="local")
    b.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")

    v = sub.add_parser("video", help="measure a clip: per-frame series and the held test position", epilog=EPILOG)
    v.add_argument("clip", metavar="CLIP")
    v.add_argument("--out", metavar="DIR", required=True)
    _common(v)
    v.add_argument("--format", choices=["table", "json"], default="table")

    a = sub.add_parser("app", help="open the web app (extra options go to Streamlit)", add_help=True)
    a.description = "Open the web app. Any further options go to Streamlit, e.g. --server.port 8600 --server.headless true"
    return ap


# ---------------------------------------------------------------- output formatting


def _fmt(v, unit=" deg") -> str:
    return "-" if v is None else f"{v:+.1f}{unit}" if unit else str(v)


def format_table(d: dict) -> str:
    """Human-readable block for one result dict (the output contract)."""
    lines = [f"{d['file']}"]
    if not d["ok"]:
        lines.append(f"  ERROR [{d['error_code']}]: {d['error']}")
        return "\n".join(lines)
    lines.append(f"  tested side      {d['side']}  (head towards image {d['head_towards']}), confidence {d['confidence']:.2f}")
    lines.append(
        f"  thigh angle      {_fmt(d['thigh_angle_deg'])} +/- {d['thigh_angle_uncertainty_deg']:.0f}"
        "   (+ = knee below hip; 0 parallel, +10 optimal)"
    )
    lines.append(
        f"  knee flexion     {d['knee_flexion_deg']:.1f} deg +/- {d['knee_flexion_uncertainty_deg']:.0f}"
        f"   (inner angle {d['knee_inner_angle_deg']:.1f}; 80+ normal)"
    )
    lines.append(f"  hip ext. to trunk {_fmt(d['hip_extension_to_trunk_deg'])}   hugged hip flexion {d['hugged_hip_flexion_deg']:.1f} deg")
    lines.append(f"  horizontal ref.  {d['horizon_source']} ({d['horizon_deg']:+.1f} deg)")
    for mu, f in d["findings"].items():
        lines.append(f"  {mu:<15} {f['status'].upper():<15} {f['reason']}")
    for code in d["flags"]:
        lines.append(f"  ! {code}")
    for n in d.get("notes", []):
        lines.append(f"  note: {n}")
    return "\n".join(lines)


def _emit(results: list[dict], fmt: str, out=sys.stdout) -> None:
    if fmt == "json":
        for d in results:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv

        from .batch import columns

        w = csv.DictWriter(out, [c for c in columns() if c != "overlay"], extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for d in results:
            row = dict(d)
            row["flags"] = ";".join(d["flags"])
            for mu, f in d["findings"].items():
                row[f"{mu}_status"] = f["status"]
            w.writerow(row)
    else:
        for d in results:
            out.write(format_table(d) + "\n\n")
        out.write(DISCLAIMER + "\n")


# ---------------------------------------------------------------- commands


def _horizon(text):
    from .analyze import Horizon

    return Horizon.parse(text)


def cmd_measure(args) -> int:
    from .analyze import iter_analyze
    from .media import save_image
    from .pose import make_estimator

    horizon = _horizon(args.horizon)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)  # results.json is written even if no overlay is
    results = []
    used: set = set()
    pending: list = []
    ext = args.overlay_format
    from concurrent.futures import ThreadPoolExecutor

    # overlays are encoded and written in a background thread while the model measures the next photo
    with make_estimator(args.model, static=True) as est, ThreadPoolExecutor(1, thread_name_prefix="thomas-cv-write") as writer:
        for photo, res in zip(args.photos, iter_analyze(
            args.photos, est, side=args.side, horizon=horizon, pain=args.pain, with_overlay=out is not None,
            flip=args.flip,
        )):
            d = res.to_dict()
            if out is not None and res.overlay is not None:
                img = res.overlay
                if args.blur_faces and res.landmarks is not None:
                    from .privacy import blur_faces

                    img = blur_faces(img, res.landmarks)
                name, k = f"{Path(photo).stem}_overlay.{ext}", 1
                while name in used:  # a/p.jpg and b/p.jpg: both overlays kept
                    k += 1
                    name = f"{Path(photo).stem}_{k}_overlay.{ext}"
                used.add(name)
                d["overlay"] = str(out / name)
                pending.append(writer.submit(save_image, img, out / name))
            results.append(d)
        for f in pending:
            f.result()  # surface any write error
    if out is not None:
        (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8", errors="backslashreplace")
    _emit(results, args.format)
    return 0 if all(d["ok"] for d in results) else 1


def cmd_batch(args) -> int:
    from tqdm import tqdm

    from .batch import run_batch

    def bar(it, total):
        return tqdm(it, total=total, unit="photo", desc="measuring", file=sys.stderr, disable=None)

    s = run_batch(
        Path(args.source), Path(args.out), workers=args.workers, resume=args.resume, side=args.side,
        horizon=_horizon(args.horizon), pain=args.pain, model=args.model, overlays=not args.no_overlays,
        blur_faces=not args.no_blur_faces, progress=bar, executor=args.executor, scheduler=args.scheduler,
        flip=args.flip,
    )
    print(
        f"{s.total} photos: {s.measured} measured, {s.failed} failed"
        + (f", {s.skipped} already done (resumed)" if s.skipped else "")
        + f". Results: {s.out_dir / 'results.csv'}"
        + (f"; failures and reasons: {s.out_dir / 'failures.csv'}" if s.failed else "")
    )
    print(DISCLAIMER)
    return s.exit_code


def cmd_video(args) -> int:
    import csv

    from tqdm import tqdm

    from .media import save_image
    from .pose import make_estimator
    from .video import analyze_video

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bar = tqdm(unit="frame", desc="measuring", file=sys.stderr, disable=None)

    def progress(done, total):
        bar.total = total or None
        bar.update(done - bar.n)

    with make_estimator(args.model, static=False) as est:
        vr = analyze_video(args.clip, est, side=args.side, horizon=_horizon(args.horizon), pain=args.pain, progress=progress)
    bar.close()
    with open(out / "frames.csv", "w", newline="", encoding="utf-8") as fh:
        keys = list(dict.fromkeys(k for r in vr.frames for k in r))
        w = csv.DictWriter(fh, keys, lineterminator="\n")
        w.writeheader()
        w.writerows(vr.frames)
    d = vr.to_dict()
    if vr.result.overlay is not None:
        d["overlay"] = str(save_image(vr.result.overlay, out / "overlay.png"))
    (out / "result.json").write_text(json.dumps(d, indent=2, ensure_ascii=False), encoding="utf-8", errors="backslashreplace")
    if args.format == "json":
        print(json.dumps(d, ensure_ascii=False))
    else:
        print(format_table(d))
        if vr.stretch is not None:
            st = vr.stretch
            print(f"  test position held {st.start_s:.2f}-{st.end_s:.2f} s (frames {st.start}-{st.end}); median over it")
        print(f"  per-frame series: {out / 'frames.csv'}")
        print(DISCLAIMER)
    return 0 if vr.result.ok else 1


def cmd_app(args) -> int:
    from streamlit.web import cli as stcli

    import os

    # Privacy defaults wherever the app is started from (the repo's .streamlit/config.toml is
    # only read from its own folder): no usage statistics, only this computer, 200 MB uploads.
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    os.environ.setdefault("STREAMLIT_SERVER_ADDRESS", "localhost")
    os.environ.setdefault("STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "200")
    script = Path(__file__).with_name("webapp.py")
    sys.argv = ["streamlit", "run", str(script), *args.streamlit_args]
    return int(stcli.main() or 0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = build_parser()
    args, extra = ap.parse_known_args(argv)
    if args.command == "app":  # everything after 'app' belongs to Streamlit
        args.streamlit_args = [a for a in extra if a != "--"] if extra[:1] != ["--"] else extra[1:]
    elif extra:
        ap.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        ap.print_help()
        return 2
    import os

    from .errors import ThomasCVError

    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 print escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return {"measure": cmd_measure, "batch": cmd_batch, "video": cmd_video, "app": cmd_app}[args.command](args)
    except ThomasCVError as exc:
        print(f"thomas-cv: error [{exc.code}]: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thomas-cv: interrupted; with batch, rerun with --resume to continue.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, details on request
        if os.environ.get("THOMAS_CV_DEBUG"):
            raise
        msg = " ".join(str(exc).split())[:200]
        print(f"thomas-cv: error [internal_error]: unexpected failure ({exc.__class__.__name__}: {msg}). "
              "Please report it; set THOMAS_CV_DEBUG=1 to see the details.", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
