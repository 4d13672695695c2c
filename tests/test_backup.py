"""deploy/backup.sh and restore.sh: a backup restored into an empty database and an empty
MEDIA_ROOT gives back every balance and every uploaded file. PostgreSQL only (pg_dump)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="backups are pg_dump's: run with DATABASE_URL=postgres://…",
)

# Every balance and every file the database names, read through the project's own code.
SNAPSHOT = """
import hashlib, json
from django.apps import apps
from django.db import models
from kabinet.billing.selectors import balances
from kabinet.housing.models import PersonalAccount
accounts = list(PersonalAccount.objects.all())
files = {}
for model in apps.get_models():
    for field in model._meta.fields:
        if isinstance(field, models.FileField):
            for obj in model._base_manager.exclude(**{field.name: ""}):
                with getattr(obj, field.name).open("rb") as f:
                    files[getattr(obj, field.name).name] = hashlib.sha256(f.read()).hexdigest()
by_id = balances(accounts)
print(json.dumps({
    "balances": {f"{a.organization_id}/{a.number}": str(by_id.get(a.pk)) for a in accounts},
    "files": files,
}))
"""

ADD_FILE = """
from django.core.files.base import ContentFile
from kabinet.housing.models import ContractDocument, ManagementContract
contract = ManagementContract.objects.first()
ContractDocument.objects.create(contract=contract, title="Протокол",
    file=ContentFile("протокол общего собрания".encode(), name="протокол.pdf"))
"""


def database_url(name: str) -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate(name: str) -> str:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop(name: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(args, env, **kwargs):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MEDIA_ROOT"}}
    result = subprocess.run(
        args, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False, **kwargs
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def manage(*args, env):
    return run([sys.executable, "manage.py", *args], env)


@pytest.fixture
def databases():
    base = urlsplit(DATABASE_URL).path.lstrip("/") or "kabinet"
    names = (f"{base}_backup_source", f"{base}_backup_restored")
    yield tuple(recreate(name) for name in names)
    for name in names:
        drop(name)


def test_a_restored_backup_has_every_balance_and_file(databases, tmp_path):
    source_url, restored_url = databases
    source = {"DATABASE_URL": source_url, "MEDIA_ROOT": str(tmp_path / "media")}
    manage("migrate", "--noinput", env=source)
    manage("load_demo", env=source)
    manage("shell", "--no-imports", "-c", ADD_FILE, env=source)
    before = json.loads(manage("shell", "--no-imports", "-c", SNAPSHOT, env=source))
    assert before["balances"]
    assert len(before["files"]) >= 1
    assert any(balance != "0.00" for balance in before["balances"].values())

    backup = run(["sh", "deploy/backup.sh", str(tmp_path / "backups")], source).strip()
    assert sorted(os.listdir(backup)) == ["SHA256SUMS", "database.dump", "media.tar.gz"]

    restored = {"DATABASE_URL": restored_url, "MEDIA_ROOT": str(tmp_path / "restored-media")}
    run(["sh", "deploy/restore.sh", backup], restored)
    after = json.loads(manage("shell", "--no-imports", "-c", SNAPSHOT, env=restored))
    assert after == before


def test_restore_refuses_a_database_that_is_not_empty(databases, tmp_path):
    source_url, _ = databases
    source = {"DATABASE_URL": source_url, "MEDIA_ROOT": str(tmp_path / "media")}
    manage("migrate", "--noinput", "orgs", env=source)
    backup = run(["sh", "deploy/backup.sh", str(tmp_path / "backups")], source).strip()
    result = subprocess.run(
        ["sh", "deploy/restore.sh", backup],
        cwd=ROOT,
        env={**os.environ, **source},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "restore into an empty one" in result.stderr
