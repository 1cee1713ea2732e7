"""Finding packs: the filters of `GET /nodes` and the ranked matching of `GET /nodes/search`.

Text is looked up in the full-text index of `search_index` (FTS5 on SQLite, `tsvector` on
PostgreSQL), every word as a prefix, and ranked so that users find what they typed: an exact pack
id first, then the name, the id's words, node class names, the description and the author; ties go
to the pack's `search_ranking` (lower first), then installs, then rating.

TODO: node class names match by word prefix ("KSampl" finds `KSamplerAdvanced`, "Sampler" does
not), where the peer's `comfy_node_search` matches anywhere inside a name. If users miss those
matches, index the class names with FTS5's trigram tokenizer (and `pg_trgm` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, exists, false, func, literal, select
from sqlalchemy.sql.elements import BindParameter

from comfyd.db.registry import ComfyNodeRecord, PackRecord, PackVersionRecord
from comfyd.platform.registry.errors import InvalidField
from comfyd.platform.registry.search_index import PACK_SEARCH, matches, search_words, words_of
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
# Where a pack whose words are spread over several fields ranks.
_SPREAD = 7


@dataclass(frozen=True)
class PackFilter:
    """What every pack listing shares. Deleted packs are never listed; banned ones are unless
    `include_banned` is False (the peer's default includes them)."""

    include_banned: bool = True
    node_ids: Sequence[str] = ()
    updated_after: datetime | None = None
    publisher_id: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found = [PackRecord.status != _constant(PackStatus.DELETED)]
        if not self.include_banned:
            found.append(PackRecord.status != _constant(PackStatus.BANNED))
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
    """The packs `GET /nodes/search` finds, best match first. Text without a letter or a digit
    finds nothing."""
    query = select(PackRecord)
    text_words, node_words = words_of(terms.text), words_of(terms.comfy_node)
    if (terms.text.strip() and not text_words) or (terms.comfy_node.strip() and not node_words):
        return query.where(false())
    conditions = terms.filter.conditions()
    ranks: list[ColumnElement] = []
    if text_words or node_words:
        query = query.join(PACK_SEARCH, PACK_SEARCH.c.pack_id == PackRecord.id)
    if text_words:
        words = search_words("text_words", text_words)
        conditions.append(matches(words))
        ranks.append(_text_rank(_needle(terms.text), words))
    if node_words:
        words = search_words("node_words", node_words)
        conditions.append(matches(words, "node_classes"))
        needle = _needle(terms.comfy_node)
        ranks.append(case((_defines_class(func.lower(ComfyNodeRecord.name) == needle), 0), else_=1))
    if terms.repository_url.strip():
        pattern = _contains(_needle(terms.repository_url))
        conditions.append(func.lower(PackRecord.repository_url).like(pattern, escape="\\"))
    return query.where(*conditions).order_by(*ranks, *_popularity(), PackRecord.id)


def count_of(query: Select) -> Select:
    """`SELECT count(*)` over a listing, without its ordering."""
    return select(func.count()).select_from(query.order_by(None).subquery())


def _text_rank(needle: str, words: BindParameter[tuple[str, ...]]) -> ColumnElement:
    return case(
        (PackRecord.normalized_id == needle, 0),
        (func.lower(PackRecord.name) == needle, 1),
        (matches(words, "name"), 2),
        (matches(words, "identifier"), 3),
        (matches(words, "node_classes"), 4),
        (matches(words, "description"), 5),
        (matches(words, "author"), 6),
        else_=literal(_SPREAD),
    )


def _defines_class(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Whether an active version of the pack defines a node class meeting `condition` (on
    `ComfyNodeRecord`)."""
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


def _constant(status: PackStatus) -> ColumnElement[str]:
    """A status written into the SQL, not bound: PostgreSQL's generic plan for a prepared
    statement guesses what `status != $1` keeps from the column's statistics, and for a catalogue
    of nearly only active packs it guesses one row, then probes the search index once per pack."""
    return literal(status.value, literal_execute=True)


def _needle(text: str) -> str:
    """`text` to compare with stored text: lower-cased, without NUL characters (which PostgreSQL
    refuses in text) or surrounding space."""
    return text.replace("\x00", "").strip().lower()


def _contains(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
