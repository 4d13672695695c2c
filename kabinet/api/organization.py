"""``/org/``: the organisation's own systems (accounting, a bank gateway) with an API key
(``api.StaffApiKey``): exports of its accounts with their balances, charges and payments (JSON,
paged), and imports of a readings file or a bank registry through the back office's own forms,
services and jobs — a bad row stops the whole file and is named in the job; the same file
twice changes nothing. Only the key's organisation: anything of another answers 404."""

import datetime
from decimal import Decimal

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from kabinet.api.auth import StaffKey, require_write
from kabinet.api.problems import REFUSALS, Problem, ProblemOut, form_problem, range_problem
from kabinet.backoffice.meters_forms import ReadingsImportForm
from kabinet.backoffice.payments_forms import RegistryUploadForm
from kabinet.billing import selectors as billing
from kabinet.billing.models import Charge
from kabinet.housing.models import PersonalAccount
from kabinet.http import client_ip
from kabinet.jobs.models import Job, JobKind
from kabinet.jobs.services import job_progress
from kabinet.metering import services as metering
from kabinet.months import parse_month
from kabinet.orgs.models import Organization
from kabinet.payments.models import Payment, PaymentRegistry
from kabinet.payments.registry.uploads import DuplicateRegistry, upload_registry

router = Router(tags=["Управляющая организация"], auth=StaffKey())
PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class PageIn(Schema):
    page: int = Field(default=1, ge=1, le=1_000_000, description="Страница, с 1")
    page_size: int = Field(
        default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Записей на странице"
    )


class PaymentsQuery(PageIn):
    paid_from: datetime.date | None = Field(default=None, description="С даты (ГГГГ-ММ-ДД)")
    paid_to: datetime.date | None = Field(default=None, description="По дату (ГГГГ-ММ-ДД)")


class PageOut(Schema):
    count: int = Field(description="Всего записей")
    page: int
    pages: int = Field(description="Всего страниц")


class OrgAccountOut(Schema):
    id: int
    number: str = Field(description="Номер лицевого счёта")
    holder_name: str = Field(description="ФИО владельца")
    address: str
    is_open: bool
    balance: Decimal = Field(description="Долг (> 0) или переплата (< 0), руб.")


class OrgAccountsPage(PageOut):
    items: list[OrgAccountOut]


class OrgChargeOut(Schema):
    account: str = Field(description="Номер лицевого счёта")
    month: datetime.date = Field(description="Месяц (первое число)")
    service: str
    tariff: Decimal
    volume: Decimal
    charged: Decimal = Field(description="Начислено, руб.")
    recalculation: Decimal = Field(description="Перерасчёт, руб.")
    total: Decimal = Field(description="Итого, руб.")


class OrgChargesPage(PageOut):
    items: list[OrgChargeOut]


class OrgPaymentOut(Schema):
    id: int
    account: str = Field(description="Номер лицевого счёта")
    paid_on: datetime.date
    amount: Decimal = Field(description="Сумма, руб.")
    source: str = Field(description="Источник: bank, online, cash, …")
    external_id: str = Field(description="Номер операции у банка или платёжного сервиса")
    month: datetime.date | None = Field(description="Месяц, за который платёж, если указан")
    capital_repair: bool


class OrgPaymentsPage(PageOut):
    items: list[OrgPaymentOut]


class JobOut(Schema):
    id: int
    kind: str
    title: str
    status: str = Field(description="queued, running, succeeded, failed")
    status_name: str
    total: int = Field(description="Всего строк")
    done: int = Field(description="Проверено строк")
    failed: int = Field(description="Строк с ошибками")
    result: dict = Field(description="Итог: что загружено")
    problems: list[str] = Field(
        description="Почему не загружено: строки с ошибками («Строка N: …») и вывод"
    )


