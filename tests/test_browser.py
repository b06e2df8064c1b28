"""End to end in a real browser: the app on a free localhost port, Debian's headless Chromium
driven by Playwright (never a downloaded browser), a fake camera playing the rendered clip.

Each test also takes a screenshot of its view into a temporary folder, or into the folder
``THOMAS_CV_SCREENSHOTS`` names (``make screenshots`` refreshes the README's, ``docs/screenshots/``).
Needs ``/usr/bin/chromium`` (``apt-get install chromium``) and the rendered samples.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sample_data import sample_clip, sample_photos, samples_dir, truth  # noqa: E402
from app_server import serve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("THOMAS_CV_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("THOMAS_CV_SCREENSHOTS") or Path(tempfile.gettempdir()) / "thomas-cv-screenshots")
TOL_DEG = 6.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip install 'thomas-cv[browser]') missing")

CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]




def write_y4m(mp4: Path, out: Path) -> None:
    """The clip as a YUV4MPEG2 file for Chromium's fake camera: the project's tool if there,
    else a minimal writer (I420 frames after a one-line header)."""
    try:
        subprocess.run([sys.executable, "-m", "tools.synth", "y4m", str(mp4), str(out)], cwd=ROOT, check=True,
                       capture_output=True, timeout=300)
        if out.exists() and out.stat().st_size > 0:
            return
    except (subprocess.SubprocessError, OSError):
        pass
    import cv2

    cap = cv2.VideoCapture(str(mp4))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    with open(out, "wb") as fh:
        n = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            frame = frame[: h - h % 2, : w - w % 2]
            if n == 0:
                fh.write(f"YUV4MPEG2 W{frame.shape[1]} H{frame.shape[0]} F{round(fps * 1000)}:1000 Ip A1:1 C420\n".encode())
            fh.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    cap.release()


APP_LOG: list[Path] = []


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """`streamlit run app.py` on a free localhost port, as a user would start it."""
    log = tmp_path_factory.mktemp("app") / "streamlit.log"
    APP_LOG[:] = [log]
    with serve(ROOT / "app.py", log) as url:
        yield url


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory) -> Path | None:
    clip = sample_clip()
    if clip is None:
        return None
    out = tmp_path_factory.mktemp("cam") / "thomas_settle.y4m"
    write_y4m(clip, out)
    return out


@pytest.fixture(scope="module")
def browser(fake_camera):
    args = list(CHROME_ARGS)
    if fake_camera is not None:
        args.append(f"--use-file-for-fake-video-capture={fake_camera}")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_url)
    pg.get_by_role("heading", name=re.compile("Thomas test")).wait_for()
    yield pg
    ctx.close()


def wait_text(pg, what, timeout_s: float) -> None:
    """Wait for a text (str or regex) to be visible; on timeout say what the page and the
    app's log showed instead."""
    try:
        pg.get_by_text(what).first.wait_for(timeout=timeout_s * 1000)
    except sync_api.TimeoutError:
        body = pg.inner_text("body")[-3000:]
        log = APP_LOG[0].read_text(errors="replace")[-3000:] if APP_LOG else ""
        pytest.fail(f"{what!r} did not appear within {timeout_s:.0f} s.\n--- page ---\n{body}\n--- app log ---\n{log}")


def wait_measured(pg, done: re.Pattern, idle_s: float = 120, max_s: float = 1200) -> None:
    """Wait until ``done`` shows, failing fast on an error message, and failing on a timeout
    only when the progress bar stops moving for ``idle_s`` (the test machine may be busy)."""
    start = last_change = time.time()
    last = None
    while True:
        body = pg.inner_text("body")
        if done.search(body):
            return
        if "(code " in body:
            pytest.fail(f"the page shows an error:\n{body[-2000:]}")
        bars = pg.locator('[data-testid="stProgress"]')
        now = (bars.all_inner_texts() if bars.count() else [], re.findall(r"frame \d+ of \d+|\(\d+ of \d+\)", body))
        if now != last:
            last, last_change = now, time.time()
        if time.time() - last_change > idle_s or time.time() - start > max_s:
            log = APP_LOG[0].read_text(errors="replace")[-3000:] if APP_LOG else ""
            pytest.fail(f"{done.pattern!r} did not appear (progress {last}).\n--- page ---\n{body[-3000:]}"
                        f"\n--- app log ---\n{log}")
        pg.wait_for_timeout(500)


