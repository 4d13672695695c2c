"""The mailing benchmark's receiving servers (bench/postfix_counter.py): what they count is
what they received — a letter sent twice shows as more messages than recipients."""

import os
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.postfix_counter import POSTFIX, SMTP_SINK


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("kind", "program"), [("postfix", POSTFIX), ("smtp-sink", SMTP_SINK)], ids=["postfix", "sink"]
)
def test_the_server_counts_messages_sessions_and_distinct_recipients(kind, program):
    if not Path(program).exists() or os.geteuid() != 0:
        pytest.skip(f"{program} (make bench-servers) run as root")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.postfix_counter", kind, str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout.readline().strip() == "ready"
        letter = b"Subject: test\r\n\r\n.a line that begins with a dot\r\n"
        for recipients in (["one@example.com", "two@example.com"], ["one@example.com"]):
            with smtplib.SMTP("127.0.0.1", port) as session:
                for recipient in recipients:
                    session.sendmail("noreply@localhost", [recipient], letter)
        server.stdin.close()
        messages, sessions, distinct, cpu = server.stdout.readline().split()
        server.wait(timeout=60)  # its servers stopped
    finally:
        server.terminate() if server.poll() is None else None  # it stops its servers
        server.wait()
    assert (int(messages), int(sessions), int(distinct)) == (3, 2, 2)
    assert float(cpu) >= 0
