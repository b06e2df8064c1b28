"""interpret(): findings from angles, thresholds at their sources' cut-offs."""

import dataclasses

import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.core import constants as C
from thomas_cv.core.interpret import MUSCLES, PASS_NOTE, interpret
from thomas_cv.core.measure import measure


def m_with(**kw):
    base = measure(make_landmarks())
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize(
    "thigh,status",
    [(-15, "short"), (-3.5, "short"), (-2, "borderline"), (0, "borderline"), (2.9, "borderline"), (3.0, "normal"), (10, "normal"), (25, "normal")],
)
def test_iliopsoas_grading(thigh, status):
    f, _ = interpret(m_with(thigh_angle_deg=thigh))
    assert f["iliopsoas"].status == status
    assert f["iliopsoas"].reason


@pytest.mark.parametrize(
    "knee,status",
    [(40, "short"), (66, "short"), (75.9, "short"), (77, "borderline"), (83.9, "borderline"), (84, "normal"), (110, "normal")],
)
def test_rectus_femoris_grading(knee, status):
    f, _ = interpret(m_with(knee_flexion_deg=knee))
    assert f["rectus_femoris"].status == status


def test_clearly_short_wording_below_bmc_cutoff():
    f, _ = interpret(m_with(knee_flexion_deg=C.KNEE_FLEXION_CLEARLY_SHORT_DEG - 5))
    assert "clearly short" in f["rectus_femoris"].reason


def test_side_view_cannot_assess_tfl_or_sartorius_and_says_which_view_would():
    f, _ = interpret(m_with())
    for mu in ("tfl_itb", "sartorius"):
        assert f[mu].status == "not_assessable"
        assert "front" in f[mu].reason


def test_all_muscles_in_order():
    f, _ = interpret(m_with())
    assert tuple(f) == MUSCLES


@pytest.mark.parametrize("site", ["hip", "knee"])
def test_pain_turns_everything_into_rule_out_joint_problem(site):
    f, notes = interpret(m_with(thigh_angle_deg=-10), pain=site)
    assert all(x.status == "not_assessable" for x in f.values())
    assert all("joint" in x.reason and site in x.reason for x in f.values())
    assert notes


def test_pass_carries_tension_note():
    _, notes = interpret(m_with(thigh_angle_deg=10, knee_flexion_deg=90))
    assert PASS_NOTE in notes
    _, notes = interpret(m_with(thigh_angle_deg=-10, knee_flexion_deg=90))
    assert PASS_NOTE not in notes


def test_low_confidence_is_not_assessable():
    f, _ = interpret(m_with(confidence=0.2))
    assert all(x.status == "not_assessable" for x in f.values())


def test_wider_uncertainty_widens_borderline():
    f, _ = interpret(m_with(thigh_angle_deg=4.0, thigh_angle_uncertainty_deg=5.0))
    assert f["iliopsoas"].status == "borderline"


def test_bad_pain_value_rejected():
    with pytest.raises(ValueError):
        interpret(m_with(), pain="back")
