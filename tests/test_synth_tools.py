"""Fast tests of the synthetic-image dev tool (tools/synth). Skipped without the synth extra."""
import importlib.util
import json
import subprocess
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


# --------------------------------------------------------------------- shapes, mixed sets, front views
def _shape_targets_or_skip():
    from tools.synth import shape

    try:
        shape.load_targets()
    except (OSError, subprocess.CalledProcessError) as e:  # no wheel and no PyPI access
        pytest.skip(f"MakeHuman shape targets unavailable: {e}")
    return shape


def test_front_truth_is_analytic():
    from tools.synth.scene import front_truth

    # right leg (lateral = -Z): thigh along -X (to the foot end) tilted 10 deg out of the sagittal plane,
    # shank hanging straight down then swung 15 deg outwards (towards -Z)
    a, b = np.radians(10.0), np.radians(15.0)
    hip = np.array([0.0, 0.8, -0.1])
    knee = hip + 0.4 * np.array([-np.cos(a), 0.0, -np.sin(a)])
    ankle = knee + 0.4 * np.array([0.0, -np.cos(b), -np.sin(b)])
    t = front_truth({"right_hip": hip, "right_knee": knee, "right_ankle": ankle}, "right")
    assert abs(t["thigh_abduction_deg"] - 10.0) < 1e-9
    assert abs(t["thigh_abduction_horizontal_deg"] - 10.0) < 1e-9
    assert abs(t["shank_deviation_deg"] - 15.0) < 1e-9
    # the same geometry mirrored onto the left leg (+Z lateral) gives the same signs
    m = np.array([1.0, 1.0, -1.0])
    t2 = front_truth({"left_hip": hip * m, "left_knee": knee * m, "left_ankle": ankle * m}, "left")
    assert abs(t2["thigh_abduction_deg"] - 10.0) < 1e-9 and abs(t2["shank_deviation_deg"] - 15.0) < 1e-9
    # foot swung inwards = negative
    ankle_in = knee + 0.4 * np.array([0.0, -np.cos(b), np.sin(b)])
    assert front_truth({"right_hip": hip, "right_knee": knee, "right_ankle": ankle_in}, "right")["shank_deviation_deg"] < -14.9


@pytest.mark.parametrize("side", ["left", "right"])
def test_internal_rotation_swings_the_foot_outwards(body, side):
    """Sign convention: hip_rotation_deg + = external; the foot then swings inwards (negative deviation)."""
    from tools.synth.scene import front_truth

    devs = []
    for rotation in (-15.0, 0.0, 15.0):
        p = PoseParams(tested_side=side, thigh_angle_deg=5.0, knee_flexion_deg=90.0, hip_rotation_deg=rotation)
        devs.append(front_truth(pose_thomas(body, p).joints(), side)["shank_deviation_deg"])
    assert devs[0] > 8.0 and abs(devs[1]) < 4.0 and devs[2] < -8.0


def test_shape_targets_change_limb_lengths_and_joints_follow(body):
    shape = _shape_targets_or_skip()
    short = shape.shaped_body(body, shape.solve_height(body, shape.BodyParams(gender=0.1), 1.52))
    tall = shape.shaped_body(body, shape.solve_height(body, shape.BodyParams(gender=0.9), 1.90))
    ms, mt = shape.measurements(short), shape.measurements(tall)
    assert abs(ms["stature_m"] - 1.52) < 0.01 and abs(mt["stature_m"] - 1.90) < 0.01
    assert mt["left_thigh_length_m"] > ms["left_thigh_length_m"] * 1.1
    assert mt["left_shank_length_m"] > ms["left_shank_length_m"] * 1.1
    # the joint centres are recomputed from the shaped mesh (rig locators), not copied from the base
    locs = shape.rig_locators()
    i = tall.index("lowerleg01.L")
    assert np.allclose(tall.heads[i], tall.verts[locs["lowerleg01.L"][0]].mean(axis=0))
    assert not np.allclose(tall.heads[i], body.heads[i], atol=0.01)
    # weight changes girth: the heavy thigh surface lies further from the femur than the light one
    heavy = shape.shaped_body(body, shape.BodyParams(weight=1.0))
    light = shape.shaped_body(body, shape.BodyParams(weight=0.0))
    w = body.weights[:, body.index("upperleg02.L")] > 0.8

    def girth(b):
        hip, knee = b.heads[b.index("upperleg01.L")], b.heads[b.index("lowerleg01.L")]
        d = (knee - hip) / np.linalg.norm(knee - hip)
        r = b.verts[w] - hip
        return np.linalg.norm(r - np.outer(r @ d, d), axis=1).mean()

    assert girth(heavy) > girth(light) * 1.1


def test_posed_shaped_body_hits_requested_angles(body):
    shape = _shape_targets_or_skip()
    b = shape.shaped_body(body, shape.solve_height(body, shape.BodyParams(gender=0.8, weight=0.9), 1.85))
    p = PoseParams(tested_side="left", thigh_angle_deg=-6.0, knee_flexion_deg=72.0, hip_abduction_deg=15.0,
                   hip_rotation_deg=-12.0)
    posed = pose_thomas(b, p)
    t = truth_3d(posed.joints(), "left", posed.posterior)
    assert abs(t["thigh_angle_deg"] + 6.0) < 0.01 and abs(t["knee_flexion_deg"] - 72.0) < 0.01
    assert abs(t["hip_abduction_deg"] - 15.0) < 0.01


