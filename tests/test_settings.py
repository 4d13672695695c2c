import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
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
    "TRUSTED_PROXY_COUNT": "1",
    "STAFF_MFA_REQUIRED": "1",
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


def test_production_settings_are_the_hardened_ones():
    names = [
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        "STAFF_MFA_REQUIRED", "PAYMENT_PROVIDER", "ALLAUTH_TRUSTED_PROXY_COUNT",
        "ACCOUNT_PREVENT_ENUMERATION", "ACCOUNT_REAUTHENTICATION_REQUIRED",
    ]  # fmt: skip
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "STAFF_MFA_REQUIRED": True,
        "PAYMENT_PROVIDER": "",
        "ALLAUTH_TRUSTED_PROXY_COUNT": 1,
        "ACCOUNT_PREVENT_ENUMERATION": True,
        "ACCOUNT_REAUTHENTICATION_REQUIRED": True,
    }, result.stderr


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
    letters = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    subjects = {letter["Subject"] for letter in letters}
    assert len(subjects) == 2


def test_development_default_is_the_file_backend():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.MAILERS['default']['BACKEND'])",
        env={},
    )
    assert result.stdout.strip() == "kabinet.observability.mail.CountingFileBackend", result.stderr


def test_captcha_test_mode_is_refused_in_production():
    result = manage("check", env={**PRODUCTION, "KABINET_CAPTCHA_TEST_MODE": "1"})
    assert result.returncode != 0
    assert "KABINET_CAPTCHA_TEST_MODE" in result.stderr


def print_setting(name, env):
    return manage(
        "shell", "--no-imports", "-c", f"from django.conf import settings; print(settings.{name})",
        env=env,
    )  # fmt: skip


def test_a_public_host_without_debug_set_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "DEBUG"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "kabinet.example.ru" in result.stderr


def test_debug_on_a_public_host_refuses_to_start():
    result = manage("check", env={"DEBUG": "1", "ALLOWED_HOSTS": "localhost,*"})
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


@pytest.mark.parametrize("hosts", ["", "localhost,127.0.0.1", "[::1],testserver"])
def test_development_stays_the_default_on_local_hosts(hosts):
    env = {"ALLOWED_HOSTS": hosts} if hosts else {}
    result = print_setting("DEBUG", env)
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize("value", ["fasle", "2", "Ja", ""])
def test_a_yes_no_setting_that_cannot_be_read_stops_the_start(value):
    result = manage("check", env={**PRODUCTION, "DEBUG": value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"), [("OFF", "False"), (" no ", "False"), ("True", "True"), ("on", "True")]
)
def test_yes_no_words_in_any_case_are_read(value, expected):
    result = print_setting("YOOKASSA_CHECK_IP", {"YOOKASSA_CHECK_IP": value})
    assert result.stdout.strip() == expected, result.stderr


def test_the_trusted_proxy_count_is_allauths_too():
    result = print_setting("ALLAUTH_TRUSTED_PROXY_COUNT", {"TRUSTED_PROXY_COUNT": "1"})
    assert result.stdout.strip() == "1", result.stderr


def test_staff_two_factor_is_required_in_production_and_optional_in_development():
    assert print_setting("STAFF_MFA_REQUIRED", PRODUCTION).stdout.strip() == "True"
    assert print_setting("STAFF_MFA_REQUIRED", {}).stdout.strip() == "False"


def test_development_mail_files_are_readable_text(tmp_path):
    letter = EmailMessage("Подтвердите e-mail", "Перейдите по ссылке:\nhttp://127.0.0.1:8000/x/",
                          "from@example.com", ["a@example.com"])  # fmt: skip
    letter.attach("квитанция.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")
    FilePerMessageBackend(file_path=str(tmp_path)).send_messages([letter])
    (path,) = tmp_path.iterdir()
    text = path.read_bytes().decode()
    assert "Subject: Подтвердите e-mail" in text
    assert "Перейдите по ссылке:\nhttp://127.0.0.1:8000/x/" in text
    assert "Content-Transfer-Encoding: 8bit" in text
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_content() == b"%PDF-1.4 \x00\xff"


def test_make_run_gives_the_site_its_own_address_for_links_in_mail():
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(["make", "-n", "run", "PORT=8822"], cwd=ROOT, capture_output=True,
                            text=True, check=True, env=env)  # fmt: skip
    (serve,) = [line for line in result.stdout.splitlines() if "runserver" in line]
    assert "SITE_URL=http://127.0.0.1:8822" in serve
    assert serve.endswith("runserver 127.0.0.1:8822")
    mine = subprocess.run(["make", "-n", "run", "SITE_URL=https://kabinet.test"], cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "SITE_URL=https://kabinet.test" in mine.stdout
