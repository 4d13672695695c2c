"""Debian's Postfix as the mailing benchmark's SMTP server (``make bench-servers`` installs it),
in either of two shapes, started as ``python -m bench.postfix_counter postfix|smtp-sink PORT``:

- ``postfix``: a private instance of the mail server — its configuration, queue and log in a
  temporary directory, the queue in memory (``/dev/shm``) — listening on 127.0.0.1, every
  message queued (written and synced, as a real MTA does) and handed to the ``discard``
  transport. The discard agent logs (``maillog_file``) one ``to=<…>, … status=sent`` line per
  delivered recipient, smtpd one ``connect from`` per session. Its CPU is the master's and its
  children's, the exited ones' included (the master waits for them).
- ``smtp-sink``: Postfix's test server for measuring SMTP clients — one process, no queue, a
  «250» to each dot — logging the conversation's commands (``-v``: «rcpt to:<…>», «.», not
  the text), so the counts come from its log too.

Both say what ``smtp_counter`` (aiosmtpd) says: «ready» once they listen; when standard input
closes, the messages, connections, distinct recipients (a letter sent twice shows) and their
CPU seconds. Why: aiosmtpd, pure Python, reads a 60 KB letter line by line and spends as much
CPU a letter as the sender (bench/README.md), so on two cores it halves what the sender could
do; Postfix costs about as much (its queue), smtp-sink a tenth."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import process_cpu

POSTFIX = "/usr/sbin/postfix"
SMTP_SINK = "/usr/sbin/smtp-sink"
DELIVERED = re.compile(r"postfix-bench/discard\[\d+\]: \w+: to=<([^>]*)>.*status=sent")
CONNECTED = re.compile(r"postfix-bench/smtpd\[\d+\]: connect from ")
# smtp-sink's conversation (-v): a session's connect, each recipient, each message's dot.
SINK_CONNECTED = re.compile(r"(?m)^\S*smtp-sink: connect \(")
SINK_RECIPIENT = re.compile(r"(?mi)^\S*smtp-sink: rcpt to:<([^>]*)>")
SINK_DOT = re.compile(r"(?m)^\S*smtp-sink: \.$")
# Each service of a private instance, none chrooted (a chroot would need copies of /etc).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def main_cf(directory: Path) -> str:
    return f"""\
compatibility_level = 3.6
syslog_name = postfix-bench
maillog_file = {directory}/maillog
maillog_file_prefixes = {directory}
queue_directory = {directory}/queue
data_directory = {directory}/data
myhostname = bench.localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_peername_lookup = no
default_transport = discard:bench
relay_transport = discard:bench
local_transport = discard:bench
biff = no
disable_mime_input_processing = yes
receive_override_options = no_address_mappings, no_header_body_checks, no_milters
"""


def instance_cpu(master: int) -> float:
    """CPU seconds of the instance: its master's and each child's, living or exited."""
    children = [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent(entry) == master
    ]
    return sum(process_cpu(pid, children=True) for pid in [master, *children])


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def counts(log: Path) -> tuple[int, int, int]:
    """Messages delivered, connections, distinct recipients, from the instance's log."""
    text = log.read_text() if log.exists() else ""
    recipients = DELIVERED.findall(text)
    return len(recipients), len(CONNECTED.findall(text)), len(set(recipients))


def wait_until_delivered(directory: Path) -> None:
    """Until the queue is empty and the log no longer grows (the last lines may still be on
    their way to postlogd)."""
    queue, log, size = directory / "queue", directory / "maillog", -1
    while True:
        queued = any(
            files for name in ("incoming", "active", "deferred", "maildrop")
            for _root, _dirs, files in os.walk(queue / name)
        )  # fmt: skip
        current = log.stat().st_size if log.exists() else 0
        if not queued and current == size:
            return
        size = current
        time.sleep(0.5)


def serve(kind: str, port: int) -> None:
    shared_memory = "/dev/shm" if os.path.isdir("/dev/shm") else None
    directory = Path(tempfile.mkdtemp(prefix="bench-postfix-", dir=shared_memory))
    try:
        if kind == "postfix":
            _serve_postfix(directory, port)
        else:
            _serve_sink(directory, port)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _serve_postfix(directory: Path, port: int) -> None:
    config = ["-c", str(directory / "etc")]
    directory.chmod(0o755)  # Postfix's daemons, user ``postfix``, reach their queue
    (directory / "etc").mkdir()
    (directory / "queue").mkdir()  # its subdirectories and owners: ``set-permissions``
    (directory / "etc" / "main.cf").write_text(main_cf(directory))
    (directory / "etc" / "master.cf").write_text(MASTER_CF.format(port=port))
    master = None
    try:
        subprocess.run([POSTFIX, *config, "set-permissions"], check=True, capture_output=True)
        subprocess.run([POSTFIX, *config, "start"], check=True, capture_output=True)
        master = _listening_master(directory)
        print("ready", flush=True)
        sys.stdin.read()
        wait_until_delivered(directory)
        cpu = instance_cpu(master)
        messages, sessions, recipients = counts(directory / "maillog")
        print(messages, sessions, recipients, cpu, flush=True)
    finally:
        subprocess.run([POSTFIX, *config, "stop"], capture_output=True)
        for _ in range(100):  # it signals the master, which ends its children, then itself
            if master is None or not Path(f"/proc/{master}").exists():
                break
            time.sleep(0.1)


def _serve_sink(directory: Path, port: int) -> None:
    log = directory / "conversation"
    # As root it must be told whose rights to take once it listens.
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with log.open("w") as conversation:
        sink = subprocess.Popen(
            [SMTP_SINK, "-v", *user, f"127.0.0.1:{port}", "64"], stderr=conversation
        )
    try:
        _wait_for_listener(port)
        print("ready", flush=True)
        sys.stdin.read()
        cpu = process_cpu(sink.pid)
        text = log.read_text()
        recipients = SINK_RECIPIENT.findall(text)
        print(len(SINK_DOT.findall(text)), len(SINK_CONNECTED.findall(text)),
              len(set(recipients)), cpu, flush=True)  # fmt: skip
    finally:
        sink.terminate()
        sink.wait()


def _wait_for_listener(port: int) -> None:
    """Until 127.0.0.1:``port`` listens (Linux's table of TCP sockets: connecting to see
    would count as a session)."""
    local, listening = f"0100007F:{port:04X}", "0A"
    for _ in range(100):
        rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
        if any(row[1] == local and row[3] == listening for row in rows):
            return
        time.sleep(0.1)
    raise RuntimeError(f"smtp-sink does not listen on {port}")


def _listening_master(directory: Path) -> int:
    """The master's process id, once it has written it (it listens by then)."""
    pid_file = directory / "queue" / "pid" / "master.pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text())
        time.sleep(0.1)
    raise RuntimeError(f"Postfix did not start: {directory / 'maillog'}")


if __name__ == "__main__":
    # Stopped early (the bench failed), it still stops its servers: ``finally`` runs, and a
    # second signal does not cut it short.
    def stop(_signal, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sys.exit(1)

    signal.signal(signal.SIGTERM, stop)
    serve(sys.argv[1], int(sys.argv[2]))
