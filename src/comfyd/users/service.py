"""`UserServices`: the users domain as the server holds it, built once per app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comfyd.users.directory import UserDirectory
from comfyd.users.settings import UserSettings
from comfyd.users.userdata import UserData


@dataclass(frozen=True)
class UserServices:
    directory: UserDirectory
    settings: UserSettings
    data: UserData

    @classmethod
    def open(cls, root: Path, *, multi_user: bool, signed_in: bool = False) -> UserServices:
        """The services over the user directory `root`; raises `UsersFileCorrupt` for a bad users.json."""
        directory = UserDirectory(root, multi_user=multi_user, signed_in=signed_in)
        return cls(directory=directory, settings=UserSettings(directory), data=UserData(directory))
