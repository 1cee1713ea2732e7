"""Pages as the peer serves them: 1-based `page`; a page size above the maximum is served as the
maximum (and echoed back, so the clamp is visible); 0, a negative size or none selects the default.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paging:
    page: int
    size: int

    @classmethod
    def of(cls, page: int | None, size: int | None, *, default: int = 10, maximum: int = 100) -> Paging:
        """The page that a request's `page` and `limit` (or `pageSize`) select."""
        if size is None or size < 1:
            size = default
        return cls(page=max(page or 1, 1), size=min(size, maximum))

    @classmethod
    def from_offset(cls, offset: int, size: int | None, *, default: int = 10, maximum: int = 100) -> Paging:
        """The page that holds row `offset`, for clients that send the seed's `offset`."""
        paging = cls.of(1, size, default=default, maximum=maximum)
        return cls(page=max(offset, 0) // paging.size + 1, size=paging.size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def pages(self, total: int) -> int:
        """How many pages `total` rows fill."""
        return -(-total // self.size)