def open_tab(pg, name: str) -> None:
    pg.get_by_role("tab", name=name).click()
    pg.wait_for_timeout(300)


def uploader(pg, label: str):
    return pg.locator('[data-testid="stFileUploader"]').filter(has_text=label).locator('input[type="file"]')


def wait_idle(pg, timeout_s: float = 120) -> None:
    """Until Streamlit has finished running the script (no 'Running...' indicator)."""
    pg.wait_for_timeout(500)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if pg.locator('[data-testid="stStatusWidget"]').count() == 0:
            return
        pg.wait_for_timeout(250)


def shoot(pg, name: str) -> Path:
    """Screenshot of the page down to the end of its content."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.wait_for_timeout(800)
    bottom = pg.evaluate(
        "() => { const b = document.querySelector('[data-testid=\"stMainBlockContainer\"]');"
        " return b ? Math.ceil(b.getBoundingClientRect().bottom) : 1900; }"
    )
    vp = pg.viewport_size
    path = SHOTS / name
    pg.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": vp["width"], "height": min(vp["height"], bottom + 16)})
    return path


def images_loaded(pg) -> list[int]:
    """Natural widths of the visible images of the page (0 = failed to load)."""
    return pg.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=\"stImage\"] img'))"
        ".filter(i => i.offsetParent !== null).map(i => i.naturalWidth)"
    )


def metric_deg(pg, label: re.Pattern, timeout_s: float = 60) -> float:
    """The angle a metric card shows, once it shows one: the page text read right after the
    'Findings' heading missed the cards in 1 of CI's runs (stop 19) and in 4 of 10 local runs under
    load, so wait on the card itself."""
    card = pg.get_by_test_id("stMetric").filter(has_text=label).first
    card.wait_for(timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    while True:
        m = re.search(r"([+-]?\d+\.\d)°", card.inner_text())
        if m:
            return float(m.group(1))
        if time.time() > deadline:
            pytest.fail(f"the {label.pattern!r} card shows no angle: {card.inner_text()!r}")
        pg.wait_for_timeout(250)


def test_photo_upload_shows_findings(page):
    photos = sample_photos()
    if not photos:
        pytest.skip(f"no rendered sample photos in {samples_dir()}")
    photo = photos[0]
    t = truth(json.loads(photo.with_suffix(".json").read_text()))
    open_tab(page, "Photo")
    uploader(page, "Drop a side photo").set_input_files(str(photo))
    wait_measured(page, re.compile(re.escape(f"{photo.name}: the evidence")), idle_s=300)
    page.get_by_role("heading", name="Findings").wait_for()
    wait_idle(page)
    body = page.inner_text("body")
    assert "Iliopsoas (one-joint hip flexors)" in body and "Rectus femoris" in body
    assert re.search(r"Normal|Appears short|Borderline", body)
    assert "A measurement aid, not a diagnosis." in body
    assert "Images stay on this computer" in body
    thigh = metric_deg(page, re.compile(r"Thigh angle(?! in 3-D)"))
    knee = metric_deg(page, re.compile(r"Knee flexion(?! in 3-D)"))
    assert abs(thigh - t["thigh_angle_deg"]) < TOL_DEG
    assert abs(knee - t["knee_flexion_deg"]) < TOL_DEG
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-testid=\"stImage\"] img')).some(i => i.naturalWidth > 0)"
    )
    assert all(w > 0 for w in images_loaded(page)), "an overlay image failed to load"
    shoot(page, "photo.png")
    # the downloads really arrive (PNG overlay, JSON)
    with page.expect_download() as dl:
        page.get_by_text("Download overlay (PNG)").click()
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as dl:
        page.get_by_text("Download JSON").first.click()
    d = json.loads(Path(dl.value.path()).read_text())
    assert d["ok"] and set(d["findings"]) >= {"iliopsoas", "rectus_femoris"}


def test_video_upload_plots_angles_and_result(page):
    clip = sample_clip()
    if clip is None:
        pytest.skip(f"no rendered clip in {samples_dir()}")
    open_tab(page, "Video")
    uploader(page, "Drop a side-view clip").set_input_files(str(clip))
    wait_measured(page, re.compile(r"Angles over time"))
    page.get_by_role("heading", name="Findings").wait_for(timeout=60_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "steadiest stretch" in body
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(1500)  # let the chart draw
    shoot(page, "video.png")


LIVE_RE = re.compile(r"Live - thigh angle: ([+-]?\d+\.\d)° · knee flexion: (\d+\.\d)°.*Steady")


def test_live_camera_angles_match_the_clip(page, fake_camera):
    if fake_camera is None:
        pytest.skip(f"no rendered clip in {samples_dir()} for the fake camera")
    meta = json.loads(sample_clip().with_suffix(".json").read_text())
    t = truth(meta)
    open_tab(page, "Live camera")
    frame = page.frame_locator('iframe[title*="webrtc"]').first
    frame.get_by_role("button", name=re.compile("start", re.I)).click()
    # the page text updates while the camera plays; wait until the leg has settled
    readings = []
    deadline = time.time() + 300  # generous: the test machine may be busy
    while time.time() < deadline and len(readings) < 3:
        for txt in page.get_by_text(LIVE_RE).all_inner_texts():
            m = LIVE_RE.search(txt)
            if m and (not readings or readings[-1] != (float(m.group(1)), float(m.group(2)))):
                readings.append((float(m.group(1)), float(m.group(2))))
        page.wait_for_timeout(400)
    assert readings, "no steady live reading appeared"
    for thigh, knee in readings:
        assert abs(thigh - t["thigh_angle_deg"]) < TOL_DEG, (readings, t)
        assert abs(knee - t["knee_flexion_deg"]) < TOL_DEG, (readings, t)
    page.get_by_role("button", name="Capture the steady measurement").click()
    page.get_by_text("Captured the steady measurement.").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Findings").wait_for()
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('[data-testid=\"stImage\"] img')).some(i => i.naturalWidth > 0)"
    )
    # the fake camera loops the clip: take the picture when the leg holds still again
    page.get_by_text(LIVE_RE).first.wait_for(timeout=60_000)
    shoot(page, "live.png")
    frame.get_by_role("button", name=re.compile("stop", re.I)).click()


def test_batch_upload_measures_and_lists_bad_files(page, tmp_path):
    photos = sample_photos()[:6]
    if not photos:
        pytest.skip(f"no rendered sample photos in {samples_dir()}")
    bad = tmp_path / "not_a_photo.jpg"
    bad.write_bytes(b"this is text, not a JPEG")
    open_tab(page, "Batch")
    uploader(page, "Drop many photos").set_input_files([str(p) for p in photos] + [str(bad)])
    wait_measured(page, re.compile(r"\d+ of \d+ file\(s\) measured"))
    wait_idle(page)
    body = page.inner_text("body")
    assert f"{len(photos)} of {len(photos) + 1} file(s) measured" in body
    assert "not_a_photo.jpg" in body
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for()
    page.wait_for_timeout(1000)
    shoot(page, "batch.png")
    with page.expect_download() as dl:
        page.get_by_text("Download results (CSV)").click()
    csv_text = Path(dl.value.path()).read_text()
    assert csv_text.startswith("file,ok,error") and "not_a_photo.jpg" in csv_text
    with page.expect_download() as dl:
        page.get_by_text(re.compile(r"Download overlays \(zip\)")).click()
    import zipfile

    with zipfile.ZipFile(dl.value.path()) as zf:
        assert len(zf.namelist()) == len(photos)


def test_snapshot_fallback_measures_one_frame(page, fake_camera):
    """`st.camera_input`, for browsers where WebRTC fails: one frame of the fake camera."""
    if fake_camera is None:
        pytest.skip(f"no rendered clip in {samples_dir()} for the fake camera")
    open_tab(page, "Live camera")
    page.get_by_text("Take a single snapshot instead").click()
    button = page.locator('[data-testid="stCameraInputButton"]')
    button.wait_for()
    page.wait_for_timeout(3000)  # let the webcam preview start
    button.click()
    wait_text(page, "snapshot: the evidence", 120)
    page.get_by_role("heading", name="Findings").wait_for()
    # the angles' metrics come after the findings: wait for them, not for the page to look idle
    # (inner_text right after 'Findings' missed them in 4 of 10 runs under load, on main too)
    metric_deg(page, re.compile(r"Thigh angle(?! in 3-D)"))
