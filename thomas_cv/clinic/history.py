"""Progress over time: assessments kept in a local SQLite database, only when asked
(``--save`` / the app's "save to this computer"). Standard library only.

Where: :func:`default_db_path` (the user's data folder, or ``THOMAS_CV_DB``); ``--db PATH``
chooses another file. Safety: the schema is versioned (``PRAGMA user_version``), every
write is one transaction (all or nothing), WAL journaling and a busy timeout let two app
tabs (or a tab and the command line) use the file at once; deleted data is overwritten
(``secure_delete``) and the journal truncated, so a deleted person's data does not linger
in the file.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import sys
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Union

from ..core import constants as C
from ..core.errors import InvalidOptionError, ThomasCVError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
#: the angles kept per side (with their uncertainty where the result has one)
TRACKED = {
    "thigh_angle_deg": "thigh_angle_uncertainty_deg",
    "knee_flexion_deg": "knee_flexion_uncertainty_deg",
    "hip_extension_to_trunk_deg": None,
    "hugged_hip_flexion_deg": None,
}
#: the muscle whose finding each tracked angle carries
ANGLE_MUSCLE = {"thigh_angle_deg": "iliopsoas", "knee_flexion_deg": "rectus_femoris"}

_SCHEMA_V1 = """
CREATE TABLE assessments (
    id INTEGER PRIMARY KEY,
    person TEXT NOT NULL,
    date TEXT NOT NULL,            -- YYYY-MM-DD, the day of the test
    saved_at TEXT NOT NULL,        -- UTC, ISO 8601
    tool_version TEXT,
    document TEXT NOT NULL         -- the assessment as JSON (assessment.json without the landmarks)
);
CREATE INDEX assessments_person_date ON assessments(person, date);
CREATE TABLE angles (
    assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
    side TEXT NOT NULL CHECK (side IN ('left', 'right')),
    angle TEXT NOT NULL,
    value REAL NOT NULL,
    uncertainty REAL,
    status TEXT,
    corrected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (assessment_id, side, angle)
);
"""


class HistoryError(ThomasCVError):
    code = "history_error"


def default_db_path() -> Path:
    """``THOMAS_CV_DB`` if set, else ``history.sqlite`` in the user's data folder:
    ``%APPDATA%\\thomas-cv`` (Windows), ``~/Library/Application Support/thomas-cv`` (macOS),
    ``$XDG_DATA_HOME/thomas-cv`` or ``~/.local/share/thomas-cv`` (Linux and others)."""
    env = os.environ.get("THOMAS_CV_DB")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "thomas-cv" / "history.sqlite"


def connect(path: Union[str, os.PathLike, None] = None, *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or migrate) the history database. ``create=False``: a missing file is
    an error rather than a new empty database (reading commands must not create files)."""
    p = Path(path) if path is not None else default_db_path()
    if not p.exists():
        if not create:
            raise HistoryError(f"No history database at {p}: nothing has been saved there yet (use --save).")
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{p}: not a usable history database ({exc}).") from None
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: a write lands whole or not at all."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    lines = [ln.split("--")[0] for ln in script.splitlines()]
    return [st.strip() for st in "\n".join(lines).split(";") if st.strip()]


def _migrate(conn: sqlite3.Connection) -> None:
    with _transaction(conn):
        v = conn.execute("PRAGMA user_version").fetchone()[0]
        if v > SCHEMA_VERSION:
            raise HistoryError(f"the history database was written by a newer thomas-cv (schema {v}); "
                               "update thomas-cv to read it.")
        if v == 0:
            for stmt in _statements(_SCHEMA_V1):  # one by one: executescript would commit early
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        # future: if v == 1: ALTER ...; PRAGMA user_version = 2


def save(conn: sqlite3.Connection, assessment) -> int:
    """Store one assessment (an :class:`~thomas_cv.clinic.assessment.Assessment` or its
    ``to_dict()``, without the landmark coordinates); returns its id. Needs a person ID."""
    doc = assessment if isinstance(assessment, dict) else assessment.to_dict()
    # angles, findings and flags only: no photos, no landmark coordinates (less personal data)
    doc = {**doc, "sides": {s: (None if v is None else {k: x for k, x in v.items() if k != "landmarks"})
                            for s, v in (doc.get("sides") or {}).items()}}
    person = (doc.get("person") or "").strip()
    if not person:
        raise InvalidOptionError("Saving needs a person ID (--person ID, or the person field in the app).")
    rows = []
    for side in ("left", "right"):
        res = (doc.get("sides") or {}).get(side)
        if not res or not res.get("ok"):
            continue
        status = (doc.get("findings") or {}).get(side) or {}
        for angle, ukey in TRACKED.items():
            if res.get(angle) is None:
                continue
            mu = ANGLE_MUSCLE.get(angle)
            rows.append((side, angle, float(res[angle]), None if ukey is None else res.get(ukey),
                         (status.get(mu) or {}).get("status") if mu else None, int(bool(res.get("corrected")))))
    with _transaction(conn):
        cur = conn.execute(
            "INSERT INTO assessments (person, date, saved_at, tool_version, document) VALUES (?, ?, ?, ?, ?)",
            (person, doc.get("date"), datetime.now(timezone.utc).isoformat(timespec="seconds"),
             doc.get("tool_version"), json.dumps(doc, ensure_ascii=False)),
        )
        aid = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO angles (assessment_id, side, angle, value, uncertainty, status, corrected) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(aid, *r) for r in rows],
        )
    return aid


