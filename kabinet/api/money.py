"""The resident's money through the API: payment documents (the list and the PDF), payments of
a period and online payment. The same selectors, forms and services as «Начисления» and
«Платежи» (``portal/charges_views.py``, ``portal/payments_views.py``)."""

import datetime
import io
from decimal import Decimal

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from kabinet.api.auth import account_or_404, require
from kabinet.api.idempotency import as_json, key_header, once_response
from kabinet.api.problems import REFUSALS, Problem, ProblemOut, form_problem
from kabinet.billing.ledger import account_ledger
from kabinet.billing.selectors import unpaid_months
from kabinet.months import parse_month
from kabinet.payments import providers, services
from kabinet.payments.models import OnlinePaymentMethod
from kabinet.payments.selectors import online_payment_seen_by, online_payments_seen_by
from kabinet.portal.payments_forms import LedgerPeriodForm, OnlinePaymentForm
from kabinet.receipts.delivery import record_document_delivered
from kabinet.receipts.issuing import (
    DocumentUnavailable,
    document_filename,
    issued_document,
    stored_pdf,
)
from kabinet.receipts.models import DeliveryChannel
from kabinet.receipts.selectors import receipt_period, receipt_periods
from kabinet.users.tokens import Permission

router = Router(tags=["Квитанции и платежи"])
RECENT_ONLINE_PAYMENTS = 10  # as on «Платежи»


class ReceiptPeriodOut(Schema):
    month: datetime.date = Field(description="Месяц квитанции (первое число)")
    pdf: str = Field(description="Адрес PDF этой квитанции в API")


class LedgerMonthOut(Schema):
    month: datetime.date = Field(description="Месяц (первое число)")
    opening: Decimal = Field(description="Долг (> 0) или переплата (< 0) на начало, руб.")
    charged: Decimal = Field(description="Начислено, руб.")
    recalculation: Decimal = Field(description="Перерасчёты, руб.")
    penalties: Decimal = Field(description="Пени, руб.")
    paid: Decimal = Field(description="Оплачено, руб.")
    closing: Decimal = Field(description="Долг или переплата на конец, руб.")


class PaymentOut(Schema):
    paid_on: datetime.date = Field(description="Дата платежа")
    amount: Decimal = Field(description="Сумма, руб.")
    source: str = Field(description="Источник: bank, online, cash, …")
    source_name: str = Field(description="Источник по-русски")
    month: datetime.date | None = Field(description="Месяц, за который платёж, если указан")
    capital_repair: bool = Field(description="Взнос на капитальный ремонт")


class OnlinePaymentOut(Schema):
    id: int
    amount: Decimal = Field(
        description="Сумма, руб.: плательщику — вся; другому жителю — часть этого лицевого "
        "счёта (в оплате нескольких счетов)"
    )
    status: str = Field(description="pending, succeeded, canceled, expired")
    status_name: str = Field(description="Состояние по-русски")
    month: datetime.date | None = Field(description="Месяц долга, который платёж гасит первым")
    capital_repair: bool = Field(description="Взнос на капитальный ремонт")
    confirmation_url: str = Field(
        description="Страница оплаты платёжного сервиса (только плательщику, иначе пусто)"
    )
    created_at: datetime.datetime


class PaymentsOut(LedgerMonthOut):
    month: datetime.date = Field(description="Первый месяц периода")
    last_month: datetime.date = Field(description="Последний месяц периода")
    months: list[LedgerMonthOut] = Field(description="Движение по месяцам")
    payments: list[PaymentOut] = Field(description="Платежи периода по дате")
    online_payments: list[OnlinePaymentOut] = Field(description="Последние онлайн-оплаты")


class OnlinePaymentIn(Schema):
    amount: str = Field(max_length=30, description="Сумма, руб., как в форме: «1500» или «1500,50»")
    month: str | None = Field(
        default=None,
        max_length=7,
        description="Неоплаченный месяц (ГГГГ-ММ), который платёж погасит первым",
    )
    capital_repair: bool = Field(
        default=False, description="Взнос на капитальный ремонт (своему получателю)"
    )
    method: OnlinePaymentMethod | None = Field(
        default=None, description="Способ оплаты; без него — выбор на странице оплаты"
    )


