"""Autopay through the sandbox gateway: a saved method, one charge per account and month
however often the run goes, the limit, skip, cancel, bounded retries and the letters."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.models import Max
from django.utils import timezone

from kabinet.billing.models import Period
from kabinet.billing.signals import period_closed
from kabinet.formats import format_rubles
from kabinet.months import add_months
from kabinet.payments.autopay import services as autopay
from kabinet.payments.models import (
    Autopay,
    AutopayCharge,
    AutopayChargeStatus,
    AutopayMode,
    OnlinePayment,
    OnlinePaymentStatus,
    Payment,
    PaymentSource,
)
from kabinet.payments.sandbox import gateway
from kabinet.payments.sandbox.models import SandboxPayment, SandboxSavedMethod
from kabinet.users.profile import delete_profile
from tests.factories import AccountLinkFactory, ChargeFactory, PeriodFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
TOMORROW = TODAY + datetime.timedelta(days=1)
OCTOBER = datetime.date(2026, 10, 1)
THIS_MONTH = TODAY.replace(day=1)  # closed «early» so that day N is always ahead


def set_up(link, *, mode=AutopayMode.FULL, day=None, limit=Decimal("5000.00"), pay=True):
    """The resident saves the settings and pays the set-up payment on the gateway's page."""
    started = autopay.set_up_autopay(
        link.account,
        link.user,
        mode=mode,
        day=day,
        limit=limit,
        return_url=lambda payment: "http://testserver/back/",
        notification_url="http://127.0.0.1:9/unused/",
    )
    sandbox = SandboxPayment.objects.get(pk=started.binding_payment.gateway_id)
    gateway.decide(sandbox, paid=pay)
    return autopay.activate_autopay(started)


def close_october(account, charged=Decimal("1500.00"), month=OCTOBER):
    """October's receipt is issued: its period closes now, with ``charged`` to pay — after
    every autopay set up so far, even if the machine's clock was stepped back meanwhile."""
    period = PeriodFactory(organization=account.organization, month=month)
    activated = Autopay.objects.aggregate(last=Max("activated_at"))["last"]
    now = timezone.now()
    period.closed_at = max(now, activated + datetime.timedelta(seconds=1)) if activated else now
    period.save(update_fields=["closed_at"])
    ChargeFactory(account=account, period=period, charged=charged)
    return period


@pytest.fixture
def link():
    return AccountLinkFactory()


@pytest.fixture
def active(link):
    return set_up(link)


def rubles(amount):
    return format_rubles(Decimal(amount))


def autopay_payments(account):
    return Payment.objects.filter(account=account, source=PaymentSource.ONLINE, period=OCTOBER)


def test_the_set_up_payment_saves_the_method_and_nothing_of_the_card(link):
    active = set_up(link)

    method = SandboxSavedMethod.objects.get()
    assert active.method_id == str(method.pk)
    assert active.method_title == method.title
    assert active.activated_at is not None
    # Nothing was owed: a rouble is paid to save the method, credited as an advance.
    binding = active.binding_payment
    binding.refresh_from_db()
    assert binding.status == OnlinePaymentStatus.SUCCEEDED
    assert binding.payment.amount == Decimal("1.00")
    assert SandboxPayment.objects.get(pk=binding.gateway_id).save_method


def test_a_set_up_payment_given_up_saves_no_method(link):
    pending = set_up(link, pay=False)

    assert pending.method_id == ""
    assert autopay.run_autopay(TOMORROW)["scheduled"] == 0


def test_a_new_receipt_is_announced_the_day_before_then_paid_in_full(active, mailoutbox):
    account = active.account
    close_october(account)

    assert autopay.run_autopay(TODAY) == {"scheduled": 1, "notified": 1, "charged": 0, "settled": 0}
    charge = AutopayCharge.objects.get()
    assert (charge.month, charge.due_on) == (OCTOBER, TOMORROW)
    assert "Завтра автоплатёж" in mailoutbox[0].subject
    assert rubles("1499.00") in mailoutbox[0].body  # 1 500 owed less the set-up rouble

    assert autopay.run_autopay(TOMORROW)["charged"] == 1

    charge.refresh_from_db()
    assert charge.status == AutopayChargeStatus.SUCCEEDED
    payment = autopay_payments(account).get()
    assert payment.amount == Decimal("1499.00")
    assert charge.online_payment.payment == payment
    assert mailoutbox[1].subject == (
        f"Автоплатёж: оплачено {rubles('1499.00')} по ЛС № {account.number}"
    )
    assert mailoutbox[1].to == [active.user.email]


def test_the_run_repeated_charges_a_month_once(active, mailoutbox):
    close_october(active.account)
    for _ in range(3):
        autopay.run_autopay(TODAY)
    for _ in range(3):
        autopay.run_autopay(TOMORROW)

    assert AutopayCharge.objects.count() == 1
    assert autopay_payments(active.account).count() == 1
    assert len(mailoutbox) == 2  # one notice, one result


