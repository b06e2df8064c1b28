"""The bundled BlazePose .task files: what they hold, that they load, that they rebuild."""

import hashlib
import re
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "thomas_cv" / "models"
NOTICE = (MODELS / "NOTICE").read_text()


def _recorded(name: str) -> str:
    m = re.search(re.escape(name) + r"\s+([0-9a-f]{64})", NOTICE)
    assert m, f"NOTICE records no checksum for {name}"
    return m.group(1)


def _bundled():
    return sorted(p for p in MODELS.glob("*.task"))


def test_full_model_is_bundled_with_licence():
    assert (MODELS / "pose_landmarker_full.task").is_file()
    assert "Apache License" in (MODELS / "LICENSE").read_text()


@pytest.mark.parametrize("task", _bundled(), ids=lambda p: p.name)
def test_bundle_matches_recorded_checksum(task):
    assert hashlib.sha256(task.read_bytes()).hexdigest() == _recorded(task.name)


@pytest.mark.parametrize("task", _bundled(), ids=lambda p: p.name)
def test_bundle_layout_and_metadata(task):
    """Two uncompressed, 4-byte aligned members, each with the input normalisation the
    networks were trained with (detector: [-1, 1]; landmarks: [0, 1])."""
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    expected = {"pose_detector.tflite": (127.5, 127.5, 2), "pose_landmarks_detector.tflite": (0.0, 255.0, 5)}
    raw = task.read_bytes()
    with zipfile.ZipFile(task) as zf:
        infos = zf.infolist()
        assert sorted(i.filename for i in infos) == sorted(expected)
        for info in infos:
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26: info.header_offset + 30])
            data_at = info.header_offset + 30 + name_len + extra_len
            assert data_at % 4 == 0, f"{info.filename} is not 4-byte aligned"
            model = tfl.Model.GetRootAsModel(zf.read(info), 0)
            entries = {model.Metadata(i).Name(): model.Metadata(i).Buffer() for i in range(model.MetadataLength())}
            buf = model.Buffers(entries[b"TFLITE_METADATA"]).DataAsNumpy().tobytes()
            meta = md.ModelMetadataT.InitFromObj(md.ModelMetadata.GetRootAsModelMetadata(buf, 0))
            sub = meta.subgraphMetadata[0]
            norm = sub.inputTensorMetadata[0].processUnits[0].options
            mean, std, n_out = expected[info.filename]
            assert float(norm.mean[0]) == mean and float(norm.std[0]) == std
            assert len(sub.outputTensorMetadata) == model.Subgraphs(0).OutputsLength() == n_out


def test_unknown_model_name_is_a_clear_error():
    from thomas_cv.core.errors import InvalidOptionError
    from thomas_cv.vision.pose import model_path

    with pytest.raises(InvalidOptionError, match="full.*heavy"):
        model_path("medium")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to fetch the landmark networks")
def test_bundles_rebuild_byte_for_byte(tmp_path):
    """tools/model/build_task.py fetches the Apache-2.0 inputs from PyPI and npm, checks
    their recorded checksums and rebuilds every bundled .task identically."""
    from tools.model.build_task import main

    assert main(["--out", str(tmp_path)]) == 0
    for task in _bundled():
        assert hashlib.sha256((tmp_path / task.name).read_bytes()).hexdigest() == _recorded(task.name)
