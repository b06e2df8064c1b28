"""Nothing leaves the computer: every request the page makes, in every view, goes to localhost.

A real browser (Debian's Chromium, driven by Playwright) records every request of the page
(``page.on("request")``) and every response status while it visits the four views, uploads a
photo, a clip and a batch file whose name is a Markdown image pointing at an outside server,
opens the click-to-place table-edge picture and starts the live camera (a fake one). Any
request to another host fails the test, and so does any server error (HTTP 5xx), e.g. the
page icon on the first load. Runs without the pose model (a photo that cannot be measured
still shows its page).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from sample_data import sample_photos
from test_browser import CHROME_ARGS, CHROMIUM, app_url, open_tab, uploader, wait_idle  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip install 'thomas-cv[browser]') missing")

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: a file name that would load an outside image if the page rendered it as Markdown
TRAP = "![x](https://example.invalid/x.png)"


def photo_bytes() -> bytes:
    photos = sample_photos()
    if photos:
        return photos[0].read_bytes()
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((480, 640, 3), 128, np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def outside(url: str) -> bool:
    p = urlparse(url)
    if p.scheme in ("data", "blob", "about", "chrome-extension", "chrome"):
        return False
    return (p.hostname or "") not in LOCAL_HOSTS


def test_no_request_leaves_localhost_in_any_view(app_url):  # noqa: F811
    requests: list[str] = []
    failures: list[str] = []
    step = ["load"]
    where: dict[str, set] = {}

    def record(r):
        requests.append(r.url)
        if outside(r.url):
            where.setdefault(r.url, set()).add(step[0])

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROME_ARGS))
        ctx = browser.new_context(viewport={"width": 1400, "height": 1900})
        ctx.on("request", record)  # the page and every frame in it
        ctx.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        page = ctx.new_page()
        page.set_default_timeout(60_000)

        def fresh(tab=None):
            """A new page load (a new session): each view is visited from a clean start."""
            page.goto(app_url)
            page.get_by_role("heading", name=re.compile("Thomas test")).wait_for()
            wait_idle(page)
            if tab:
                open_tab(page, tab)
            step[0] = tab or "Photo"

        img = photo_bytes()
        fresh()
        # Photo: an upload with a trap name
        uploader(page, "Drop a side photo").set_input_files(
            files=[{"name": TRAP + ".jpg", "mimeType": "image/jpeg", "buffer": img}])
        wait_idle(page, 300)
        # ... and the click-to-place picture (nothing measured before the two points)
        fresh()
        step[0] = "Photo, two points"
        page.get_by_text("Two points on the table edge").click()
        wait_idle(page)
        uploader(page, "Drop a side photo").set_input_files(
            files=[{"name": TRAP + ".jpg", "mimeType": "image/jpeg", "buffer": img}])
        wait_idle(page, 120)
        page.frame_locator("iframe[title*='image_coordinates']").locator("img").wait_for(timeout=30_000)
        # Video: a clip that is not one, with a trap name
        fresh("Video")
        uploader(page, "Drop a side-view clip").set_input_files(
            files=[{"name": TRAP + ".mp4", "mimeType": "video/mp4", "buffer": b"not a video" * 100}])
        wait_idle(page, 300)
        # Batch: the photo again under the trap name
        fresh("Batch")
        uploader(page, "Drop many photos").set_input_files(
            files=[{"name": TRAP + ".jpg", "mimeType": "image/jpeg", "buffer": img}])
        wait_idle(page, 300)
        # Live camera: the component loads, and the fake camera starts and stops
        fresh("Live camera")
        start = page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name=re.compile("START", re.I))
        try:
            start.click(timeout=20_000)
            page.wait_for_timeout(4000)
            page.frame_locator("iframe[title*='webrtc']").get_by_role("button", name=re.compile("STOP", re.I)).click()
        except sync_api.TimeoutError:
            pass  # no WebRTC component in this install: the view itself was still loaded
        page.wait_for_timeout(1000)
        body = page.inner_text("body")
        ctx.close()
        browser.close()
    assert requests, "no request recorded at all"
    assert any("/_stcore/" in u or "/static/" in u for u in requests), requests[:20]
    away = {u: sorted(where[u]) for u in sorted(where)}
    assert not failures, f"server errors: {failures}"
    if os.environ.get("THOMAS_CV_DEBUG_REQUESTS"):
        print("\n".join(sorted(set(requests))), body[-2000:])
    assert not away, f"requests that leave this computer (url: views): {away}"
