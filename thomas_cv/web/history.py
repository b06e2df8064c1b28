"""The History view: a person's saved assessments over time. Each angle per side with its
uncertainty band and the normal range, whether the change is larger than the measurement
error (:func:`thomas_cv.clinic.history.changes`), and export or delete of the person's data.
Reads the local database only; stores nothing itself."""

from __future__ import annotations

import json

from thomas_cv.core import constants as C
from thomas_cv.core.interpret import DISCLAIMER

#: the charted angles: (title, normal from, normal to, what the band means)
CHARTS = {
    "thigh_angle_deg": ("Thigh angle (+ = knee below the hip)", C.THIGH_NORMAL_MIN_DEG, 30.0,
                        f"normal: {C.THIGH_NORMAL_MIN_DEG:.0f}° or more (Kendall et al. 1993)"),
    "knee_flexion_deg": ("Knee flexion (0 = straight)", C.KNEE_FLEXION_NORMAL_MIN_DEG, 120.0,
                         f"normal: {C.KNEE_FLEXION_NORMAL_MIN_DEG:.0f}° or more (Kendall et al. 1993)"),
}


def chart(rows: list[dict], angle: str):
    """An Altair chart of one angle over time: a line per side, the uncertainty band around it,
    the normal range shaded."""
    import altair as alt
    import pandas as pd

    title, lo, hi, norm_text = CHARTS[angle]
    df = pd.DataFrame([r for r in rows if r["angle"] == angle])
    df["date"] = pd.to_datetime(df["date"])
    df["low"] = df["value"] - df["uncertainty"].fillna(0)
    df["high"] = df["value"] + df["uncertainty"].fillna(0)
    ymin = float(min(df["low"].min(), lo) - 5)
    ymax = float(max(df["high"].max(), lo) + 5)
    normal = alt.Chart(pd.DataFrame({"lo": [lo], "hi": [min(hi, ymax)], "what": [norm_text]})).mark_rect(
        color="#2e7d32", opacity=0.12).encode(y=alt.Y("lo:Q"), y2="hi:Q", tooltip="what:N")
    colour = alt.Color("side:N", scale=alt.Scale(domain=["left", "right"], range=["#1f77b4", "#d62728"]))
    base = alt.Chart(df).encode(x=alt.X("date:T", title="date"), color=colour)
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("low:Q", title=f"{title} (deg)",
                                                      scale=alt.Scale(domain=[ymin, ymax])), y2="high:Q")
    line = base.mark_line(point=True).encode(
        y="value:Q", tooltip=["date:T", "side:N", alt.Tooltip("value:Q", format="+.1f"),
                              alt.Tooltip("uncertainty:Q", format=".1f"), "status:N"])
    return (normal + band + line).properties(title=title, height=260)


def view(st) -> None:
    from thomas_cv.clinic import history

    st.subheader("History: progress over time")
    db = history.default_db_path()
    st.caption(f"Assessments saved with \"Save to this computer\" (or `thomas-cv assess --save`), from `{db}`. "
               f"{DISCLAIMER}")
    if not db.exists():
        st.info("Nothing has been saved on this computer yet.")
        return
    conn = history.connect(db, create=False)
    try:
        people = history.persons(conn)
        if not people:
            st.info("Nothing has been saved on this computer yet.")
            return
        person = st.selectbox("Person", people, key="history_person")
        rows = history.series(conn, person)
        n = len({r["assessment_id"] for r in rows})
        st.markdown(f"**{person}**: {n} assessment(s), {rows[0]['date']} to {rows[-1]['date']}")
        for angle in CHARTS:
            if any(r["angle"] == angle for r in rows):
                st.altair_chart(chart(rows, angle), width="stretch")
        st.markdown("#### Is the change larger than the measurement error?")
        ch = history.changes(rows)
        if not ch:
            st.info("One assessment so far: save another on a later day to see the change.")
        for c in ch:
            (st.success if c.exceeds else st.info)(c.sentence(), icon=":material/trending_up:" if c.exceeds
                                                   else ":material/horizontal_rule:")
        st.caption(f"A change counts when it exceeds sqrt(u1² + u2² + MDD²): the tool's uncertainty on both dates "
                   f"and the knee's re-test MDD95 of {C.CHANGE_MDD_DEG:.1f}° (Kim & Ha 2015).")
        with st.expander("The numbers"):
            st.dataframe(rows, hide_index=True)
        c1, c2 = st.columns(2)
        c1.download_button("Export this person's data (JSON)", json.dumps(history.export_person(conn, person),
                                                                          indent=2, ensure_ascii=False),
                           f"thomas_history_{person}.json", "application/json", key="history_export",
                           on_click="ignore", icon=":material/download:")
        with c2:
            sure = st.checkbox(f"Yes, delete everything saved about {person}", key="history_sure")
            if st.button("Delete this person's data", key="history_delete", disabled=not sure,
                         icon=":material/delete:"):
                k = history.delete_person(conn, person)
                st.session_state.pop("history_sure", None)
                st.success(f"Deleted {k} assessment(s) of {person}.")
                st.rerun()
    finally:
        conn.close()
