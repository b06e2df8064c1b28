"""Fast tests of the synthetic-image dev tool (tools/synth). Skipped without the synth extra."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("trimesh")
if importlib.util.find_spec("pyrender") is None:
    pytest.skip("synth extra (pyrender) not installed", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.synth import body as sbody  # noqa: E402

if not (sbody.body_model_dir() / "base.obj").exists():
    pytest.skip("MakeHuman body model not found (set THOMAS_CV_BODY_MODEL)", allow_module_level=True)

from tools.synth.pose import PoseParams, inner_angle, pose_thomas, truth_3d  # noqa: E402


@pytest.fixture(scope="module")
def body():
    return sbody.load_body()


def test_fk_zero_rotations_returns_rest(body):
    G, heads, tails = sbody.forward_kinematics(body)
    assert np.allclose(G, np.eye(4))
    assert np.allclose(heads, body.heads)
    assert np.allclose(tails, body.tails)
    v = sbody.skin(body, G)
    assert np.abs(v - body.verts)[body.used_vertices].max() < 1e-5


def test_fk_rotation_moves_children_only(body):
    R = sbody.rot([1, 0, 0], -90.0)
    G, heads, _ = sbody.forward_kinematics(body, {"upperleg01.L": R})
    i_hip, i_knee = body.index("upperleg01.L"), body.index("lowerleg01.L")
    assert np.allclose(heads[i_hip], body.heads[i_hip])
    assert np.allclose(heads[body.index("lowerleg01.R")], body.heads[body.index("lowerleg01.R")])
    # the knee swings forward (+Z) around the hip, keeping the thigh length
    before = body.heads[i_knee] - body.heads[i_hip]
    after = heads[i_knee] - heads[i_hip]
    assert np.isclose(np.linalg.norm(before), np.linalg.norm(after))
    assert after[2] > 0.3


def test_rig_joint_landmarks_are_plausible(body):
    hip, knee, ank = (body.heads[body.index(b)] for b in ("upperleg01.L", "lowerleg01.L", "foot.L"))
    assert hip[0] > 0  # .L is the person's left = +X in the model frame
    assert 0.35 < np.linalg.norm(knee - hip) < 0.5
    assert 0.3 < np.linalg.norm(ank - knee) < 0.5


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("thigh,knee,abd", [(7.3, 63.1, 5.0), (-12.0, 95.0, 0.0), (22.0, 104.0, 12.0)])
def test_posed_leg_hits_requested_angles(body, side, thigh, knee, abd):
    p = PoseParams(tested_side=side, thigh_angle_deg=thigh, knee_flexion_deg=knee,
                   hip_abduction_deg=abd, hip_rotation_deg=6.0, hugged_hip_flexion_deg=118.0)
    posed = pose_thomas(body, p)
    t = truth_3d(posed.joints(), side, posed.posterior)
    assert abs(t["thigh_angle_deg"] - thigh) < 0.01
    assert abs(t["knee_flexion_deg"] - knee) < 0.01
    assert abs(t["hip_abduction_deg"] - abd) < 0.01
    assert abs(t["hugged_hip_flexion_deg"] - 118.0) < 0.01
    assert abs(t["knee_inner_angle_deg"] + t["knee_flexion_deg"] - 180.0) < 1e-9
    J = posed.joints()
    # knee below the hip when the thigh angle is positive (world Y is up)
    assert (J[f"{side}_knee"][1] < J[f"{side}_hip"][1]) == (thigh > 0)
    # without abduction the 3-D knee angle equals the sagittal one
    if abd == 0.0:
        assert abs(180 - inner_angle(J[f"{side}_hip"], J[f"{side}_knee"], J[f"{side}_ankle"]) - knee) < 1.0


def test_y4m_header_and_size(tmp_path):
    from tools.synth.video import write_y4m, y4m_header

    frames = [np.full((48, 64, 3), i * 40, np.uint8) for i in range(3)]
    out = tmp_path / "x.y4m"
    n = write_y4m(frames, out, fps=30)
    data = out.read_bytes()
    assert n == 3
    assert data.startswith(b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420\n")
    header = y4m_header(64, 48, 30)
    assert len(data) == len(header) + 3 * (len(b"FRAME\n") + 64 * 48 * 3 // 2)
    assert y4m_header(640, 480, 29.97).startswith(b"YUV4MPEG2 W640 H480 F30000:1001")


def test_condition_grid_is_balanced():
    from tools.synth.cli import make_specs

    specs = make_specs(32, seed=0, conditions=["perpendicular"])
    sides = [s.tested_side for s in specs]
    assert sides.count("left") == sides.count("right") == 16
    for s in specs:
        assert -15 <= s.thigh_angle_deg <= 25 and 40 <= s.knee_flexion_deg <= 110
        assert s.yaw_deg == 0 and s.roll_deg == 0
    classes = [s.name.split("_", 3)[3].rsplit("_", 1)[0] for s in specs]
    assert len(set(classes)) == 4 and all(classes.count(c) == 8 for c in set(classes))


@pytest.mark.slow
def test_render_one_image_and_sidecar(tmp_path):
    from tools.synth.scene import Renderer, Spec, save_jpeg

    R = Renderer()
    img, side = R.render(Spec(name="t", seed=3, tested_side="right", thigh_angle_deg=-8.0,
                              knee_flexion_deg=60.0, size=(320, 240), roll_deg=3.0))
    R.close()
    assert img.shape == (240, 320, 3) and img.std() > 10
    assert side["findings"] == {"iliopsoas": "short", "rectus_femoris": "short"}
    assert side["head_towards"] == "left"
    assert abs(side["horizon_deg"] - 3.0) < 0.5
    for k in ("truth_3d", "truth_image", "keypoints_px", "table_edge_px", "camera", "render"):
        assert k in side
    for x, y in side["keypoints_px"].values():
        assert 0 <= x < 320 and 0 <= y < 240
    save_jpeg(tmp_path / "t.jpg", img)
    json.dumps(side)
