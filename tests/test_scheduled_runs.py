"""Periodic commands run once per scheduled moment however many nodes run the timer
(kabinet/jobs/schedule.py)."""

import datetime
import re
from io import StringIO
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from kabinet.jobs.models import ScheduledRun
from kabinet.jobs.schedule import SCHEDULES, Schedule, run_once

UNITS = Path(__file__).resolve().parent.parent / "deploy" / "systemd"
MSK = ZoneInfo("Europe/Moscow")


def at(text, tz=MSK):
    return datetime.datetime.fromisoformat(text).replace(tzinfo=tz)


def test_every_timer_says_what_its_schedule_says():
    found = {}
    for path in UNITS.glob("kabinet-*.timer"):
        text = path.read_text()
        unit = re.search(r"^Unit=kabinet-manage@(\S+)\.service$", text, re.MULTILINE)
        if unit:
            found[unit.group(1)] = re.search(r"^OnCalendar=(.+)$", text, re.MULTILINE).group(1)
    assert found == {command: s.on_calendar for command, s in SCHEDULES.items()}
    assert "run_scheduled %I" in (UNITS / "kabinet-manage@.service").read_text()


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("2026-11-30 09:15:00.3", "2026-11-30 09:15"),  # on time
        ("2026-11-30 09:14:59.2", "2026-11-30 09:15"),  # a node whose clock is a little early
        ("2026-11-30 09:15:58", "2026-11-30 09:15"),  # systemd's AccuracySec
        ("2026-11-30 20:00", "2026-11-30 09:15"),  # caught up at boot (Persistent=true)
        ("2026-11-30 08:00", "2026-11-29 09:15"),  # caught up before today's moment
    ],
)
def test_a_daily_run_belongs_to_the_last_moment_due(now, slot):
    assert Schedule("*-*-* 09:15:00 Europe/Moscow").slot(at(now)) == at(slot)


def test_the_same_moment_seen_from_a_node_in_utc():
    utc_now = at("2026-11-30 06:15:01", datetime.UTC)
    assert Schedule("*-*-* 09:15:00 Europe/Moscow").slot(utc_now) == at("2026-11-30 09:15")


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("2026-11-30 10:05:00.1", "2026-11-30 10:05"),
        ("2026-11-30 10:04:59.6", "2026-11-30 10:05"),
        ("2026-11-30 10:05:50", "2026-11-30 10:05"),
        ("2026-11-30 10:03:10", "2026-11-30 10:00"),
    ],
)
def test_a_five_minute_run_belongs_to_its_five_minutes(now, slot):
    assert Schedule("*:0/5").slot(at(now, datetime.UTC)) == at(slot, datetime.UTC)


def test_a_schedule_the_code_cannot_read_is_refused():
    with pytest.raises(ValueError, match="not a schedule"):
        Schedule("Mon *-*-* 09:00").slot(at("2026-11-30 09:00"))
    with pytest.raises(ValueError, match="divide the hour"):
        Schedule("*:0/7").slot(at("2026-11-30 09:00"))


@pytest.mark.django_db
def test_the_second_node_does_nothing_and_the_next_moment_runs_again():
    with mock.patch("kabinet.jobs.schedule.call_command") as command:
        first = run_once("remind_readings", now=at("2026-11-30 09:15:00.2"), host="web-1")
        second = run_once("remind_readings", now=at("2026-11-30 09:15:00.9"), host="web-2")
        assert command.call_count == 1
        assert second is None
        assert (first.host, first.slot) == ("web-1", at("2026-11-30 09:15"))
        assert first.finished_at is not None
        assert run_once("remind_readings", now=at("2026-12-01 09:15:01"), host="web-2")
        assert run_once("clearsessions", now=at("2026-12-01 09:15:01"), host="web-2")
        assert command.call_count == 3


@pytest.mark.django_db
def test_a_failed_run_leaves_the_moment_to_another_try():
    now = at("2026-11-30 10:05:01")
    failing = mock.patch("kabinet.jobs.schedule.call_command", side_effect=RuntimeError("down"))
    with failing, pytest.raises(RuntimeError):
        run_once("check_online_payments", now=now, host="web-1")
    assert not ScheduledRun.objects.exists()
    with mock.patch("kabinet.jobs.schedule.call_command") as command:
        assert run_once("check_online_payments", now=now, host="web-2").host == "web-2"
    command.assert_called_once()


@pytest.mark.django_db
def test_the_command_runs_the_real_command_once():
    out = StringIO()
    call_command("run_scheduled", "clearsessions", stdout=out)
    call_command("run_scheduled", "clearsessions", stdout=out)
    assert ScheduledRun.objects.get().command == "clearsessions"
    assert "уже выполнена на другом узле" in out.getvalue()
