"""Finding packs: the filters of `GET /nodes` and the ranked matching of `GET /nodes/search`.

Matching is `LIKE` on lower-cased text, ranked so that users find what they typed: an exact pack
id first, then the name, node class names, the description and the author; ties go to the pack's
`search_ranking` (lower first), then installs, then rating.

TODO: full-text search (SQLite FTS5 on the embedded default, PostgreSQL `tsvector` in cluster
mode) once a registry holds enough packs that the `LIKE` scan shows in `bench/registry.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, exists, func, literal, select

from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord
from comfyd.platform.registry.errors import InvalidField
from comfyd.platform.registry.states import PackStatus, VersionStatus

# The columns `sort=col[;desc]` may name, with the peer's names and comfyd's.
SORTABLE = {
    "id": PackRecord.id,
    "name": PackRecord.name,
    "total_install": PackRecord.total_install,
    "downloads": PackRecord.total_install,
    "github_stars": PackRecord.github_stars,
    "search_ranking": PackRecord.search_ranking,
    "total_star": PackRecord.total_star,
    "total_review": PackRecord.total_review,
    "create_time": PackRecord.created_at,
    "created_at": PackRecord.created_at,
    "update_time": PackRecord.updated_at,
    "updated_at": PackRecord.updated_at,
}
_NO_MATCH = 99


@dataclass(frozen=True)
class PackFilter:
    """What every pack listing shares. Deleted packs are never listed; banned ones are unless
    `include_banned` is False (the peer's default includes them)."""

    include_banned: bool = True
    node_ids: Sequence[str] = ()
    updated_after: datetime | None = None
    publisher_id: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found = [PackRecord.status != PackStatus.DELETED]
        if not self.include_banned:
            found.append(PackRecord.status != PackStatus.BANNED)
        if self.node_ids:
            found.append(PackRecord.id.in_(list(self.node_ids)))
        if self.updated_after is not None:
            found.append(PackRecord.updated_at > self.updated_after)
        if self.publisher_id is not None:
            found.append(PackRecord.publisher_id == self.publisher_id)
        return found


@dataclass(frozen=True)
class SearchTerms:
    """`search`, `comfy_node_search` and `repository_url_search`; the given ones must all match."""

    text: str = ""
    comfy_node: str = ""
    repository_url: str = ""
    filter: PackFilter = field(default_factory=PackFilter)


def listing(pack_filter: PackFilter, sort: Sequence[str] = ()) -> Select:
    """The packs `GET /nodes` lists, ordered by `sort` (`col` or `col;desc`), then by id."""
    return select(PackRecord).where(*pack_filter.conditions()).order_by(*_order(sort), PackRecord.id)


def matching(terms: SearchTerms) -> Select:
    """The packs `GET /nodes/search` finds, best match first."""
    conditions = terms.filter.conditions()
    ranks: list[ColumnElement] = []
    if terms.text.strip():
        rank = _text_rank(terms.text.strip().lower())
        conditions.append(rank < _NO_MATCH)
        ranks.append(rank)
    if terms.comfy_node.strip():
        needle = terms.comfy_node.strip().lower()
        conditions.append(_defines_class(_contains(needle)))
        ranks.append(case((_defines_class(func.lower(ComfyNodeRecord.name) == needle), 0), else_=1))
    if terms.repository_url.strip():
        pattern = _contains(terms.repository_url.strip().lower())
        conditions.append(func.lower(PackRecord.repository_url).like(pattern, escape="\\"))
    return select(PackRecord).where(*conditions).order_by(*ranks, *_popularity(), PackRecord.id)


def count_of(query: Select) -> Select:
    """`SELECT count(*)` over a listing, without its ordering."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def _text_rank(needle: str) -> ColumnElement:
    pattern = _contains(needle)
    return case(
        (PackRecord.normalized_id == needle, 0),
        (func.lower(PackRecord.name) == needle, 1),
        (func.lower(PackRecord.name).like(pattern, escape="\\"), 2),
        (PackRecord.normalized_id.like(pattern, escape="\\"), 3),
        (_defines_class(pattern), 4),
        (func.lower(PackRecord.description).like(pattern, escape="\\"), 5),
        (func.lower(PackRecord.author).like(pattern, escape="\\"), 6),
        else_=literal(_NO_MATCH),
    )


def _defines_class(match: str | ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether an active version of the pack defines a node class matching `match` (a LIKE
    pattern, or a condition on `ComfyNodeRecord`)."""
    condition = func.lower(ComfyNodeRecord.name).like(match, escape="\\") if isinstance(match, str) else match
    return exists().where(
        PackVersionRecord.pack_id == PackRecord.id,
        PackVersionRecord.status == VersionStatus.ACTIVE,
        ComfyNodeRecord.version_id == PackVersionRecord.id,
        condition,
    )


def _popularity() -> list[ColumnElement]:
    rating = case(
        (PackRecord.total_review > 0, PackRecord.total_star * 1.0 / PackRecord.total_review), else_=0
    )
    return [
        PackRecord.search_ranking.is_(None),
        PackRecord.search_ranking,
        PackRecord.total_install.desc(),
        rating.desc(),
    ]


def _order(sort: Sequence[str]) -> list[ColumnElement]:
    order = []
    for item in sort:
        name, _, direction = item.partition(";")
        column = SORTABLE.get(name.strip())
        if column is None or direction.strip().lower() not in ("", "asc", "desc"):
            allowed = ", ".join(sorted(SORTABLE))
            raise InvalidField(
                "sort", f"cannot sort by {item!r}; use one of {allowed}, with ';desc' to reverse."
            )
        order.append(column.desc() if direction.strip().lower() == "desc" else column.asc())
    return order


def _contains(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
