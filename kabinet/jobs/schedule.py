"""Periodic commands run once per schedule slot however many nodes run their timer.

Every node of a cluster may install the same systemd timers (deploy/systemd/*.timer start
``manage.py run_scheduled <command>``). A run first works out which scheduled moment it belongs
to — its *slot*, from the timer's own ``OnCalendar`` expression, kept in ``SCHEDULES`` (and
tests/test_scheduled_runs.py checks the timers say the same) — and inserts a ``ScheduledRun``
row for (command, slot). The table's unique constraint lets exactly one insert win; a run on
any other node finds the row and does nothing. A run that fails removes its row, so a later
timer in the same slot (another node, ``systemctl start`` by hand) may try again.

Clocks of different nodes differ by a little (NTP keeps them within milliseconds), and systemd
starts a timer up to ``AccuracySec`` (1 minute by default) late; a run up to ``EARLY`` before the
scheduled moment still counts for it. A run caught up at boot (``Persistent=true``) belongs to
the last moment that passed.
"""

import datetime
import re
import socket
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from kabinet.jobs.models import ScheduledRun

EARLY = datetime.timedelta(seconds=60)
KEEP = datetime.timedelta(days=90)  # the record of runs; older rows are deleted by later runs

DAILY = re.compile(r"^\*-\*-\* (\d\d):(\d\d):(\d\d)(?: (\S+))?$")
EVERY_MINUTES = re.compile(r"^\*:0/(\d+)$")


@dataclass(frozen=True)
class Schedule:
    """The two forms of systemd's ``OnCalendar`` the timers use: ``*-*-* HH:MM:SS [Zone]``
    (daily) and ``*:0/N`` (every N minutes from the full hour)."""

    on_calendar: str

    def slot(self, now: datetime.datetime) -> datetime.datetime:
        """The scheduled moment a run started at ``now`` belongs to."""
        if match := EVERY_MINUTES.match(self.on_calendar):
            step = int(match.group(1))
            if 60 % step:
                raise ValueError(f"{self.on_calendar}: minutes must divide the hour")
            moment = (now + min(EARLY, datetime.timedelta(minutes=step) / 4)).astimezone(
                datetime.UTC
            )
            return moment.replace(
                minute=moment.minute - moment.minute % step, second=0, microsecond=0
            )
        if match := DAILY.match(self.on_calendar):
            hour, minute, second, zone = match.groups()
            tz = ZoneInfo(zone) if zone else timezone.get_default_timezone()
            local = (now + EARLY).astimezone(tz)
            at = datetime.time(int(hour), int(minute), int(second))
            day = local.date() if local.time() >= at else local.date() - datetime.timedelta(days=1)
            return datetime.datetime.combine(day, at, tzinfo=tz)
        raise ValueError(f"{self.on_calendar!r}: not a schedule kabinet understands")


# What deploy/systemd/kabinet-<command>.timer runs and when; the timers must say the same.
SCHEDULES = {
    "remind_readings": Schedule("*-*-* 09:15:00 Europe/Moscow"),
    "check_online_payments": Schedule("*:0/5"),
    "clearsessions": Schedule("*-*-* 03:30:00 Europe/Moscow"),
    "prune_db_task_results": Schedule("*-*-* 04:00:00 Europe/Moscow"),
    "purge_idempotency_keys": Schedule("*-*-* 04:15:00 Europe/Moscow"),
    "deliver_webhooks": Schedule("*:0/1"),
    "run_autopay": Schedule("*-*-* 08:00:00 Europe/Moscow"),
}


def run_once(command: str, *, now=None, host=None, stdout=None) -> ScheduledRun | None:
    """Run ``command`` unless some node has already run it for this slot: the run's record, or
    None when this node's run is the second one and did nothing."""
    schedule = SCHEDULES[command]
    now = now or timezone.now()
    slot = schedule.slot(now)
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(
                command=command, slot=slot, host=host or socket.gethostname()
            )
    except IntegrityError:
        return None
    try:
        call_command(command, stdout=stdout)
    except BaseException:
        run.delete()
        raise
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    ScheduledRun.objects.filter(command=command, slot__lt=slot - KEEP).delete()
    return run
