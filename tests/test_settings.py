import email
import os
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMessage

from kabinet.mail import FilePerMessageBackend

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "kabinet.example.ru",
    "DATABASE_URL": "postgres://kabinet:secret@db.example.ru:5432/kabinet",
    "EMAIL_HOST": "smtp.example.ru",
    "EMAIL_PORT": "587",
    "EMAIL_USE_TLS": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECURE_HSTS_PRELOAD": "1",
}


def manage(*args, env):
    unset = {*PRODUCTION, "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_writes_each_message_to_its_own_file(tmp_path):
    backend = FilePerMessageBackend(file_path=str(tmp_path))
    sent = backend.send_messages(
        [
            EmailMessage("Первое", "Текст 1", "from@example.com", ["a@example.com"]),
            EmailMessage("Второе", "Текст 2", "from@example.com", ["b@example.com"]),
        ]
    )
    files = sorted(tmp_path.iterdir())
    assert sent == 2
    assert len(files) == 2
    subjects = {email.message_from_bytes(f.read_bytes())["Subject"] for f in files}
    assert len(subjects) == 2


def test_development_default_is_the_file_backend():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.MAILERS['default']['BACKEND'])",
        env={},
    )
    assert result.stdout.strip() == "kabinet.mail.FilePerMessageBackend", result.stderr


def test_captcha_test_mode_is_refused_in_production():
    result = manage("check", env={**PRODUCTION, "KABINET_CAPTCHA_TEST_MODE": "1"})
    assert result.returncode != 0
    assert "KABINET_CAPTCHA_TEST_MODE" in result.stderr
