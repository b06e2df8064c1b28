"""The Batch view: many photos (or zips of photos) measured, summarised and downloadable."""

from __future__ import annotations

import io
import zipfile

from thomas_cv.pipeline.photo import Result
from thomas_cv.core.errors import ThomasCVError
from thomas_cv.core.interpret import DISCLAIMER, MUSCLES
from thomas_cv.web.common import (HEIC_NOTE, IMAGE_TYPES, MAX_UPLOAD_MB, MUSCLE_LABELS, MUSCLE_SHORT_NAMES,
                                  POINTS_NEEDED, STATUS_STYLE, error_text, md, measure_bytes, once,
                                  privacy_image, result_csv)


def view(st, opts: dict, blur: bool, shared_estimator) -> None:
    st.subheader("Batch")
    bups = st.file_uploader("Drop many photos, or zip files of photos, here",
                            type=IMAGE_TYPES + ["zip"], accept_multiple_files=True, key="batch_upload",
                            max_upload_size=MAX_UPLOAD_MB)
    if not bups:
        st.info("Each photo is measured on its own; bad files are listed with the reason while the rest "
                "are measured. Faces are blurred in the zip of overlays." + HEIC_NOTE)
    elif opts["horizon"] is None:
        st.info(POINTS_NEEDED)
    else:
        rows, overlays = run_batch(st, bups, opts, blur, shared_estimator)
        show_batch(st, rows, overlays, blur)


def _batch_inputs(uploads) -> list[tuple[str, object]]:
    """(name, bytes | ThomasCVError) per photo, all in memory: a zip's photos are read from
    the archive as the command line's batch reads them (real sizes counted as they inflate,
    nothing written to disk, so nothing is left behind, whatever happens).

    Entries of a zip that are not photos are ignored (as the command line's batch does);
    photo entries that could not be read safely are listed with the reason.
    """
    from thomas_cv.batch.safezip import list_zip_bytes, read_member

    items: list[tuple[str, object]] = []
    for up in uploads:
        if not up.name.lower().endswith(".zip"):
            items.append((up.name, up.getvalue()))
            continue
        try:
            zf, listing = list_zip_bytes(up.getvalue(), up.name)
        except ThomasCVError as exc:
            items.append((up.name, exc))
            continue
        found: list[tuple[str, object]] = []
        with zf:
            for rel in listing.photos:
                try:
                    found.append((f"{up.name}/{rel}", read_member(zf, rel)))
                except ThomasCVError as exc:
                    found.append((f"{up.name}/{rel}", exc))
        found += [(f"{up.name}/{name}", exc) for name, exc in listing.skipped]
        if not found:
            from thomas_cv.core.errors import UnsupportedFileError

            found = [(up.name, UnsupportedFileError(f"{up.name}: the zip holds no photos."))]
        items.extend(sorted(found, key=lambda it: it[0]))
    return items


def run_batch(st, uploads, opts, blur: bool, shared_estimator):
    """Measure every uploaded photo (and every photo in uploaded zips) with a progress bar."""
    from thomas_cv.batch import overlay_name
    from thomas_cv.media import encode_image

    key = (tuple((u.file_id, u.name) for u in uploads), opts["side"], opts["horizon"], opts["pain"], blur)

    def measure():
        rows: list[dict] = []
        overlays: dict[str, bytes] = {}
        bar = st.progress(0.0, text="Preparing ...")
        items = _batch_inputs(uploads)
        est, lock = shared_estimator()
        for i, (name, src) in enumerate(items):
            bar.progress(i / max(1, len(items)), text=f"Measuring {md(name)} ({i + 1} of {len(items)})")
            res = Result(file=name, error=src) if isinstance(src, ThomasCVError) else measure_bytes(src, name, est, lock, **opts)
            row = res.to_row()
            row["overlay"] = None
            if res.overlay is not None:
                oname = overlay_name(name)
                overlays[oname] = encode_image(privacy_image(res, blur), "JPEG")
                row["overlay"] = oname
            rows.append(row)
        bar.progress(1.0, text=f"Measured {len(items)} file(s).")
        return rows, overlays

    return once(st, "_batch_memo", key, measure)


