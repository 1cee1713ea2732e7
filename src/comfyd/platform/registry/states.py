"""The registry's statuses: what the database stores, and the enum strings the wire shows.

The wire's names (`NodeVersionStatusActive`) are not the stored ones (`active`), as in the peer's
database; each enum here is the stored value and knows its wire name. A version's status moves only
along `VersionStatus.can_move_to`, so automated checks never overwrite a moderator's decision.
"""

from __future__ import annotations

import enum


class PackStatus(enum.StrEnum):
    ACTIVE = "active"
    BANNED = "banned"
    DELETED = "deleted"

    @property
    def wire(self) -> str:
        return f"NodeStatus{self.value.capitalize()}"


class PublisherStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    BANNED = "BANNED"

    @property
    def wire(self) -> str:
        return f"PublisherStatus{self.value.capitalize()}"


class VersionStatus(enum.StrEnum):
    """`pending` until comfyd's checks have run, then `active` or `flagged`; moderators can move a
    version to any status except back to `pending`, and a publisher can delete it."""

    ACTIVE = "active"
    BANNED = "banned"
    DELETED = "deleted"
    FLAGGED = "flagged"
    PENDING = "pending"

    @property
    def wire(self) -> str:
        return f"NodeVersionStatus{self.value.capitalize()}"

    @classmethod
    def from_wire(cls, name: str) -> VersionStatus:
        """The status a wire name stands for; raises `ValueError` for an unknown name."""
        for status in cls:
            if status.wire == name:
                return status
        raise ValueError(f"{name!r} is not a NodeVersionStatus.")

    def can_move_to(self, other: VersionStatus) -> bool:
        return other in _VERSION_MOVES[self]


# Any status may move to any decided one (checks decide a pending version; moderators and
# publishers redecide); nothing moves back to `pending`, which only a new upload means.
_DECIDED = frozenset(set(VersionStatus) - {VersionStatus.PENDING})
_VERSION_MOVES = {status: _DECIDED for status in VersionStatus}


class ExtractStatus(enum.StrEnum):
    """`comfy_node_extract_status`, which the wire passes through as stored."""

    FAILED = "failed"
    PENDING = "pending"
    SUCCESS = "success"


class ComfyNodePolicy(enum.StrEnum):
    ACTIVE = "active"
    BANNED = "banned"
    LOCAL_ONLY = "local_only"

    @property
    def wire(self) -> str:
        return "ComfyNodePolicy" + "".join(part.capitalize() for part in self.value.split("_"))


class Role(enum.StrEnum):
    """A user's role on a publisher."""

    MEMBER = "member"
    OWNER = "owner"