def persons(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT person FROM assessments ORDER BY person")]


def series(conn: sqlite3.Connection, person: str) -> list[dict]:
    """Every stored angle of ``person``, oldest first: {assessment_id, date, side, angle,
    value, uncertainty, status, corrected}."""
    cur = conn.execute(
        "SELECT a.id AS assessment_id, a.date, g.side, g.angle, g.value, g.uncertainty, g.status, g.corrected "
        "FROM assessments a JOIN angles g ON g.assessment_id = a.id WHERE a.person = ? "
        "ORDER BY a.date, a.id, g.side, g.angle", (person,))
    return [dict(r) for r in cur]


@dataclass(frozen=True)
class Change:
    """The change of one angle on one side between two assessments. ``threshold_deg`` =
    sqrt(u_1^2 + u_2^2 + MDD^2) (tool error on both dates plus the person's re-test
    variation, :data:`thomas_cv.core.constants.CHANGE_MDD_DEG`); ``exceeds`` when |change| > it."""

    side: str
    angle: str
    from_date: str
    to_date: str
    change_deg: float
    threshold_deg: float
    exceeds: bool

    def to_dict(self) -> dict:
        return {"side": self.side, "angle": self.angle, "from_date": self.from_date, "to_date": self.to_date,
                "change_deg": round(self.change_deg, 1), "threshold_deg": round(self.threshold_deg, 1),
                "exceeds": self.exceeds}

    def sentence(self) -> str:
        what = self.angle.replace("_deg", "").replace("_", " ")
        verdict = ("larger than the measurement error: a real change" if self.exceeds
                   else "within the measurement error: not a change")
        return (f"{self.side} {what}: {self.change_deg:+.1f} deg from {self.from_date} to {self.to_date} "
                f"({verdict}, threshold {self.threshold_deg:.1f} deg)")


def change_between(side: str, angle: str, a: dict, b: dict) -> Change:
    """``a`` and ``b``: series rows (value, uncertainty, date) of the same side and angle.

    >>> c = change_between("left", "knee_flexion_deg", {"date": "2026-01-01", "value": 70.0, "uncertainty": 5.4},
    ...                    {"date": "2026-02-01", "value": 80.0, "uncertainty": 5.4})
    >>> round(c.threshold_deg, 1), c.exceeds
    (8.7, True)
    """
    u1, u2 = a.get("uncertainty") or 0.0, b.get("uncertainty") or 0.0
    thr = math.sqrt(u1 ** 2 + u2 ** 2 + C.CHANGE_MDD_DEG ** 2)
    d = float(b["value"]) - float(a["value"])
    return Change(side, angle, a["date"], b["date"], d, thr, abs(d) > thr)


def changes(rows: list[dict]) -> list[Change]:
    """First-to-latest change of every tracked angle with an uncertainty, per side."""
    out = []
    for side in ("left", "right"):
        for angle, ukey in TRACKED.items():
            if ukey is None:
                continue
            pts = [r for r in rows if r["side"] == side and r["angle"] == angle]
            if len(pts) >= 2:
                out.append(change_between(side, angle, pts[0], pts[-1]))
    return out


def export_person(conn: sqlite3.Connection, person: str) -> dict:
    """Everything stored about ``person``: the full assessment documents, oldest first."""
    docs = [json.loads(r[0]) for r in conn.execute(
        "SELECT document FROM assessments WHERE person = ? ORDER BY date, id", (person,))]
    return {"person": person, "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "assessments": docs}


def delete_person(conn: sqlite3.Connection, person: str) -> int:
    """Delete every assessment of ``person`` (angles with them); returns how many. The freed
    pages are overwritten (secure_delete) and the WAL checkpointed and truncated."""
    with _transaction(conn):
        n = conn.execute("DELETE FROM assessments WHERE person = ?", (person,)).rowcount
    with closing(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")):
        pass
    return int(n)
