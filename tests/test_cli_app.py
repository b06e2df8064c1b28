"""`thomas-cv app` passes Streamlit's own options through (regression: argparse refused them)."""

import pytest

from thomas_cv import cli


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["app"], []),
        (["app", "--server.port", "8600", "--server.headless", "true"], ["--server.port", "8600", "--server.headless", "true"]),
        (["app", "--", "--server.port", "8601"], ["--server.port", "8601"]),
    ],
)
def test_app_passes_streamlit_options(monkeypatch, argv, expected):
    seen = {}
    monkeypatch.setattr(cli, "cmd_app", lambda args: seen.setdefault("args", args.streamlit_args) and 0)
    cli.main(argv)
    assert seen["args"] == expected


def test_other_commands_still_reject_unknown_options(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["measure", "x.jpg", "--bogus"])
    assert e.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


@pytest.mark.parametrize("extra,suffix", [([], ".jpg"), (["--overlay-format", "png"], ".png")])
def test_measure_saves_jpeg_overlays_unless_png_is_asked(tmp_path, monkeypatch, capsys, extra, suffix):
    """JPEG by default (encoding a PNG overlay cost about as much as a model pass); PNG on request."""
    import contextlib

    from PIL import Image

    from synthetic_landmarks import FakeEstimator, make_landmarks
    from test_pipeline_fake import write_photo
    import thomas_cv.vision.pose

    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator",
                        lambda *a, **k: contextlib.nullcontext(FakeEstimator(make_landmarks(thigh=-7.0, knee=72.0))))
    photo = write_photo(tmp_path / "p.png", size=(640, 480))
    cli.main(["measure", str(photo), "--out", str(tmp_path / "o"), "--format", "json", *extra])
    saved = list((tmp_path / "o").glob("*_overlay.*"))
    assert [p.suffix for p in saved] == [suffix]
    assert Image.open(saved[0]).format == ("JPEG" if suffix == ".jpg" else "PNG")



@pytest.mark.parametrize("command", ["measure", "assess", "batch"])
def test_no_flip_is_one_option_for_every_command_that_measures_photos(command):
    """One helper (cli._looks): the same option and the same help for measure, assess and batch."""
    ap = cli.build_parser()
    sub = next(a for a in ap._actions if a.dest == "command").choices[command]  # noqa: SLF001 - argparse's own
    opt = next(a for a in sub._actions if "--no-flip" in a.option_strings)  # noqa: SLF001
    assert opt.dest == "flip" and opt.default is True and "mirror image" in opt.help
