"""The registry's full-text index of packs as queries see it: `PACK_SEARCH`, each pack's entry in
the index, to join to its pack, and `matches`, the condition that asks the entry for words on
either database.

The index itself lives in the database: migration 0004 creates it (an FTS5 table on SQLite,
`tsvector` columns under a GIN index on PostgreSQL), and triggers on the pack, version and node
class tables keep it current. Every writer (publishing, the checks, moderation, mirroring, bulk
loads) therefore updates it without knowing it exists. The node classes indexed are those of the
pack's active versions: each of them is installable, so each of their names should find the pack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, TableClause, TypeDecorator, bindparam, column
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import InternalTraversal

# The indexed fields, in the order of the ranking in `search.py`.
FIELDS = ("identifier", "name", "node_classes", "description", "author")
# Words past this many are ignored: each one makes the query dearer and the answer barely better.
MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")
_ENTRY = "pack_search"


class _Entries(TableClause):
    """The table that holds each pack's entry, named per database: on SQLite the one that gives a
    pack its FTS5 rowid (`id`), since FTS5 rows are cheap to reach by rowid and dear by any other
    column; on PostgreSQL the table of `tsvector`s itself. Only used aliased, as `_ENTRY`."""

    inherit_cache = True


@compiles(_Entries, "sqlite")
def _sqlite_entries(element: _Entries, compiler: Any, **kw: Any) -> str:
    return "registry_pack_search_rowids"


@compiles(_Entries, "postgresql")
def _postgresql_entries(element: _Entries, compiler: Any, **kw: Any) -> str:
    return "registry_pack_search"


# Join it on `PACK_SEARCH.c.pack_id`; `matches` conditions refer to it.
PACK_SEARCH = _Entries("registry_pack_search_entries", column("pack_id", String)).alias(_ENTRY)


def words_of(text: str) -> tuple[str, ...]:
    """The words a search for `text` looks for: its runs of letters and digits, lower-cased.

    Everything else (quotes, `*`, `-`, `:`, parentheses) only separates words, as it does in the
    indexed text, so no input can be read as query syntax: `"OR"` is just the word "or".
    """
    return tuple(_WORD.findall(text.lower()))[:MAX_WORDS]


def search_words(name: str, words: tuple[str, ...]) -> BindParameter[tuple[str, ...]]:
    """`words` as a bound parameter named `name`, to use with `matches` (one may serve many)."""
    return bindparam(name, words, type_=SearchWords())


def matches(words: BindParameter[tuple[str, ...]], field: str | None = None) -> ColumnElement[bool]:
    """Whether the `PACK_SEARCH` entry joined to the query holds every word as a prefix of one of its
    words ("lcm" finds "ComfyUI-LCM", "ksampl" finds "KSamplerAdvanced"), in `field` or in any.

    Several words may also match as one: "load image" finds "LoadImage".
    """
    if field is not None and field not in FIELDS:
        raise ValueError(f"{field!r} is not an indexed field; use one of {', '.join(FIELDS)}.")
    return _Matches(words, field)


class SearchWords(TypeDecorator[tuple[str, ...]]):
    """A tuple of words, sent in the database's own query syntax: FTS5's on SQLite, `to_tsquery`'s
    on PostgreSQL. Words hold only letters and digits; they are quoted all the same."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: tuple[str, ...] | None, dialect: Any) -> str | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return _query(value, _tsquery_prefix, and_=" & ", or_=" | ")
        return _query(value, _fts5_prefix, and_=" AND ", or_=" OR ")

    def process_literal_param(self, value: tuple[str, ...] | None, dialect: Any) -> str | None:
        return self.process_bind_param(value, dialect)


def _query(words: tuple[str, ...], prefix: Callable[[str], str], *, and_: str, or_: str) -> str:
    """Every word as a prefix; for several, alternatively all of them run together as one."""
    every = and_.join(prefix(word) for word in words)
    return f"({every}){or_}{prefix(''.join(words))}" if len(words) > 1 else every


def _fts5_prefix(word: str) -> str:
    return '"' + word.replace('"', '""') + '"*'


def _tsquery_prefix(word: str) -> str:
    return "'" + word.replace("'", "''") + "':*"


class _Matches(ColumnElement[bool]):
    """`matches`: a condition whose SQL depends on the database, so it is compiled per dialect."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a predicate: SQLite must not get "MATCH ... = 1"
    _traverse_internals = [
        ("words", InternalTraversal.dp_clauseelement),
        ("field", InternalTraversal.dp_string),
    ]

    def __init__(self, words: BindParameter[tuple[str, ...]], field: str | None) -> None:
        self.words = words
        self.field = field


@compiles(_Matches, "sqlite")
def _fts5_match(element: _Matches, compiler: Any, **kw: Any) -> str:
    words = compiler.process(element.words, **kw)
    # FTS5 names the whole row by the table's own name (a column name narrows the match to it).
    target = element.field or "registry_pack_search"
    return f"{_ENTRY}.id IN (SELECT rowid FROM registry_pack_search WHERE {target} MATCH {words})"


@compiles(_Matches, "postgresql")
def _tsquery_match(element: _Matches, compiler: Any, **kw: Any) -> str:
    # The query goes into the SQL as a literal (quoted, and of letters and digits only): with a
    # parameter, PostgreSQL soon settles on a generic plan that guesses a few dozen matches, and
    # for a common word then probes thousands of packs one by one instead of hashing them.
    words = compiler.process(element.words, **{**kw, "literal_execute": True})
    return f"{_ENTRY}.{element.field or 'document'} @@ to_tsquery('simple', {words})"


@compiles(_Matches)
def _unsupported(element: _Matches, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"Registry search needs SQLite or PostgreSQL, not {compiler.dialect.name}.")
