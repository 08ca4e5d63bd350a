"""Backups of the database: one file, restorable on the same kind of database.

SQLite: the sqlite3 online backup API (a consistent copy while the app keeps running, WAL
included). PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
(all or nothing). Uploaded files live in storage (disk or S3) and are backed up there.
"""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore could not be done; nothing was changed."""


@dataclass
class BackupInfo:
    path: Path
    vendor: str
    size: int


def _vendor(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {vendor} databases are not supported")
    return vendor


def _pg_command(tool: str, using: str) -> tuple[list[str], dict[str, str]]:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    s = connections[using].settings_dict
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    if s.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = s["OPTIONS"]["sslmode"]
    args = [tool, "--dbname", s["NAME"], "--no-password"]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip()[-2000:]}")


def backup(target: Path, *, using: str = "default") -> BackupInfo:
    """Write a consistent copy of the database to ``target`` (atomically: tmp file + rename)."""
    vendor = _vendor(using)
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        if vendor == "sqlite":
            source = sqlite3.connect(connections[using].settings_dict["NAME"])
            copy = sqlite3.connect(tmp)
            try:
                with copy:
                    source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            args, env = _pg_command("pg_dump", using)
            _run([*args, "--format=custom", "--file", str(tmp)], env)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupInfo(target, vendor, target.stat().st_size)


def restore(source: Path, *, using: str = "default") -> None:
    """Replace the database's content with a backup taken by :func:`backup`.

    Stop app servers and workers first: their open transactions would see the data change
    underneath them (SQLite) or block the restore (PostgreSQL).
    """
    vendor = _vendor(using)
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    with source.open("rb") as f:
        head = f.read(16)
    kind = "sqlite" if head == SQLITE_MAGIC else "postgresql" if head[:5] == PGDUMP_MAGIC else None
    if kind is None:
        raise BackupError(f"{source} is neither an SQLite database nor a pg_dump custom archive")
    if kind != vendor:
        raise BackupError(f"{source} is a {kind} backup; this installation uses {vendor}")
    connections[using].close()
    if vendor == "sqlite":
        backup_db = sqlite3.connect(f"file:{source.resolve()}?mode=ro", uri=True)
        try:
            problem = backup_db.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise BackupError(f"{source} is damaged: {problem}")
            live = sqlite3.connect(connections[using].settings_dict["NAME"], timeout=30)
            try:
                backup_db.backup(live)  # page by page into the live file, under its write lock
            finally:
                live.close()
        finally:
            backup_db.close()
    else:
        args, env = _pg_command("pg_restore", using)
        _run(
            [*args, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
            env,
        )