def test_the_database_refuses_a_second_charge_of_the_month(active):
    close_october(active.account)
    autopay.run_autopay(TODAY)

    with pytest.raises(IntegrityError):
        AutopayCharge.objects.create(autopay=active, month=OCTOBER, due_on=TOMORROW)


def test_a_receipt_above_the_limit_is_not_paid_and_the_resident_is_told_why(link, mailoutbox):
    active = set_up(link, limit=Decimal("1000.00"))
    close_october(active.account)

    autopay.run_autopay(TODAY)
    autopay.run_autopay(TOMORROW)

    charge = AutopayCharge.objects.get()
    assert charge.status == AutopayChargeStatus.OVER_LIMIT
    assert not autopay_payments(active.account).exists()
    assert OnlinePayment.objects.count() == 1  # the set-up payment only
    assert "не выполнен" in mailoutbox[-1].subject
    assert (
        f"{rubles('1499.00')} больше лимита автоплатежа {rubles('1000.00')}" in mailoutbox[-1].body
    )


def test_a_declined_charge_is_retried_a_bounded_number_of_times_then_mailed(active, mailoutbox):
    SandboxSavedMethod.objects.update(declines=True)
    close_october(active.account)
    autopay.run_autopay(TODAY)

    day = TOMORROW
    for attempt in range(1, autopay.MAX_ATTEMPTS + 1):
        assert autopay.run_autopay(day)["charged"] == 1
        assert autopay.run_autopay(day)["charged"] == 0  # a retry waits for the next day
        charge = AutopayCharge.objects.get()
        assert charge.attempts == attempt
        day += autopay.RETRY_AFTER

    assert charge.status == AutopayChargeStatus.FAILED
    assert "недостаточно денег" in charge.reason
    assert autopay.run_autopay(day + datetime.timedelta(days=30))["charged"] == 0
    assert not autopay_payments(active.account).exists()
    assert OnlinePayment.objects.filter(status=OnlinePaymentStatus.CANCELED).count() == 3
    results = [mail for mail in mailoutbox if "не выполнен" in mail.subject]
    assert len(results) == 1
    assert "попыток: 3" in results[0].body


def test_a_declined_charge_that_succeeds_on_retry_is_paid_once(active):
    SandboxSavedMethod.objects.update(declines=True)
    close_october(active.account)
    autopay.run_autopay(TODAY)
    autopay.run_autopay(TOMORROW)
    SandboxSavedMethod.objects.update(declines=False)  # the resident topped the card up

    autopay.run_autopay(TOMORROW + autopay.RETRY_AFTER)

    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.attempts) == (AutopayChargeStatus.SUCCEEDED, 2)
    assert autopay_payments(active.account).count() == 1


def test_a_revoked_method_is_not_tried_again(active):
    SandboxSavedMethod.objects.update(revoked=True)
    close_october(active.account)
    autopay.run_autopay(TODAY)

    autopay.run_autopay(TOMORROW)

    charge = AutopayCharge.objects.get()
    assert (charge.status, charge.attempts) == (AutopayChargeStatus.FAILED, 1)
    assert "отозвано" in charge.reason


def test_a_skipped_month_is_not_paid_and_the_next_is(active):
    close_october(active.account)
    autopay.run_autopay(TODAY)
    autopay.skip_month(active, autopay.next_month_to_pay(active))

    autopay.run_autopay(TOMORROW)

    assert AutopayCharge.objects.get().status == AutopayChargeStatus.SKIPPED
    assert not autopay_payments(active.account).exists()
    assert autopay.next_month_to_pay(active) == datetime.date(2026, 11, 1)


def test_a_month_skipped_before_its_receipt_is_not_scheduled(active):
    autopay.skip_month(active, OCTOBER)
    close_october(active.account)

    autopay.run_autopay(TODAY)
    autopay.run_autopay(TOMORROW)

    assert AutopayCharge.objects.get().status == AutopayChargeStatus.SKIPPED
    assert not autopay_payments(active.account).exists()


def test_a_cancelled_autopay_makes_no_charge(active, mailoutbox):
    close_october(active.account)
    autopay.run_autopay(TODAY)

    autopay.cancel_autopay(active)
    autopay.run_autopay(TOMORROW)

    assert AutopayCharge.objects.get().status == AutopayChargeStatus.CANCELED
    assert not autopay_payments(active.account).exists()
    assert autopay.autopay_of(active.account) is None
    assert len(mailoutbox) == 1  # the notice only


