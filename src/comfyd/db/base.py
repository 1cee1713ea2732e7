"""The declarative base and async engine factory.

SQLite runs in WAL mode with `synchronous=NORMAL`: a committed transaction survives a killed
process (kill -9), readers never block the writer, and commits stay cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, MetaData, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, list[str]: JSON}


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; for SQLite, creates the file's folder and sets the pragmas."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def create_sqlite_writer_engine(url: str | URL) -> Engine:
    """A synchronous engine on the SQLite file of `url`, for a connection that only writes.

    Same pragmas as `create_engine`, and every transaction begins IMMEDIATE: it takes the write
    lock up front, so a busy database is waited for at BEGIN and never fails a transaction
    halfway (a deferred one that reads first can get SQLITE_BUSY when it starts writing).
    """
    engine = create_sync_engine(make_url(url).set(drivername="sqlite"), connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "connect", _manual_transactions)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _manual_transactions(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # the driver's own BEGINs would come too late


def _begin_immediate(connection) -> None:
    # Straight to the driver: `exec_driver_sql` would cost as much as the statement it wraps.
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
