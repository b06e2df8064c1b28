"""The ``thomas-cv`` command line: thin wiring over :mod:`thomas_cv.pipeline.photo`, no maths.

Heavy modules (mediapipe, OpenCV, pandas) are imported inside the commands so that
``thomas-cv --help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

DISCLAIMER = "thomas-cv is a measurement aid, not a diagnosis."
EPILOG = (
    "Angles: thigh_angle_deg > 0 = knee below the hip (0 = parallel to the table, +10 optimal); "
    "knee_flexion_deg 0 = straight leg, about 90 normal. " + DISCLAIMER
)


def _landmarks_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--landmarks", metavar="FILE.json", help="points placed or corrected by hand: a JSON file as 'measure "
                   "--format json' writes it (its 'landmarks' field, image pixels; a side + front result's "
                   "'front_landmarks' for the front photo), matched to the photos (side and front) by file name; "
                   "the result is marked corrected and keeps the model's own reading beside it")


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
    p.add_argument("--model", metavar="NAME_OR_PATH", help="bundled model: heavy (default for photos) or full (default for video); or a MediaPipe pose landmarker .task file")


def _looks(p: argparse.ArgumentParser) -> None:
    """How many looks a photo gets: one option, one help text, for measure, assess and batch.
    (No ``--fast`` preset: the full model with one look was measured at 0.78x the default's time
    but with fewer photos read, 2% wrong sides and a finding the wrong way: README, "Accuracy
    and speed".)"""
    p.add_argument("--no-flip", dest="flip", action="store_false",
                   help="never look at the mirror image (by default it is looked at only when the first look is "
                        "doubtful: a leg joint seen with visibility under 0.98, or no reading)")


def _blur(p: argparse.ArgumentParser) -> None:
    """One face-blur default for every saved image: on."""
    p.add_argument("--no-blur-faces", dest="blur_faces", action="store_false",
                   help="keep faces sharp in saved images (every face found is blurred by default)")
    p.add_argument("--blur-faces", dest="blur_faces", action="store_true", help=argparse.SUPPRESS)  # the default


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
    m.add_argument("--overlay-format", choices=["jpg", "png"], default="jpg",
                   help="overlay image format with --out (jpg: default, about 6 ms a photo to encode; "
                        "png: lossless, about 85 ms)")
    m.add_argument("--format", choices=["table", "json", "csv"], default="table")
    _blur(m)
    _looks(m)
    m.add_argument("--front", metavar="FRONT_PHOTO",
                   help="a front photo of the same test (from the foot end of the table): adds TFL / IT band and "
                        "sartorius, and corrects the side angles in 3-D (one side PHOTO only)")
    _landmarks_option(m)

    s = sub.add_parser(
        "assess", help="assess both legs of one person: report.pdf, report.html, assessment.json/.csv, FHIR",
        epilog="Batch: give photos (or a folder) instead of --left/--right; NAME_left.jpg and NAME_right.jpg "
        "(also NAME-left / 'NAME left', any case) form one assessment written to OUT/NAME/; NAME_left_front.jpg "
        "and NAME_right_front.jpg add that leg's front photo; photos without a partner are assessed alone. "
        + DISCLAIMER)
    s.add_argument("photos", nargs="*", metavar="PHOTO_OR_DIR", help="batch: photos or one folder, paired by name")
    s.add_argument("--left", metavar="PHOTO", help="side photo of the left leg hanging (tested)")
    s.add_argument("--right", metavar="PHOTO", help="side photo of the right leg hanging (tested)")
    s.add_argument("--front-left", metavar="PHOTO", help="front view of the left leg hanging (from the foot end or "
                   "above): adds TFL / IT band and sartorius and corrects the side angles in 3-D")
    s.add_argument("--front-right", metavar="PHOTO", help="front view of the right leg hanging (as --front-left)")
    s.add_argument("--person", metavar="ID", help="person ID (a pseudonym is best); needed with --save")
    s.add_argument("--date", metavar="YYYY-MM-DD", help="day of the test (default: today)")
    s.add_argument("--out", metavar="DIR", help="where to write the report (default: ./assessment_PERSON_DATE)")
    s.add_argument("--save", action="store_true", help="store the assessment in the history database "
                   "(nothing is stored without this)")
    s.add_argument("--db", metavar="PATH", help="history database file (default: in your user data folder)")
    s.add_argument("--horizon", default="auto", help="horizontal reference, as for 'measure'")
    s.add_argument("--pain-left", choices=["hip", "knee"], help="pain felt in the test position, left leg tested")
    s.add_argument("--pain-right", choices=["hip", "knee"], help="pain felt in the test position, right leg tested")
    s.add_argument("--model", metavar="PATH", help="a MediaPipe pose landmarker .task file instead of the bundled model")
    _blur(s)
    _looks(s)
    s.add_argument("--format", choices=["table", "json"], default="table")
    _landmarks_option(s)

    hs = sub.add_parser("history", help="a person's saved assessments over time; export or delete them",
                        epilog=DISCLAIMER)
    hs.add_argument("person", metavar="PERSON")
    hs.add_argument("--db", metavar="PATH", help="history database file (default: in your user data folder)")
    hs.add_argument("--export", metavar="FILE", help="write everything stored about PERSON to FILE (.json: full "
                    "assessments; .csv: one row per date, side and angle)")
    hs.add_argument("--delete", action="store_true", help="delete everything stored about PERSON")
    hs.add_argument("--yes", action="store_true", help="with --delete: do not ask for confirmation")

    b = sub.add_parser("batch", help="measure every photo in a folder or zip into a table", epilog=EPILOG)
    b.add_argument("source", metavar="DIR_OR_ZIP")
    b.add_argument("--out", metavar="DIR", required=True)
    b.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    b.add_argument("--resume", action="store_true",
                   help="continue a batch from its journal (same options): skip the files already done")
    b.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop a file that takes longer than this (a 'timeout' row; default 60)")
    _common(b)
    b.add_argument("--no-overlays", action="store_true", help="do not save overlay images")
    _looks(b)
    _blur(b)
    b.add_argument("--executor", choices=["local", "dask"], default="local")
    b.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")

    v = sub.add_parser("video", help="measure a clip: per-frame series and the held test position", epilog=EPILOG)
    v.add_argument("clip", metavar="CLIP")
    v.add_argument("--out", metavar="DIR", required=True)
    _common(v)
    v.add_argument("--format", choices=["table", "json"], default="table")
    _blur(v)

    a = sub.add_parser("app", help="open the web app (extra options go to Streamlit)", add_help=True)
    a.description = "Open the web app. Any further options go to Streamlit, e.g. --server.port 8600 --server.headless true"
    return ap


# ---------------------------------------------------------------- output formatting


def _fmt(v, unit=" deg") -> str:
    return "-" if v is None else f"{v:+.1f}{unit}" if unit else str(v)


def _by_hand(what: str, reading) -> str:
    """One line: points placed by hand, and the model's own reading of the same photo."""
    r = reading or {}
    if not reading:
        model = "none"
    elif not r.get("ok", True):
        model = f"none [{r.get('error_code')}]"
    elif r.get("thigh_angle_deg") is not None:
        model = f"thigh {_fmt(r['thigh_angle_deg'])}, knee flexion {r['knee_flexion_deg']:.1f} deg"
    else:
        model = f"abduction {_fmt(r.get('thigh_abduction_deg'))}, shank deviation {_fmt(r.get('shank_deviation_deg'))}"
    return f"  {what:<16} points placed by hand (the model's own reading: {model})"


def format_table(d: dict) -> str:
    """Human-readable block for one result dict (the output contract)."""
    from .outputs import display_name

    lines = [display_name(str(d["file"])) + (f" + {display_name(str(d['front_file']))}" if d.get("front_file") else "")]
    if not d["ok"]:
        lines.append(f"  ERROR [{d['error_code']}]: {d['error']}")
        return "\n".join(lines)
    front_lines = []
    if d.get("thigh_abduction_deg") is not None:
        front_lines = [
            f"  thigh abduction  {_fmt(d['thigh_abduction_deg'])} +/- {d['thigh_abduction_uncertainty_deg']:.0f}"
            "   (front view; + = knee away from the midline)",
            f"  shank deviation  {_fmt(d['shank_deviation_deg'])} +/- {d['shank_deviation_uncertainty_deg']:.0f}"
            "   (+ = foot swung outwards = hip turned in)",
        ]
    if d.get("view") == "front":
        lines.append(f"  tested side      {d['side']}  (front view, {d['view_place'].replace('_', ' ')}), "
                     f"confidence {d['confidence']:.2f}")
        lines += front_lines
        if d.get("corrected"):
            lines.append(_by_hand("front photo", d.get("model_reading")))
        return "\n".join(lines + _findings_lines(d))
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
    if d.get("corrected"):
        lines.append(_by_hand("side photo", d.get("model_reading")))
    lines += front_lines
    if d.get("front_corrected"):
        lines.append(_by_hand("front photo", d.get("front_model_reading")))
    if d.get("front_error_code"):
        lines.append(f"  front photo      NOT MEASURED [{d['front_error_code']}]: {d['front_error']}")
    if d.get("thigh_angle_corrected_deg") is not None:
        lines.append(f"  in 3-D           thigh {_fmt(d['thigh_angle_corrected_deg'])}, knee flexion "
                     f"{d['knee_flexion_corrected_deg']:.1f} deg   (side angles corrected with the front view)")
    return "\n".join(lines + _findings_lines(d))


def _findings_lines(d: dict) -> list[str]:
    """Each muscle's finding, the flags and the notes: the end of both views' tables."""
    return ([f"  {mu:<15} {f['status'].upper():<15} {f['reason']}" for mu, f in d["findings"].items()]
            + [f"  ! {code}" for code in d["flags"]] + [f"  note: {n}" for n in d.get("notes", [])])


def _emit(results: list[dict], fmt: str, out=None) -> None:
    out = out or sys.stdout  # looked up now, not at import (a redirected stdout is honoured)
    if fmt == "json":
        for d in results:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        from .batch import columns
        from .outputs import csv_text, display_name

        rows = []
        for d in results:
            row = dict(d)
            row["file"] = display_name(str(d["file"]))
            row["flags"] = ";".join(d["flags"])
            for mu, f in d["findings"].items():
                row[f"{mu}_status"] = f["status"]
            rows.append(row)
        out.write(csv_text([c for c in columns() if c != "overlay"], rows))
    else:
        for d in results:
            out.write(format_table(d) + "\n\n")
        out.write(DISCLAIMER + "\n")


# ---------------------------------------------------------------- commands


def _horizon(text):
    from .pipeline.photo import Horizon

    return Horizon.parse(text)


def cmd_measure(args) -> int:
    from .pipeline.photo import iter_analyze
    from .media import save_image
    from .vision.pose import make_estimator

    from .outputs import ensure_dir, overlay_name, write_atomic

    horizon = _horizon(args.horizon)
    out = ensure_dir(args.out) if args.out else None  # results.json is written even if no overlay is
    results = []
    used: set = set()
    pending: list = []
    ext = args.overlay_format
    from concurrent.futures import ThreadPoolExecutor

    # overlays are encoded and written in a background thread while the model measures the next photo
    if args.front is not None and len(args.photos) != 1:
        from .core.errors import InvalidOptionError

        raise InvalidOptionError("--front goes with exactly one side photo: thomas-cv measure side.jpg --front front.jpg")
    table = _landmarks_table(args.landmarks, [*args.photos, *([args.front] if args.front else [])])

    def save(photo, img, landmarks, others=()):
        if args.blur_faces:
            from .vision.privacy import blur_faces

            img = blur_faces(img, landmarks, others)
        # the photo's own name; the same name twice (a/p.jpg, b/p.jpg): its whole path, hashed
        name = overlay_name(os.path.basename(photo), f"_overlay.{ext}")
        if name in used:
            name = overlay_name(os.path.abspath(photo), f"_overlay.{ext}")
        used.add(name)
        pending.append(writer.submit(save_image, img, out / name))
        return str(out / name)

    with make_estimator(args.model, static=True) as est, ThreadPoolExecutor(1, thread_name_prefix="thomas-cv-write") as writer:
        if args.front is not None:
            from .pipeline.photo import analyze_pair_paths
            from .clinic.assessment import landmarks_for

            pairs = [(args.photos[0], analyze_pair_paths(args.photos[0], args.front, est, side=args.side,
                                                         pain=args.pain, horizon=horizon, with_overlay=out is not None,
                                                         flip=args.flip,
                                                         landmarks=landmarks_for(args.photos[0], table, False),
                                                         front_landmarks=landmarks_for(args.front, table, False)))]
        else:
            pairs = zip(args.photos, iter_analyze(
                args.photos, est, side=args.side, horizon=horizon, pain=args.pain, with_overlay=out is not None,
                flip=args.flip,
            ))
        for photo, res in pairs:
            if table is not None and args.front is None:
                res = _corrected(photo, res, table, len(args.photos) == 1, args, horizon, with_overlay=out is not None)
            d = res.to_dict()
            if out is not None and res.overlay is not None:
                d["overlay"] = save(photo, res.overlay, res.landmarks, res.other_faces)
            if out is not None and res.front_overlay is not None:
                d["front_overlay"] = save(args.front, res.front_overlay, res.front_landmarks, res.front_other_faces)
            results.append(d)
        for f in pending:
            f.result()  # surface any write error
    if out is not None:
        write_atomic(out / "results.json", json.dumps(results, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace"))
    _emit(results, args.format)
    return 0 if all(d["ok"] for d in results) else 1


def _landmarks_table(path, photos, only=None):
    """The ``--landmarks`` file by photo name (None without one); an error when it holds points
    for none of ``photos`` (all photos measured, fronts included), rather than ignoring it.
    ``only``: whether the file's only entry goes with the only photo (default: one photo)."""
    if not path:
        return None
    from .clinic.assessment import landmarks_for, load_landmarks_file
    from .core.errors import InvalidOptionError

    table = load_landmarks_file(path)
    only = len(photos) == 1 if only is None else only
    if not any(landmarks_for(p, table, only) is not None for p in photos):
        names = ", ".join(sorted(repr(k) for k in table if k)) or "none"
        raise InvalidOptionError(f"--landmarks {path}: no points for {', '.join(os.path.basename(str(p)) for p in photos)} "
                                 f"(names in the file: {names}); set each entry's 'file' (or 'front_file') to the "
                                 "photo's file name.")
    return table


def _corrected(photo, res, table, only, args, horizon, with_overlay):
    """The result from the hand-corrected landmarks for ``photo`` (model's reading kept), or
    ``res`` itself when the file has none for it."""
    from .pipeline.photo import Result, analyze_corrected
    from .clinic.assessment import landmarks_for
    from .core.errors import ThomasCVError
    from .media import load_image

    lm = landmarks_for(photo, table, only)
    if lm is None:
        return res
    try:
        img = load_image(photo)
    except ThomasCVError as exc:
        return Result(file=res.file, error=exc, corrected=True, model_reading=res.reading() if res.ok else None)
    return analyze_corrected(img.rgb, lm, res, file=res.file, side=args.side, horizon=horizon, pain=args.pain,
                             with_overlay=with_overlay, focal_35mm=img.focal_35mm)


def _write_assessment(a, out: Path, blur: bool) -> dict:
    """report.pdf, report.html, assessment.json, assessment.csv and fhir.json into ``out``."""
    from .clinic import fhir, report

    out.mkdir(parents=True, exist_ok=True)
    files = {"pdf": out / "report.pdf", "html": out / "report.html", "json": out / "assessment.json",
             "csv": out / "assessment.csv", "fhir": out / "fhir.json"}
    _atomic_write(files["pdf"], report.to_pdf(a, blur_faces=blur))
    _atomic_write(files["html"], report.to_html(a, blur_faces=blur).encode("utf-8"))
    _atomic_write(files["json"], json.dumps(a.to_dict(), indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace"))
    _atomic_write(files["fhir"], json.dumps(fhir.to_bundle(a), indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace"))
    from .outputs import csv_text

    rows = a.rows()
    keys = list(dict.fromkeys(k for r in rows for k in r))
    _atomic_write(files["csv"], csv_text(keys, rows).encode("utf-8", "backslashreplace"))
    return files


def _atomic_write(path: Path, data: bytes) -> None:
    from .outputs import write_atomic

    write_atomic(path, data)


def _format_assessment(a) -> str:
    d = a.to_dict()
    lines = [f"Assessment: person {d['person'] or '-'}, {d['date']}"]
    for side in ("left", "right"):
        r = d["sides"][side]
        if r is None:
            lines.append(f"[{side}] not given")
            continue
        lines.append(f"[{side}]" + ("  (points corrected by hand)" if r.get("corrected") else ""))
        lines.append(format_table(r))
    lines.append("Left-right comparison:")
    for c in d["comparison"]:
        lines.append(f"  {c['muscle']:<15} {c['note']}")
    lines.append("What usually follows:")
    lines += [f"  - {t}" for t in d["follow_ups"]]
    return "\n".join(lines)


def cmd_assess(args) -> int:
    from .clinic.assessment import Assessment, BatchJob, batch_jobs, landmarks_for, measure_side, parse_date
    from .core.errors import InvalidOptionError
    from .media import is_image_path
    from .vision.pose import make_estimator

    date = parse_date(args.date)
    horizon = _horizon(args.horizon)
    if args.photos and (args.left or args.right):
        raise InvalidOptionError("Give either --left/--right or a list of photos (batch), not both.")
    if args.photos and (args.front_left or args.front_right):
        raise InvalidOptionError("--front-left/--front-right go with --left/--right, not with a batch of photos "
                                 "(in a batch, name them NAME_left_front.jpg / NAME_right_front.jpg).")
    if not args.photos and not (args.left or args.right):
        raise InvalidOptionError("Give --left PHOTO and/or --right PHOTO (or photos to pair by name).")
    if args.save and not args.person and not args.photos:
        raise InvalidOptionError("--save needs --person ID: the history is kept per person.")
    given = [p for p in (args.left, args.right, args.front_left, args.front_right) if p]
    pain = {"left": args.pain_left, "right": args.pain_right}
    blur = args.blur_faces
    if args.photos:
        paths: list = []
        for p in args.photos:
            q = Path(p)
            paths += sorted(x for x in q.iterdir() if x.is_file() and is_image_path(x)) if q.is_dir() else [q]
        jobs, left_over = batch_jobs(paths)
        only = False
    else:
        jobs = [BatchJob(args.person, {"left": args.left, "right": args.right},
                         {"left": args.front_left, "right": args.front_right})]
        left_over = []
        only = len(given) == 1  # one photo in all (fronts count): the file's only entry is its
    table = _landmarks_table(args.landmarks, [str(p) for p in paths] if args.photos else given, only)
    base = Path(args.out) if args.out else None
    outputs, code = [], 0
    for p in left_over:
        print(f"thomas-cv: {p}: not assessed: a front photo goes with its leg's side photo (NAME_left_front.jpg "
              "with NAME_left.jpg, NAME_right_front.jpg with NAME_right.jpg), and there is none (or a second "
              "front photo of that leg).", file=sys.stderr)
        code = 1
    conn = None
    if args.save:
        from .clinic import history

        conn = history.connect(args.db)
    with make_estimator(args.model, static=True) as est:
        for job in jobs:
            name, photos, fronts = job.name, job.sides, job.fronts
            results, rgbs = {"left": None, "right": None}, {}
            for side, photo in photos.items():
                if photo is None:
                    continue
                front = fronts.get(side)
                res, rgb = measure_side(photo, est, side, horizon=horizon, pain=pain.get(side),
                                        landmarks=landmarks_for(photo, table, only), flip=args.flip,
                                        front=front, front_landmarks=landmarks_for(front, table, False) if front else None)
                slot = side or (res.measurement.side if res.ok else "left")
                results[slot] = res
                if rgb is not None:
                    rgbs[slot] = rgb
            person = args.person or (name if args.photos else None)
            a = Assessment(results["left"], results["right"], person=person, date=date, photos=rgbs)
            if args.photos:
                out = (base or Path(".")) / name
            else:
                out = base or Path(f"assessment_{person or 'anonymous'}_{date}")
            files = _write_assessment(a, out, blur)
            saved = None
            if conn is not None:
                from .clinic import history

                saved = history.save(conn, a)
            if not all(r is None or r.ok for r in (a.left, a.right)):
                code = 1
            outputs.append((a, files, saved))
    if conn is not None:
        conn.close()
    if args.format == "json":
        for a, files, saved in outputs:
            d = a.to_dict()
            d["files"] = {k: str(v) for k, v in files.items()}
            d["saved_id"] = saved
            print(json.dumps(d, ensure_ascii=False))
    else:
        for a, files, saved in outputs:
            print(_format_assessment(a))
            print(f"Report: {files['pdf']}  {files['html']}  (data: {files['json'].name}, {files['csv'].name}, "
                  f"{files['fhir'].name})")
            print(f"Saved to the history (id {saved})." if saved is not None else
                  "Not stored anywhere else (use --save --person ID to keep it in the history).")
            print()
        print(DISCLAIMER)
    return code


def cmd_history(args) -> int:
    from .clinic import history

    conn = history.connect(args.db, create=False)
    try:
        rows = history.series(conn, args.person)
        if args.export:
            dest = Path(args.export)
            if dest.suffix.lower() == ".csv":
                from .outputs import csv_text

                cols = ["person", "date", "side", "angle", "value", "uncertainty", "status", "corrected", "assessment_id"]
                _atomic_write(dest, csv_text(cols, ({"person": args.person, **r} for r in rows)).encode("utf-8"))
            else:
                _atomic_write(dest, json.dumps(history.export_person(conn, args.person), indent=2,
                                               ensure_ascii=False).encode("utf-8"))
            print(f"Exported {len({r['assessment_id'] for r in rows})} assessment(s) of {args.person} to {dest}.")
        if args.delete:
            if not args.yes and sys.stdin.isatty():
                ans = input(f"Delete every saved assessment of {args.person}? [y/N] ")
                if ans.strip().lower() not in ("y", "yes"):
                    print("Nothing deleted.")
                    return 1
            n = history.delete_person(conn, args.person)
            print(f"Deleted {n} assessment(s) of {args.person}.")
            return 0
        if args.export:
            return 0
        if not rows:
            print(f"No saved assessments of {args.person}.")
            return 1
        print(f"{args.person}: {len({r['assessment_id'] for r in rows})} assessment(s)")
        print(f"  {'date':<11} {'side':<6} {'angle':<28} {'value':>16}  status")
        for r in rows:
            u = f" +/- {r['uncertainty']:.1f}" if r["uncertainty"] is not None else ""
            print(f"  {r['date']:<11} {r['side']:<6} {r['angle']:<28} {r['value']:>+7.1f}{u:<9}  "
                  f"{r['status'] or ''}{' (corrected)' if r['corrected'] else ''}")
        ch = history.changes(rows)
        if ch:
            print("Change from the first to the latest assessment:")
            for c in ch:
                print("  " + c.sentence())
        print(DISCLAIMER)
        return 0
    finally:
        conn.close()


def cmd_batch(args) -> int:
    from tqdm import tqdm

    from .batch import run_batch

    def bar(it, total):
        return tqdm(it, total=total, unit="photo", desc="measuring", file=sys.stderr, disable=None)

    from .core import constants as C

    s = run_batch(
        Path(args.source), Path(args.out), workers=args.workers, resume=args.resume, side=args.side,
        horizon=_horizon(args.horizon), pain=args.pain, model=args.model, overlays=not args.no_overlays,
        blur_faces=args.blur_faces, progress=bar, executor=args.executor, scheduler=args.scheduler,
        flip=args.flip, time_limit=args.time_limit or C.FILE_TIME_LIMIT_S,
    )
    print(s.text() + f" Results: {s.out_dir / 'results.csv'}"
          + (f"; failures and reasons: {s.out_dir / 'failures.csv'}" if s.failed else ""))
    print(DISCLAIMER)
    return s.exit_code


def cmd_video(args) -> int:
    from tqdm import tqdm

    from .media import save_image
    from .vision.pose import make_estimator
    from .pipeline.video import analyze_video

    from .outputs import csv_text, ensure_dir, write_atomic
    from .vision.privacy import blur_faces

    out = ensure_dir(args.out)
    bar = tqdm(unit="frame", desc="measuring", file=sys.stderr, disable=None)

    def progress(done, total):
        bar.total = total or None
        bar.update(done - bar.n)

    with make_estimator(args.model, static=False) as est:
        vr = analyze_video(args.clip, est, side=args.side, horizon=_horizon(args.horizon), pain=args.pain, progress=progress)
    bar.close()
    keys = list(dict.fromkeys(k for r in vr.frames for k in r))
    write_atomic(out / "frames.csv", csv_text(keys, vr.frames).encode("utf-8", "backslashreplace"))
    d = vr.to_dict()
    if vr.result.overlay is not None:
        img = blur_faces(vr.result.overlay, vr.result.landmarks) if args.blur_faces else vr.result.overlay
        d["overlay"] = str(save_image(img, out / "overlay.png"))
    write_atomic(out / "result.json", json.dumps(d, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace"))
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
    script = Path(__file__).parent / "web" / "app.py"
    from .web.common import patch_streamlit_media_gzip

    patch_streamlit_media_gzip()  # before the server starts: the first page load's icon too
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

    from .core.errors import ThomasCVError

    for stream in (sys.stdout, sys.stderr):  # file names that are not valid UTF-8 print escaped
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        return {"measure": cmd_measure, "assess": cmd_assess, "history": cmd_history, "batch": cmd_batch,
                "video": cmd_video, "app": cmd_app}[args.command](args)
    except ThomasCVError as exc:
        from .outputs import display_name

        print(f"thomas-cv: error [{exc.code}]: {display_name(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thomas-cv: interrupted; with batch, rerun with --resume to continue.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # no second error while Python flushes stdout at exit
        except OSError:
            pass
        return 141
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, details on request
        if os.environ.get("THOMAS_CV_DEBUG"):
            raise
        msg = " ".join(str(exc).split())[:200]
        print(f"thomas-cv: error [internal_error]: unexpected failure ({exc.__class__.__name__}: {msg}). "
              "Please report it; set THOMAS_CV_DEBUG=1 to see the details.", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
