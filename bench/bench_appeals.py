"""Appeals and news at the size of a large УК: 2 000 accounts in one house, all subscribed to
news, 5 000 appeals. Prints how fast appeals are written (each takes the organisation's next
number under a lock), how fast news are mailed, and what the resident's and staff's reads cost."""

import time
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from kabinet.appeals.mailing import mail_news_to_subscribers
from kabinet.appeals.models import Appeal, Message, News
from kabinet.appeals.selectors import appeals_for_staff, appeals_of, news_for, topics_for
from kabinet.appeals.services import create_appeal
from kabinet.housing.models import House, OwnershipType, PersonalAccount, Premise
from kabinet.jobs.services import create_job
from kabinet.orgs.models import Organization
from kabinet.users.models import AccountLink, User

ACCOUNTS = 2000
APPEALS = 5000
WRITTEN = 300
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


@contextmanager
def measured(label, count=None):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
    rate = f", {count / elapsed:,.0f}/s" if count else ""
    print(f"{label}: {elapsed * 1000:,.1f} ms{rate}, {len(queries)} queries")


def run():
    organization = Organization.objects.create(
        name="УК Большая", inn="1659001230", ogrn="1021600012345", address="г. Казань",
        bank_name="Банк", bik="049205603", correspondent_account="30101810600000000603",
        settlement_account="40702810462000012345",
    )  # fmt: skip
    house = House.objects.create(organization=organization, address="ул. Длинная, д. 1")
    premises = Premise.objects.bulk_create(
        Premise(house=house, number=str(n), area=50, ownership=OwnershipType.PRIVATE)
        for n in range(ACCOUNTS)
    )
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(
            organization=organization, number=str(10_000 + n), holder_name="Ж", premise=premise
        )
        for n, premise in enumerate(premises)
    )
    users = User.objects.bulk_create(
        User(username=f"r{n}", email=f"r{n}@example.com", news_by_email=True)
        for n in range(ACCOUNTS)
    )
    AccountLink.objects.bulk_create(
        AccountLink(user=user, account=account)
        for user, account in zip(users, accounts, strict=True)
    )
    topic = topics_for(organization).first()
    appeals = Appeal.objects.bulk_create(
        Appeal(
            organization=organization,
            number=n + 1,
            account=accounts[n % ACCOUNTS],
            author=users[n % ACCOUNTS],
            topic=topic,
        )
        for n in range(APPEALS)
    )
    Message.objects.bulk_create(
        Message(appeal=appeal, author=appeal.author, from_staff=False, text="Текст обращения")
        for appeal in appeals
    )
    print(f"{ACCOUNTS} accounts and subscribers in one house, {APPEALS} appeals")

    with measured(f"write {WRITTEN} appeals (numbered under a lock)", WRITTEN):
        for n in range(WRITTEN):
            create_appeal(users[n], accounts[n], topic, "Новое обращение")

    resident = users[7]
    with measured("resident: latest 3 news on Главная"):
        list(news_for(resident)[:3])
    with measured("resident: own appeals"):
        list(appeals_of(resident))
    organizations = Organization.objects.filter(pk=organization.pk)
    with measured("staff: first 100 appeals of the organisation"):
        list(appeals_for_staff(organizations)[:100])

    news = News.objects.create(organization=organization, house=house, title="Вода", text="Т")
    job = create_job(organization, "news_mailing", "Рассылка")
    with override_settings(MAILERS=LOCMEM), measured(f"mail news to {ACCOUNTS}", ACCOUNTS):
        sent = mail_news_to_subscribers(news, job)
    assert sent == ACCOUNTS
