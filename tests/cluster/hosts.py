"""Hosts of the multi-host test: Linux network namespaces on one machine, joined by a bridge.

Each host is a namespace with one interface (``eth0``) on 198.18.20.0/24 (RFC 2544's range for
network tests, used by nothing else here). The bridge lives in a namespace of its own (the
switch), so nothing but one veth pair touches the machine's own network: ``kabc-admin``
(198.18.20.1) is the administrator's laptop plugged into the switch — the test itself, which
signs in through the balancer and reads the database. Processes run in their host with
``ip netns exec``, each as the leader of a process group so that a host's process tree can be
killed at once (``kill``), as when a machine dies.

Everything is named ``kabc-*``; ``remove_leftovers`` clears what a run that was itself killed
left behind, under a lock that keeps two runs from sharing the names.
"""

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PREFIX = "kabc-"
SWITCH = f"{PREFIX}switch"
ADMIN_LINK = f"{PREFIX}admin"
NETWORK = "198.18.20"
ADMIN_ADDRESS = f"{NETWORK}.1"
LOCK = Path("/tmp/kabinet-cluster.lock")
WORK_PREFIX = "kabinet-cluster-"
COMMAND_TIMEOUT = 60  # seconds for one ip/openssl/psql-like command


def run(*argv: str, timeout: float = COMMAND_TIMEOUT, **kwargs) -> subprocess.CompletedProcess:
    """A short command that must succeed; its output in the error when it does not."""
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {result.returncode}\n{result.stderr}")
    return result


def namespaces() -> list[str]:
    listing = run("ip", "netns", "list").stdout.splitlines()
    return [line.split()[0] for line in listing if line.startswith(PREFIX)]


def kill_namespace_processes(namespace: str, deadline: float) -> None:
    """SIGKILL every process still in ``namespace`` (by its id) and wait for them to go."""
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["ip", "netns", "pids", namespace], capture_output=True, text=True, timeout=10
        )
        pids = [int(pid) for pid in found.stdout.split()]
        if not pids:
            return
        for pid in pids:
            with suppress(ProcessLookupError):  # gone meanwhile
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
    raise RuntimeError(f"processes in {namespace} outlived SIGKILL")


def remove_namespaces() -> None:
    """The admin link, then every ``kabc-*`` namespace once no process is left in it."""
    if Path(f"/sys/class/net/{ADMIN_LINK}").exists():
        run("ip", "link", "del", ADMIN_LINK)
    deadline = time.monotonic() + 30
    for namespace in namespaces():
        kill_namespace_processes(namespace, deadline)
        run("ip", "netns", "del", namespace)


def remove_leftovers() -> None:
    """Namespaces, processes, the admin link and work directories of an earlier run."""
    remove_namespaces()
    for path in Path("/tmp").glob(f"{WORK_PREFIX}*"):
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def exclusive(wait: float = 300):
    """Hold the cluster test's lock (another run on this machine uses the same names)."""
    with LOCK.open("w") as file:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"another cluster test holds {LOCK}") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def wait_for_port(address: str, port: int, timeout: float, process=None) -> None:
    """Until something accepts TCP connections on ``address:port`` (and ``process`` lives)."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.returncode}: {process.tail()}")
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing on {address}:{port} after {timeout} s") from None
            time.sleep(0.2)


@dataclass
class Process:
    """A process started in a host, with its log."""

    name: str
    popen: subprocess.Popen
    log: Path
    stop_signal: signal.Signals = signal.SIGKILL

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self):
        return self.popen.poll()

    @property
    def returncode(self):
        return self.popen.returncode

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the process and every process it started (its group): a host dying."""
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        """``stop_signal`` to the process (SIGKILL to its group: nothing of a test server is
        worth keeping), then SIGKILL after ``timeout`` seconds."""
        if self.popen.poll() is not None:
            return
        if self.stop_signal == signal.SIGKILL:
            self.kill()
            return
        try:
            self.popen.send_signal(self.stop_signal)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass(frozen=True)
class Host:
    name: str
    address: str

    @property
    def namespace(self) -> str:
        return f"{PREFIX}{self.name}"


class Network:
    """The switch, the hosts plugged into it and the processes started on them."""

    def __init__(self, work: Path):
        self.work = work
        self.hosts: dict[str, Host] = {}
        self.processes: list[Process] = []
        run("ip", "netns", "add", SWITCH)
        run("ip", "-n", SWITCH, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", SWITCH, "link", "set", "br0", "up")
        run("ip", "link", "add", ADMIN_LINK, "type", "veth", "peer", "name", "admin",
            "netns", SWITCH)  # fmt: skip
        self._plug("admin")
        run("ip", "addr", "add", f"{ADMIN_ADDRESS}/24", "dev", ADMIN_LINK)
        run("ip", "link", "set", ADMIN_LINK, "up")

    def _plug(self, port: str) -> None:
        run("ip", "-n", SWITCH, "link", "set", port, "master", "br0")
        run("ip", "-n", SWITCH, "link", "set", port, "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        host = Host(name, f"{NETWORK}.{last_octet}")
        run("ip", "netns", "add", host.namespace)
        run("ip", "link", "add", "eth0", "netns", host.namespace, "type", "veth",
            "peer", "name", name, "netns", SWITCH)  # fmt: skip
        self._plug(name)
        run("ip", "-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
        run("ip", "-n", host.namespace, "link", "set", "eth0", "up")
        run("ip", "-n", host.namespace, "link", "set", "lo", "up")
        self.hosts[name] = host
        return host

    def start(
        self,
        host: Host,
        name: str,
        argv: list[str],
        *,
        env: dict | None = None,
        cwd: Path | None = None,
        user: str | None = None,
        stop_signal: signal.Signals = signal.SIGKILL,
    ) -> Process:
        """``argv`` running in ``host`` (as ``user``), its output in ``work/<name>.log``."""
        log = self.work / f"{name}.log"
        prefix = ["ip", "netns", "exec", host.namespace]
        if user:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [*prefix, *argv],
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() takes the whole tree
            )
        process = Process(name, popen, log, stop_signal)
        self.processes.append(process)
        return process

    def run_in(self, host: Host, argv: list[str], *, timeout: float, **kwargs):
        """A command in ``host`` that must succeed within ``timeout`` seconds."""
        return run("ip", "netns", "exec", host.namespace, *argv, timeout=timeout, **kwargs)

    def close(self) -> None:
        """Stop every process (last started first), then remove the hosts and the switch."""
        for process in reversed(self.processes):
            process.stop()
        remove_namespaces()
