"""Semantic versions as the registry reads them: parsed leniently, stored canonically, ordered as
semver orders them (so 1.10.0 is newer than 1.9.0, and 1.0.0-rc.1 older than 1.0.0).

The peer parses with Masterminds' semver, which accepts `v1.2` and stores `1.2.0`; so does this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LENIENT = re.compile(
    r"^[vV]?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)
# What `GET /nodes/{id}/install?version=` accepts (the spec's pattern).
EXACT_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")


class InvalidSemver(ValueError):
    """The text is not a semantic version."""

    def __init__(self, text: str) -> None:
        super().__init__(f"{text!r} is not a semantic version (major.minor.patch, e.g. 1.2.3).")
        self.text = text


@dataclass(frozen=True, order=False)
class Semver:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> Semver:
        """Parse leniently (`v1.2` is `1.2.0`); raises `InvalidSemver`."""
        match = _LENIENT.match(text.strip())
        if match is None:
            raise InvalidSemver(text)
        pre = match["pre"]
        return cls(
            int(match["major"]),
            int(match["minor"] or 0),
            int(match["patch"] or 0),
            tuple(pre.split(".")) if pre else (),
            match["build"] or "",
        )

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + self.build
        return text

    @property
    def sort_key(self) -> tuple:
        """Semver precedence: a release ranks above its prereleases; build metadata is ignored."""
        pre = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease)
        return (self.major, self.minor, self.patch, not self.prerelease, pre)


def precedence(text: str) -> tuple:
    """The ordering key of a stored version string; unparseable strings rank below every version."""
    try:
        return (1, Semver.parse(text).sort_key)
    except InvalidSemver:
        return (0, text)


def newest(versions: list[str]) -> str | None:
    """The highest of `versions` by semver precedence, or None for an empty list."""
    return max(versions, key=precedence, default=None)