def test_mixed_specs_reproducible_and_across_cutoffs():
    _shape_targets_or_skip()
    from tools.synth.cli import MIXED, make_mixed_specs

    a = make_mixed_specs(60, seed=12)
    b = make_mixed_specs(20, seed=12)
    assert a[:20] == b  # reproducible, and a smaller set is a prefix of a larger one
    assert make_mixed_specs(5, seed=13)[0] != a[0]
    thighs = [s.thigh_angle_deg for s in a]
    knees = [s.knee_flexion_deg for s in a]
    assert min(thighs) < 0 < max(thighs) and min(knees) < 80 < max(knees)
    assert all(MIXED["abduction_deg"][0] <= s.hip_abduction_deg <= MIXED["abduction_deg"][1] for s in a)
    assert {s.tested_side for s in a} == {"left", "right"}
    assert any(s.far_side for s in a) and any(not s.far_side for s in a)
    assert len({round(s.vfov_deg) for s in a}) > 10 and len({s.body for s in a}) == 60
    pairs = make_mixed_specs(4, seed=12, kind="pairs")
    assert [s.view for s in pairs[:2]] == ["side", "foot_end"] and pairs[3].view == "above"
    for s, f in zip(pairs[::2], pairs[1::2]):
        assert s.pose_id == f.pose_id and s.body == f.body
        assert (s.thigh_angle_deg, s.knee_flexion_deg, s.hip_abduction_deg, s.hip_rotation_deg) == \
               (f.thigh_angle_deg, f.knee_flexion_deg, f.hip_abduction_deg, f.hip_rotation_deg)


def test_vfov_matches_35mm_focal():
    from tools.synth.cli import vfov_for
    from tools.synth.scene import focal_35mm

    for f35 in (13.0, 26.0, 77.0):
        assert abs(focal_35mm(1280, 960, vfov_for(f35, "landscape")) - f35) < 1e-6
        assert abs(focal_35mm(960, 1280, vfov_for(f35, "portrait")) - f35) < 1e-6


@pytest.mark.slow
def test_rendered_pair_keypoints_match_projected_joints(tmp_path):
    _shape_targets_or_skip()
    from tools.synth.cli import make_mixed_specs
    from tools.synth.scene import Renderer, project

    R = Renderer()
    specs = make_mixed_specs(2, seed=12, kind="pairs")
    sides = []
    for s in specs:
        s.size = (320, 240) if s.orientation == "landscape" else (240, 320)
        img, side = R.render(s)
        assert img.std() > 10
        sides.append(side)
        T = np.array(side["camera_pose"]["cam_to_world"])
        w, h = side["width"], side["height"]
        for n, xy in side["keypoints_px"].items():
            p, _ = project(np.array(side["joints_world_m"][n]), T, w, h, side["camera"]["vfov_deg"])
            assert np.allclose(p[0], xy, atol=0.05), n
        # the truth follows analytically from the 3-D joints
        J = {k: np.array(v) for k, v in side["joints_world_m"].items()}
        t, th = side["tested_side"], side["truth_3d"]
        thigh = J[f"{t}_knee"] - J[f"{t}_hip"]
        # thigh below the horizontal (+ = knee lower than the hip), towards the foot end (-X)
        assert abs(np.degrees(np.arctan2(-thigh[1], -thigh[0])) - th["thigh_angle_deg"]) < 0.05  # joints rounded to 0.1 mm
        # knee flexion in the sagittal (X-Y) plane
        shank = J[f"{t}_ankle"] - J[f"{t}_knee"]
        u, v = -thigh[:2], shank[:2]
        inner = np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v)))
        assert abs(180 - inner - th["knee_flexion_deg"]) < 0.05
        lat = 1.0 if t == "left" else -1.0
        assert abs(np.degrees(np.arcsin(lat * thigh[2] / np.linalg.norm(thigh))) - th["thigh_abduction_deg"]) < 0.05
        assert abs(th["thigh_abduction_deg"] - s.hip_abduction_deg) < 0.01  # the pose solver hits it
        assert side["body"]["shape"]["weight"] == round(s.body.weight, 3)
        json.dumps(side)
    R.close()
    assert [x["view"] for x in sides] == ["side", "front", "side", "front"]
    assert sides[0]["pose_id"] == sides[1]["pose_id"] and sides[0]["truth_3d"] == sides[1]["truth_3d"]
    assert sides[0]["findings"] == sides[1]["findings"]


def test_front_sample_specs_pair_by_name():
    _shape_targets_or_skip()
    from tools.synth.cli import front_sample_specs

    specs = front_sample_specs()
    assert len(specs) == 9
    for i in range(0, 9, 3):
        side, front, above = specs[i:i + 3]
        stem = side.name[: -len("_side")]
        assert front.name == f"{stem}_front" and above.name == f"{stem}_above"
        assert (side.view, front.view, above.view) == ("side", "foot_end", "above")
        assert side.pose_id == front.pose_id == above.pose_id and side.body == front.body


@pytest.mark.slow
@pytest.mark.parametrize("view", ["foot_end", "above"])
def test_front_views_keep_the_tested_leg_and_hips_in_frame(view):
    _shape_targets_or_skip()
    from tools.synth.cli import make_mixed_specs
    from tools.synth.scene import Renderer

    R = Renderer()
    for s in make_mixed_specs(6, seed=12, kind="front"):
        if s.view != view:
            continue
        s.size = (320, 240) if s.orientation == "landscape" else (240, 320)
        _, side = R.render(s)
        t, kp = side["tested_side"], side["keypoints_px"]
        for n in ("left_hip", "right_hip", f"{t}_knee", f"{t}_ankle"):
            x, y = kp[n]
            assert 0 <= x < side["width"] and 0 <= y < side["height"], (s.name, n)
        assert side["view"] == "front" and side["view_place"] == view
        pitch = side["camera"]["pitch_deg"]
        assert (70 <= pitch <= 88) if view == "above" else (-3 <= pitch <= 15)
    R.close()
