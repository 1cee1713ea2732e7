"""`UserSettings`: each user's frontend settings, one JSON object in `<user>/comfy.settings.json`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from comfyd.users import atomic
from comfyd.users.directory import UserDirectory
from comfyd.users.errors import UnknownSettingsUser, UnknownUser

logger = logging.getLogger(__name__)

SETTINGS_FILE = "comfy.settings.json"


class UserSettings:
    """Reads and writes a user's settings as ComfyUI's `AppSettings` does.

    Every method raises `UnknownSettingsUser` for a user the directory does not list, and
    `PathOutsideUserRoot` if the settings file is a symlink to somewhere outside the user's directory.
    The methods do no awaiting, so on the server's event loop a read-modify-write never interleaves
    with another one.
    """

    def __init__(self, directory: UserDirectory) -> None:
        self._directory = directory

    def read(self, user_id: str) -> dict[str, Any]:
        """All of the user's settings; `{}` when there are none or the file is not a JSON object."""
        path = self._file(user_id)
        if not path.is_file():
            return {}
        try:
            settings = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.error("The settings file %s cannot be read, so it counts as empty: %s", path, exc)
            return {}
        if not isinstance(settings, dict):
            logger.error("The settings file %s does not hold a JSON object, so it counts as empty.", path)
            return {}
        return settings

    def get(self, user_id: str, setting_id: str) -> Any:
        """One setting's value; `None` when it is not set."""
        return self.read(user_id).get(setting_id)

    def update(self, user_id: str, values: dict[str, Any]) -> None:
        """Merge `values` into the settings, replacing whole top-level values (a shallow merge)."""
        self._save(user_id, {**self.read(user_id), **values})

    def put(self, user_id: str, setting_id: str, value: Any) -> None:
        """Set one setting to any JSON value, `None` included."""
        self._save(user_id, {**self.read(user_id), setting_id: value})

    def _save(self, user_id: str, settings: dict[str, Any]) -> None:
        # indent=4 as ComfyUI writes it, so people comparing the two files see the same text.
        atomic.write_json(self._file(user_id), settings, indent=4)

    def _file(self, user_id: str) -> Path:
        try:
            return self._directory.path_of(user_id, SETTINGS_FILE)
        except UnknownUser as exc:
            raise UnknownSettingsUser(user_id) from exc
