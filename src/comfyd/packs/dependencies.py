"""A pack's Python dependencies: `pip install -r requirements.txt` into the interpreter comfyd runs on.

Only on request (`comfyd nodes install --with-deps`): a requirements file can pull anything,
including a different torch, so installing one is the user's decision. A pack's `install.py`,
which comfy-cli and ComfyUI-Manager run, is never run; it is arbitrary code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from comfyd.packs.errors import DependenciesFailed

REQUIREMENTS_FILE = "requirements.txt"


def install_requirements(pack_id: str, folder: Path, *, python: str = sys.executable) -> Path | None:
    """Install the folder's `requirements.txt` with `python -m pip`; returns the file, or None
    when the pack has none. pip reads its usual configuration (`PIP_*` variables, pip.conf).
    Raises `DependenciesFailed` when pip fails."""
    requirements = folder / REQUIREMENTS_FILE
    if not requirements.is_file():
        return None
    # The pack folder is the working directory, so relative paths in the file mean the pack's own.
    done = subprocess.run([python, "-m", "pip", "install", "-r", str(requirements)], cwd=folder, check=False)
    if done.returncode != 0:
        raise DependenciesFailed(pack_id, requirements, done.returncode)
    return requirements
