import datetime
import io
import uuid
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from kabinet.appeals import services as appeals
from kabinet.appeals.attachments import check_attachments
from kabinet.appeals.selectors import topics_for
from kabinet.billing.models import CalculationMethod, Charge, Period, PeriodStatus, Service, Tariff
from kabinet.housing.models import House, OwnershipType, PersonalAccount, Premise
from kabinet.metering.models import Meter, Reading, ReadingSource, Resource
from kabinet.months import first_of_month
from kabinet.orgs.models import Organization, StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.payments.autopay.models import Autopay, AutopayMode
from kabinet.payments.models import OnlinePayment, Payment, PaymentSource
from kabinet.users.models import AccountLink, User

PASSWORD = "correct-horse-42"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f'ООО "УК № {n}"')
    inn = "1659001230"
    kpp = "165901001"
    ogrn = "1021600012345"
    address = "г. Казань, ул. Пушкина, д. 1"
    bank_name = "ПАО Сбербанк"
    bik = "049205603"
    correspondent_account = "30101810600000000603"
    settlement_account = "40702810462000012345"


class HouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = House

    organization = factory.SubFactory(OrganizationFactory)
    address = factory.Sequence(lambda n: f"ул. Садовая, д. {n + 1}")


class PremiseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premise

    house = factory.SubFactory(HouseFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    area = Decimal("48.50")
    ownership = OwnershipType.PRIVATE


class PersonalAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonalAccount

    premise = factory.SubFactory(PremiseFactory)
    organization = factory.SelfAttribute("premise.house.organization")
    number = factory.Sequence(lambda n: f"{5000000 + n}")
    holder_name = "Петров Пётр Петрович"
    residents = 2


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose e-mail is confirmed (as after registration)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    last_name = "Сидоров"
    first_name = "Семён"
    middle_name = "Семёнович"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def confirmed_email(user, create, extracted, **kwargs):
        user.save()
        if create:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


def staff_user(organization, role=StaffRole.OPERATOR, **kwargs):
    user = UserFactory(**kwargs)
    add_staff_member(user, organization, role)
    return user


def this_month() -> datetime.date:
    """The first day of the current month (the open period of the staff tests)."""
    return first_of_month(timezone.localdate())


class AccountLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountLink

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(PersonalAccountFactory)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Услуга {n}")
    unit = "кв м"
    method = CalculationMethod.AREA


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    service = factory.SubFactory(ServiceFactory)
    value = Decimal("20.00")
    valid_from = datetime.date(2026, 1, 1)


class PeriodFactory(factory.django.DjangoModelFactory):
    """A closed month by default: residents see the charges of closed periods only."""

    class Meta:
        model = Period
        django_get_or_create = ("organization", "month")

    organization = factory.SubFactory(OrganizationFactory)
    month = datetime.date(2026, 10, 1)
    status = PeriodStatus.CLOSED


class ChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Charge

    account = factory.SubFactory(PersonalAccountFactory)
    service = factory.SubFactory(
        ServiceFactory, organization=factory.SelfAttribute("..account.organization")
    )
    period = factory.SubFactory(
        PeriodFactory, organization=factory.SelfAttribute("..account.organization")
    )
    tariff = Decimal("20.0000")
    volume = Decimal("48.500000")
    charged = Decimal("970.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Lines are history loaded into a world, as ``loaddata`` would: past ``save()``, which
        refuses a closed period (the factory's default)."""
        charge = model_class(*args, **kwargs)
        charge.total = charge.charged + charge.recalculation
        return model_class.objects.bulk_create([charge])[0]


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    account = factory.SubFactory(PersonalAccountFactory)
    paid_on = datetime.date(2026, 10, 10)
    amount = Decimal("1000.00")
    source = PaymentSource.BANK


class MeterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meter

    account = factory.SubFactory(PersonalAccountFactory)
    resource = Resource.COLD_WATER
    serial_number = factory.Sequence(lambda n: f"XB-{n:06d}")
    verification_due = datetime.date(2030, 1, 1)


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    meter = factory.SubFactory(MeterFactory)
    value = Decimal("123.456")
    taken_on = datetime.date(2026, 10, 20)
    period = datetime.date(2026, 10, 1)
    source = ReadingSource.RESIDENT


def image_upload(name="photo.png", image_format="PNG", size=(40, 30)):
    """A real picture as a browser uploads it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_upload(name="scan.pdf"):
    """A real one-page PDF as a browser uploads it."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def make_appeal(author, account, text="Не работает лифт в подъезде.", files=(), topic=None):
    """An appeal written as a resident writes it (files checked as the form checks them)."""
    topic = topic or topics_for(account.organization).first()
    return appeals.create_appeal(author, account, topic, text, check_attachments(files))


class AutopayFactory(factory.django.DjangoModelFactory):
    """An autopay in force: the resident's saved way of paying, each new receipt in full."""

    class Meta:
        model = Autopay

    account = factory.SubFactory(PersonalAccountFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.SelfAttribute("user.email")
    provider = "sandbox"
    method_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    method_title = "Тестовая карта *4242"
    mode = AutopayMode.FULL
    limit = Decimal("5000.00")
    activated_at = factory.LazyFunction(timezone.now)


class OnlinePaymentFactory(factory.django.DjangoModelFactory):
    """A payment the resident started online; the gateway has not answered yet."""

    class Meta:
        model = OnlinePayment

    account = factory.SubFactory(PersonalAccountFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.SelfAttribute("user.email")
    amount = Decimal("1500.00")
    provider = "sandbox"
    gateway_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
