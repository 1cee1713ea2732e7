"""Comfy Registry search: a full-text index of packs, kept current by triggers, and filled from the
packs already stored.

One document per pack: its id, name, description and author, and the node class names of its
active versions. SQLite gets an FTS5 table (`registry_pack_search`) beside a table that gives each
pack a stable rowid in it (`registry_pack_search_rowids`; a table without an INTEGER PRIMARY KEY
may renumber its rowids on VACUUM). PostgreSQL gets a table of `tsvector` columns, one per field
plus their union under a GIN index, refreshed by one PL/pgSQL function.

Triggers instead of application code: the index then stays right whoever writes (publishing, the
checks, moderation, mirroring, bulk loads). Only writes that change a document fire them: pack
installs, reviews and status changes do not. A later migration that rebuilds one of these tables
on SQLite (batch mode) drops its triggers and must create them again.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"

ACTIVE = "'active'"  # the stored status of an active version (VersionStatus.ACTIVE)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgresql_upgrade()
    else:
        raise NotImplementedError(f"Registry search supports SQLite and PostgreSQL, not {dialect}.")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS registry_pack_search")
        op.execute("DROP TABLE IF EXISTS registry_pack_search_rowids")
        return
    for trigger, table in _POSTGRESQL_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP TABLE IF EXISTS registry_pack_search")
    for function in _POSTGRESQL_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")


# SQLite ---------------------------------------------------------------------------------------

_SQLITE_TRIGGERS = (
    "registry_pack_search_pack_added",
    "registry_pack_search_pack_changed",
    "registry_pack_search_pack_removed",
    "registry_pack_search_version_added",
    "registry_pack_search_version_changed",
    "registry_pack_search_version_removed",
    "registry_pack_search_node_added",
    "registry_pack_search_node_changed",
    "registry_pack_search_node_removed",
)


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE TABLE registry_pack_search_rowids ("
        "id INTEGER NOT NULL PRIMARY KEY, "
        "pack_id VARCHAR(100) NOT NULL CONSTRAINT uq_registry_pack_search_rowids_pack_id UNIQUE)"
    )
    # unicode61 folds case and diacritics and splits at anything but letters and digits, as
    # `search_index.words_of` splits queries; the prefix indexes make short prefixes cheap.
    op.execute(
        "CREATE VIRTUAL TABLE registry_pack_search USING fts5("
        "identifier, name, node_classes, description, author, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    node_pack = "(SELECT pack_id FROM registry_pack_versions WHERE id = {row}.version_id)"
    node_is_active = f"(SELECT status FROM registry_pack_versions WHERE id = {{row}}.version_id) = {ACTIVE}"
    triggers = {
        "registry_pack_search_pack_added": ("AFTER INSERT ON registry_packs", None, _refresh("NEW.id")),
        "registry_pack_search_pack_changed": (
            "AFTER UPDATE OF id, name, description, author ON registry_packs",
            None,
            _refresh("OLD.id") + _refresh("NEW.id"),
        ),
        "registry_pack_search_pack_removed": ("AFTER DELETE ON registry_packs", None, _refresh("OLD.id")),
        "registry_pack_search_version_added": (
            "AFTER INSERT ON registry_pack_versions",
            f"NEW.status = {ACTIVE}",
            _refresh("NEW.pack_id"),
        ),
        "registry_pack_search_version_changed": (
            "AFTER UPDATE OF status, pack_id ON registry_pack_versions",
            f"(OLD.status = {ACTIVE} OR NEW.status = {ACTIVE}) "
            "AND (OLD.status IS NOT NEW.status OR OLD.pack_id IS NOT NEW.pack_id)",
            _refresh("OLD.pack_id") + _refresh("NEW.pack_id"),
        ),
        "registry_pack_search_version_removed": (
            "AFTER DELETE ON registry_pack_versions",
            f"OLD.status = {ACTIVE}",
            _refresh("OLD.pack_id"),
        ),
        "registry_pack_search_node_added": (
            "AFTER INSERT ON registry_comfy_nodes",
            node_is_active.format(row="NEW"),
            _refresh(node_pack.format(row="NEW")),
        ),
        "registry_pack_search_node_changed": (
            "AFTER UPDATE OF name, version_id ON registry_comfy_nodes",
            None,
            _refresh(node_pack.format(row="OLD")) + _refresh(node_pack.format(row="NEW")),
        ),
        "registry_pack_search_node_removed": (
            "AFTER DELETE ON registry_comfy_nodes",
            node_is_active.format(row="OLD"),
            _refresh(node_pack.format(row="OLD")),
        ),
    }
    for name, (event, condition, body) in triggers.items():
        when = f" WHEN {condition}" if condition else ""
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW{when} BEGIN {body} END")
    op.execute("INSERT INTO registry_pack_search_rowids (pack_id) SELECT id FROM registry_packs ORDER BY id")
    op.execute(f"INSERT INTO registry_pack_search {_DOCUMENTS}")


# The index rows of packs (with their rowids), for an INSERT INTO the FTS5 table; a WHERE clause
# on `p` may narrow it to one pack.
_DOCUMENTS = (
    "(rowid, identifier, name, node_classes, description, author) "
    "SELECT r.id, p.id, p.name, "
    "(SELECT group_concat(DISTINCT n.name) FROM registry_comfy_nodes AS n "
    "JOIN registry_pack_versions AS v ON v.id = n.version_id "
    f"WHERE v.pack_id = p.id AND v.status = {ACTIVE}), "
    "p.description, p.author "
    "FROM registry_packs AS p JOIN registry_pack_search_rowids AS r ON r.pack_id = p.id"
)


def _refresh(pack: str) -> str:
    """Trigger statements that rebuild the index row of the pack whose id is the SQL expression
    `pack`, or remove it when the pack is gone."""
    rowid = f"(SELECT id FROM registry_pack_search_rowids WHERE pack_id = {pack})"
    return (
        f"INSERT OR IGNORE INTO registry_pack_search_rowids (pack_id) "
        f"SELECT id FROM registry_packs WHERE id = {pack}; "
        f"DELETE FROM registry_pack_search WHERE rowid = {rowid}; "
        f"DELETE FROM registry_pack_search_rowids WHERE pack_id = {pack} "
        f"AND NOT EXISTS (SELECT 1 FROM registry_packs WHERE id = {pack}); "
        f"INSERT INTO registry_pack_search {_DOCUMENTS} WHERE p.id = {pack}; "
    )


# PostgreSQL -----------------------------------------------------------------------------------

_POSTGRESQL_TRIGGERS = (
    ("registry_pack_search_pack", "registry_packs"),
    ("registry_pack_search_version", "registry_pack_versions"),
    ("registry_pack_search_node", "registry_comfy_nodes"),
)
_POSTGRESQL_FUNCTIONS = (
    "registry_pack_search_on_node()",
    "registry_pack_search_on_version()",
    "registry_pack_search_on_pack()",
    "registry_pack_search_refresh(varchar)",
    "registry_search_vector(text)",
)


def _postgresql_upgrade() -> None:
    # Text is cut into words at anything but letters and digits before the parser sees it, as
    # `search_index.words_of` cuts queries: the parser alone would keep "comfyui.lcm" as one
    # host name, and "lcm" would not find it.
    op.execute(
        "CREATE FUNCTION registry_search_vector(value text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT to_tsvector('simple', regexp_replace(coalesce(value, ''), '[^[:alnum:]]+', ' ', 'g')) $$"
    )
    op.execute(
        "CREATE TABLE registry_pack_search ("
        "pack_id VARCHAR(100) NOT NULL, "
        "identifier tsvector NOT NULL, "
        "name tsvector NOT NULL, "
        "node_classes tsvector NOT NULL, "
        "description tsvector NOT NULL, "
        "author tsvector NOT NULL, "
        "document tsvector GENERATED ALWAYS AS "
        "(identifier || name || node_classes || description || author) STORED, "
        "CONSTRAINT pk_registry_pack_search PRIMARY KEY (pack_id), "
        "CONSTRAINT fk_registry_pack_search_pack_id_registry_packs FOREIGN KEY (pack_id) "
        "REFERENCES registry_packs (id) ON DELETE CASCADE)"
    )
    # The whole document answers `search`, the class names `comfy_node_search`. Without fastupdate,
    # a write goes straight into the index instead of a pending list that every search would scan
    # until the next vacuum: packs are read far more often than they are written.
    for column in ("document", "node_classes"):
        op.execute(
            f"CREATE INDEX ix_registry_pack_search_{column} ON registry_pack_search "
            f"USING gin ({column}) WITH (fastupdate = off)"
        )
    op.execute(_POSTGRESQL_REFRESH)
    op.execute(_POSTGRESQL_ON_PACK)
    op.execute(_POSTGRESQL_ON_VERSION)
    op.execute(_POSTGRESQL_ON_NODE)
    op.execute(
        "CREATE TRIGGER registry_pack_search_pack AFTER INSERT OR UPDATE OF name, description, author "
        "ON registry_packs FOR EACH ROW EXECUTE FUNCTION registry_pack_search_on_pack()"
    )
    op.execute(
        "CREATE TRIGGER registry_pack_search_version AFTER INSERT OR DELETE OR UPDATE OF status, pack_id "
        "ON registry_pack_versions FOR EACH ROW EXECUTE FUNCTION registry_pack_search_on_version()"
    )
    op.execute(
        "CREATE TRIGGER registry_pack_search_node AFTER INSERT OR DELETE OR UPDATE OF name, version_id "
        "ON registry_comfy_nodes FOR EACH ROW EXECUTE FUNCTION registry_pack_search_on_node()"
    )
    op.execute("SELECT registry_pack_search_refresh(id) FROM registry_packs")


_POSTGRESQL_REFRESH = f"""
CREATE FUNCTION registry_pack_search_refresh(target varchar) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- One refresh of a pack at a time: each builds the document from what it sees, and without
    -- the lock a refresh that read before another's commit could store its older view last.
    PERFORM 1 FROM registry_packs WHERE id = target FOR NO KEY UPDATE;
    INSERT INTO registry_pack_search (pack_id, identifier, name, node_classes, description, author)
    SELECT p.id,
           registry_search_vector(p.id),
           registry_search_vector(p.name),
           registry_search_vector((
               SELECT string_agg(DISTINCT n.name, ' ')
               FROM registry_comfy_nodes AS n
               JOIN registry_pack_versions AS v ON v.id = n.version_id
               WHERE v.pack_id = p.id AND v.status = {ACTIVE})),
           registry_search_vector(p.description),
           registry_search_vector(p.author)
    FROM registry_packs AS p
    WHERE p.id = target
    ON CONFLICT (pack_id) DO UPDATE SET
        identifier = EXCLUDED.identifier,
        name = EXCLUDED.name,
        node_classes = EXCLUDED.node_classes,
        description = EXCLUDED.description,
        author = EXCLUDED.author;
END $$
"""

_POSTGRESQL_ON_PACK = """
CREATE FUNCTION registry_pack_search_on_pack() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_pack_search_refresh(NEW.id);
    RETURN NULL;
END $$
"""

_POSTGRESQL_ON_VERSION = f"""
CREATE FUNCTION registry_pack_search_on_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.pack_id = NEW.pack_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = {ACTIVE} THEN
        PERFORM registry_pack_search_refresh(OLD.pack_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = {ACTIVE} THEN
        PERFORM registry_pack_search_refresh(NEW.pack_id);
    END IF;
    RETURN NULL;
END $$
"""

_POSTGRESQL_ON_NODE = f"""
CREATE FUNCTION registry_pack_search_on_node() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pack varchar;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT pack_id INTO pack FROM registry_pack_versions WHERE id = OLD.version_id AND status = {ACTIVE};
        IF FOUND THEN
            PERFORM registry_pack_search_refresh(pack);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT pack_id INTO pack FROM registry_pack_versions WHERE id = NEW.version_id AND status = {ACTIVE};
        IF FOUND THEN
            PERFORM registry_pack_search_refresh(pack);
        END IF;
    END IF;
    RETURN NULL;
END $$
"""
