"""The world of the permission matrix: two organisations, A and B, each with one record of
every kind the portal and the back office show, and one user of each class.

Built once per module (it takes a few seconds); every test runs in a savepoint inside it, so
what a test changes is rolled back before the next one.
"""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kabinet.api.models import StaffApiKey
from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.billing.models import (
    AccountBalance,
    CalculationMethod,
    CapitalRepairDueDay,
    CapitalRepairFund,
    CapitalRepairFundKind,
    CommonNeedsNormative,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    IncreasingCoefficient,
    InstalmentPlan,
    KeyRate,
    Penalty,
    PeriodStatus,
    Recalculation,
)
from kabinet.gisgkh.models import Exchange, Posting
from kabinet.housing.models import ContractDocument, ManagementContract
from kabinet.jobs.models import Job, JobKind, JobStatus
from kabinet.metering.models import MeterImpossible, Resource
from kabinet.orgs.models import StaffMembership, StaffRole
from kabinet.payments.models import (
    Autopay,
    AutopayMode,
    OnlinePaymentStatus,
    PaymentRegistry,
    RegistryStatus,
)
from kabinet.receipts.issuing import issued_document
from kabinet.receipts.models import DeliveryStatus, PaymentDocumentId, ReceiptDelivery, Supplier
from kabinet.users.models import LinkAttempt, LinkRequest, TokenScope
from kabinet.users.tokens import create_token
from kabinet.webhooks.models import Webhook
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    OnlinePaymentFactory,
    OrganizationFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ReadingFactory,
    ServiceFactory,
    TariffFactory,
    UserFactory,
    make_appeal,
    pdf_upload,
    staff_user,
)

CLOSED_MONTH = datetime.date(2026, 10, 1)
OPEN_MONTH = datetime.date(2026, 11, 1)

# The user classes of every case, in the order the cases are listed.
ANONYMOUS = "anonymous"
RESIDENT = "resident"  # linked to A's account; author of its appeal and its online payment
OTHER_RESIDENT = "other_resident"  # linked to B's account
OPERATOR_A = "operator_a"
ACCOUNTANT_A = "accountant_a"
MANAGER_A = "manager_a"
ACCOUNTANT_B = "accountant_b"  # staff of B only
OPERATOR_A_ACCOUNTANT_B = "operator_a_accountant_b"  # different roles in the two
SUPERUSER = "superuser"
USER_CLASSES = (
    ANONYMOUS,
    RESIDENT,
    OTHER_RESIDENT,
    OPERATOR_A,
    ACCOUNTANT_A,
    MANAGER_A,
    ACCOUNTANT_B,
    OPERATOR_A_ACCOUNTANT_B,
    SUPERUSER,
)
# Each staff class's role in organisation "a" and "b".
STAFF_ROLES = {
    OPERATOR_A: {"a": StaffRole.OPERATOR},
    ACCOUNTANT_A: {"a": StaffRole.ACCOUNTANT},
    MANAGER_A: {"a": StaffRole.MANAGER},
    ACCOUNTANT_B: {"b": StaffRole.ACCOUNTANT},
    OPERATOR_A_ACCOUNTANT_B: {"a": StaffRole.OPERATOR, "b": StaffRole.ACCOUNTANT},
}


@dataclass
class Side:
    """One organisation and one record of each kind in it."""

    organization: object
    house: object
    premise: object
    account: object  # linked to this side's resident
    spare_account: object  # linked to nobody: what a link request asks for
    link: object
    service: object
    tariff: object
    closed_period: object
    open_period: object
    charge: object
    recalculation: object
    key_rate: object
    penalty: object
    balance: object
    payment: object
    online_payment: object
    pending_online_payment: object  # started by the resident, not paid yet: may be cancelled
    autopay: object  # the resident's, with a saved method: may be changed, skipped, cancelled
    registry: object
    meter: object
    house_meter: object
    reading: object
    contract: object
    document: object
    topic: object
    appeal: object
    attachment: object
    news: object
    link_request: object
    link_attempt: object
    job: object
    billing_job: object
    delivery: object
    membership: object  # of the operator (A) / the accountant (B)
    payment_document_id: object
    supplier: object
    audit_entry: object
    capital_repair_fund: object
    heating_setting: object
    capital_repair_due_day: object
    coefficient: object
    meter_impossible: object
    instalment_plan: object
    common_normative: object
    api_key: object  # the organisation's API key (an accountant's), issued by nobody
    webhook: object  # the organisation's webhook (the world's transaction never commits: no
    # delivery is ever attempted)
    gis_exchange: object  # a message of a posting to ГИС ЖКХ (never sent)
    issued_document: object = None  # the account's payment document of the closed month


