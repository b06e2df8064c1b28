"""How much the README's first command downloads, and how long it takes, from a fresh clone.

    python benchmarks/install_size.py [--extras ""] [--python python3]

Copies the committed tree (``git archive HEAD``, as a fresh clone has it) to a temporary
folder, makes a new venv there and runs the README's install step, ``pip install -e .``, with
no pip cache and no machine-wide pip configuration (``PIP_CONFIG_FILE=/dev/null``; local wheel
folders and constraints of this machine are ignored, so the figures are what a user's machine
downloads from PyPI). Prints the MB pip downloaded (the sum of its ``Downloading ... (N MB)``
lines, backtracking included), how many files, how many versions of one package it tried
(backtracking shows as several), and the wall-clock seconds. Everything is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE_RE = re.compile(r"Downloading (\S+) \(([\d.]+) (kB|MB|GB|bytes)\)")
UNIT = {"bytes": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extras", default="", help='e.g. "app" for pip install -e ".[app]"')
    ap.add_argument("--python", default="python3")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="thomas-cv-install-") as tmp:
        tmp = Path(tmp)
        src = tmp / "thomas-cv"
        src.mkdir()
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=tar, check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        subprocess.run([args.python, "-m", "venv", str(tmp / "venv")], check=True)
        pip = [str(tmp / "venv" / "bin" / "python"), "-m", "pip"]
        target = "." + (f"[{args.extras}]" if args.extras else "")
        t0 = time.time()
        proc = subprocess.run(pip + ["install", "--no-cache-dir", "--progress-bar", "off", "-e", target],
                              cwd=src, env=env, capture_output=True, text=True)
        seconds = time.time() - t0
        log = proc.stdout + proc.stderr
        (tmp / "pip.log").write_text(log)
        if proc.returncode != 0:
            print(log[-3000:], file=sys.stderr)
            print(f"pip install failed (exit {proc.returncode}) after {seconds:.0f} s", file=sys.stderr)
            return 1
        files = [(m.group(1), float(m.group(2)) * UNIT[m.group(3)]) for m in SIZE_RE.finditer(log)]
        total = sum(mb for _, mb in files)
        names = Counter(re.split(r"-\d", Path(f).name, maxsplit=1)[0].lower() for f, _ in files)
        tried = {n: c for n, c in names.items() if c > 1}
        venv_mb = sum(f.stat().st_size for f in (tmp / "venv").rglob("*") if f.is_file()) / 1e6
        print(f"command: pip install --no-cache-dir -e {target!r} (fresh venv, {args.python}, no pip config)")
        print(f"downloaded: {total:.0f} MB in {len(files)} files; installed venv: {venv_mb:.0f} MB")
        print(f"time: {seconds:.0f} s")
        print("versions tried more than once (backtracking): " + (", ".join(f"{n} x{c}" for n, c in
                                                                          sorted(tried.items())) or "none"))
        biggest = sorted(files, key=lambda x: -x[1])[:5]
        print("largest downloads: " + ", ".join(f"{Path(f).name} {mb:.0f} MB" for f, mb in biggest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
