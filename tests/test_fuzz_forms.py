"""Every form of the resident's and the staff's pages, posted with random and hostile values
(huge numbers, digits of other scripts, NUL bytes, long strings, SQL and HTML, line breaks,
nothing at all): the answer is never a server error, and a refusal saves nothing.

A refusal is any answer but a redirect (forms redirect after they save); a file import that is
accepted for processing but ends with errors credits or writes nothing. Examples per form:
``FUZZ_EXAMPLES`` (25 by default, to keep the module under a minute on SQLite); the examples
are the same on every run unless ``FUZZ_RANDOM=1`` asks for new ones.
"""

import datetime
import os
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kabinet.appeals.models import Appeal, Attachment, Message, News, Topic
from kabinet.billing.models import Charge, PeriodStatus, Recalculation, Tariff
from kabinet.jobs.models import Job, JobStatus
from kabinet.metering.models import Reading
from kabinet.months import add_months, first_of_month
from kabinet.orgs.models import StaffRole
from kabinet.payments.models import OnlinePayment, Payment, PaymentRegistry, RegistryStatus
from kabinet.users.models import AccessToken, AccountLink, LinkRequest, TokenScope, User
from kabinet.users.tokens import create_token
from tests.factories import (
    AccountLinkFactory,
    ChargeFactory,
    MeterFactory,
    OrganizationFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    ServiceFactory,
    UserFactory,
    make_appeal,
    staff_user,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    derandomize=os.environ.get("FUZZ_RANDOM") != "1",  # the same examples in CI, unless asked
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

HOSTILE = [
    "", " ", "0", "-0", "-1", "0,00", "12,34", "1 234,56", "1\u00a0234,56", "12.345.67",
    "9" * 20, "-" + "9" * 20, "1" * 27, "1" * 400, "1e400", "1E+3", "NaN", "-Infinity",
    "١٥", "１２３", "१२.५", "𝟙𝟚", "\x00", "12\x003", "' OR 1=1 --", "1; DROP TABLE x",
    "<script>alert(1)</script>", "{{ 7|add:7 }}", "%s%n", "a" * 5000, "Я" * 300, "\r\n",
    "Вода\r\nBcc: x@example.com", "\u202eevil", "0001-01", "9999-13", "2026-11", "01.11.2026",
    "31.02.2026", "99999999999999999999", "../../etc/passwd",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers().map(str),
    st.decimals(places=None).map(str),
)
# Tried in every field of every form first, whatever the random examples turn out to be.
KEY_VALUES = ["1" * 27, "9" * 20, "-" + "9" * 20, "١٥", "１２３", "12\x003", "a" * 5000, "9999-13"]
COUNTED = [
    Payment, OnlinePayment, Reading, Appeal, Message, Attachment, Recalculation, Charge,
    LinkRequest, AccountLink, News, Tariff,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def choice(pk) -> st.SearchStrategy:
    """A choice field: the real id, or anything else."""
    return st.one_of(st.just(str(pk)), VALUES)


def fuzz_form(fields: dict, **fixed):
    """Run ``run(data)`` with each of ``KEY_VALUES`` in every one of ``fields``, then with random
    values of them; ``fixed`` fields are added as they are."""

    def decorate(run):
        test = given(st.fixed_dictionaries(fields))(lambda data: run({**data, **fixed}))
        for value in KEY_VALUES:
            test = example(dict.fromkeys(fields, value))(test)
        return FUZZ(test)

    return decorate


def post_and_check(client, url, data):
    """Post the form; no server error, and nothing saved unless it redirected."""
    before = counts()
    response = client.post(url, data)
    assert response.status_code < 500, data
    if response.status_code != 302:
        assert counts() == before, data
    return response


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world():
    """One organisation with an account of a resident (a meter, a payment, an appeal, a
    closed month charged and an open one) and its staff."""
    organization = OrganizationFactory()
    account = PersonalAccountFactory(premise__house__organization=organization, number="1000154")
    link = AccountLinkFactory(account=account)
    meter = MeterFactory(account=account, serial_number="XB-1")
    PaymentFactory(account=account, paid_on=datetime.date(2026, 10, 10), amount=D("1000.00"))
    this_month = first_of_month(datetime.date.today())
    closed = PeriodFactory(organization=organization, month=add_months(this_month, -1))
    open_period = PeriodFactory(
        organization=organization, month=this_month, status=PeriodStatus.OPEN
    )
    service = ServiceFactory(organization=organization, name="Содержание жилья")
    ChargeFactory(account=account, service=service, period=closed)
    Topic.objects.create(organization=organization, name="Другое")
    appeal = make_appeal(link.user, account)
    return {
        "organization": organization,
        "account": account,
        "resident": link.user,
        "meter": meter,
        "closed": closed,
        "open": open_period,
        "service": service,
        "appeal": appeal,
        "topic": Topic.objects.filter(organization=organization).first(),
        "manager": staff_user(organization, StaffRole.MANAGER),
    }


# Resident's forms --------------------------------------------------------------------------


def test_link_account(client, world, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    account = world["account"]
    client.force_login(UserFactory())

    @fuzz_form(
        {
            "organization": choice(account.organization.pk),
            "house": choice(account.premise.house.pk),
            "premise": choice(account.premise.pk),
            "account_number": st.one_of(st.just(account.number), VALUES),
            "paid_on": st.one_of(st.just("2026-10-10"), VALUES),
            "amount": st.one_of(st.just("1000,00"), VALUES),
        },
        captcha_0="x",
        captcha_1="PASSED",
    )
    def run(data):
        post_and_check(client, reverse("portal:link_account"), data)

    run()


def test_request_link(client, world):
    account = world["account"]
    client.force_login(UserFactory())

    @fuzz_form(
        {
            "organization": choice(account.organization.pk),
            "house": choice(account.premise.house.pk),
            "premise": choice(account.premise.pk),
            "account_number": VALUES,
            "message": VALUES,
        }
    )
    def run(data):
        post_and_check(client, reverse("portal:request_link"), data)

    run()


def test_pay(client, world):
    client.force_login(world["resident"])
    url = reverse("portal:pay", args=[world["account"].pk])

    @fuzz_form({"amount": VALUES})
    def run(data):
        post_and_check(client, url, data)

    run()


def test_readings_of_a_resident(client, world):
    meter = world["meter"]
    client.force_login(world["resident"])
    url = reverse("portal:account_meters", args=[world["account"].pk])

    @fuzz_form({f"meter_{meter.pk}": VALUES, f"confirm_{meter.pk}": VALUES})
    def run(data):
        post_and_check(client, url, data)

    run()


FILE_NAMES = st.one_of(
    st.sampled_from(["photo.png", "a\x00.png", "../../x.png", "я" * 300 + ".png", ".png", "x"]),
    st.text(min_size=1, max_size=20),
)


def hostile_file(name, content):
    try:
        return SimpleUploadedFile(name, content, content_type="image/png")
    except SuspiciousFileOperation:  # «..», «/»: a browser sends them, the test client cannot
        return SimpleUploadedFile("x", content, content_type="image/png")


def test_new_appeal(client, world):
    client.force_login(world["resident"])
    url = reverse("portal:new_appeal", args=[world["account"].pk])
    files = st.lists(st.tuples(FILE_NAMES, st.binary(max_size=64)), max_size=2)

    @fuzz_form({"topic": choice(world["topic"].pk), "text": VALUES, "files": files})
    def run(data):
        names_and_contents = data["files"] if isinstance(data["files"], list) else []
        data["files"] = [hostile_file(name, content) for name, content in names_and_contents]
        post_and_check(client, url, data)

    run()


def test_appeal_reply(client, world):
    client.force_login(world["resident"])
    url = reverse("portal:appeal", args=[world["account"].pk, world["appeal"].pk])

    @fuzz_form({"text": VALUES})
    def run(data):
        post_and_check(client, url, data)

    run()


def test_profile(client, world):
    user = world["resident"]
    client.force_login(user)
    fields = ["username", "last_name", "first_name", "middle_name", "phone"]

    @fuzz_form(dict.fromkeys(fields, VALUES))
    def run(data):
        before = list(User.objects.filter(pk=user.pk).values(*fields))
        response = post_and_check(client, reverse("portal:edit_profile"), data)
        if response.status_code != 302:
            assert list(User.objects.filter(pk=user.pk).values(*fields)) == before

    run()


def test_subscriptions(client, world):
    client.force_login(world["resident"])

    @fuzz_form({"reading_reminders": VALUES, "news_by_email": VALUES})
    def run(data):
        post_and_check(client, reverse("portal:subscriptions"), data)

    run()


# Staff's forms -----------------------------------------------------------------------------


def test_recalculation(client, world):
    client.force_login(world["manager"])
    url = reverse("backoffice:recalculations")

    @fuzz_form(
        {
            "account": st.one_of(st.just("1000154"), VALUES),
            "service": choice(world["service"].pk),
            "corrected_period": choice(world["closed"].pk),
            "kind": st.one_of(st.sampled_from(["absence", "quality", "fine", "other"]), VALUES),
            "days": VALUES,
            "percent": VALUES,
            "amount": VALUES,
            "overcharge": VALUES,
            "reason": VALUES,
            "shown_amount": VALUES,
        },
        save="1",
    )
    def run(data):
        post_and_check(client, url, data)

    run()


def test_staff_readings_of_an_account(client, world):
    meter = world["meter"]
    client.force_login(world["manager"])
    url = reverse("backoffice:account_readings", args=[world["account"].pk])

    @fuzz_form(
        {
            f"meter_{meter.pk}": VALUES,
            f"confirm_{meter.pk}": VALUES,
            "period": VALUES,
            "taken_on": VALUES,
        }
    )
    def run(data):
        post_and_check(client, url, data)

    run()


def test_staff_answer_to_an_appeal(client, world):
    client.force_login(world["manager"])
    url = reverse("backoffice:appeal", args=[world["appeal"].pk])

    @fuzz_form({"answer-text": VALUES, "answer-status": VALUES}, send_answer="1")
    def run(data):
        post_and_check(client, url, data)

    run()


def test_billing_actions(client, world):
    client.force_login(world["manager"])
    period = world["open"]

    @fuzz_form({"action": st.sampled_from(["billing_close", "billing_run"]), "confirm": VALUES})
    def run(data):
        action = data.pop("action")
        if action in ("billing_close", "billing_run"):
            response = client.post(reverse(f"backoffice:{action}", args=[period.pk]), data)
            assert response.status_code < 500

    run()


def test_admin_news(client, world):
    client.force_login(world["manager"])

    @fuzz_form(
        {
            "organization": choice(world["organization"].pk),
            "title": VALUES,
            "text": VALUES,
        }
    )
    def run(data):
        post_and_check(client, reverse("admin:appeals_news_add"), data)

    run()


def test_admin_tariffs(client, world):
    client.force_login(world["manager"])

    @fuzz_form(
        {
            "service": choice(world["service"].pk),
            "value": VALUES,
            "valid_from": st.one_of(st.just("2026-01-01"), VALUES),
        }
    )
    def run(data):
        post_and_check(client, reverse("admin:billing_tariff_add"), data)

    run()


# File imports ------------------------------------------------------------------------------


def table(header, rows) -> st.SearchStrategy:
    """A CSV file: the header, then rows whose cells are hostile (some fixed by ``rows``)."""
    return st.one_of(
        st.lists(rows, min_size=1, max_size=3).map(
            lambda lines: "\n".join([header, *lines]).encode()
        ),
        st.binary(max_size=200),
    )


def key_files(*templates):
    """Examples first: each template with each of ``KEY_VALUES`` in place of «{}»."""

    def decorate(test):
        for template in templates:
            for value in KEY_VALUES:
                test = example(template.replace("{}", value).encode())(test)
        return test

    return decorate


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def job_failed(job) -> bool:
    return Job.objects.get(pk=job).status != JobStatus.SUCCEEDED


def test_registry_upload(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["manager"])
    sberbank = st.tuples(VALUES, VALUES, VALUES, VALUES).map(
        lambda c: f"20.11.2026;1000154;{c[0]};;{c[1]};{c[2]};{c[3]}".replace("\n", " ")
    )
    rows = st.one_of(sberbank, st.lists(VALUES, min_size=3, max_size=8).map(";".join))
    header = "Дата;Лицевой счёт;Сумма;Период;Комиссия"

    @FUZZ
    @key_files("20.11.2026;1000154;И;;102026;{};0\n", f"{header}\n20.11.2026;1000154;{{}};;\n")
    @given(st.one_of(table(header, rows), st.lists(sberbank, min_size=1).map(
        lambda lines: "\n".join(lines).encode())))  # fmt: skip
    def run(content):
        payments = Payment.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("backoffice:registries"),
                {"organization": world["organization"].pk, "file": upload("r.txt", content)},
            )
        assert response.status_code < 500
        registry = PaymentRegistry.objects.order_by("-pk").first()
        if registry is None or registry.status not in (
            RegistryStatus.IMPORTED,
            RegistryStatus.PARTIAL,
        ):
            assert Payment.objects.count() == payments
        Payment.objects.filter(registry__isnull=False).delete()
        PaymentRegistry.objects.all().delete()  # the same file may come again

    run()


def test_readings_import(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["manager"])
    rows = st.tuples(VALUES, VALUES, VALUES).map(
        lambda c: f"1000154;XB-1;{c[0]};{c[1]};{c[2]}".replace("\n", " ")
    )

    @FUZZ
    @key_files(
        "ЛС;Заводской номер;Показание;Дата;Период\n1000154;XB-1;{};20.11.2026;\n",
        "ЛС;Заводской номер;Показание;Дата;Период\n1000154;XB-1;1;{};{}\n",
    )
    @given(table("ЛС;Заводской номер;Показание;Дата;Период", rows))
    def run(content):
        readings = Reading.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("backoffice:readings_import"), {"file": upload("p.csv", content)}
            )
        assert response.status_code < 500
        if response.status_code != 302 or job_failed(response.url.rstrip("/").split("/")[-1]):
            assert Reading.objects.count() == readings

    run()


def test_charges_import(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["manager"])
    url = reverse("backoffice:billing_import", args=[world["open"].pk])
    rows = st.tuples(VALUES, VALUES, VALUES, VALUES).map(
        lambda c: f"1000154;Содержание жилья;{c[0]};{c[1]};{c[2]};{c[3]}".replace("\n", " ")
    )

    @FUZZ
    @key_files("ЛС;Услуга;Тариф;Объём;Начислено;Перерасчёт\n1000154;Содержание жилья;{};{};{};{}\n")
    @given(table("ЛС;Услуга;Тариф;Объём;Начислено;Перерасчёт", rows))
    def run(content):
        charges = Charge.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"file": upload("c.csv", content)})
        assert response.status_code < 500
        if response.status_code != 302 or job_failed(response.url.rstrip("/").split("/")[-1]):
            assert Charge.objects.count() == charges

    run()


