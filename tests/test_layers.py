"""The package's layers (../shared/ARCHITECTURE.md), checked from the source's own imports.

Data flows one way: core (pure) <- vision and media <- pipeline <- batch and clinic <- front ends.
A module may import from its own layer and the layers below it, never from one above; core holds
no cv2, no PIL and no model; mediapipe is imported in one module only (the pose model).
"""

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "thomas_cv"

#: each part of the package and the parts of the package it may import (its own included)
MAY_IMPORT = {
    "core": {"core"},
    "outputs": {"core", "outputs"},
    "vision": {"core", "vision"},
    "media": {"core", "outputs", "media"},
    "decoder": {"core", "outputs", "media", "decoder"},
    "pipeline": {"core", "vision", "outputs", "media", "decoder", "pipeline"},
    "batch": {"core", "vision", "outputs", "media", "decoder", "pipeline", "batch"},
    "clinic": {"core", "vision", "outputs", "media", "decoder", "pipeline", "clinic"},
}
FRONT_ENDS = {"web", "cli", "__main__"}
#: third-party packages the pure layer may use
CORE_THIRD_PARTY = {"numpy"}


def part_of(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imports(path: Path, text=None):
    """(absolute module name, line) of every import in the file (or in ``text``, read as if it
    stood at ``path``), function-level ones included."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    for node in ast.walk(ast.parse(text if text is not None else path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import a, b: each name may be a module
                    for a in node.names:
                        yield f"{mod}.{a.name}", node.lineno
                    continue
                yield mod, node.lineno
            else:
                yield node.module, node.lineno


def project_part(mod: str):
    parts = mod.split(".")
    if parts[0] != "thomas_cv" or len(parts) < 2:
        return None
    return parts[1]


SOURCES = sorted(PKG.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_a_module_imports_only_its_own_layer_and_those_below(path):
    part = part_of(path)
    if part in FRONT_ENDS or part == "__init__":
        return
    allowed = MAY_IMPORT[part]
    bad = [(m, line) for m, line in imports(path)
           if project_part(m) not in (None, "__version__") and project_part(m) not in allowed]
    assert not bad, f"{path.relative_to(PKG)} imports upwards: {bad}"


@pytest.mark.parametrize("path", sorted((PKG / "core").rglob("*.py")), ids=lambda p: p.name)
def test_core_is_pure_numpy(path):
    stdlib = sys.stdlib_module_names
    bad = [(m, line) for m, line in imports(path)
           if m.split(".")[0] not in stdlib | CORE_THIRD_PARTY | {"thomas_cv", "__future__"}]
    assert not bad, f"core/{path.name} imports {bad}: core holds no cv2, no PIL, no model"


def test_mediapipe_is_imported_by_the_pose_module_only():
    users = sorted({str(p.relative_to(PKG)) for p in SOURCES for m, _ in imports(p) if m.split(".")[0] == "mediapipe"})
    assert users == ["vision/pose.py"]


def test_the_checker_sees_an_upward_import():
    """The rule can fail: a core module importing the overlay and cv2 is caught."""
    found = list(imports(PKG / "core" / "probe.py", "from ..vision.overlay import draw_overlay\nimport cv2\n"))
    assert found == [("thomas_cv.vision.overlay", 1), ("cv2", 2)]
    assert project_part("thomas_cv.vision.overlay") not in MAY_IMPORT["core"]
