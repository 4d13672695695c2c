"""News through the API: the news of the account's house and of all its organisation's houses,
as «Новости» shows them; another house's or organisation's news, and any news through an
account the token does not reach, answer 404."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from kabinet.appeals.models import News
from tests.factories import AccountLinkFactory, HouseFactory, PersonalAccountFactory
from tests.test_api import bearer, callers, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # rate limits count per token id, which the next test's database reuses


@pytest.fixture
def link():
    return AccountLinkFactory()


def news(organization, house=None, title="Отключение воды"):
    return News.objects.create(
        organization=organization, house=house, title=title, text="2 декабря с 9:00 до 18:00."
    )


def get(client, name, args, secret):
    return client.get(reverse(f"api:{name}", args=args), **(bearer(secret) if secret else {}))


def test_the_list_holds_the_houses_and_the_organisations_news_newest_first(client, link):
    account = link.account
    organization, house = account.organization, account.premise.house
    own = news(organization, house, title="Отключение воды")
    everyone = news(organization, title="Собрание собственников")
    news(organization, HouseFactory(organization=organization), title="Чужой дом")
    news(PersonalAccountFactory().organization, title="Чужая организация")

    response = get(client, "news", [account.pk], token_of(link.user))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [everyone.pk, own.pk]
    first, second = response.json()
    assert first["for_all_houses"] is True
    assert first["audience"] == "все дома"
    assert second["for_all_houses"] is False
    assert second["audience"] == str(house)
    assert second["title"] == "Отключение воды"
    assert second["text"] == "2 декабря с 9:00 до 18:00."


def test_one_item_of_the_own_house_is_shown(client, link):
    item = news(link.account.organization, link.account.premise.house)

    response = get(client, "news_item", [link.account.pk, item.pk], token_of(link.user))

    assert response.status_code == 200
    assert response.json()["id"] == item.pk


def test_another_houses_news_is_not_found(client, link):
    organization = link.account.organization
    other_house = news(organization, HouseFactory(organization=organization))
    other_organization = news(PersonalAccountFactory().organization)
    secret = token_of(link.user)

    for item in (other_house, other_organization):
        response = get(client, "news_item", [link.account.pk, item.pk], secret)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["detail"] == "Новость не найдена."


def test_the_news_of_another_own_account_is_not_found_through_this_one(client, link):
    """Each account answers for its own house: the user's other house's news is not here."""
    other = AccountLinkFactory(user=link.user).account
    item = news(other.organization, other.premise.house)
    secret = token_of(link.user)

    assert get(client, "news_item", [link.account.pk, item.pk], secret).status_code == 404
    assert get(client, "news_item", [other.pk, item.pk], secret).status_code == 200


ANSWERS = {
    "owner": 200,
    "read_only": 200,
    "readings_only": 403,
    "other_resident": 404,
    "staff": 404,
    "other_account_token": 404,
    "no_token": 401,
    "revoked": 401,
    "expired": 401,
}


def test_every_caller_is_answered_as_the_rules_say(client, link):
    item = news(link.account.organization, link.account.premise.house)
    for caller, secret in callers(link).items():
        for name, args in (("news", [link.account.pk]), ("news_item", [link.account.pk, item.pk])):
            response = get(client, name, args, secret)
            assert response.status_code == ANSWERS[caller], f"{name} × {caller}"
            if ANSWERS[caller] >= 400:
                assert response["Content-Type"] == "application/problem+json"
