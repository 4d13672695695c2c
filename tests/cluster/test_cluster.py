"""The multi-host test (issue 20, ``make cluster-test``): the portal as deploy/ installs it on
several machines, here network namespaces of this machine (tests/cluster/hosts.py).

    lb      198.18.20.10  nginx with deploy/nginx/kabinet.conf, TLS, upstream: web1 and web2
    web1    198.18.20.11  gunicorn as deploy/systemd/kabinet-web.service starts it
    web2    198.18.20.12  the same
    worker  198.18.20.13  manage.py db_worker as deploy/systemd/kabinet-worker.service starts it
    db      198.18.20.20  PostgreSQL (a cluster of its own, initdb) and Redis
    s3      198.18.20.21  moto's S3 server: the uploaded files (STORAGE_S3_*)

Every node has the settings of deploy/kabinet.env.example with the cluster's addresses, and a
``MEDIA_ROOT`` of its own that must stay empty. The test is the administrator's laptop on the
same switch: it signs in through the balancer, reads each web host's log to see which host
answered (the request id nginx sends is in Django's access line), kills hosts and reads the
database. Skipped unless ``--cluster`` is given; needs root (namespaces) and Debian's nginx,
PostgreSQL and Redis binaries (``make cluster-servers``).
"""

import io
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import psycopg
import pytest
import requests
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from PIL import Image

from kabinet.billing.billed import PART_ACCOUNTS
from tests.cluster import hosts

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"
INSTALL_DIR = "/srv/kabinet"
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/nonexistent"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BUCKET = "kabinet-media"
S3_KEYS = {"STORAGE_S3_ACCESS_KEY_ID": "cluster", "STORAGE_S3_SECRET_ACCESS_KEY": "cluster-secret"}
# The large organisation's run must last long enough to be killed in the middle: 4–6 s here
# under load in two parts of ``PART_ACCOUNTS`` (10 000) accounts, against a tenth of a second
# between two looks at its page.
LARGE_ACCOUNTS = 20_000
WORKER_ID = "worker/kabinet-worker"  # %l/%N of the worker unit on the host «worker»
START_TIMEOUT = 90  # seconds for a server to answer after its start
HTTP_TIMEOUT = 30


# --- deploy/ read as the installed system would ---------------------------------------------


def env_file() -> dict[str, str]:
    """The settings deploy/kabinet.env.example gives (its uncommented lines)."""
    values = {}
    for line in (DEPLOY / "kabinet.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def unit_lines(unit: str, key: str) -> list[str]:
    text = (DEPLOY / "systemd" / unit).read_text().replace("\\\n", " ")
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


def unit_environment(unit: str) -> dict[str, str]:
    """The unit's own ``Environment=`` (the environment file overrides it, as in systemd)."""
    return dict(
        item.split("=", 1) for line in unit_lines(unit, "Environment") for item in shlex.split(line)
    )


def unit_commands(unit: str, key: str, env: dict[str, str], host: str) -> list[list[str]]:
    """``ExecStart=``/``ExecStartPre=`` of ``unit`` as systemd runs them on ``host``: ``${VAR}``
    from the environment, ``%l`` the host's name, ``%N`` the unit's; /srv/kabinet is here."""
    commands = []
    for line in unit_lines(unit, key):
        line = re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: env[m.group(1)], line)
        line = line.replace("%l", host).replace("%N", unit.removesuffix(".service"))
        commands.append(shlex.split(line.replace(INSTALL_DIR, str(ROOT))))
    assert commands, f"{unit} has no {key}="
    return commands


def replace_once(text: str, old: str, new: str, *, count: int = 1) -> str:
    """A change to deploy's file that must find what it changes (else the file moved on and the
    test would check something else)."""
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times, not {count}"
    return text.replace(old, new)


# --- the cluster ---------------------------------------------------------------------------------


