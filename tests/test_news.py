"""News of the УК: staff publish them for a house or all houses; residents of those houses read
them on Главная and subscribers get them by e-mail, once."""

import pytest
from django.urls import reverse

from kabinet.appeals.mailing import mail_news_to_subscribers
from kabinet.appeals.models import News
from kabinet.appeals.tasks import mail_news
from kabinet.jobs.models import Job, JobStatus
from kabinet.jobs.services import create_job
from kabinet.orgs.models import StaffRole
from tests.factories import (
    AccountLinkFactory,
    HouseFactory,
    OrganizationFactory,
    PersonalAccountFactory,
    staff_user,
)
from tests.test_account_pages import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory(name="УК Своя")


@pytest.fixture
def house(organization):
    return HouseFactory(organization=organization, address="ул. Гражданская, д. 12")


def resident(house, **user):
    account = PersonalAccountFactory(premise__house=house)
    return AccountLinkFactory(account=account, **{f"user__{k}": v for k, v in user.items()}).user


def news(organization, house=None, title="Отключение воды"):
    return News.objects.create(organization=organization, house=house, title=title,
                               text="2 декабря с 9:00 до 18:00.")  # fmt: skip


def publish(client, staff, capture, **data):
    client.force_login(staff)
    with capture(execute=True):
        return client.post(reverse("admin:appeals_news_add"), data)


def test_home_shows_news_of_the_residents_houses_only(client, organization, house):
    user = resident(house)
    news(organization, house, "Для нашего дома")
    news(organization, None, "Для всех домов УК")
    news(organization, HouseFactory(organization=organization), "Для соседнего дома")
    news(OrganizationFactory(), None, "Другой УК")
    client.force_login(user)
    page = text_of(client.get(reverse("portal:home")))
    assert "Новости управляющей организации" in page
    assert "Для нашего дома" in page
    assert "Для всех домов УК" in page
    assert "Для соседнего дома" not in page
    assert "Другой УК" not in page
    assert "Отключение" not in page


def test_home_shows_the_latest_three_and_the_news_page_the_rest(client, organization, house):
    client.force_login(resident(house))
    for number in range(5):
        news(organization, house, f"Новость {number}")
    home = client.get(reverse("portal:home"))
    assert [n.title for n in home.context["news"]] == ["Новость 4", "Новость 3", "Новость 2"]
    assert len(client.get(reverse("portal:news")).context["news"]) == 5


def test_home_without_news_has_no_news_block(client, house):
    client.force_login(resident(house))
    assert "Новости управляющей" not in text_of(client.get(reverse("portal:home")))


def test_staff_publish_news_and_subscribers_of_that_house_get_it(
    client, organization, house, mailoutbox, django_capture_on_commit_callbacks
):
    resident(house, news_by_email=True, email="reader@example.com")
    resident(house, news_by_email=False)
    resident(HouseFactory(organization=organization), news_by_email=True)
    operator = staff_user(organization, StaffRole.OPERATOR)
    response = publish(
        client, operator, django_capture_on_commit_callbacks,
        organization=organization.pk, house=house.pk, title="Собрание собственников",
        text="В субботу в 12:00 во дворе.",
    )  # fmt: skip
    assert response.status_code == 302
    published = News.objects.get()
    assert published.created_by == operator
    assert published.mailed_at is not None
    (letter,) = mailoutbox
    assert letter.to == ["reader@example.com"]
    assert "Собрание собственников" in letter.subject
    assert "В субботу в 12:00 во дворе." in letter.body
    assert "Отказаться от рассылки" in letter.body
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 1, 1)


def test_news_for_all_houses_reach_subscribers_of_every_house(
    client, organization, house, mailoutbox, django_capture_on_commit_callbacks
):
    resident(house, news_by_email=True)
    resident(HouseFactory(organization=organization), news_by_email=True)
    resident(HouseFactory(), news_by_email=True)  # another organisation
    publish(client, staff_user(organization), django_capture_on_commit_callbacks,
            organization=organization.pk, title="Новый телефон диспетчерской",
            text="+7 843 000-00-00")  # fmt: skip
    assert len(mailoutbox) == 2


def test_a_subscriber_linked_twice_gets_one_letter(organization, house, mailoutbox):
    user = resident(house, news_by_email=True)
    AccountLinkFactory(user=user, account=PersonalAccountFactory(premise__house=house))
    item = news(organization, house)
    assert mail_news_to_subscribers(item, create_job(organization, "news_mailing", "t")) == 1


def test_mailing_again_sends_nothing_twice(organization, house, mailoutbox):
    first = resident(house, news_by_email=True)
    second = resident(house, news_by_email=True)
    item = news(organization, house)
    item.mailed_up_to_user = first.pk  # a previous run stopped after the first letter
    item.save()
    job = create_job(organization, "news_mailing", "Рассылка")
    mail_news.enqueue(item.pk, job.pk)
    assert [m.to for m in mailoutbox] == [[second.email]]
    mail_news.enqueue(item.pk, job.pk)
    assert len(mailoutbox) == 1


def test_nobody_subscribed_means_no_mailing_job(
    client, organization, house, mailoutbox, django_capture_on_commit_callbacks
):
    resident(house)
    publish(client, staff_user(organization), django_capture_on_commit_callbacks,
            organization=organization.pk, house=house.pk, title="Т", text="Т")  # fmt: skip
    assert News.objects.count() == 1
    assert not Job.objects.exists()
    assert mailoutbox == []


def test_staff_cannot_publish_for_another_organisations_house(
    client, organization, django_capture_on_commit_callbacks
):
    foreign_house = HouseFactory()
    response = publish(client, staff_user(organization), django_capture_on_commit_callbacks,
                       organization=organization.pk, house=foreign_house.pk, title="Т",
                       text="Т")  # fmt: skip
    assert response.status_code == 200
    assert "house" in response.context["adminform"].form.errors
    assert not News.objects.exists()


def test_staff_list_shows_own_news_only(client, organization, house):
    mine = news(organization, house)
    news(OrganizationFactory())
    client.force_login(staff_user(organization))
    response = client.get(reverse("admin:appeals_news_changelist"))
    assert list(response.context["cl"].queryset) == [mine]


def test_home_title_is_plain_text_when_there_is_news(client, organization, house):
    user = resident(house)
    news(organization, house, "Для нашего дома")
    client.force_login(user)
    page = client.get(reverse("portal:home")).content.decode()
    title = page[page.index("<title>") + 7 : page.index("</title>")]
    assert title == "Главная — Личный кабинет потребителя"
