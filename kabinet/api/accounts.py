"""The resident's accounts through the API: the same selectors and services as the pages
(``portal/views.py``, ``portal/meters_views.py``); no rule of the domain is decided here."""

from django.utils import timezone
from ninja import Router

from kabinet.api import schemas
from kabinet.api.auth import account_or_404, require
from kabinet.api.idempotency import key_header, once_response
from kabinet.api.problems import REFUSALS, Problem, ProblemOut, field_error
from kabinet.billing import selectors as billing
from kabinet.billing.explanation import explain_charge, house_figures_of
from kabinet.metering import services as metering
from kabinet.metering.forms import MeterReadingsForm
from kabinet.metering.selectors import active_meters, meter_cards
from kabinet.metering.window import reading_window
from kabinet.months import parse_month
from kabinet.receipts.selectors import receipt_period
from kabinet.users import tokens
from kabinet.users.tokens import Permission

router = Router(tags=["Лицевые счета"])


def _account(account, balance) -> dict:
    return {
        "id": account.pk,
        "number": account.number,
        "address": str(account.premise),
        "organization": account.organization.name,
        "balance": balance,
    }


@router.get(
    "/accounts",
    response={200: list[schemas.AccountOut], **REFUSALS},
    url_name="accounts",
    summary="Мои лицевые счета",
)
def accounts(request):
    require(request, Permission.READ_METERS)  # every scope may list what it reaches
    accounts = list(tokens.accounts_of(request.auth))
    balances = billing.balances(accounts)
    return [_account(account, balances[account.pk]) for account in accounts]