def test_api_token_form(client, world):
    user = world["resident"]
    client.force_login(user)
    fields = {
        "name": VALUES,
        "scope": st.one_of(st.just("readings"), VALUES),
        "account": choice(world["account"].pk),
        "expires_on": VALUES,
    }

    @fuzz_form(fields)
    def run(data):
        before = AccessToken.objects.count()
        response = client.post(reverse("portal:api_tokens"), data)
        assert response.status_code < 500, data
        created = AccessToken.objects.count() - before
        assert created == (1 if "secret" in (response.context or {}) else 0), data
        AccessToken.objects.filter(user=user).delete()  # stay under the tokens' limit

    run()


def test_api_readings(client, world):
    meter = world["meter"]
    secret = create_token(world["resident"], name="fuzz", scope=TokenScope.FULL).secret
    url = reverse("api:readings", args=[world["account"].pk])
    values = st.one_of(VALUES, st.integers(), st.none(), st.booleans())

    @fuzz_form({"meter_id": st.one_of(st.just(meter.pk), values), "value": values})
    def run(data):
        before = Reading.objects.count()
        cache.clear()  # the token's rate limit is not what is tested here
        body = {"readings": [{**data, "confirm_unusual": True}]}
        response = client.post(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
        assert response.status_code < 500, data
        if response.status_code != 201:
            assert Reading.objects.count() == before, data
            assert response["Content-Type"] == "application/problem+json", data

    run()
