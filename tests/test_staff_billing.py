"""Staff pages of billing: running the open period and reading its summary, importing charges,
closing the period, recalculations — for the accountant and the manager, view-only for the
operator, nothing of another organisation."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kabinet.billing import parts, tasks
from kabinet.billing import summary as summaries
from kabinet.billing.jobs import last_billing_job, queue_billing_run
from kabinet.billing.lines import BillingError
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    Charge,
    ChargeBasis,
    KeyRate,
    Penalty,
    Period,
    PeriodStatus,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.recalculations import add_recalculation
from kabinet.billing.summary import Anomaly, run_summary
from kabinet.jobs.models import Job, JobStatus
from kabinet.metering.models import Resource
from kabinet.months import add_months
from kabinet.orgs.models import StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.receipts.models import IssuedDocument
from tests.factories import (
    ChargeFactory,
    MeterFactory,
    OrganizationFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
    UserFactory,
    staff_user,
    this_month,
)
from tests.test_account_pages import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
D = Decimal
NBSP = "\u00a0"


def account_in(house, number, area="50.00", **kwargs):
    return PersonalAccountFactory(
        premise__house=house, premise__area=D(area), number=number, **kwargs
    )


def words(response) -> str:
    """The page's text with runs of spaces and line breaks as one space (no-break spaces kept)."""
    return re.sub(r"[ \t\r\n]+", " ", text_of(response))


def run_page(client, period, capture):
    with capture(execute=True):  # the task runs once the request has committed
        return client.post(reverse("backoffice:billing_run", args=[period.pk]))


# The run and its summary ---------------------------------------------------------------------


