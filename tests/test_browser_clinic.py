"""The clinic views in a real browser (Debian's Chromium, driven by Playwright): the assessment
of both legs, a point dragged by hand and the angle recomputed, the report downloads, and the
history chart. The app runs with a fake pose model that sees the sample photos' true joints
(tests/fake_model_app.py), so these tests need no model; the history database is a temporary
file (THOMAS_CV_DB). Screenshots go to ``THOMAS_CV_SCREENSHOTS`` (``make screenshots``)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import time
from pathlib import Path

import pytest

import app_server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("THOMAS_CV_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("THOMAS_CV_SCREENSHOTS") or Path(tempfile.gettempdir()) / "thomas-cv-screenshots")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip install 'thomas-cv[browser]') missing")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("history") / "history.sqlite"


@contextlib.contextmanager
def serve(log: Path, db: Path, **env_extra: str):
    """The fake-model app on a free localhost port; yields its URL. ``env_extra``: more
    environment (e.g. a slow fake model)."""
    env = {**os.environ, "THOMAS_CV_DB": str(db), "PYTHONPATH": str(ROOT), **env_extra}
    with app_server.serve(ROOT / "tests" / "fake_model_app.py", log, env) as url:
        APP_LOGS[url] = log
        yield url


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, db):
    with serve(tmp_path_factory.mktemp("app") / "streamlit.log", db) as url:
        yield url


@pytest.fixture(scope="module")
def slow_app_url(tmp_path_factory):
    """The app with a fake model that takes 2 s a look: a script run stays open for seconds."""
    with serve(tmp_path_factory.mktemp("slow_app") / "streamlit.log",
               tmp_path_factory.mktemp("slow_history") / "history.sqlite", THOMAS_CV_FAKE_MODEL_DELAY_S="2") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


APP_LOGS: dict[str, Path] = {}  # url -> the app's log


def open_page(browser, url: str):
    """A fresh browser session on the app (its console kept for failure messages)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.console_lines = []
    pg.on("console", lambda m: pg.console_lines.append(f"console.{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: pg.console_lines.append(f"page error: {e}"))
    pg.set_default_timeout(60_000)
    pg.goto(url)
    pg.get_by_role("heading", name=re.compile("Thomas test")).wait_for()
    pg.app_url = url
    return ctx, pg


def diagnosis(pg) -> str:
    """What a failure message shows: the page's text, the browser console and the app's log."""
    log = APP_LOGS.get(getattr(pg, "app_url", ""))
    log_text = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    return (f"--- page ---\n{pg.inner_text('body')[-3000:]}\n--- browser console ---\n"
            + "\n".join(getattr(pg, "console_lines", [])[-30:]) + f"\n--- app log ---\n{log_text}")


@pytest.fixture()
def page(browser, app_url):
    ctx, pg = open_page(browser, app_url)
    yield pg
    ctx.close()


@pytest.fixture()
def slow_page(browser, slow_app_url):
    ctx, pg = open_page(browser, slow_app_url)
    yield pg
    ctx.close()


def shot(pg, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(SHOTS / name), full_page=True)


def demo_assessment(pg, person: str = "", points: bool = True) -> None:
    """Load the demo pair and wait for both sides; ``points``: also for the movable points of
    both photos. No second click and no expected failure any more: the "point editor that never
    mounted" (issue 16) was the right photo lost to a rerun the browser asked for meanwhile,
    fixed in the app (test_demo_pair_survives_a_rerun_from_the_browser)."""
    pg.get_by_role("tab", name="Assessment").click()
    if person:
        box = pg.get_by_label("Person ID (a pseudonym is best)")
        box.fill(person)
        box.press("Enter")
        pg.wait_for_timeout(800)
    pg.get_by_text("Right leg hanging: side photo").wait_for(timeout=120_000)
    pg.get_by_role("button", name="Load the demo pair (samples)").click()
    try:
        pg.get_by_text("Right knee flexion", exact=True).wait_for(timeout=150_000)  # the test machine may be busy
        pg.get_by_text("Left-right comparison").wait_for(timeout=150_000)
        if points:
            pg.locator('.tcv-point[data-name="knee"]').nth(1).wait_for(timeout=150_000)
    except sync_api.TimeoutError:
        shot(pg, "failed_assessment.png")
        pytest.fail(f"the assessment of both legs did not appear (sample boxes: {selected_samples(pg)})\n"
                    + diagnosis(pg))
    wait_idle(pg)


def wait_idle(pg, timeout_s: float = 120) -> None:
    """Until Streamlit has finished running the script (no 'Running...' indicator)."""
    pg.wait_for_timeout(500)
    deadline = time.time() + timeout_s
    while time.time() < deadline and pg.locator('[data-testid="stStatusWidget"]').count():
        pg.wait_for_timeout(250)


def metrics(pg) -> list[str]:
    return pg.get_by_text(re.compile(r"^[+-]?\d+\.\d° ± \d+$")).all_inner_texts()


def test_assessment_of_both_legs(page):
    demo_assessment(page)
    body = page.inner_text("body")
    assert "Findings per muscle" in body and "A measurement aid, not a diagnosis" in body
    assert re.search(r"The right side reads 3\d deg less knee flexion", body)  # short rectus femoris on the right
    assert "kneeling hip-flexor stretch" in body
    assert page.locator(".tcv-point").count() >= 10  # movable points on both photos
    shot(page, "assessment.png")


def test_correction_by_hand_recomputes_the_angle(page):
    page.get_by_text("Image x axis (camera level)").click()  # an analytic horizontal for the check
    page.wait_for_timeout(500)
    demo_assessment(page)
    before = metrics(page)
    knee = page.locator('.tcv-point[data-name="knee"]').nth(1).locator("circle")
    c = knee.bounding_box()
    x, y = c["x"] + c["width"] / 2, c["y"] + c["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 10, y - 45, steps=10)
    page.mouse.up()
    page.get_by_text("Points corrected by hand").wait_for()
    deadline = time.time() + 120
    while (len(metrics(page)) < 4 or metrics(page)[2] == before[2]) and time.time() < deadline:
        page.wait_for_timeout(500)
    after = metrics(page)
    assert after[:2] == before[:2] and after[2] != before[2]  # the left side untouched, the right thigh changed
    # the new thigh angle from the points as the page now gives them (typed-points fields)
    page.get_by_text("Type the points (right, photo pixels)").click()
    page.get_by_label("knee x", exact=True).locator("visible=true").first.wait_for()
    val = lambda label: float(  # noqa: E731 - the right side's fields: the only open ones
        page.get_by_label(label, exact=True).locator("visible=true").first.input_value())
    hx, hy, kx, ky = val("hip x"), val("hip y"), val("knee x"), val("knee y")
    expected = math.degrees(math.atan2(ky - hy, kx - hx))  # head on the image left: + = knee below the hip
    shown = float(re.match(r"([+-]?\d+\.\d)", after[2]).group(1))
    assert shown == pytest.approx(expected, abs=0.15)
    assert "The model's own reading: thigh 9.2" in page.inner_text("body")
    shot(page, "correction.png")
    page.get_by_role("button", name="Reset to the model's points").nth(1).click()
    deadline = time.time() + 120  # the app reruns; a busy machine may take a while
    while metrics(page) != before and time.time() < deadline:
        page.wait_for_timeout(500)
    assert metrics(page) == before


def test_report_downloads(page):
    demo_assessment(page, points=False)
    with page.expect_download() as dl:
        page.get_by_role("button", name="Report (PDF)").click()
    pdf = Path(dl.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    with page.expect_download() as dl:
        page.get_by_role("button", name="Report (HTML)").click()
    html = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "measurement aid, not a diagnosis" in html and html.count("data:image/jpeg;base64,") == 2
    with page.expect_download() as dl:
        page.get_by_role("button", name="FHIR R4 (JSON)").click()
    bundle = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) == 2


def test_save_and_history(page, db):
    from thomas_cv.clinic import history

    # an earlier visit of the same person, six weeks ago (as if saved then)
    conn = history.connect(db)
    history.save(conn, {"person": "demo-7", "date": "2026-01-05", "sides": {
        "left": {"ok": True, "thigh_angle_deg": 10.0, "thigh_angle_uncertainty_deg": 2.5, "knee_flexion_deg": 92.0,
                 "knee_flexion_uncertainty_deg": 5.4},
        "right": {"ok": True, "thigh_angle_deg": 8.0, "thigh_angle_uncertainty_deg": 2.5, "knee_flexion_deg": 45.0,
                  "knee_flexion_uncertainty_deg": 5.4}}, "findings": {}})
    conn.close()
    demo_assessment(page, person="demo-7", points=False)
    page.get_by_role("button", name="Save to this computer").click()
    page.get_by_text(re.compile("Saved \\(assessment \\d+ of demo-7\\)")).wait_for()
    page.get_by_role("tab", name="History").click()
    page.get_by_text("Is the change larger than the measurement error?").wait_for()
    # the run after saving redraws the page element by element: until it ends, the elements below
    # the ones already redrawn are the previous run's (one change sentence per side and angle, not
    # yet there; an earlier version of this test read the page at that moment, 1 run in 10)
    page.get_by_text(re.compile(r"right knee flexion: [+-]\d+\.\d deg from 2026-01-05")).wait_for(timeout=120_000)
    wait_idle(page)
    body = page.inner_text("body")
    assert "demo-7: 2 assessment(s)" in body, body[-3000:]
    changes = "\n".join(line for line in body.splitlines() if " deg from " in line)
    # right knee 45 -> 60.2 (+15): beyond sqrt(11.5^2 + 5.4^2 + 4.2^2) = 13.4 deg
    assert re.search(r"right knee flexion: \+15\.\d deg from 2026-01-05 to \S+ \(larger than the measurement error",
                     body), changes
    assert re.search(r"left knee flexion: \+4\.\d deg from 2026-01-05 to \S+ \(within the measurement error",
                     body), changes
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 2
    shot(page, "history.png")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export this person's data (JSON)").click()
    assert len(json.loads(Path(dl.value.path()).read_text())["assessments"]) == 2
    page.get_by_text("Yes, delete everything saved about demo-7").click()
    page.get_by_role("button", name="Delete this person's data").click()
    page.get_by_text("Nothing has been saved on this computer yet.").wait_for()
    conn = history.connect(db)
    assert history.series(conn, "demo-7") == []


def selected_samples(pg) -> list[str]:
    """The two bundled-sample boxes' shown values (left, right)."""
    return [pg.get_by_role("combobox", name=f"... or a bundled sample ({side} leg)").input_value(timeout=10_000)
            for side in ("left", "right")]


def test_demo_pair_survives_a_rerun_from_the_browser(slow_page):
    """Regression (issue 16: "the point editor never mounts", 1 CI run in 3). The editor was
    fine; the right photo was never loaded. "Load the demo pair" wrote the two sample boxes'
    values into session state and reran; a rerun the browser asked for meanwhile (in CI the
    live view's WebRTC component reports its state once its frame has loaded, at an
    unpredictable moment; a user's click does the same) starts a fresh run with the browser's
    own widget values, and the browser still held '-' for the right box, whose new value had not
    reached it yet: the right side fell back to no photo. Here the fake model takes 2 s a look,
    and the browser asks for a rerun (a sidebar click) while the left leg is being measured."""
    pg = slow_page
    pg.get_by_role("tab", name="Assessment").click()
    pg.get_by_text("Right leg hanging: side photo").wait_for(timeout=120_000)
    pg.get_by_role("button", name="Load the demo pair (samples)").click()
    # the left box shows its sample by now, the right box is not drawn yet
    pg.get_by_text("Measuring the left leg").wait_for(timeout=120_000)
    pg.get_by_text("Blur faces in downloaded images").click()  # the browser asks for a rerun
    try:
        pg.locator('.tcv-point[data-name="knee"]').nth(1).wait_for(timeout=120_000)
    except sync_api.TimeoutError:
        shot(pg, "failed_demo_pair_rerun.png")
        pytest.fail(f"the right leg's photo was lost (sample boxes: {selected_samples(pg)})\n" + diagnosis(pg))
    assert selected_samples(pg) == ["thomas_l_normal_01.jpg", "thomas_r_short_rectus_01.jpg"]
    assert len(metrics(pg)) == 4


def metric_value(pg, label: str) -> tuple[float, float]:
    """A metric card's value and uncertainty ("+12.0° ± 7")."""
    text = pg.get_by_test_id("stMetric").filter(has_text=label).inner_text()
    m = re.search(r"([+-]?\d+\.\d)° ± (\d+)", text)
    assert m, text
    return float(m.group(1)), float(m.group(2))


def test_front_views_in_the_assessment(page):
    """Front photos in the Assessment view (as ``assess --front-left/--front-right``): the demo
    with front views (left: thigh drawn out 16 deg, TFL / IT band; right: drawn out 17 deg and
    turned out, the sartorius pattern) grades TFL / IT band and sartorius on both sides, shows the
    front overlays and abduction within its uncertainty of the renders' truth, and compares the
    abduction left-right."""
    page.get_by_role("tab", name="Assessment").click()
    page.get_by_text("Right leg hanging: side photo").wait_for(timeout=120_000)
    page.get_by_role("button", name="Load a demo pair with front views").click()
    try:
        page.get_by_text("Right shank deviation", exact=True).wait_for(timeout=150_000)
        page.get_by_text("Left-right comparison").wait_for(timeout=150_000)
    except sync_api.TimeoutError:
        shot(page, "failed_front_assessment.png")
        pytest.fail("the assessment with front views did not appear\n" + diagnosis(page))
    page.wait_for_timeout(1000)
    samples = ROOT / "sample_images" / "front"
    for side, pose in (("left", "thomas_l_front_tfl_short"), ("right", "thomas_r_front_sartorius")):
        truth = json.loads((samples / f"{pose}_front.json").read_text())["truth_3d"]["thigh_abduction_deg"]
        value, u = metric_value(page, f"{side.capitalize()} thigh abduction")
        assert abs(value - truth) <= u, (side, value, u, truth)
        assert page.get_by_role("combobox", name=f"... or a bundled front sample ({side} leg)").input_value() == \
            f"{pose}_front.jpg"
    assert page.get_by_text(re.compile(r"leg from the front \(thomas_[lr]_front_\w+_front\.jpg\)")).count() == 2
    row = lambda muscle: page.locator("tr").filter(has=page.get_by_text(muscle, exact=True)).inner_text()  # noqa: E731
    for muscle in ("Tensor fasciae latae / IT band", "Sartorius"):
        assert "Not assessable" not in row(muscle) and row(muscle).count("deg") >= 2, row(muscle)  # both sides graded
    assert "from the midline" in row("Tensor fasciae latae / IT band")
    assert "inwards" in row("Sartorius")  # the right foot swings in: the hip turned out
    body = page.inner_text("body")
    assert re.search(r"Tensor fasciae latae / IT band: Left minus right [+-]\d+\.\d deg", body), body[-3000:]
    shot(page, "assessment_front.png")
