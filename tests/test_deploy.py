"""What deploy/ installs is checked by the tools that will read it: ``systemd-analyze verify``
for the units and timers, ``nginx -t`` for the site, and the environment template against the
variables settings.py reads. ``make test`` installs nginx from Debian (``make servers``)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "kabinet.conf"
INSTALL_DIR = "/srv/kabinet"


def settings_variables(source: str | None = None) -> set[str]:
    """Every environment variable kabinet/settings.py reads, found in its source."""
    source = source or (ROOT / "kabinet" / "settings.py").read_text()
    calls = r'(?:environ\.get|env_bool|env_int|env_list|getenv)\(\s*"([A-Z][A-Z0-9_]*)"'
    items = r'environ\["([A-Z][A-Z0-9_]*)"\]'
    return set(re.findall(calls, source)) | set(re.findall(items, source))


def test_the_environment_template_lists_every_variable_settings_reads():
    template = (DEPLOY / "kabinet.env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", template, re.MULTILINE))
    assert len(settings_variables()) > 40  # the scan itself still finds them
    missing = settings_variables() - listed
    assert not missing, f"deploy/kabinet.env.example does not list {sorted(missing)}"


def test_the_scan_finds_each_way_settings_reads_a_variable():
    sample = 'os.environ.get("A_B")\nenv_bool("C", 1)\nenv_int(\n    "D", 2)\nos.environ["E"]'
    assert settings_variables(sample) == {"A_B", "C", "D", "E"}


def timers() -> dict[str, str]:
    """Timer file -> the management command it runs."""
    found = {}
    for path in sorted(UNITS.glob("*.timer")):
        unit = re.search(r"^Unit=(\S+)\.service$", path.read_text(), re.MULTILINE)
        assert unit, f"{path.name} names no service"
        template = re.sub(r"@.+$", "@", unit.group(1))
        assert (UNITS / f"{template}.service").exists(), f"{path.name}: no {template}.service"
        if unit.group(1).startswith("kabinet-manage@"):
            found[path.name] = unit.group(1).removeprefix("kabinet-manage@")
    return found


def test_every_timer_runs_a_management_command_that_exists():
    commands = get_commands()
    assert set(timers().values()) >= {
        "remind_readings",
        "check_online_payments",
        "purge_idempotency_keys",
        "deliver_webhooks",
    }
    for timer, command in timers().items():
        assert command in commands, f"{timer}: no management command {command!r}"


def test_the_install_steps_enable_every_timer_once():
    """deploy/README.md's step enables each timer of deploy/systemd/, each once, in one command
    (a line without its «\\» would leave the rest to the shell as a command of its own)."""
    readme = (DEPLOY / "README.md").read_text()
    command = re.search(r"systemctl enable --now (kabinet-\S+\.timer(?: \\\n|[ \t])*)+", readme)
    assert command, "no «systemctl enable --now …timer» step in deploy/README.md"
    enabled = re.findall(r"kabinet-\S+\.timer", command.group(0))
    assert sorted(enabled) == sorted(path.name for path in UNITS.glob("*.timer"))


def test_the_worker_runs_the_command_django_tasks_db_provides():
    unit = (UNITS / "kabinet-worker.service").read_text()
    assert "manage.py db_worker" in unit
    assert get_commands()["db_worker"] == "django_tasks_db"


def test_the_worker_takes_back_its_own_unfinished_tasks_before_it_starts():
    """One id for the worker across restarts, and the tasks of that id requeued first
    (kabinet/jobs/workers.py)."""
    unit = (UNITS / "kabinet-worker.service").read_text()
    before = re.search(r"^ExecStartPre=\S+ manage\.py requeue_worker_tasks (\S+)$", unit, re.M)
    worker = re.search(r"^ExecStart=\S+ manage\.py db_worker .*--worker-id (\S+)", unit, re.M)
    assert before, "no ExecStartPre=… requeue_worker_tasks"
    assert worker, "no ExecStart=… db_worker --worker-id"
    assert before.group(1) == worker.group(1) == "%l/%N"  # this host, this unit


def test_the_environment_template_lists_what_the_units_read():
    template = (DEPLOY / "kabinet.env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", template, re.MULTILINE))
    read = set()
    for path in UNITS.glob("*.service"):
        read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", path.read_text()))
    assert {"WEB_BIND", "WEB_FORWARDED_ALLOW_IPS"} <= read
    assert read <= listed, f"deploy/kabinet.env.example does not list {sorted(read - listed)}"


@pytest.fixture
def installed_units(tmp_path):
    """The units as installed, with /srv/kabinet pointing at a directory whose programs exist
    (systemd-analyze checks that ExecStart's program is executable)."""
    install = tmp_path / "srv"
    bin_dir = install / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("python", "gunicorn"):
        (bin_dir / program).symlink_to(sys.executable)
    (install / "var").mkdir()
    (install / "deploy").symlink_to(DEPLOY)  # backup.sh, executable as in the repository
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS.iterdir():
        (units / path.name).write_text(path.read_text().replace(INSTALL_DIR, str(install)))
    return units


def test_systemd_units_and_timers_verify(installed_units):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (apt-get install systemd)")
    files = sorted(str(path) for path in installed_units.iterdir())
    # Instances of the template, as the timers start them.
    for command in set(timers().values()):
        instance = installed_units / f"kabinet-manage@{command}.service"
        shutil.copy(installed_units / "kabinet-manage@.service", instance)
        files.append(str(instance))
    result = subprocess.run(
        ["systemd-analyze", "verify", *files], capture_output=True, text=True, check=False
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # This machine has no such services; the server does (deploy/README.md installs them).
        if not re.search(r"(postgresql|redis-server)\.service", line)
    ]
    assert result.returncode == 0, "\n".join(complaints)
    assert not complaints, "\n".join(complaints)


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: `make servers` installs it from Debian")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=portal.example.ru", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = SITE.read_text()
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", site)
    site = re.sub(
        r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", site
    )
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_body_limit_is_the_apps():
    size = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())
    assert int(size.group(1)) * 1024 * 1024 == settings.MAX_REQUEST_BODY


def test_nginx_overwrites_the_forwarded_address_for_one_trusted_proxy():
    site = SITE.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "$proxy_add_x_forwarded_for" not in site  # would pass on what the client wrote
    template = (DEPLOY / "kabinet.env.example").read_text()
    assert re.search(r"^TRUSTED_PROXY_COUNT=1$", template, re.MULTILINE)