def test_accountant_runs_billing_and_the_job_shows_its_figures(
    client, accountant, house, upkeep, period, django_capture_on_commit_callbacks
):
    first = account_in(house, "100", "50.00")
    account_in(house, "200", "40.00")
    response = run_page(client, period, django_capture_on_commit_callbacks)

    job = Job.objects.get()
    assert response.url == reverse("backoffice:billing_job", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    assert (job.done, job.total) == (2, 2)
    assert Charge.objects.get(account=first, period=period).total == D("1000.00")
    period.refresh_from_db()
    assert period.calculated_at is not None

    page = words(client.get(response.url))
    assert "выполнено" in page
    assert "Лицевых счетов 2" in page
    assert f"Итого начислено, ₽ 1{NBSP}800,00" in page


def test_billing_page_shows_the_open_period_and_the_summary_after_a_run(
    client, accountant, house, upkeep, period, previous, django_capture_on_commit_callbacks
):
    account = account_in(house, "100", "50.00")
    ChargeFactory(account=account, service=upkeep, period=previous, charged=D("800.00"))
    run_page(client, period, django_capture_on_commit_callbacks)

    response = client.get(reverse("backoffice:billing"))
    assert response.context["period"] == period
    page = words(response)
    assert "Начисления получены" in page
    assert "(расчётом)" in page
    assert f"Содержание жилья 1{NBSP}000,00 800,00 +200,00 +25,0{NBSP}%" in page
    assert "Начислено лицевым счетам: 1" in page
    assert "Ничего необычного" in page


def test_a_periods_summary_before_any_run_says_it_is_not_calculated(client, accountant, period):
    response = client.get(reverse("backoffice:billing"))
    assert response.context["summary"] is None
    assert "Период ещё не рассчитан" in text_of(response)


def test_the_runs_remarks_are_shown_on_the_billing_page(
    client, accountant, own, house, upkeep, period, django_capture_on_commit_callbacks
):
    ServiceFactory(organization=own, name="Вывоз мусора", method=CalculationMethod.FIXED)
    account_in(house, "100")
    run_page(client, period, django_capture_on_commit_callbacks)
    page = text_of(client.get(reverse("backoffice:billing")))
    assert "Замечания последнего расчёта" in page
    assert "У услуги «Вывоз мусора» нет тарифа на этот месяц: не начислена." in page


def test_a_run_of_a_period_closed_meanwhile_fails_with_the_reason(own, period, upkeep):
    job = queue_billing_run(period)
    period.status = PeriodStatus.CLOSED
    period.save()
    tasks.run_billing_job.call(job.pk, period.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.problems[-1] == f"Расчёт не выполнен: Период {period} закрыт: он не меняется."
    assert last_billing_job(period) == job


def test_a_run_that_breaks_fails_its_job_and_keeps_the_lines(
    own, house, upkeep, period, monkeypatch
):
    kept = ChargeFactory(account=account_in(house, "100"), service=upkeep, period=period)
    job = queue_billing_run(period)

    def broken(*args, **kwargs):
        raise RuntimeError("диск переполнен")

    monkeypatch.setattr(parts, "calculate", broken)
    tasks.run_billing_job.call(job.pk, period.pk)  # the part's task raises; the backend logs it
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "начисления периода остались прежними" in job.problems[-1]
    assert list(Charge.objects.filter(period=period)) == [kept]


@pytest.fixture
def months_to_compare(own, house, period, previous):
    """Two services, five accounts, hand-made lines of this month and the previous one."""
    upkeep = ServiceFactory(organization=own, name="Содержание", position=1)
    heating = ServiceFactory(organization=own, name="Отопление", position=2)
    usual, negative, missing, growth = (account_in(house, n) for n in ("A", "B", "C", "D"))
    closed = account_in(house, "E", is_open=False, closed_on=previous.month.replace(day=10))

    def line(account, service, month, charged, recalculation="0"):
        ChargeFactory(account=account, service=service, period=month, charged=D(charged),
                      recalculation=D(recalculation))  # fmt: skip

    line(usual, upkeep, period, "110.00")
    line(usual, heating, period, "60.00")
    line(negative, upkeep, period, "10.00", "-30.00")
    line(growth, upkeep, period, "31.00")
    line(usual, upkeep, previous, "100.00")
    line(usual, heating, previous, "50.00")
    line(negative, upkeep, previous, "200.00")
    line(missing, upkeep, previous, "300.00")
    line(growth, upkeep, previous, "10.00")
    line(closed, upkeep, previous, "40.00")
    period.calculated_at = timezone.now()
    period.save()


def test_summary_by_service_against_the_previous_month(period, months_to_compare):
    summary = run_summary(period)
    assert summary.accounts == 3
    assert [
        (line.name, line.totals.current, line.totals.previous, line.totals.difference,
         line.totals.percent)
        for line in summary.services
    ] == [
        ("Содержание", D("121.00"), D("650.00"), D("-529.00"), D("-81.4")),
        ("Отопление", D("60.00"), D("50.00"), D("10.00"), D("20.0")),
    ]  # fmt: skip
    assert (summary.total.current, summary.total.previous) == (D("181.00"), D("700.00"))
    assert summary.total.percent == D("-74.1")


def test_anomalies_negative_missing_and_more_than_threefold(period, months_to_compare):
    summary = run_summary(period)
    assert [(a.number, a.kind, a.current, a.previous) for a in summary.anomalies] == [
        ("B", Anomaly.NEGATIVE, D("-20.00"), D("200.00")),
        ("C", Anomaly.MISSING, None, D("300.00")),
        ("D", Anomaly.GROWTH, D("31.00"), D("10.00")),
    ]
    assert summary.anomaly_counts == {Anomaly.NEGATIVE: 1, Anomaly.MISSING: 1, Anomaly.GROWTH: 1}


def test_only_the_first_anomalies_are_listed_but_all_are_counted(
    period, months_to_compare, monkeypatch
):
    monkeypatch.setattr(summaries, "ANOMALIES_SHOWN", 2)
    summary = run_summary(period)
    assert [a.number for a in summary.anomalies] == ["B", "C"]
    assert summary.anomaly_count == 3


def test_exactly_threefold_is_not_an_anomaly(own, house, period, previous):
    service = ServiceFactory(organization=own)
    account = account_in(house, "A")
    ChargeFactory(account=account, service=service, period=previous, charged=D("10.00"))
    ChargeFactory(account=account, service=service, period=period, charged=D("30.00"))
    assert run_summary(period).anomaly_count == 0


def test_without_a_previous_period_only_negative_totals_are_anomalies(own, house):
    first = PeriodFactory(organization=own, month=this_month(), status=PeriodStatus.OPEN)
    service = ServiceFactory(organization=own)
    ChargeFactory(account=account_in(house, "A"), service=service, period=first,
                  charged=D("0.00"), recalculation=D("-5.00"))  # fmt: skip
    summary = run_summary(first)
    assert summary.previous is None
    assert summary.total.difference is None
    assert [(a.number, a.kind) for a in summary.anomalies] == [("A", Anomaly.NEGATIVE)]


def test_the_page_shows_the_summary_and_the_anomalies(
    client, accountant, period, months_to_compare
):
    page = words(client.get(reverse("backoffice:billing")))
    assert f"Содержание 121,00 650,00 -529,00 -81,4{NBSP}%" in page
    assert f"Итого 181,00 700,00 -519,00 -74,1{NBSP}%" in page
    assert "Итог за месяц меньше нуля: 1" in page
    assert "C в прошлом месяце начислено, в этом — нет — 300,00" in page
    assert "D больше чем в 3 раза выше прошлого месяца 31,00 10,00" in page


# Closing -----------------------------------------------------------------------------------


def test_closing_needs_the_confirmation(client, accountant, period):
    period.calculated_at = timezone.now()
    period.save()
    response = client.post(reverse("backoffice:billing_close", args=[period.pk]))
    assert response.status_code == 400
    assert "Отметьте, что начисления проверены" in text_of(response)
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN


@pytest.mark.django_db(transaction=True)  # the documents' issue starts when the closing commits
def test_accountant_closes_the_period_and_the_next_one_opens(
    client, accountant, own, house, upkeep, period
):
    account_in(house, "100")
    client.post(reverse("backoffice:billing_run", args=[period.pk]))
    response = client.post(
        reverse("backoffice:billing_close", args=[period.pk]), {"confirm": "on"}, follow=True
    )
    period.refresh_from_db()
    assert period.status == PeriodStatus.CLOSED
    following = Period.objects.get(organization=own, month=add_months(period.month, 1))
    assert response.context["period"] == following
    page = text_of(response)
    assert f"Период {period} закрыт: жители видят его начисления. Открыт период {following}." in (
        page
    )
    assert "ход выпуска" in page
    assert AccountBalance.objects.filter(period=period).count() == 1
    assert IssuedDocument.objects.filter(period=period).count() == 1


def test_a_refused_closing_is_a_message_not_an_error(client, accountant, period):
    response = client.post(
        reverse("backoffice:billing_close", args=[period.pk]), {"confirm": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "Период ещё не рассчитан: выполните расчёт или загрузите начисления." in text_of(
        response
    )
    period.refresh_from_db()
    assert period.status == PeriodStatus.OPEN


def test_a_closed_period_is_not_run_again(client, accountant, previous):
    response = client.post(reverse("backoffice:billing_run", args=[previous.pk]), follow=True)
    assert f"Период {previous} закрыт: он не меняется." in text_of(response)
    assert not Job.objects.exists()


# Import ------------------------------------------------------------------------------------


def upload(client, period, text, capture, name="nachisleniya.csv"):
    with capture(execute=True):
        return client.post(
            reverse("backoffice:billing_import", args=[period.pk]),
            {"file": SimpleUploadedFile(name, text.encode())},
        )


def test_charges_are_imported_from_a_file_through_a_job(
    client, accountant, house, upkeep, period, django_capture_on_commit_callbacks
):
    account = account_in(house, "100")
    text = "ЛС;Услуга;Тариф;Объём;Начислено\n100;Содержание жилья;20;50;1000,00\n"
    response = upload(client, period, text, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert response.url == reverse("backoffice:billing_job", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED
    assert Charge.objects.get(period=period, account=account).total == D("1000.00")
    assert "(загрузкой из файла)" in text_of(client.get(reverse("backoffice:billing")))


def test_an_imported_file_with_bad_rows_names_them_on_the_job_page(
    client, accountant, house, upkeep, period, django_capture_on_commit_callbacks
):
    account_in(house, "100")
    text = "ЛС;Услуга;Тариф;Объём;Начислено\n100;Содержание жилья;20;50;1000,00\n7;Газ;1;1;1\n"
    response = upload(client, period, text, django_capture_on_commit_callbacks)
    page = text_of(client.get(response.url))
    assert "Файл не загружен: строк с ошибками — 1." in page
    assert "Строка 3: лицевой счёт № 7 не найден; услуги «Газ» нет у организации." in page
    assert not Charge.objects.exists()


def test_a_file_of_the_wrong_type_is_refused_on_the_page(client, accountant, period):
    response = client.post(
        reverse("backoffice:billing_import", args=[period.pk]),
        {"file": SimpleUploadedFile("charges.pdf", b"%PDF-1.4")},
    )
    assert response.status_code == 400
    assert "pdf" in text_of(response)
    assert not Job.objects.exists()


# Recalculations ----------------------------------------------------------------------------


def recalculation_data(upkeep, previous, **changes):
    return {
        "account": "100", "service": upkeep.pk, "corrected_period": previous.pk,
        "kind": RecalculationKind.QUALITY, "percent": "12,5",
        "reason": "Акт № 7 о перебоях с уборкой", **changes,
    }  # fmt: skip


def test_a_recalculation_is_computed_first_then_saved(
    client, accountant, upkeep, previous, period, recalculable
):
    url = reverse("backoffice:recalculations")
    shown = client.post(url, {**recalculation_data(upkeep, previous), "preview": "Рассчитать"})
    assert shown.context["preview"] == D("-125.00")
    assert f"Сумма перерасчёта: -125,00{NBSP}₽ (уменьшение)" in words(shown)
    assert not Recalculation.objects.exists()

    shown_amount = re.search(r'name="shown_amount" value="([^"]+)"', shown.text)[1]
    saved = client.post(url, {**recalculation_data(upkeep, previous), "save": "Сохранить",
                              "shown_amount": shown_amount}, follow=True)  # fmt: skip
    recalculation = Recalculation.objects.get()
    assert (recalculation.period, recalculation.corrected_period) == (period, previous)
    assert (recalculation.amount, recalculation.created_by) == (D("-125.00"), accountant)
    assert "Перерасчёт записан: ЛС № 100" in text_of(saved)
    assert list(saved.context["recalculations"]) == [recalculation]


def test_a_reading_correction_lists_each_month_it_changes_and_saves_one_for_each(
    client, accountant, own, house, previous, period
):
    """The month before last was charged 10 m³ (110 − 100) and last month 10 m³ by average;
    its reading was 104: 4 m³ each (the average over three months from 92), −300,00 a month at
    50,00."""
    account = account_in(house, "100", residents=1)
    water = ServiceFactory(organization=own, method=CalculationMethod.METER, normative=D("4.5"),
                           resource=Resource.COLD_WATER, name="Холодная вода")  # fmt: skip
    TariffFactory(service=water, value=D("50.00"), valid_from=datetime.date(2020, 1, 1))
    before_last = PeriodFactory(organization=own, month=add_months(previous.month, -1))
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    ReadingFactory(meter=meter, period=add_months(before_last.month, -3), value=D("92"))
    ReadingFactory(meter=meter, period=add_months(before_last.month, -1), value=D("100"))
    ReadingFactory(meter=meter, period=before_last.month, value=D("104"))
    for month, basis in ((before_last, ChargeBasis.READING), (previous, ChargeBasis.AVERAGE)):
        ChargeFactory(account=account, service=water, period=month, tariff=D("50.00"),
                      volume=D("10"), basis=basis, charged=D("500.00"))  # fmt: skip
    data = {"account": "100", "service": water.pk, "corrected_period": before_last.pk,
            "kind": RecalculationKind.READING, "reason": "Показание 104, а не 110"}  # fmt: skip
    url = reverse("backoffice:recalculations")
    shown = client.post(url, {**data, "preview": "Рассчитать"})
    assert shown.context["preview"] == D("-600.00")
    assert [(m.period, m.amount) for m in shown.context["preview_months"]] == [
        (before_last, D("-300.00")), (previous, D("-300.00"))
    ]  # fmt: skip
    assert "по каждому месяцу будет свой перерасчёт" in words(shown)
    shown_amount = re.search(r'name="shown_amount" value="([^"]+)"', shown.text)[1]
    client.post(url, {**data, "save": "Сохранить", "shown_amount": shown_amount})
    assert sorted(Recalculation.objects.values_list("corrected_period", "amount")) == sorted(
        [(before_last.pk, D("-300.00")), (previous.pk, D("-300.00"))]
    )


def test_a_water_reading_correction_shows_and_saves_wastewater_with_it(
    client, accountant, own, house, previous, period
):
    """Last month was charged 10 m³ of cold water (110 − 100) and 10 m³ of wastewater at
    30,00; its reading was 104: 6 m³ less, −300,00 of water and −180,00 of wastewater."""
    account = account_in(house, "100", residents=1)
    water = ServiceFactory(organization=own, method=CalculationMethod.METER, normative=D("4.5"),
                           resource=Resource.COLD_WATER, name="Холодная вода")  # fmt: skip
    wastewater = ServiceFactory(organization=own, method=CalculationMethod.WASTEWATER,
                                name="Водоотведение")  # fmt: skip
    for made, tariff in ((water, "50.00"), (wastewater, "30.00")):
        TariffFactory(service=made, value=D(tariff), valid_from=datetime.date(2020, 1, 1))
        ChargeFactory(account=account, service=made, period=previous, tariff=D(tariff),
                      volume=D("10"), basis=ChargeBasis.READING,
                      charged=D(tariff) * 10)  # fmt: skip
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    ReadingFactory(meter=meter, period=add_months(previous.month, -1), value=D("100"))
    ReadingFactory(meter=meter, period=previous.month, value=D("104"))
    data = {"account": "100", "service": water.pk, "corrected_period": previous.pk,
            "kind": RecalculationKind.READING, "reason": "Показание 104, а не 110"}  # fmt: skip
    url = reverse("backoffice:recalculations")
    shown = client.post(url, {**data, "preview": "Рассчитать"})
    assert shown.context["preview"] == D("-480.00")
    assert "Водоотведение (по объёму воды)" in words(shown)
    shown_amount = re.search(r'name="shown_amount" value="([^"]+)"', shown.text)[1]
    client.post(url, {**data, "save": "Сохранить", "shown_amount": shown_amount})
    assert sorted(Recalculation.objects.values_list("service", "amount", "volume")) == sorted(
        [(water.pk, D("-300.00"), D("-6")), (wastewater.pk, D("-180.00"), D("-6"))]
    )


def test_a_recalculation_whose_amount_changed_since_it_was_shown_is_not_saved(
    client, accountant, upkeep, previous, period, recalculable
):
    response = client.post(
        reverse("backoffice:recalculations"),
        {**recalculation_data(upkeep, previous, percent="50"), "save": "Сохранить",
         "shown_amount": "-125.00"},
    )  # fmt: skip
    assert not Recalculation.objects.exists()
    assert response.context["preview"] == D("-500.00")
    assert "Сумма перерасчёта изменилась" in text_of(response)


def test_add_recalculation_records_only_the_figures_the_staff_member_saw(
    upkeep, previous, period, recalculable
):
    def add(shown):
        return add_recalculation(recalculable, upkeep, previous, RecalculationKind.QUALITY,
                                 "Акт № 7", percent=D("10"), shown=shown)  # fmt: skip

    with pytest.raises(BillingError, match="изменилась"):
        add("-125.00")
    assert not Recalculation.objects.exists()
    [made] = add("-100.00")  # 10 % of 1 000,00
    assert made.amount == D("-100.00")


def test_a_recalculation_needs_the_figure_of_its_kind(
    client, accountant, upkeep, previous, period, recalculable
):
    response = client.post(
        reverse("backoffice:recalculations"),
        recalculation_data(upkeep, previous, kind=RecalculationKind.ABSENCE, percent=""),
    )
    assert response.context["form"].errors == {
        "days": ["Для этого вида перерасчёта заполните это поле."]
    }


def test_a_refused_recalculation_shows_the_reason(
    client, accountant, upkeep, previous, period, recalculable
):
    response = client.post(
        reverse("backoffice:recalculations"),
        recalculation_data(upkeep, previous, kind=RecalculationKind.ABSENCE, days="3"),
    )
    assert "пересчитывается только начисленное по нормативу" in text_of(response)
    assert response.context["preview"] is None


def test_an_unknown_account_number_is_named(client, accountant, upkeep, previous, period):
    response = client.post(
        reverse("backoffice:recalculations"), recalculation_data(upkeep, previous, account="77")
    )
    assert response.context["form"].errors["account"] == ["Лицевой счёт № 77 не найден."]


def test_a_recalculation_of_the_open_period_is_deleted(
    client, accountant, upkeep, previous, period, recalculable
):
    recalculation = Recalculation.objects.create(
        period=period, corrected_period=previous, account=recalculable, service=upkeep,
        amount=D("-10.00"), reason="Ошибка", created_by=accountant,
    )  # fmt: skip
    response = client.post(
        reverse("backoffice:recalculation_delete", args=[recalculation.pk]), follow=True
    )
    assert not Recalculation.objects.exists()
    assert "удалён" in text_of(response)


# Roles and organisations -------------------------------------------------------------------


def test_operator_sees_the_pages_but_cannot_run_close_import_or_recalculate(
    client, own, upkeep, previous, period, recalculable
):
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    page = text_of(client.get(reverse("backoffice:billing")))
    assert "Выполнить расчёт" not in page
    assert "Закрыть период" not in page
    assert "могут бухгалтер и руководитель" in page
    recalculation = Recalculation.objects.create(
        period=period, corrected_period=previous, account=recalculable, service=upkeep,
        amount=D("-10.00"), reason="Ошибка",
    )  # fmt: skip
    for name, args in [
        ("backoffice:billing_run", [period.pk]),
        ("backoffice:billing_close", [period.pk]),
        ("backoffice:billing_import", [period.pk]),
        ("backoffice:recalculations", []),
        ("backoffice:recalculation_delete", [recalculation.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"confirm": "on"}).status_code == 403, name
    assert not Job.objects.exists()
    assert Recalculation.objects.count() == 1


def test_manager_may_run_billing(client, own, period, django_capture_on_commit_callbacks):
    client.force_login(staff_user(own, StaffRole.MANAGER))
    run_page(client, period, django_capture_on_commit_callbacks)
    assert Job.objects.get().status == JobStatus.SUCCEEDED


def test_another_organisations_staff_find_nothing_of_ours(
    client, own, other, upkeep, previous, period, recalculable
):
    recalculation = Recalculation.objects.create(
        period=period, corrected_period=previous, account=recalculable, service=upkeep,
        amount=D("-10.00"), reason="Ошибка",
    )  # fmt: skip
    job = queue_billing_run(period)
    client.force_login(staff_user(other, StaffRole.ACCOUNTANT))
    for name, args in [
        ("backoffice:billing_run", [period.pk]),
        ("backoffice:billing_close", [period.pk]),
        ("backoffice:billing_import", [period.pk]),
        ("backoffice:recalculation_delete", [recalculation.pk]),
    ]:
        assert client.post(reverse(name, args=args), {"confirm": "on"}).status_code == 404, name
    assert client.get(reverse("backoffice:billing_job", args=[job.pk])).status_code == 404

    response = client.get(reverse("backoffice:billing"), {"organization": own.pk})
    assert response.context["organization"] == other
    assert "УК Своя" not in text_of(response)
    saving = client.post(
        reverse("backoffice:recalculations"),
        {**recalculation_data(upkeep, previous), "save": "Сохранить", "shown_amount": "-125.00"},
    )
    assert set(saving.context["form"].errors) == {"account", "service", "corrected_period"}
    assert Recalculation.objects.count() == 1


def test_staff_of_several_organisations_choose_one(client, own, other, period):
    user = staff_user(own, StaffRole.ACCOUNTANT)
    add_staff_member(user, other, StaffRole.ACCOUNTANT)
    theirs = PeriodFactory(organization=other, month=this_month(), status=PeriodStatus.OPEN)
    client.force_login(user)
    assert client.get(reverse("backoffice:billing")).context["period"] == period
    chosen = client.get(reverse("backoffice:billing"), {"organization": other.pk})
    assert chosen.context["period"] == theirs
    assert 'name="organization"' in chosen.text


@pytest.mark.parametrize(
    "url",
    [
        reverse("backoffice:billing"),
        reverse("backoffice:recalculations"),
        reverse("backoffice:billing_job", args=[1]),
    ],
)
def test_residents_have_no_billing_pages(client, url):
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


# The admin ---------------------------------------------------------------------------------


def test_the_admin_index_leads_to_the_workplaces(client, accountant):
    page = client.get(reverse("admin:index")).text
    assert "Рабочие места" in page
    for name in ("billing", "recalculations", "readings", "house_meters", "registries",
                 "reconciliation"):  # fmt: skip
        assert f'href="{reverse(f"backoffice:{name}")}"' in page


def test_key_rates_are_kept_per_organisation(client, accountant, own, other):
    KeyRate.objects.create(organization=own, valid_from=datetime.date(2026, 1, 1), rate=D("16"))
    KeyRate.objects.create(organization=other, valid_from=datetime.date(2026, 1, 1), rate=D("9"))
    listed = client.get(reverse("admin:billing_keyrate_changelist"))
    shown = {(rate.organization, rate.rate) for rate in listed.context["cl"].result_list}
    assert (own, D("16")) in shown
    assert {organization for organization, _ in shown} == {own, None}  # and the shipped history
    shipped = KeyRate.objects.get(organization=None, valid_from=datetime.date(2026, 2, 16))
    change = reverse("admin:billing_keyrate_change", args=[shipped.pk])
    client.post(change, {"organization": own.pk, "valid_from": "16.02.2026", "rate": "1"})
    shipped.refresh_from_db()
    assert (shipped.organization, shipped.rate) == (None, D("15.50"))  # read-only for staff
    delete = reverse("admin:billing_keyrate_delete", args=[shipped.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert KeyRate.objects.filter(pk=shipped.pk).exists()
    response = client.post(
        reverse("admin:billing_keyrate_add"),
        {"organization": other.pk, "valid_from": "01.06.2026", "rate": "21"},
    )
    assert response.status_code == 200  # the form refuses another organisation
    global_row = {"valid_from": "01.06.2026", "rate": "21"}
    response = client.post(reverse("admin:billing_keyrate_add"), global_row)
    assert response.status_code == 200  # staff cannot add to the shipped (global) history
    assert KeyRate.objects.filter(organization__isnull=False).count() == 2
    assert not KeyRate.objects.filter(valid_from=datetime.date(2026, 6, 1)).exists()


def test_balances_and_penalties_are_read_only_and_found_by_account(
    client, accountant, own, other, house, previous
):
    mine = account_in(house, "1000154")
    theirs = PersonalAccountFactory(premise__house__organization=other, number="1000155")
    their_period = PeriodFactory(organization=other, month=previous.month)
    for account, month in ((mine, previous), (theirs, their_period)):
        AccountBalance.objects.bulk_create(
            [
                AccountBalance(
                    period=month,
                    account=account,
                    opening=0,
                    charged=D("100"),
                    recalculation=0,
                    penalties=0,
                    paid=0,
                    closing=D("100"),
                )
            ]
        )  # fmt: skip  (a closed month's history: loaded, not saved)
        Penalty.objects.bulk_create([Penalty(
            period=month, account=account, debt_month=previous.month, due_date=previous.month,
            date_from=previous.month, date_to=previous.month, debt=D("100"), rate=D("16"),
            fraction=300, amount=D("0.01"),
        )])  # fmt: skip
    for model in ("accountbalance", "penalty"):
        response = client.get(reverse(f"admin:billing_{model}_changelist"), {"q": "100015"})
        assert [row.account for row in response.context["cl"].result_list] == [mine], model
        assert client.get(reverse(f"admin:billing_{model}_add")).status_code == 403


def test_accountant_of_one_organisation_is_only_an_operator_in_another(client):
    own, other = OrganizationFactory(), OrganizationFactory()
    user = staff_user(own, StaffRole.ACCOUNTANT)
    add_staff_member(user, other, StaffRole.OPERATOR)
    period = PeriodFactory(organization=other, status=PeriodStatus.OPEN)
    client.force_login(user)
    response = client.post(reverse("backoffice:billing_run", args=[period.pk]))
    assert response.status_code == 403