def show_batch(st, rows: list[dict], overlays: dict, blur: bool) -> None:
    import pandas as pd

    st.session_state["batch_rows"] = rows
    ok = [r for r in rows if r["ok"]]
    bad = [r for r in rows if not r["ok"]]
    st.markdown(f"**{len(ok)} of {len(rows)} file(s) measured**" + (f", {len(bad)} could not be measured." if bad else "."))
    st.markdown("#### Summary: how many appear short, per muscle (of the photos where it was assessed)")
    cols = st.columns(len(MUSCLES))
    for c, mu in zip(cols, MUSCLES):
        label, value, help_text = muscle_summary(mu, ok)
        c.metric(label, value, help=help_text, border=True)
        if value == NOT_ASSESSED_VALUE:
            c.caption(help_text)
    summary = pd.DataFrame(
        [{"muscle": MUSCLE_LABELS[mu], **{STATUS_STYLE[s][2]: sum(1 for r in ok if r.get(f"{mu}_status") == s)
                                         for s in STATUS_STYLE}} for mu in MUSCLES])
    st.dataframe(summary, hide_index=True, key="batch_summary")
    if bad:
        st.markdown("#### Not measured")
        for r in bad:
            st.warning(f"**{md(r['file'])}**: {md(without_name(error_text(r['error']), r['file']))} (`{r['error_code']}`)")
    st.markdown("#### Results (click a column header to sort; every column is in the CSV)")
    st.dataframe(results_table(rows), hide_index=True, key="batch_table", width="stretch",
                 column_config={
                     "file": st.column_config.TextColumn("file", width="medium"),
                     **{f"{m}_status": st.column_config.TextColumn(MUSCLE_SHORT_NAMES[m], width="small")
                        for m in MUSCLES},
                     "note": st.column_config.TextColumn("note", width="medium"),
                 })
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        for oname, data in overlays.items():
            zf.writestr(oname, data)
    c1, c2 = st.columns(2)
    c1.download_button("Download results (CSV)", result_csv(rows), "thomas_batch_results.csv", "text/csv",
                       key="batch_csv", on_click="ignore", icon=":material/table:")
    c2.download_button("Download overlays (zip)" + (", faces blurred" if blur else ""), zbuf.getvalue(), "thomas_batch_overlays.zip",
                       "application/zip", key="batch_zip", on_click="ignore", icon=":material/folder_zip:")
    st.caption(DISCLAIMER)


#: the summary's value for a muscle no photo could show (its reason is said beside it)
NOT_ASSESSED_VALUE = "—"
#: a status in the results table, in few words (colour-free: the words carry it)
TABLE_STATUS = {"normal": "normal", "borderline": "borderline", "short": "short", "not_assessable": "not assessed"}
TABLE_NUMBER_LABELS = {"thigh_angle_deg": "thigh (°)", "knee_flexion_deg": "knee (°)"}
#: why a muscle may be assessed in none of the photos
NOT_ASSESSED_WHY = {
    "tfl_itb": "needs a front view (thigh drawn outwards)",
    "sartorius": "needs a front view (thigh drawn outwards and turned)",
}


