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
