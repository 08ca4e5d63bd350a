"""Backups: one file that holds everything a restore needs, or says what it does not hold.

The file is a tar archive: ``manifest.json``; ``database`` (SQLite: a copy made with the sqlite3
online backup API, consistent while the app keeps running; PostgreSQL: ``pg_dump
--format=custom``, restored with ``pg_restore --clean --single-transaction``, all or nothing);
``data/keys/`` (seal keys, the development CA, the transparency log's key: without the log key a
restored log cannot be verified, and a new key would sign a second, unrelated history);
``data/emblems/``; and ``media/`` (issued PDFs, uploads) when files are kept on local disk.

Keys configured outside the data directory (``SPORTEL_SEAL_<SLUG>_P12``, ``SPORTEL_LOG_KEY_FILE``,
``SPORTEL_TRUST_ROOTS``) and passphrases (environment only) are not copied: the manifest and the
command's output name them, and a restore refuses to run until each named file exists where the
restoring installation's environment points. The archive holds private keys: keep it like them
(it is written readable by its owner only). A bare database file from an older ``sportel
backup`` is still accepted.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
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


def _backup_db(target: Path, *, using: str = "default") -> BackupInfo:
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


def _restore_db(source: Path, *, using: str = "default") -> None:
    """Replace the database's content with a database file taken by :func:`_backup_db`.

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


FORMAT = "sportel-backup"
DATA_FOLDERS = ("keys", "emblems")  # under SPORTEL_DATA_DIR
EXTERNAL_KEY_VARIABLES = ("SPORTEL_LOG_KEY_FILE", "SPORTEL_TRUST_ROOTS")


@dataclass
class BackupArchive:
    path: Path
    vendor: str
    size: int
    files: int
    not_included: list[str]  # what the operator must copy themselves


def external_key_files() -> dict[str, list[str]]:
    """Environment variable → key or certificate files it names outside the data directory."""
    found: dict[str, list[str]] = {}
    for name, value in sorted(os.environ.items()):
        if not value:
            continue
        if name in EXTERNAL_KEY_VARIABLES or (
            name.startswith("SPORTEL_SEAL_") and name.endswith("_P12")
        ):
            found[name] = [item.strip() for item in value.split(",") if item.strip()]
    return found


def _local_media_root() -> Path | None:
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage, default_storage

    if isinstance(default_storage, FileSystemStorage):
        return Path(settings.MEDIA_ROOT)
    return None


def backup(target: Path, *, using: str = "default") -> BackupArchive:
    """Write the database, the keys and the local files to one archive ``target``."""
    from django.conf import settings

    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(settings.DATA_DIR).resolve()
    external = external_key_files()
    media = _local_media_root()
    tmp = target.with_name(f".{target.name}.partial")
    files = 0
    with tempfile.TemporaryDirectory() as work:
        db = _backup_db(Path(work) / "database", using=using)
        manifest = {
            "format": FORMAT,
            "version": 1,
            "vendor": db.vendor,
            "data_folders": [f for f in DATA_FOLDERS if (data_dir / f).is_dir()],
            "media": media is not None,
            "not_included": external,
            "passphrases": "environment variables SPORTEL_SEAL_<SLUG>_PASSPHRASE, if set",
        }
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                body = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
                tar.add(db.path, arcname="database")
                for folder in manifest["data_folders"]:
                    tar.add(data_dir / folder, arcname=f"data/{folder}")
                if media is not None and media.is_dir():
                    tar.add(media, arcname="media")
                files = len(tar.getmembers())
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
    not_included = [f"{name}={path}" for name, paths in external.items() for path in paths]
    return BackupArchive(target, db.vendor, target.stat().st_size, files, not_included)


def _is_archive(path: Path) -> bool:
    try:
        with tarfile.open(path, "r") as tar:
            return tar.getmember("manifest.json") is not None
    except (tarfile.TarError, KeyError, OSError):
        return False


def restore(source: Path, *, using: str = "default") -> list[str]:
    """Restore an archive made by :func:`backup` (or a bare database file); returns notes.

    Refused, before anything is changed, when a key the backed-up installation kept outside its
    data directory is not present where this installation's environment points, or when a key
    file here differs from the one in the backup (it would be overwritten: move it away first).
    """
    from django.conf import settings

    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if not _is_archive(source):
        _restore_db(source, using=using)
        return [
            "This was a bare database file: copy SPORTEL_DATA_DIR/keys and the media files "
            "from the old installation yourself."
        ]
    data_dir = Path(settings.DATA_DIR)
    media = _local_media_root()
    with tarfile.open(source, "r") as tar, tempfile.TemporaryDirectory() as work:
        manifest = json.load(tar.extractfile("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{source} is not a Sportel backup archive")
        missing = []
        for name in manifest.get("not_included", {}):
            here = [p.strip() for p in os.environ.get(name, "").split(",") if p.strip()]
            if not here or not all(Path(p).is_file() for p in here):
                missing.append(name)
        if missing:
            raise BackupError(
                "The backup does not hold these keys, which the old installation kept outside "
                f"its data directory: {', '.join(missing)}. Copy each file, set the variable to "
                "where it is, and run the restore again (nothing was changed)."
            )
        tar.extractall(work, filter="data")
        root = Path(work)
        keys_in_backup = root / "data" / "keys"
        clashes = []
        if keys_in_backup.is_dir():
            for file in keys_in_backup.rglob("*"):
                here = data_dir / "keys" / file.relative_to(keys_in_backup)
                if file.is_file() and here.is_file() and here.read_bytes() != file.read_bytes():
                    clashes.append(str(here))
        if clashes:
            raise BackupError(
                "These key files differ from the ones in the backup and would be overwritten: "
                f"{', '.join(clashes)}. Move them away first (nothing was changed)."
            )
        _restore_db(root / "database", using=using)
        for folder in manifest.get("data_folders", []):
            shutil.copytree(root / "data" / folder, data_dir / folder, dirs_exist_ok=True)
        notes = []
        if manifest.get("media") and (root / "media").is_dir():
            if media is None:
                notes.append("The backup's media files were not restored: storage is not local.")
            else:
                shutil.copytree(root / "media", media, dirs_exist_ok=True)
    return notes
