"""Demo appeals and news: the demo resident's answered appeal and a notice of the УК.

Topics come with each organisation (appeals.services.add_default_topics)."""

import datetime

from django.utils import timezone

from kabinet.appeals.models import Appeal, AppealStatus, Message, News, Topic
from kabinet.housing.models import PersonalAccount
from kabinet.users.models import User


def load_appeals_demo() -> None:
    account = PersonalAccount.objects.select_related("premise__house").get(number="1000154")
    organization = account.organization
    resident = User.objects.get(username="demo")
    operator = User.objects.get(username="operator")
    now = timezone.now()

    appeal = Appeal.objects.create(
        organization=organization,
        number=1,
        account=account,
        author=resident,
        topic=Topic.objects.get(organization=organization, name="Ремонт"),
        status=AppealStatus.ANSWERED,
    )
    _message(
        appeal, resident, now - datetime.timedelta(days=3, hours=5),
        "Здравствуйте! В третьем подъезде на пятом этаже уже неделю не горит свет на лестничной "
        "площадке. Вечером приходится подниматься в темноте. Прошу заменить лампу.",
    )  # fmt: skip
    answered = now - datetime.timedelta(days=2, hours=1)
    _message(
        appeal, operator, answered,
        "Здравствуйте, Иван Иванович! Спасибо за обращение. Электрик заменил светильник на "
        "площадке пятого этажа третьего подъезда. Если свет снова пропадёт, напишите нам.",
    )  # fmt: skip
    Appeal.objects.filter(pk=appeal.pk).update(
        created_at=now - datetime.timedelta(days=3, hours=5), updated_at=answered
    )

    news = News.objects.create(
        organization=organization,
        house=account.premise.house,
        title="Отключение горячей воды 2 декабря",
        text="В связи с плановым ремонтом трубопровода 2 декабря с 9:00 до 18:00 в доме будет "
        "отключена горячая вода. Просим заранее сделать запас воды. Приносим извинения за "
        "неудобства.",
        created_by=operator,
        mailed_at=now,
    )
    News.objects.filter(pk=news.pk).update(published_at=now - datetime.timedelta(days=1))


def _message(appeal, author, at, text):
    message = Message.objects.create(
        appeal=appeal, author=author, from_staff=author.is_staff, text=text
    )
    Message.objects.filter(pk=message.pk).update(created_at=at)