def _page(queryset, paging: PageIn) -> tuple[dict, list]:
    count = queryset.count()
    pages = max(1, -(-count // paging.page_size))
    start = (paging.page - 1) * paging.page_size
    return {"count": count, "page": paging.page, "pages": pages}, list(
        queryset[start : start + paging.page_size]
    )


def _organization(request) -> Organization:
    return request.auth.organization


@router.get(
    "/org/accounts",
    response={200: OrgAccountsPage, **REFUSALS},
    url_name="org_accounts",
    summary="Лицевые счета организации с остатками",
)
def org_accounts(request, paging: Query[PageIn]):
    accounts = (
        PersonalAccount.objects.filter(organization=_organization(request))
        .select_related("premise__house")
        .order_by("pk")
    )
    page, rows = _page(accounts, paging)
    balances = billing.balances(rows)
    return {
        **page,
        "items": [
            {
                "id": a.pk,
                "number": a.number,
                "holder_name": a.holder_name,
                "address": str(a.premise),
                "is_open": a.is_open,
                "balance": balances[a.pk],
            }
            for a in rows
        ],
    }


@router.get(
    "/org/charges",
    response={200: OrgChargesPage, 422: ProblemOut, **REFUSALS},
    url_name="org_charges",
    summary="Начисления закрытых периодов",
    description="Только закрытые периоды (открытый — черновик); month=ГГГГ-ММ — один месяц.",
)
def org_charges(
    request,
    paging: Query[PageIn],
    month: str | None = Query(None, max_length=7, description="Месяц, ГГГГ-ММ"),
):
    charges = (
        Charge.objects.published()
        .filter(account__organization=_organization(request))
        .select_related("account", "service", "period")
        .order_by("period__month", "account_id", "service_id", "pk")
    )
    if month:
        try:
            charges = charges.filter(period__month=parse_month(month))
        except ValueError:
            raise Problem(422, "Месяц — в виде ГГГГ-ММ.", kind="validation") from None
    page, rows = _page(charges, paging)
    return {
        **page,
        "items": [
            {
                "account": c.account.number,
                "month": c.period.month,
                "service": c.service.name,
                "tariff": c.tariff,
                "volume": c.volume,
                "charged": c.charged,
                "recalculation": c.recalculation,
                "total": c.total,
            }
            for c in rows
        ],
    }


@router.get(
    "/org/payments",
    response={200: OrgPaymentsPage, **REFUSALS},
    url_name="org_payments",
    summary="Платежи по дате",
    description=(
        "Платежи с paid_from по paid_to включительно (ГГГГ-ММ-ДД), по дате и номеру; "
        "paid_from позже paid_to — ошибка 422 с обоими полями."
    ),
)
def org_payments(request, query: Query[PaymentsQuery]):
    payments = (
        Payment.objects.filter(account__organization=_organization(request))
        .select_related("account")
        .order_by("paid_on", "pk")
    )
    if query.paid_from and query.paid_to and query.paid_from > query.paid_to:
        raise range_problem("paid_from", "paid_to")
    if query.paid_from:
        payments = payments.filter(paid_on__gte=query.paid_from)
    if query.paid_to:
        payments = payments.filter(paid_on__lte=query.paid_to)
    page, rows = _page(payments, query)
    return {
        **page,
        "items": [
            {
                "id": p.pk,
                "account": p.account.number,
                "paid_on": p.paid_on,
                "amount": p.amount,
                "source": p.source,
                "external_id": p.external_id,
                "month": p.period,
                "capital_repair": p.capital_repair,
            }
            for p in rows
        ],
    }


def _job(job: Job) -> dict:
    """The job's progress and outcome; a registry's bad rows are kept on the registry."""
    done, total, failed = job_progress(job)
    problems = list(job.problems or [])
    if job.kind == JobKind.PAYMENT_REGISTRY:
        registry = PaymentRegistry.objects.filter(job=job).first()
        problems += registry.errors if registry else []
    return {
        "id": job.pk,
        "kind": job.kind,
        "title": job.title,
        "status": job.status,
        "status_name": job.get_status_display(),
        "total": total,
        "done": done,
        "failed": failed,
        "result": job.result or {},
        "problems": problems,
    }


def _importer(request):
    """Who the import is done as: the manager who issued the key (the job and the audit log
    name them)."""
    user = request.auth.created_by
    if user is None or not user.is_active:
        raise Problem(403, "Выдавший ключ пользователь удалён или заблокирован: выдайте новый.")
    return user


@router.post(
    "/org/imports/readings",
    response={202: JobOut, 422: ProblemOut, **REFUSALS},
    url_name="org_import_readings",
    summary="Загрузить файл показаний",
    description=(
        "Файл CSV или XLSX, как в бэк-офисе («Импорт показаний»). Загрузка — задание: его ход "
        "и итог — GET /org/jobs/{id}. Строка с ошибкой останавливает весь файл и названа в "
        "задании; повторная загрузка того же файла ничего не меняет."
    ),
)
def import_readings(request, file: File[UploadedFile]):
    require_write(request, "metering")
    organizations = Organization.objects.filter(pk=request.auth.organization_id)
    form = ReadingsImportForm(organizations, {}, {"file": file})
    if not form.is_valid():
        raise form_problem(form)
    job = metering.queue_readings_import(
        form.chosen_organization, form.cleaned_data["file"], _importer(request)
    )
    return Status(202, _job(job))


@router.post(
    "/org/imports/bank-registry",
    response={202: JobOut, 409: ProblemOut, 422: ProblemOut, **REFUSALS},
    url_name="org_import_registry",
    summary="Загрузить реестр платежей банка",
    description=(
        "Реестр Сбербанка или таблица CSV/XLSX, как в бэк-офисе («Реестры платежей»). Строка с "
        "ошибкой останавливает весь реестр; тот же файл второй раз не принимается (409, "
        "с номером первого задания)."
    ),
)
def import_registry(
    request,
    file: File[UploadedFile],
    capital_repair: bool = Form(False, description="Реестр взносов на капитальный ремонт"),
):
    require_write(request, "payments")
    organization = _organization(request)
    form = RegistryUploadForm(
        {"organization": organization.pk, "capital_repair": capital_repair},
        {"file": file},
        organizations=Organization.objects.filter(pk=organization.pk),
    )
    if not form.is_valid():
        raise form_problem(form)
    upload = form.cleaned_data["file"]
    try:
        registry = upload_registry(
            organization,
            upload.name,
            upload.read(),
            _importer(request),
            capital_repair=form.cleaned_data["capital_repair"],
            ip=client_ip(request),
        )
    except DuplicateRegistry as error:
        raise Problem(409, str(error), kind="duplicate-file", job=error.registry.job_id) from None
    return Status(202, _job(registry.job))


@router.get(
    "/org/jobs/{job_id}",
    response={200: JobOut, **REFUSALS},
    url_name="org_job",
    summary="Ход и итог задания загрузки",
)
def org_job(request, job_id: int):
    job = Job.objects.filter(organization=_organization(request), pk=job_id).first()
    if job is None:
        raise Problem(404, "Задание не найдено.")
    return _job(job)
