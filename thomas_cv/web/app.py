"""The Thomas-test web page (Streamlit): Photo, Assessment (both legs), History, Video, Live
camera and Batch.

Thin wiring over the core (:mod:`thomas_cv.pipeline.photo`, :mod:`thomas_cv.pipeline.video`, ...): no
angle maths here; one module per view (:mod:`.photo`, :mod:`.video`, :mod:`.live`,
:mod:`.batch`) and what they share in :mod:`.common`. Run it with ``thomas-cv app`` or
``streamlit run app.py``.
"""

from __future__ import annotations

import threading

from thomas_cv.core.interpret import DISCLAIMER
from thomas_cv.web import assessment, batch, history, live, photo, video
from thomas_cv.web.common import ICON_PATH, PRIVACY_TEXT, patch_streamlit_media_gzip, sidebar


def main() -> None:
    import streamlit as st

    patch_streamlit_media_gzip()
    # the icon is a file of the package: an emoji or icon name would make the browser fetch it
    # from a server on the internet
    st.set_page_config(page_title="Thomas test - hip-flexor length", page_icon=str(ICON_PATH), layout="wide")

    @st.cache_resource(show_spinner="Loading the pose model ...")
    def shared_estimator():
        """One photo model for all sessions, with a lock: BlazePose is not thread-safe."""
        from thomas_cv.vision.pose import make_estimator

        return make_estimator(static=True), threading.Lock()

    # --------------------------------------------------------------- header & settings
    st.title("Thomas test: hip-flexor length")
    st.markdown(
        f"**{DISCLAIMER}** The page measures the angles of the hanging leg in a side view and shows its "
        "evidence; a clinician interprets them."
    )
    st.caption(":material/lock: " + PRIVACY_TEXT)

    opts, blur = sidebar(st)
    tab_photo, tab_assess, tab_history, tab_video, tab_live, tab_batch = st.tabs(
        ["Photo", "Assessment", "History", "Video", "Live camera", "Batch"])
    with tab_photo:
        photo.view(st, opts, blur, shared_estimator)
    with tab_assess:
        assessment.view(st, opts, blur, shared_estimator)
    with tab_history:
        history.view(st)
    with tab_video:
        video.view(st, opts, blur)
    with tab_live:
        ctx, session, live_placeholder = live.view(st, opts, blur, shared_estimator)
    with tab_batch:
        batch.view(st, opts, blur, shared_estimator)
    # live angles as page text, while playing (after every view is drawn)
    live.follow(ctx, session, live_placeholder)


if __name__ == "__main__":  # `streamlit run thomas_cv/web/app.py` (what `thomas-cv app` does)
    main()