@router.get(
    "/accounts/{account_id}/receipts",
    response={200: list[ReceiptPeriodOut], **REFUSALS},
    url_name="receipts",
    summary="Квитанции (платёжные документы)",
    description="Закрытые месяцы, по которым есть квитанция, новые первыми.",
)
def receipts(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return [
        {
            "month": period.month,
            "pdf": reverse("api:receipt_pdf", args=[account.pk, f"{period.month:%Y-%m}"]),
        }
        for period in receipt_periods(account)
    ]


@router.get(
    "/accounts/{account_id}/receipts/{month}",
    response={503: ProblemOut, **REFUSALS},
    url_name="receipt_pdf",
    summary="Квитанция за месяц в PDF",
    description=(
        "Месяц в виде ГГГГ-ММ. Выпущенный документ, байт в байт как хранится (он не меняется; "
        "исправленный УК документ — новая версия). Скачивание квитанции — её доставка жителю, "
        "как на сайте. 503 — файл документа в хранилище недоступен или не совпадает с выпущенным."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "PDF платёжного документа",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def receipt_pdf(request, account_id: int, month: str):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    try:
        first_day = parse_month(month)
    except ValueError:
        raise Problem(404, "Нет такого месяца.") from None
    period = receipt_period(account, first_day.year, first_day.month)
    if period is None:
        raise Problem(404, "Нет квитанции за этот месяц.")
    document = issued_document(account, period)
    try:
        content = stored_pdf(document)
    except DocumentUnavailable:
        raise Problem(
            503,
            f"Файл платёжного документа № {document.number} недоступен или не совпадает с "
            "выпущенным; ошибка записана. Другой документ вместо выпущенного не выдаётся.",
            kind="document-unavailable",
        ) from None
    record_document_delivered(account=account, period=period, channel=DeliveryChannel.PORTAL_PDF)
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=document_filename(document),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store"
    return response


def _online_payment(payment) -> dict:
    """An ``OnlinePaymentSeen``: what the token's user may see of the payment."""
    return {
        "id": payment.pk,
        "amount": payment.amount,
        "status": payment.status,
        "status_name": payment.status_name,
        "month": payment.period,
        "capital_repair": payment.capital_repair,
        "confirmation_url": payment.confirmation_url,
        "created_at": payment.created_at,
    }


def _ledger_month(month, first_month=None) -> dict:
    return {
        "month": first_month or month.month,
        "opening": month.opening,
        "charged": month.charged,
        "recalculation": month.recalculation,
        "penalties": month.penalties,
        "paid": month.paid,
        "closing": month.closing,
    }


@router.get(
    "/accounts/{account_id}/payments",
    response={200: PaymentsOut, 422: ProblemOut, **REFUSALS},
    url_name="payments",
    summary="Платежи и движение средств за период",
    description=(
        "Как на странице «Платежи»: месяцы first..last (ГГГГ-ММ) или последние months (1, 3, "
        "6, 12); без них — последние 12 месяцев. Период не длиннее 10 лет и не в будущем."
    ),
)
def payments(
    request,
    account_id: int,
    first: str | None = Query(None, max_length=7, description="С месяца, ГГГГ-ММ"),
    last: str | None = Query(None, max_length=7, description="По месяц, ГГГГ-ММ"),
    months: int | None = Query(None, description="Последние 1, 3, 6 или 12 месяцев"),
):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    data = {name: value for name, value in (("first", first), ("last", last)) if value}
    if months is not None:
        data["months"] = str(months)
    form = LedgerPeriodForm(data, today=timezone.localdate())
    if not form.is_valid():
        raise form_problem(form)
    first_month, last_month, _months = form.period()
    ledger = account_ledger(account, first_month, last_month)
    return {
        **_ledger_month(ledger, ledger.first_month),
        "last_month": ledger.last_month,
        "months": [_ledger_month(month) for month in ledger.months],
        "payments": [
            {
                "paid_on": payment.paid_on,
                "amount": payment.amount,
                "source": payment.source,
                "source_name": payment.get_source_display(),
                "month": payment.period,
                "capital_repair": payment.capital_repair,
            }
            for payment in ledger.payments
        ],
        "online_payments": [
            _online_payment(payment)
            for payment in online_payments_seen_by(
                request.auth.user, account, RECENT_ONLINE_PAYMENTS
            )
        ],
    }


@router.post(
    "/accounts/{account_id}/online-payments",
    response={201: OnlinePaymentOut, 422: ProblemOut, **REFUSALS},
    url_name="online_payments",
    summary="Начать онлайн-оплату",
    description=(
        "Правила те же, что у формы «Оплатить»: сумма больше нуля и не больше предела разового "
        "платежа. Ответ — confirmation_url, страница оплаты платёжного сервиса, куда нужно "
        "перейти плательщику. С заголовком Idempotency-Key повтор запроса не создаёт второй "
        "платёж и возвращает первый ответ."
    ),
)
def start_online_payment(
    request,
    account_id: int,
    payload: OnlinePaymentIn,
    idempotency_key: str | None = key_header(),
):
    require(request, Permission.WRITE)
    account = account_or_404(request, account_id)
    if not providers.is_enabled():
        raise Problem(404, "Онлайн-оплата в этом кабинете не подключена.")
    if payload.capital_repair and services.capital_repair_payee(account) is None:
        raise Problem(
            422,
            "Взносы на капитальный ремонт по этому дому онлайн не принимаются.",
            kind="validation",
        )
    form = OnlinePaymentForm(
        {
            "amount": payload.amount,
            "period": payload.month or "",
            "method": payload.method or "",
        },
        limit=services.payment_limit(account),
        unpaid_months=unpaid_months(account, capital_repair=payload.capital_repair),
    )
    if not form.is_valid():
        raise form_problem(form, {"period": "month"})

    def work():
        try:
            payment = services.start_online_payment(
                account,
                request.auth.user,
                form.cleaned_data["amount"],
                period=form.cleaned_data.get("period"),
                capital_repair=payload.capital_repair,
                method=form.cleaned_data["method"],
                return_url=lambda payment: request.build_absolute_uri(
                    reverse("portal:online_payment", args=[account.pk, payment.pk])
                ),
                notification_url=request.build_absolute_uri(
                    reverse("portal:payment_notification", args=[providers.get_provider().name])
                ),
            )
        except services.PaymentRefused as refused:
            raise Problem(422, str(refused), kind="payment-refused") from None
        seen = online_payment_seen_by(request.auth.user, account, payment)
        return 201, as_json(OnlinePaymentOut(**_online_payment(seen)))

    return once_response(request, idempotency_key, work)