@dataclass
class World:
    a: Side
    b: Side
    users: dict  # user class -> User (None for the anonymous visitor)
    group: object
    task_result: object
    authenticator: object
    access_token: object  # the resident's API token


def _history(model, **fields):
    """A row of a closed period, loaded as history is (``bulk_create``, as ``loaddata`` does):
    ``save()`` refuses a closed period."""
    return model.objects.bulk_create([model(**fields)])[0]


def _heating_year(house, account, house_meter):
    """Heating paid evenly by the house meter from December 2025, a closed month charged and
    read: «Корректировка за отопление» for 2025 has something to record."""
    heating = ServiceFactory(organization=house.organization, name="Отопление",
                             method=CalculationMethod.AREA_NORMATIVE, resource=Resource.HEAT,
                             normative=Decimal("0.018"))  # fmt: skip
    TariffFactory(service=heating, value=Decimal("2950.00"), valid_from=datetime.date(2025, 1, 1))
    december = PeriodFactory(organization=house.organization, month=datetime.date(2025, 12, 1))
    ChargeFactory(account=account, service=heating, period=december, charged=Decimal("100.00"))
    for month, value in ((datetime.date(2025, 11, 1), "10"), (december.month, "20")):
        ReadingFactory(meter=house_meter, period=month, value=Decimal(value))
    return HeatingSetting.objects.create(
        house=house,
        valid_from=datetime.date(2025, 12, 1),
        method=HeatingMethod.HOUSE_METER,
        payment=HeatingPayment.EVENLY,
    )


def _common_needs_year(house, account):
    """December 2025's ОДН of electricity charged by the normative (the house's order), the
    house meter read in November and December: «Корректировка ОДН» for 2025 has something to
    record (Правила № 491 п. 29(3))."""
    house.common_property_area, house.common_by_meter = Decimal("50.00"), False
    house.save(update_fields=["common_property_area", "common_by_meter"])
    power = ServiceFactory(
        organization=house.organization,
        name="Электроснабжение",
        method=CalculationMethod.METER,
        resource=Resource.ELECTRICITY,
    )
    TariffFactory(service=power, value=Decimal("6.00"), valid_from=datetime.date(2025, 1, 1))
    CommonNeedsNormative.objects.create(
        organization=house.organization, house=house, resource=Resource.ELECTRICITY,
        value=Decimal("0.5"), valid_from=datetime.date(2025, 1, 1),
        valid_to=datetime.date(2025, 12, 31),
    )  # fmt: skip
    december = PeriodFactory(organization=house.organization, month=datetime.date(2025, 12, 1))
    ChargeFactory(account=account, service=power, period=december, volume=Decimal("100"))
    meter = MeterFactory(account=None, house=house, resource=Resource.ELECTRICITY)
    for month, value in ((datetime.date(2025, 11, 1), "1000"), (december.month, "1200")):
        ReadingFactory(meter=meter, period=month, value=Decimal(value))
    return power


