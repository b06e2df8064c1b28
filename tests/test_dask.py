"""The batch on a Dask LocalCluster of two worker processes on loopback: same rows as local."""

import csv
from functools import partial

import pytest

pytest.importorskip("dask.distributed")

from test_pipeline_fake import _folder, fake_factory  # noqa: E402
from thomas_cv.batch import RESULTS, run_batch  # noqa: E402


def _rows(out):
    rows = list(csv.DictReader(open(out / RESULTS, encoding="utf-8")))
    return {r["file"]: {k: v for k, v in r.items() if k != "overlay"} for r in rows}


@pytest.mark.slow
def test_dask_batch_matches_local_and_resumes(tmp_path):
    src = _folder(tmp_path)
    factory = partial(fake_factory, -7.0, 72.0)
    local = run_batch(src, tmp_path / "local", workers=1, estimator_factory=factory)
    out = tmp_path / "dask"
    s = run_batch(src, out, workers=2, executor="dask", estimator_factory=factory)
    assert (s.measured, s.failed) == (local.measured, local.failed) == (6, 1)
    assert _rows(out) == _rows(tmp_path / "local")
    # resume after losing the last rows: only those are redone, none doubled
    res = out / RESULTS
    lines = res.read_text(encoding="utf-8").splitlines(keepends=True)
    res.write_text("".join(lines[:-3]), encoding="utf-8")
    s2 = run_batch(src, out, workers=2, executor="dask", resume=True, estimator_factory=factory)
    assert s2.skipped == 4
    assert _rows(out) == _rows(tmp_path / "local")
    assert len(res.read_text(encoding="utf-8").splitlines()) == 1 + 7