def muscle_summary(muscle: str, ok_rows: list[dict]) -> tuple[str, str, str]:
    """(label, value, help) of one muscle's summary metric, counting only the photos where the
    muscle was assessed: never "short 0 of 3" for a muscle no photo could show.

    >>> muscle_summary("tfl_itb", [{"tfl_itb_status": "not_assessable"}] * 3)
    ('TFL / IT band', '—', 'Not assessed in any of the 3 photos: needs a front view (thigh drawn outwards).')
    >>> muscle_summary("iliopsoas", [{"iliopsoas_status": "short"}, {"iliopsoas_status": "normal"},
    ...                              {"iliopsoas_status": "not_assessable"}])[1:]
    ('1 of 2', 'Of the 2 photos where it was assessed. normal: 1, borderline: 0, appears short: 1, not assessable: 1')
    """
    counts = {s: sum(1 for r in ok_rows if r.get(f"{muscle}_status") == s) for s in STATUS_STYLE}
    assessed = counts["normal"] + counts["borderline"] + counts["short"]
    name = MUSCLE_SHORT_NAMES[muscle]
    if assessed == 0:
        why = NOT_ASSESSED_WHY.get(muscle, "the photos did not allow it (see each photo's findings)")
        return name, NOT_ASSESSED_VALUE, f"Not assessed in any of the {len(ok_rows)} photos: {why}."
    detail = ", ".join(f"{STATUS_STYLE[s][2].lower()}: {n}" for s, n in counts.items())
    return f"{name}: appears short", f"{counts['short']} of {assessed}", f"Of the {assessed} photos where it was assessed. {detail}"


def without_name(text: str, file: str) -> str:
    """An error message without the file name it starts with (the row already shows it).

    >>> without_name("x.jpg: not a readable image.", "zips/x.jpg")
    'not a readable image.'
    """
    base = file.replace("\\", "/").rsplit("/", 1)[-1]
    for prefix in (f"{file}: ", f"{base}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def results_table(rows: list[dict]):
    """The on-screen results (a pandas Styler), one row per measured file; files that could not
    be measured are listed above the table with their reason (and are in the CSV). No Python
    ``None`` anywhere: Streamlit shows a missing number as "None", so when a measured file has
    no side angle (a front-view photo) the angles are shown as text with a dash instead (the
    table then sorts them as text). Flags share the ``note`` column and only the angles the
    findings rest on are shown, so that the table fits the page; the CSV keeps every column.

    >>> ok = {"file": "a.jpg", "ok": True, "thigh_angle_deg": -8.4, "knee_flexion_deg": 61.0,
    ...       "iliopsoas_status": "short", "flags": "oblique_view"}
    >>> bad = {"file": "b.png", "ok": False, "error": "b.png: empty", "error_code": "empty_file"}
    >>> front = {"file": "c_front.jpg", "ok": True, "thigh_angle_deg": None, "knee_flexion_deg": None}
    >>> results_table([ok, bad]).data.to_dict("records")[0]["thigh (°)"], len(results_table([ok, bad]).data)
    (-8.4, 1)
    >>> t = results_table([ok, front]).data
    >>> list(t["thigh (°)"]), list(t["note"])
    (['-8.4', '—'], ['oblique view', ''])
    """
    import pandas as pd

    out = []
    for r in rows:
        if not r.get("ok"):
            continue
        row = {"file": r.get("file", "")}
        for k in ("thigh_angle_deg", "knee_flexion_deg"):
            v = r.get(k)
            row[k] = float(v) if isinstance(v, (int, float)) else None
        for m in MUSCLES:
            row[f"{m}_status"] = TABLE_STATUS.get(r.get(f"{m}_status"), "—")
        flags = r.get("flags") or ""
        if isinstance(flags, (list, tuple)):
            flags = ", ".join(str(f) for f in flags)
        row["note"] = str(flags).replace("_", " ").replace(";", ", ")
        out.append(row)
    df = pd.DataFrame(out, columns=["file", "thigh_angle_deg", "knee_flexion_deg",
                                    *[f"{m}_status" for m in MUSCLES], "note"])
    fmt = {"thigh_angle_deg": "{:+.1f}", "knee_flexion_deg": "{:.1f}"}
    if df[list(fmt)].isna().to_numpy().any():  # as text, with a dash for the missing ones
        for k, f in fmt.items():
            df[k] = [("—" if v is None or v != v else f.format(v)) for v in df[k]]
        fmt = {}
    else:
        df[list(fmt)] = df[list(fmt)].astype(float)
    df = df.rename(columns=TABLE_NUMBER_LABELS)
    return df.style.format({TABLE_NUMBER_LABELS[k]: f for k, f in fmt.items()})