def _side(name, resident, requester):
    # Readings are accepted every day of the month, whenever the module runs.
    organization = OrganizationFactory(name=f"УК {name}", readings_from_day=1, readings_to_day=31)
    account = PersonalAccountFactory(premise__house__organization=organization)
    house, premise = account.premise.house, account.premise
    spare_account = PersonalAccountFactory(premise__house=house, holder_name="Никем не связан")
    link = AccountLinkFactory(user=resident, account=account)
    service = ServiceFactory(organization=organization)
    closed_period = PeriodFactory(organization=organization, month=CLOSED_MONTH)
    open_period = PeriodFactory(
        organization=organization,
        month=OPEN_MONTH,
        status=PeriodStatus.OPEN,
        calculated_at=timezone.now(),  # so that it may be closed
    )
    charge = ChargeFactory(account=account, service=service, period=closed_period)
    side_house_meter = MeterFactory(account=None, house=house, resource=Resource.HEAT)
    meter = MeterFactory(account=account, resource=Resource.COLD_WATER)
    contract = ManagementContract.objects.create(
        house=house,
        number=f"{name}-1",
        signed_on=datetime.date(2019, 4, 1),
        valid_from=datetime.date(2019, 5, 1),
    )
    document = ContractDocument(contract=contract, title="Договор управления")
    document.file.save("contract.pdf", ContentFile(b"%PDF-1.4 contract"))
    appeal = make_appeal(resident, account, files=[pdf_upload()])
    registry = PaymentRegistry(
        organization=organization,
        file_name="registry.csv",
        sha256=uuid.uuid4().hex * 2,
        status=RegistryStatus.REJECTED,
        rows_total=2,
        rows_rejected=1,
    )
    registry.file.save(
        "registry.csv",
        ContentFile(f"Дата;Лицевой счёт;Сумма\n10.11.2026;{account.number};100,00\n".encode()),
    )
    payment = PaymentFactory(account=account)
    _common_needs_year(house, account)
    return Side(
        organization=organization,
        house=house,
        premise=premise,
        account=account,
        spare_account=spare_account,
        link=link,
        service=service,
        tariff=TariffFactory(service=service),
        closed_period=closed_period,
        open_period=open_period,
        charge=charge,
        recalculation=Recalculation.objects.create(
            period=open_period,
            corrected_period=closed_period,
            account=account,
            service=service,
            amount=Decimal("-100.00"),
            reason="Исправлены показания",
        ),
        instalment_plan=InstalmentPlan.objects.create(
            period=open_period,
            account=account,
            service=service,
            amount=Decimal("500.00"),
            months=6,
            rate=Decimal("18.00"),
            granted_on=datetime.date(2026, 11, 2),
            consent_on=datetime.date(2026, 11, 2),
        ),
        key_rate=KeyRate.objects.create(
            organization=organization, valid_from=datetime.date(2026, 1, 1), rate=Decimal("16")
        ),
        penalty=_history(
            Penalty,
            period=closed_period,
            account=account,
            debt_month=datetime.date(2026, 7, 1),
            due_date=datetime.date(2026, 8, 10),
            date_from=datetime.date(2026, 10, 1),
            date_to=datetime.date(2026, 10, 31),
            debt=Decimal("970.00"),
            rate=Decimal("16"),
            fraction=300,
            amount=Decimal("16.04"),
        ),
        balance=_history(
            AccountBalance,
            period=closed_period,
            account=account,
            opening=Decimal("0"),
            charged=Decimal("970.00"),
            recalculation=Decimal("0"),
            penalties=Decimal("0"),
            paid=Decimal("0"),
            closing=Decimal("970.00"),
        ),
        payment=payment,
        online_payment=OnlinePaymentFactory(
            account=account,
            user=resident,
            amount=payment.amount,
            status=OnlinePaymentStatus.SUCCEEDED,
            paid_at=timezone.now(),
            payment=payment,
            fiscal_receipt_status="succeeded",
            fiscal_receipt_details={"fn": "9288000100115785", "fd": "3986", "fp": "2617603921"},
        ),
        pending_online_payment=OnlinePaymentFactory(account=account, user=resident),
        autopay=Autopay.objects.create(
            account=account,
            user=resident,
            email=resident.email,
            provider="sandbox",
            method_id=str(uuid.uuid4()),
            method_title="Тестовая карта *4242",
            mode=AutopayMode.FULL,
            limit=Decimal("5000.00"),
            activated_at=timezone.now(),
        ),
        registry=registry,
        meter=meter,
        house_meter=side_house_meter,
        reading=ReadingFactory(meter=meter),
        contract=contract,
        document=document,
        topic=appeal.topic,
        appeal=appeal,
        attachment=appeal.messages.get().attachments.get(),
        news=organization.news.create(title=f"Новость {name}", text="Отключение воды."),
        link_request=LinkRequest.objects.create(
            user=requester,
            organization=organization,
            premise=premise,
            account_number=spare_account.number,
            message="Прошу присоединить",
            account=spare_account,
            staff_reply="Ответ жителю",
        ),
        link_attempt=LinkAttempt.objects.create(
            user=requester,
            organization=organization,
            account_number=account.number,
            address=house.address,
            succeeded=False,
        ),
        job=Job.objects.create(
            organization=organization, kind="readings_import", title=f"Импорт {name}"
        ),
        billing_job=Job.objects.create(
            organization=organization,
            kind=JobKind.BILLING_RUN,
            title=f"Расчёт {name}",
            status=JobStatus.SUCCEEDED,
        ),
        delivery=ReceiptDelivery.objects.create(
            period=closed_period,
            account=account,
            user=resident,
            email=resident.email,
            status=DeliveryStatus.UNCERTAIN,  # what every action on it may change
        ),
        membership=None,
        api_key=StaffApiKey.objects.create(
            organization=organization,
            role=StaffRole.ACCOUNTANT,
            name=f"Ключ {name}",
            prefix=f"matrix-{name}",
            digest="0" * 64,
        ),
        gis_exchange=Exchange.objects.create(
            posting=Posting.objects.create(
                organization=organization,
                operation="importMeteringDeviceValues",
                period=CLOSED_MONTH,
            ),
            message_guid=uuid.uuid4(),
            envelope="<Envelope/>",
        ),
        webhook=Webhook.objects.create(
            organization=organization,
            url=f"https://{name}.example.ru/hook",
            secret="whsec_matrix",
            events=["appeal.created"],
        ),
        payment_document_id=PaymentDocumentId.objects.create(
            account=account, period=closed_period, value=f"ИПД{name}-0000000000-01"
        ),
        audit_entry=record(
            action=AuditAction.PERIOD_CLOSED, organization=organization, obj=closed_period
        ),
        coefficient=IncreasingCoefficient.objects.create(
            organization=organization,
            resource=Resource.COLD_WATER,
            valid_from=datetime.date(2026, 1, 1),
            value=Decimal("2"),
        ),
        meter_impossible=MeterImpossible.objects.create(
            premise=premise, resource=Resource.HOT_WATER, established_on=datetime.date(2026, 1, 1)
        ),
        heating_setting=_heating_year(house, account, side_house_meter),
        common_normative=CommonNeedsNormative.objects.create(
            organization=organization,
            house=house,
            resource=Resource.COLD_WATER,
            value=Decimal("0.033"),
            valid_from=datetime.date(2026, 1, 1),
        ),
        supplier=Supplier.objects.create(
            organization=organization, name=f"АО «Водоканал {name}»", inn=organization.inn
        ),
        capital_repair_fund=CapitalRepairFund.objects.create(
            house=house,
            kind=CapitalRepairFundKind.SPECIAL_ACCOUNT,
            payee_name=f"{organization.name} (спецсчёт капремонта)",
            inn=organization.inn,
            bank_name=organization.bank_name,
            bik=organization.bik,
            correspondent_account=organization.correspondent_account,
            settlement_account="40705810662000000154",
        ),
        capital_repair_due_day=CapitalRepairDueDay.objects.create(
            organization=organization,
            day=20,
            valid_from=datetime.date(2026, 1, 1),
            source=f"закон субъекта для {name}",
        ),
    )