@router.get(
    "/accounts/{account_id}",
    response={200: schemas.AccountCardOut, **REFUSALS},
    url_name="account",
    summary="Карточка лицевого счёта",
)
def account_card(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    table = billing.charge_table(account, billing.latest_charged_period(account))
    return {
        **_account(account, billing.account_balance(account)),
        "capital_repair_balance": billing.capital_repair_balance(account),
        **_table(table),
    }


def _table(table) -> dict:
    return {
        "month": table.period.month if table.period else None,
        "services": [
            {
                "service_id": line.service_id,
                "service": line.service.name,
                "unit": line.service.unit,
                "tariff": line.tariff,
                "volume": line.volume,
                "charged": line.charged,
                "recalculation": line.recalculation,
                "total": line.total,
            }
            for line in table.lines
        ],
        "charged": table.charged,
        "recalculation": table.recalculation,
        "total": table.total,
    }


@router.get(
    "/accounts/{account_id}/charges",
    response={200: list[schemas.MonthTotalsOut], **REFUSALS},
    url_name="charges",
    summary="Начисления по месяцам",
    description="Закрытые месяцы, новые первыми, как в истории на странице «Начисления».",
)
def charges(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return [
        {
            "month": totals.period.month,
            "charged": totals.charged,
            "recalculation": totals.recalculation,
            "penalties": totals.penalties,
            "total": totals.total,
        }
        for totals in billing.charge_history(account)
    ]


@router.get(
    "/accounts/{account_id}/charges/{month}",
    response={200: schemas.MonthChargesOut, **REFUSALS},
    url_name="month_charges",
    summary="Начисления за месяц",
    description="Месяц в виде ГГГГ-ММ; только закрытые месяцы, как на странице «Начисления».",
)
def month_charges(request, account_id: int, month: str):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    try:
        first_day = parse_month(month)
    except ValueError:
        raise Problem(404, "Нет такого месяца.") from None
    period = receipt_period(account, first_day.year, first_day.month)
    if period is None:
        raise Problem(404, "Нет начислений за этот месяц.")
    return _table(billing.charge_table(account, period))


@router.get(
    "/accounts/{account_id}/charges/{month}/{service_id}/explanation",
    response={200: schemas.ChargeExplanationOut, **REFUSALS},
    url_name="charge_explanation",
    summary="Как рассчитано: строка начислений",
    description="Строка таблицы услуг закрытого месяца (ГГГГ-ММ) словами и цифрами, как на "
    "странице «Как рассчитано», и исходные данные, сохранённые расчётом.",
)
def charge_explanation(request, account_id: int, month: str, service_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    try:
        first_day = parse_month(month)
    except ValueError:
        raise Problem(404, "Нет такого месяца.") from None
    charge = billing.published_charge(account, first_day, service_id)
    if charge is None:
        raise Problem(404, "Нет такого начисления.")
    figures = house_figures_of(charge) if charge.inputs else None
    explanation = explain_charge(charge, figures)
    return {
        "month": explanation.month,
        "service_id": charge.service_id,
        "service": explanation.service,
        "method": explanation.method,
        "basis": explanation.basis,
        "steps": [{"text": step.text, "amount": step.amount} for step in explanation.steps],
        "charged": explanation.charged,
        "recalculation": explanation.recalculation,
        "total": explanation.total,
        "inputs": charge.inputs,
        "house_figures": figures,
    }


def _reading(reading) -> dict | None:
    if reading is None:
        return None
    return {
        "month": reading.period,
        "value": reading.value,
        "taken_on": reading.taken_on,
        "source": reading.source,
        "is_estimate": reading.is_estimate,
    }


@router.get(
    "/accounts/{account_id}/meters",
    response={200: schemas.MetersOut, **REFUSALS},
    url_name="meters",
    summary="Счётчики, их последние показания и окно приёма",
)
def meters(request, account_id: int):
    require(request, Permission.READ_METERS)
    account = account_or_404(request, account_id)
    today = timezone.localdate()
    window = reading_window(account.organization, today)
    return {
        "window": {
            "month": window.month,
            "opens": window.opens,
            "closes": window.closes,
            "is_open": window.is_open,
            "next_opening": window.next_opening,
        },
        "meters": [
            {
                "id": card.meter.pk,
                "resource": card.meter.resource,
                "resource_name": card.meter.get_resource_display(),
                "serial_number": card.meter.serial_number,
                "place": card.meter.place,
                "digits": card.meter.digits,
                "verification_due": card.meter.verification_due,
                "last_reading": _reading(card.history[0].reading if card.history else None),
                "current_reading": _reading(card.current),
            }
            for card in meter_cards(active_meters(account), today)
        ],
    }


@router.post(
    "/accounts/{account_id}/readings",
    response={201: schemas.ReadingsAcceptedOut, 409: ProblemOut, 422: ProblemOut, **REFUSALS},
    url_name="readings",
    summary="Передать показания",
    description=(
        "Правила те же, что на странице «Показания счетчиков»: только в окно приёма (иначе "
        "409), не меньше предыдущего, необычно большой расход — только с confirm_unusual. "
        "Принимаются все показания или ни одного. С заголовком Idempotency-Key повтор запроса "
        "ничего не меняет и возвращает первый ответ."
    ),
)
def submit_readings(
    request,
    account_id: int,
    payload: schemas.ReadingsIn,
    idempotency_key: str | None = key_header(),
):
    require(request, Permission.SUBMIT_READINGS)
    account = account_or_404(request, account_id)
    return once_response(
        request, idempotency_key, lambda: (201, _submit(request, account, payload.readings))
    )


def _submit(request, account, items: list[schemas.ReadingIn]) -> dict:
    """Validate as the page's form does, submit through the page's service."""
    meters = {meter.pk: meter for meter in active_meters(account)}
    index_of = {}
    errors = []
    for index, item in enumerate(items):
        if item.meter_id not in meters:
            errors.append(field_error(["readings", index, "meter_id"], "Такого счётчика нет."))
        elif item.meter_id in index_of:
            errors.append(field_error(["readings", index, "meter_id"], "Счётчик уже указан."))
        else:
            index_of[item.meter_id] = index
    if errors:
        raise Problem(422, errors[0]["message"], kind="validation", errors=errors)
    data = {}
    for item in items:
        meter = meters[item.meter_id]
        data[MeterReadingsForm.value_name(meter)] = item.value
        if item.confirm_unusual:
            data[MeterReadingsForm.confirm_name(meter)] = item.value
    form = MeterReadingsForm(meters.values(), data)
    if not form.is_valid():
        raise _form_problem(form, meters, index_of)
    try:
        readings = metering.submit_resident_readings(
            account, form.values(), request.auth.user, confirmed=form.confirmed()
        )
    except metering.WindowClosed as closed:
        raise Problem(
            409,
            f"Приём показаний закрыт. {closed}",
            kind="reading-window-closed",
            next_opening=closed.window.next_opening.isoformat(),
        ) from None
    except metering.ReadingsRefused as refused:
        errors = [
            field_error(
                ["readings", index_of[check.meter.pk], "value"],
                check.error or check.warning,
                "invalid" if check.error else "unusual",
            )
            for check in refused.checks
        ]
        raise Problem(422, str(refused), kind="readings-refused", errors=errors) from None
    return schemas.ReadingsAcceptedOut(
        readings=[{"meter_id": r.meter_id, "month": r.period, "value": r.value} for r in readings]
    ).model_dump(mode="json")


def _form_problem(form, meters, index_of) -> Problem:
    errors = []
    for name, messages in form.errors.items():
        if name == "__all__":
            path = ["readings"]
        else:
            path = ["readings", index_of[int(name.split("_")[1])], "value"]
        errors.extend(field_error(path, message) for message in messages)
    return Problem(422, errors[0]["message"], kind="validation", errors=errors)