def test_pay_on_day_n_waits_for_the_day(link, mailoutbox):
    active = set_up(link, mode=AutopayMode.DAY, day=28)
    close_october(active.account, month=THIS_MONTH)
    due = add_months(THIS_MONTH, 1).replace(day=28)

    assert autopay.run_autopay(TODAY)["notified"] == 0
    assert AutopayCharge.objects.get().due_on == due
    assert autopay.run_autopay(due - datetime.timedelta(days=1)) == {
        "scheduled": 0, "notified": 1, "charged": 0, "settled": 0,
    }  # fmt: skip
    assert autopay.run_autopay(due)["charged"] == 1
    assert AutopayCharge.objects.get().status == AutopayChargeStatus.SUCCEEDED


def test_changing_the_day_moves_the_scheduled_charge_and_its_notice(link):
    active = set_up(link)
    close_october(active.account, month=THIS_MONTH)
    autopay.run_autopay(TODAY)
    assert AutopayCharge.objects.get().notice_sent_at is not None

    autopay.change_autopay(active, mode=AutopayMode.DAY, day=28, limit=Decimal("3000.00"))

    charge = AutopayCharge.objects.get()
    assert charge.due_on == add_months(THIS_MONTH, 1).replace(day=28)
    assert charge.notice_sent_at is None
    assert autopay.run_autopay(TOMORROW)["charged"] == 0


def test_a_receipt_issued_before_the_autopay_is_not_paid_by_it(link):
    close_october(link.account)
    active = set_up(link)  # the set-up pays the debt itself

    assert autopay.run_autopay(TOMORROW)["scheduled"] == 0
    assert autopay.autopay_of(active.account).method_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time: no race to test"
)
def test_runs_at_once_charge_once(mailoutbox):
    active = set_up(AccountLinkFactory())
    close_october(active.account)
    autopay.run_autopay(TODAY)
    barrier = threading.Barrier(4)
    failures = []

    def run():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            autopay.run_autopay(TOMORROW)
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert autopay_payments(active.account).count() == 1
    assert AutopayCharge.objects.get().status == AutopayChargeStatus.SUCCEEDED


def test_a_charge_claimed_by_another_run_is_not_made_again(active):
    close_october(active.account)
    autopay.run_autopay(TODAY)
    AutopayCharge.objects.update(status=AutopayChargeStatus.CHARGING)  # another run holds it

    assert autopay.run_autopay(TOMORROW)["charged"] == 0
    assert not autopay_payments(active.account).exists()


def test_a_closed_period_queues_a_run_at_once(active, django_capture_on_commit_callbacks):
    period = close_october(active.account)

    with django_capture_on_commit_callbacks(execute=True):
        period_closed.send(sender=Period, period=period)

    charge = AutopayCharge.objects.get()
    assert (charge.month, charge.due_on) == (OCTOBER, TOMORROW)
    assert charge.notice_sent_at is not None


def test_the_daily_command_runs_autopay(active):
    close_october(active.account)
    output = io.StringIO()

    call_command("run_autopay", stdout=output)

    assert "запланировано 1, предупреждений 1, списаний 0" in output.getvalue()


def test_an_unlinked_account_is_no_longer_paid_from_the_residents_card(active, link):
    close_october(active.account)
    autopay.run_autopay(TODAY)

    link.delete()  # «Отвязать лицевой счёт» in the profile
    autopay.run_autopay(TOMORROW)

    assert AutopayCharge.objects.get().status == AutopayChargeStatus.CANCELED
    assert autopay.autopay_of(active.account) is None
    assert not autopay_payments(active.account).exists()


def test_a_deleted_profile_takes_its_autopay_and_leaves_the_payments(active):
    close_october(active.account)
    autopay.run_autopay(TODAY)
    autopay.run_autopay(TOMORROW)

    delete_profile(active.user)

    assert not Autopay.objects.exists()
    assert not AutopayCharge.objects.exists()
    assert autopay_payments(active.account).count() == 1


def test_a_limit_above_the_organisations_limit_of_one_payment_is_refused(link):
    organization = link.account.organization
    organization.online_payment_limit = Decimal("10000.00")
    organization.save()
    with pytest.raises(
        autopay.AutopayRefused, match="Лимит не может быть больше 10\u00a0000,00\u00a0₽"
    ):
        set_up(link, limit=Decimal("10000.01"))
    assert not Autopay.objects.exists()

    active = set_up(link, limit=Decimal("10000.00"))  # the limit itself is allowed
    with pytest.raises(autopay.AutopayRefused, match="10\u00a0000,00\u00a0₽"):
        autopay.change_autopay(active, mode=AutopayMode.FULL, day=None, limit=Decimal("20000"))
    assert Autopay.objects.get().limit == Decimal("10000.00")


def test_nothing_is_skipped_before_the_autopay_is_connected(link):
    unconnected = set_up(link, pay=False)
    assert not unconnected.method_id

    with pytest.raises(autopay.AutopayRefused, match="ещё не подключён"):
        autopay.skip_month(unconnected, OCTOBER)
    with pytest.raises(autopay.AutopayRefused, match="Пропущенного месяца нет"):
        autopay.unskip_month(unconnected)
    assert Autopay.objects.get().skip_month is None