def build_world() -> World:
    users = {
        ANONYMOUS: None,
        RESIDENT: UserFactory(username="resident"),
        OTHER_RESIDENT: UserFactory(username="other_resident"),
        SUPERUSER: UserFactory(username="superuser", is_superuser=True, is_staff=True),
    }
    requester = UserFactory(username="requester")
    a = _side("А", users[RESIDENT], requester)
    b = _side("Б", users[OTHER_RESIDENT], requester)
    sides = {"a": a, "b": b}
    for user_class, roles in STAFF_ROLES.items():
        user = None
        for side, role in roles.items():
            if user is None:
                user = staff_user(sides[side].organization, role, username=user_class)
            else:
                StaffMembership.objects.create(
                    user=user, organization=sides[side].organization, role=role
                )
        users[user_class] = user
    for side in (a, b):  # issued last: the document is drawn from the side's whole world
        side.issued_document = issued_document(side.account, side.closed_period)
    a.membership = StaffMembership.objects.get(user=users[OPERATOR_A])
    b.membership = StaffMembership.objects.get(user=users[ACCOUNTANT_B])
    task_result = DBTaskResult.objects.create(
        task_path="kabinet.metering.tasks.import_readings",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    return World(
        a=a,
        b=b,
        users=users,
        group=Group.objects.create(name="Группа"),
        task_result=task_result,
        authenticator=Authenticator.objects.create(
            user=users[RESIDENT], type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
        ),
        access_token=create_token(users[RESIDENT], name="Счётчик", scope=TokenScope.READINGS).token,
    )