class Cluster:
    """The hosts, their processes and what the test needs to reach them."""

    def __init__(self, network: hosts.Network, work: Path):
        self.network, self.work = network, work
        add = network.add_host
        self.lb, self.web1, self.web2 = add("lb", 10), add("web1", 11), add("web2", 12)
        self.worker, self.db, self.s3 = add("worker", 13), add("db", 20), add("s3", 21)
        self.site = f"https://{self.lb.address}"
        self.ca = work / "tls" / self.lb.address / "fullchain.pem"
        self.processes: dict[str, hosts.Process] = {}
        self.world: dict = {}
        self.secret_key = secrets.token_urlsafe(50)

    def env(self, host: hosts.Host, unit: str | None = None) -> dict[str, str]:
        """A node's environment: the unit's, then /etc/kabinet/kabinet.env, which is the
        template with this cluster's addresses and secrets."""
        home = self.work / host.name
        settings = {
            **env_file(),
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": self.lb.address,
            "CSRF_TRUSTED_ORIGINS": self.site,
            "SITE_URL": self.site,
            "DATABASE_URL": f"postgres://kabinet@{self.db.address}:5432/kabinet",
            "REDIS_URL": f"redis://{self.db.address}:6379/0",
            # No mail server in the cluster: a message would be refused at once, not sent out.
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": "25",
            "EMAIL_USE_TLS": "0",
            "KABINET_VAR_DIR": str(home / "var"),
            "MEDIA_ROOT": str(home / "media"),
            "STATIC_ROOT": str(self.work / "static"),
            "STORAGE_S3_BUCKET": BUCKET,
            "STORAGE_S3_PREFIX": "media",
            "STORAGE_S3_ENDPOINT_URL": f"http://{self.s3.address}:9000",
            "STORAGE_S3_REGION": "us-east-1",
            "STORAGE_S3_ADDRESSING_STYLE": "path",
            **S3_KEYS,
            "WEB_BIND": f"{host.address}:8000",
            "WEB_FORWARDED_ALLOW_IPS": self.lb.address,
        }
        unit_env = unit_environment(unit) if unit else {}
        if "PROMETHEUS_MULTIPROC_DIR" in unit_env:  # systemd's RuntimeDirectory, empty at start
            unit_env["PROMETHEUS_MULTIPROC_DIR"] = str(home / "run")
        for directory in ("var", "media", "run"):
            (home / directory).mkdir(parents=True, exist_ok=True)
        return {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **unit_env, **settings}

    def manage(self, host: hosts.Host, *argv: str, timeout: float = 300) -> str:
        return self.network.run_in(
            host, [str(VENV_BIN / "python"), *argv], env=self.env(host), cwd=ROOT, timeout=timeout
        ).stdout

    # The servers, each started as on its machine.

    def start_database(self) -> None:
        data, sockets = self.work / "pg", self.work / "pg-sockets"
        for directory in (data, sockets):
            directory.mkdir()
            shutil.chown(directory, "postgres", "postgres")
        hosts.run("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--",
                  str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", timeout=120)  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {hosts.NETWORK}.0/24 trust\n")
        # A throwaway cluster: durability costs the test time and proves nothing here.
        self.processes["postgres"] = self.network.start(
            self.db, "postgres",
            [str(PG_BIN / "postgres"), "-D", str(data), "-c", f"listen_addresses={self.db.address}",
             "-c", f"unix_socket_directories={sockets}", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            user="postgres",
            stop_signal=signal.SIGINT,  # «fast» shutdown: it removes its shared memory
        )  # fmt: skip
        hosts.wait_for_port(self.db.address, 5432, START_TIMEOUT, self.processes["postgres"])
        with psycopg.connect(
            host=self.db.address, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute("CREATE ROLE kabinet LOGIN")
            connection.execute("CREATE DATABASE kabinet OWNER kabinet")
        self.processes["redis"] = self.network.start(
            self.db, "redis",
            ["redis-server", "--bind", self.db.address, "--port", "6379", "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--dir", str(self.work)],
        )  # fmt: skip
        hosts.wait_for_port(self.db.address, 6379, START_TIMEOUT, self.processes["redis"])

    def start_storage(self) -> None:
        self.processes["s3"] = self.network.start(
            self.s3, "s3", [str(VENV_BIN / "moto_server"), "-H", self.s3.address, "-p", "9000"]
        )
        hosts.wait_for_port(self.s3.address, 9000, START_TIMEOUT, self.processes["s3"])
        self.bucket().create_bucket(Bucket=BUCKET)

    def bucket(self):
        return boto3.client(
            "s3",
            endpoint_url=f"http://{self.s3.address}:9000",
            region_name="us-east-1",
            aws_access_key_id=S3_KEYS["STORAGE_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["STORAGE_S3_SECRET_ACCESS_KEY"],
        )

    def migrate(self) -> None:
        """The administrator's first step, on a web host."""
        self.manage(self.web1, "manage.py", "migrate", "--noinput")

    def collect_static(self) -> None:
        """The static files, which the web processes read when they start (tests/cluster/seed.py
        says how they differ from production's)."""
        self.manage(self.web2, "-m", "tests.cluster.seed", "static")
        assert (self.work / "static" / "staticfiles.json").exists()

    def seed(self) -> None:
        """The world (tests/cluster/seed.py), while the web hosts start."""
        self.world = json.loads(
            self.manage(self.web1, "-m", "tests.cluster.seed", "world", str(LARGE_ACCOUNTS))
        )

    def launch_web(self) -> None:
        """gunicorn on both web hosts, as the web unit starts it."""
        for host in (self.web1, self.web2):
            env = self.env(host, "kabinet-web.service")
            [argv] = unit_commands("kabinet-web.service", "ExecStart", env, host.name)
            self.processes[host.name] = self.network.start(host, host.name, argv, env=env, cwd=ROOT)

    def wait_for_web(self) -> None:
        """Each web host answers /readyz (database, Redis, the queue) over the network."""
        for host in (self.web1, self.web2):
            hosts.wait_for_port(host.address, 8000, START_TIMEOUT, self.processes[host.name])
            health = requests.get(f"http://{host.address}:8000/readyz", timeout=HTTP_TIMEOUT)
            assert health.status_code == 200, health.text

    def start_worker(self) -> str:
        """ExecStartPre (its unfinished tasks back to the queue), then the worker; returns what
        ExecStartPre said."""
        unit = "kabinet-worker.service"
        env = self.env(self.worker, unit)
        [before] = unit_commands(unit, "ExecStartPre", env, self.worker.name)
        said = self.network.run_in(self.worker, before, env=env, cwd=ROOT, timeout=120).stdout
        [argv] = unit_commands(unit, "ExecStart", env, self.worker.name)
        assert argv[argv.index("--worker-id") + 1] == WORKER_ID
        self.processes["worker"] = self.network.start(
            self.worker, "worker", argv, env=env, cwd=ROOT
        )
        return said

    def start_balancer(self) -> None:
        """nginx with deploy/nginx/kabinet.conf, changed as deploy/README.md says: the portal's
        name, its certificate, and the web hosts in the upstream."""
        tls = self.ca.parent
        tls.mkdir(parents=True)
        hosts.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                  "-subj", f"/CN={self.lb.address}",
                  "-addext", f"subjectAltName=IP:{self.lb.address}",
                  "-keyout", str(tls / "privkey.pem"), "-out", str(self.ca))  # fmt: skip
        site = (DEPLOY / "nginx" / "kabinet.conf").read_text()
        site = site.replace("portal.example.ru", self.lb.address)  # README: sed s/…/<your name>/g
        site = replace_once(site, "/etc/letsencrypt/live/", f"{tls.parent}/", count=2)
        upstream = "".join(
            f"server {web.address}:8000 max_fails=1 fail_timeout=10s;\n    "
            for web in (self.web1, self.web2)
        )
        one_server = "server 127.0.0.1:8000 fail_timeout=0;   # gunicorn (deploy/systemd/"
        site = replace_once(site, f"{one_server}kabinet-web.service)\n    ", upstream)
        site = replace_once(site, f"{INSTALL_DIR}/staticfiles/", f"{self.work}/static/")
        site = replace_once(site, "/var/log/nginx/", f"{self.work}/lb-", count=2)
        lb = self.work / "lb"
        lb.mkdir()
        (lb / "kabinet.conf").write_text(site)
        # Debian's /etc/nginx/nginx.conf, reduced to what the site needs; one worker process, so
        # that the round robin alternates strictly.
        (lb / "nginx.conf").write_text(
            f"user root;\nworker_processes 1;\npid {lb}/nginx.pid;\nerror_log {lb}/error.log;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            f"  client_body_temp_path {lb}/body;\n  proxy_temp_path {lb}/proxy;\n"
            f"  fastcgi_temp_path {lb}/fastcgi;\n  uwsgi_temp_path {lb}/uwsgi;\n"
            f"  scgi_temp_path {lb}/scgi;\n"
            f"  include {lb}/kabinet.conf;\n}}\n"
        )
        self.processes["lb"] = process = self.network.start(
            self.lb, "lb",
            [NGINX, "-p", str(lb), "-e", str(lb / "error.log"), "-c", str(lb / "nginx.conf"),
             "-g", "daemon off;"],
        )  # fmt: skip
        hosts.wait_for_port(self.lb.address, 443, START_TIMEOUT, process)

    # What the test reads.

    def served_by(self, request_ids) -> dict[str, str]:
        """The web host that wrote the access line of each request id (Django's log)."""
        wanted, found = set(request_ids), {}
        deadline = time.monotonic() + 10  # a line is written before its response leaves
        while True:
            for web in (self.web1, self.web2):
                log = self.processes[web.name].log.read_text(errors="replace")
                for line in log.splitlines():
                    if '"kabinet.access"' not in line:
                        continue
                    request_id = json.loads(line).get("request_id")
                    if request_id in wanted:
                        found[request_id] = web.name
            if set(found) == wanted or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def sql(self, query: str, *params):
        with psycopg.connect(
            host=self.db.address, user="kabinet", dbname="kabinet", autocommit=True
        ) as connection:
            return connection.execute(query, params).fetchall()

    def media_files(self) -> list[Path]:
        return [
            path
            for node in (self.web1, self.web2, self.worker)
            for path in (self.work / node.name / "media").rglob("*")
        ]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the cluster test makes network namespaces: run it as root")
    for program in ("ip", "setpriv", "openssl", "redis-server", NGINX, PG_BIN / "initdb"):
        if not shutil.which(str(program)):
            pytest.fail(f"{program} is missing: `make cluster-servers` installs it")
    # The hosts' logs outlive the run in pytest's temporary directory (the last three kept).
    logs = tmp_path_factory.mktemp("cluster-logs")
    # A stop by `timeout` (SIGTERM) must still remove the namespaces: run the finally blocks.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with hosts.exclusive():
        hosts.remove_leftovers()
        work = Path(tempfile.mkdtemp(prefix=hosts.WORK_PREFIX))
        work.chmod(0o755)  # PostgreSQL runs as postgres under it
        network = None
        try:
            network = hosts.Network(work)
            cluster = Cluster(network, work)
            # Steps of one line run side by side (each host is a machine of its own).
            for steps in (
                (cluster.start_database, cluster.start_storage),
                (cluster.migrate, cluster.collect_static),
                (cluster.launch_web,),  # gunicorn starts while the world is made
                (cluster.seed, cluster.start_worker),
                (cluster.wait_for_web, cluster.start_balancer),
            ):
                started = time.monotonic()
                with ThreadPoolExecutor() as pool:
                    for done in [pool.submit(step) for step in steps]:
                        done.result(timeout=600)
                names = " + ".join(step.__name__ for step in steps)
                print(f"{names}: {time.monotonic() - started:.1f} s", file=sys.stderr)
            yield cluster
        finally:
            if network is not None:
                network.close()
            hosts.remove_namespaces()  # also what a half-made network left
            for log in [*work.glob("*.log"), *work.glob("lb/*.log")]:
                shutil.copy(log, logs / log.name)
            print(f"The hosts' logs: {logs}", file=sys.stderr)
            shutil.rmtree(work, ignore_errors=True)
            signal.signal(signal.SIGTERM, previous)


# --- a browser through the balancer -------------------------------------------------------------


class Browser:
    """A person's browser: cookies, the CSRF token a form carries, the Origin a browser sends."""

    def __init__(self, cluster: Cluster, cookies=None):
        self.cluster = cluster
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the balancer's CA
        self.session.verify = str(cluster.ca)
        if cookies is not None:
            self.session.cookies.update(cookies)
        self.request_ids: list[str] = []

    def _note(self, response):
        for hop in [*response.history, response]:
            assert "X-Request-ID" in hop.headers, f"{hop.status_code} {hop.url}: {hop.text[:500]}"
            self.request_ids.append(hop.headers["X-Request-ID"])
        return response

    def get(self, path: str):
        return self._note(self.session.get(self.cluster.site + path, timeout=HTTP_TIMEOUT))

    def post(self, path: str, data: dict, files=None):
        data = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        return self._note(
            self.session.post(
                self.cluster.site + path,
                data=data,
                files=files,
                headers={"Origin": self.cluster.site},
                timeout=HTTP_TIMEOUT,
            )
        )

    def sign_in(self, person: dict):
        self.get("/accounts/login/")
        response = self.post(
            "/accounts/login/", {"login": person["login"], "password": person["password"]}
        )
        if "totp" in person:  # staff: the code of the authenticator app
            assert response.url.endswith("/accounts/2fa/authenticate/"), response.url
            response = self.post("/accounts/2fa/authenticate/", {"code": totp(person["totp"])})
        assert response.status_code == 200, response.status_code
        assert "/accounts/" not in response.url, f"not signed in: {response.url}"
        return response


def totp(secret: str) -> str:
    """The current code; near a 30-second step's end, the next step's (allauth allows no drift)."""
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture(scope="module")
def resident(cluster):
    browser = Browser(cluster)
    browser.sign_in(cluster.world["resident"])
    return browser


@pytest.fixture(scope="module")
def accountant(cluster):
    browser = Browser(cluster)
    browser.sign_in(cluster.world["accountant"])
    return browser


def picture() -> bytes:
    """A PNG no other upload has (random pixels)."""
    image = Image.frombytes("RGB", (32, 32), secrets.token_bytes(32 * 32 * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def job_page(browser: Browser, url: str) -> tuple[str, int, int]:
    """(status, done, total) as the job's page shows them to staff."""
    page = browser.get(url)
    assert page.status_code == 200, page.status_code
    status = re.search(r'data-testid="job-status">([^<]+)<', page.text).group(1)
    progress = re.search(r"Рассчитано лицевых счетов: (\d+) из (\d+)", page.text)
    done, total = (int(progress.group(1)), int(progress.group(2))) if progress else (0, 0)
    return status, done, total


def wait_for_job(browser: Browser, url: str, until, timeout: float) -> tuple[str, int, int]:
    deadline = time.monotonic() + timeout
    while True:
        state = job_page(browser, url)
        if until(*state):
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url}: still {state} after {timeout} s")
        time.sleep(0.1)


def start_billing_run(accountant: Browser, period_id: int) -> str:
    """«Выполнить расчёт» on the staff page: the job page's address."""
    accountant.get("/staff/billing/")
    response = accountant.post(f"/staff/billing/periods/{period_id}/run/", {})
    assert response.status_code == 200
    assert re.search(r"/staff/billing/jobs/\d+/$", response.url), response.url
    return response.url.removeprefix(accountant.cluster.site)


def billing_tasks(cluster: Cluster, job_url: str) -> list[tuple[str, list[str]]]:
    """(status, worker ids) of the queued tasks of the parts of the run whose page is
    ``job_url`` (``billing.tasks.run_billing_part``, a part of ``PART_ACCOUNTS`` each)."""
    job_id = int(re.search(r"/jobs/(\d+)/$", job_url).group(1))
    return cluster.sql(
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE task_path LIKE %s AND (args_kwargs->'args'->>0)::int = %s ORDER BY enqueued_at",
        "%run_billing_part",
        job_id,
    )


# --- the checks ----------------------------------------------------------------------------------


def test_one_session_is_served_by_both_web_hosts(cluster, resident):
    account = cluster.world["resident"]["account"]
    resident.request_ids.clear()
    for _ in range(6):
        page = resident.get(f"/ls/{account}/")
        assert page.status_code == 200
        assert "7000001" in page.text  # signed in on whichever host answered
    served = cluster.served_by(resident.request_ids)
    assert set(served) == set(resident.request_ids)
    assert set(served.values()) == {"web1", "web2"}


def test_a_file_uploaded_through_one_host_is_downloaded_through_the_other(cluster, resident):
    account = cluster.world["resident"]["account"]
    form = resident.get(f"/ls/{account}/appeals/new/")
    topic = re.search(r'<option value="(\d+)"[^>]*>Ремонт</option>', form.text).group(1)
    sent = picture()
    resident.request_ids.clear()
    response = resident.post(
        f"/ls/{account}/appeals/new/",
        {"topic": topic, "text": "Не горит свет в подъезде."},
        files=[("files", ("свет.png", sent, "image/png"))],
    )
    assert response.status_code == 200
    uploaded_by = cluster.served_by(resident.request_ids[:1])[resident.request_ids[0]]
    link = re.search(rf'href="(/ls/{account}/appeals/\d+/files/\d+/)"', response.text).group(1)

    stored = cluster.bucket().list_objects_v2(Bucket=BUCKET, Prefix="media/appeals/")
    assert [o["Size"] for o in stored["Contents"]] == [len(sent)]
    assert cluster.media_files() == []  # no node kept it on its own disk

    downloaded_by = set()
    for _ in range(6):  # the round robin sends the next request to the other host
        resident.request_ids.clear()
        download = resident.get(link)
        assert download.status_code == 200
        assert download.content == sent
        downloaded_by |= set(cluster.served_by(resident.request_ids).values())
        if downloaded_by - {uploaded_by}:
            break
    assert downloaded_by - {uploaded_by}, f"every download came from {uploaded_by}"


def test_a_billing_run_started_through_the_balancer_runs_on_the_worker_host(cluster, accountant):
    job = start_billing_run(accountant, cluster.world["small_period"])
    wait_for_job(accountant, job, lambda status, *_: status == "выполнено", 60)
    assert billing_tasks(cluster, job) == [("SUCCESSFUL", [WORKER_ID])]  # one part
    [(lines,)] = cluster.sql(
        "SELECT count(*) FROM billing_charge WHERE period_id = %s", cluster.world["small_period"]
    )
    assert lines == 3  # one account, three services


def test_a_web_host_killed_under_load_fails_no_request_but_those_in_flight(cluster, resident):
    """Four residents' tabs keep asking for pages while web2 dies (its processes killed, as
    in a power cut). nginx sends what web2 refuses to web1, and a GET that web2 dropped before
    answering too; only a page web2 had begun to send is cut short."""
    account = cluster.world["resident"]["account"]
    results: list[tuple[float, float, int, str]] = []  # (started, ended, status, id or error)
    killed_at: list[float] = []
    lock = threading.Lock()

    def tab(pages: int):
        browser = Browser(cluster, cookies=resident.session.cookies)
        for _ in range(pages):
            started = time.monotonic()
            try:
                response = browser.session.get(
                    f"{cluster.site}/ls/{account}/", timeout=HTTP_TIMEOUT
                )
                status, said = response.status_code, response.headers.get("X-Request-ID")
            except requests.RequestException as error:
                status, said = 0, repr(error)
            with lock:
                results.append((started, time.monotonic(), status, said))
                if len(results) == 40:
                    killed_at.append(time.monotonic())
                    cluster.processes["web2"].kill()

    tabs = [threading.Thread(target=tab, args=(35,)) for _ in range(4)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in tabs)
    assert killed_at, "web2 was not killed"
    [kill] = killed_at

    in_flight = [r for r in results if r[0] < kill < r[1]]
    failed = [r for r in results if r[2] != 200]
    assert [r for r in failed if r not in in_flight] == [], f"of {len(results)}: {failed}"
    print(f"web2 killed with {len(in_flight)} requests in flight, {len(failed)} of them failed")
    answered = [(started, said) for started, _, status, said in results if status == 200]
    served = cluster.served_by(said for _, said in answered)
    before = {served[said] for started, said in answered if started < kill}
    after = [served[said] for started, said in answered if started > kill]
    assert before == {"web1", "web2"}
    assert len(after) >= 80
    assert set(after) == {"web1"}
    errors = (cluster.work / "lb-kabinet.error.log").read_text()
    assert f'upstream: "http://{cluster.web2.address}:8000' in errors  # nginx saw it go


def test_a_worker_killed_mid_run_is_restarted_and_the_run_finishes_once(cluster, accountant):
    period = cluster.world["large_period"]
    job = start_billing_run(accountant, period)
    # The run is shared by tasks, a part of ``PART_ACCOUNTS`` each (a second or two here), and the
    # last part's task writes all the lines. Killed as soon as the page counts a part done: the
    # worker is in the task of a part, or writing the run, and nothing of it is written yet.
    _, done, total = wait_for_job(
        accountant, job, lambda status, done, total: status == "выполняется" and done > 0, 120
    )
    cluster.processes["worker"].kill()
    print(f"worker killed when the job page said {done} of {total} accounts")

    # The database saw the worker go: its session ended and the part's transaction with it.
    deadline = time.monotonic() + 30
    while cluster.sql(
        "SELECT 1 FROM pg_stat_activity WHERE client_addr = %s", cluster.worker.address
    ):
        assert time.monotonic() < deadline, "the killed worker's session is still open"
        time.sleep(0.2)
    tasks = billing_tasks(cluster, job)
    running = [task for task in tasks if task[0] == "RUNNING"]
    assert running == [("RUNNING", [WORKER_ID])], f"not killed inside a task: {tasks}"
    assert job_page(accountant, job)[0] == "выполняется"
    charges = "SELECT count(*) FROM billing_charge WHERE period_id = %s"
    assert cluster.sql(charges, period) == [(0,)]

    said = cluster.start_worker()  # systemd's Restart=always: ExecStartPre, then the worker
    assert "возвращено в очередь — 1" in said
    wait_for_job(accountant, job, lambda status, *_: status == "выполнено", 180)

    tasks = billing_tasks(cluster, job)
    assert len(tasks) == LARGE_ACCOUNTS // PART_ACCOUNTS
    assert {status for status, _ in tasks} == {"SUCCESSFUL"}
    # the killed part's task ran twice, the others once
    assert sorted(len(workers) for _, workers in tasks) == [1] * (len(tasks) - 1) + [2]
    assert cluster.sql(charges, period) == [(3 * LARGE_ACCOUNTS,)]
    runs = cluster.sql(
        "SELECT count(*) FROM audit_auditentry WHERE action = 'billing_run' AND object_id = %s",
        str(period),
    )
    assert runs == [(1,)]  # one run recorded: the killed one left nothing
    jobs = cluster.sql(
        "SELECT status, done, total FROM jobs_job WHERE kind = 'billing_run' AND subject_id = %s",
        period,
    )
    assert jobs == [("succeeded", LARGE_ACCOUNTS, LARGE_ACCOUNTS)]
