"""A local SMTP server for the mailing benchmark (``bench_mailing.py`` starts it as
``python -m bench.smtp_counter PORT``): aiosmtpd on 127.0.0.1, counting messages, connections
and distinct recipients (so that a letter sent twice shows), throwing the messages away. It
says «ready» once it listens, and prints the three counts and its CPU seconds when its
standard input is closed."""

import sys
import time

from aiosmtpd.controller import Controller


class Counter:
    messages = sessions = 0

    def __init__(self):
        self.recipients = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def serve(port: int) -> None:
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    cpu = time.process_time()  # its own: the bench's workers are children of the bench too
    print(counter.messages, counter.sessions, len(counter.recipients), cpu, flush=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
