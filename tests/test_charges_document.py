"""«Начисления» of a closed month is the month's issued payment document (docs/design.md
«Issued payment documents», «Cached figures of the resident's pages»): the figures the
resident got on paper, named by the document's number and date, unmoved by what is written
after the issue; a month not issued yet is issued on first open; if that fails, the live
data, logged as an error. The page's
figures are cached, and each writer that changes them bumps a data version."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from kabinet.billing.closing import close_period
from kabinet.billing.models import Period, RecalculationKind
from kabinet.billing.recalculations import add_recalculation
from kabinet.billing.run import run_billing
from kabinet.months import add_months
from kabinet.portal import charge_figures
from kabinet.receipts.issuing import issued_receipt, reissue_document
from kabinet.receipts.models import IssuedDocument
from kabinet.receipts.selectors import receipt_data
from kabinet.receipts.tasks import start_document_issue
from tests import test_issued_documents
from tests.factories import PaymentFactory, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
# The world of the issued documents' tests: two flats, a month calculated, closed as staff do.
world, close, closed = (
    test_issued_documents.world,
    test_issued_documents.close,
    test_issued_documents.closed,
)


def charges(client, world, period=None):
    client.force_login(world.link.user)
    query = {"period": f"{period.month:%Y-%m}"} if period else {}
    response = client.get(reverse("portal:account_charges", args=[world.first.pk]), query)
    assert response.status_code == 200
    return response


def document_of(world, period, version=1):
    return IssuedDocument.objects.get(account=world.first, period=period, version=version)


def test_the_page_shows_the_issued_documents_figures_and_names_it(world, closed, client):
    document = document_of(world, closed)

    response = charges(client, world)

    assert response.context["receipt"] == issued_receipt(document)
    line = f"Документ № {document.number} от {document.issued_at.astimezone():%d.%m.%Y}"
    assert line in response.text
    assert "пока недоступен" not in response.text


def test_a_payment_recorded_late_leaves_the_closed_months_page_as_issued(world, closed, client):
    issued = charges(client, world).context["receipt"]
    PaymentFactory(account=world.first, paid_on=closed.month + datetime.timedelta(days=20),
                   amount=D("300.00"))  # fmt: skip

    receipt = charges(client, world).context["receipt"]

    assert receipt == issued
    assert receipt.paid == D("0.00")
    assert receipt_data(world.first, closed).paid == D("300.00")  # live data has it


def test_a_recalculation_after_the_issue_shows_on_the_next_month_not_on_the_closed_one(
    world, closed, close, client
):
    issued = charges(client, world, closed).context["receipt"]
    following = Period.objects.get(
        organization=world.organization, month=add_months(closed.month, 1)
    )
    add_recalculation(world.first, world.upkeep, closed, RecalculationKind.OTHER,
                      "Не убиралась лестница", amount=D("-150.00"))  # fmt: skip
    run_billing(following)
    assert charges(client, world, closed).context["receipt"] == issued

    close(following)

    assert charges(client, world, closed).context["receipt"] == issued
    page = charges(client, world)  # the newest month: the following one's document
    receipt = page.context["receipt"]
    assert receipt == issued_receipt(document_of(world, following))
    assert receipt.recalculation == D("-150.00")
    assert "Не убиралась лестница" in page.text
    assert [month.period for month in page.context["history"]] == [following, closed]


def test_a_month_the_issue_has_not_reached_is_issued_on_first_open(world, client):
    close_period(world.period)  # the issue, queued on commit, has not run
    world.period.refresh_from_db()
    assert not IssuedDocument.objects.exists()

    page = charges(client, world)

    document = document_of(world, world.period)  # issued now, as the receipt page issues it
    assert page.context["receipt"] == issued_receipt(document)
    assert f"Документ № {document.number}" in page.text
    assert charges(client, world).context["receipt"] == issued_receipt(document)
    assert IssuedDocument.objects.count() == 1


def test_a_document_that_cannot_be_issued_falls_back_to_live_data(world, client, caplog,
                                                                  monkeypatch):  # fmt: skip
    close_period(world.period)
    world.period.refresh_from_db()

    def failing(account, period):
        raise OSError("the storage is full")

    monkeypatch.setattr(charge_figures, "issued_document", failing)
    with caplog.at_level(logging.ERROR, logger="kabinet.portal.charge_figures"):
        page = charges(client, world)

    assert page.context["receipt"] == receipt_data(world.first, world.period)
    assert page.context["receipt"].number is None
    assert "Платёжный документ за этот месяц пока недоступен" in page.text
    assert f"Account {world.first.number}" in caplog.text
    assert "no readable payment document" in caplog.text
    assert "the storage is full" in caplog.text

    monkeypatch.undo()  # not cached: the next request issues the document
    assert charges(client, world).context["receipt"].number is not None


def test_a_document_whose_data_cannot_be_read_falls_back_to_live_data(
    world, closed, client, caplog, monkeypatch
):
    def unreadable(document):
        raise KeyError("lines")

    monkeypatch.setattr(charge_figures, "issued_receipt", unreadable)
    with caplog.at_level(logging.ERROR, logger="kabinet.portal.charge_figures"):
        page = charges(client, world)

    assert page.context["receipt"] == receipt_data(world.first, closed)
    assert "no readable payment document" in caplog.text
    assert "KeyError" in caplog.text


# --- the writers: each shows on the page at once -------------------------------------------


def test_the_periods_issue_after_the_page_keeps_the_document_the_page_issued(world, client):
    close_period(world.period)
    world.period.refresh_from_db()
    shown = charges(client, world).context["receipt"]  # issued on opening

    start_document_issue(world.period, then_mail=False)  # the issue's batch: bulk_create

    document = document_of(world, world.period)
    assert IssuedDocument.objects.filter(account=world.first).count() == 1
    assert shown == issued_receipt(document)
    assert charges(client, world).context["receipt"] == shown
    second = IssuedDocument.objects.get(account=world.second, period=world.period)
    assert second.version == 1  # the issue reached the account nobody opened


def test_a_document_issued_when_first_asked_for_shows_on_the_page(world, client):
    close_period(world.period)
    world.period.refresh_from_db()
    month = world.period.month

    client.force_login(world.link.user)
    client.get(reverse("portal:receipt_pdf", args=[world.first.pk, month.year, month.month]))

    assert charges(client, world).context["receipt"] == issued_receipt(
        document_of(world, world.period)
    )
    assert IssuedDocument.objects.filter(account=world.first).count() == 1


def test_a_corrected_document_replaces_the_earlier_on_the_page(world, closed, client):
    charges(client, world)
    world.organization.settlement_account = "40702810900000099999"
    world.organization.save()
    assert "40702810900000099999" not in str(charges(client, world).context["receipt"])

    corrected = reissue_document(
        world.first, closed, user=staff_user(world.organization), reason="Новый расчётный счёт"
    )

    page = charges(client, world)
    assert page.context["receipt"] == issued_receipt(corrected)
    assert page.context["receipt"].payee.settlement_account == "40702810900000099999"
    assert f"Документ № {corrected.number}" in page.text
    assert "исправленный" in page.text


def test_closing_the_next_month_adds_it_to_the_months_and_the_history(world, closed, close, client):
    page = charges(client, world)
    assert [period.pk for period in page.context["periods"]] == [closed.pk]
    following = Period.objects.get(
        organization=world.organization, month=add_months(closed.month, 1)
    )
    run_billing(following)

    close(following)

    page = charges(client, world)
    assert [period.pk for period in page.context["periods"]] == [following.pk, closed.pk]
    assert [month.period.pk for month in page.context["history"]] == [following.pk, closed.pk]
