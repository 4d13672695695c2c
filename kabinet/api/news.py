"""News of the УК through the API: the same selector as «Новости» (``appeals.selectors``),
narrowed to one account the token reaches: the news of its house and those for all the houses
of its organisation. Any other news answers 404, as if it did not exist."""

import datetime

from django.db.models import Q
from ninja import Router, Schema
from pydantic import Field

from kabinet.api.auth import account_or_404, require
from kabinet.api.problems import REFUSALS, Problem
from kabinet.appeals.selectors import news_for
from kabinet.users.tokens import Permission

router = Router(tags=["Новости"])

NEWS_LIMIT = 50  # as many as the «Новости» page shows


class NewsOut(Schema):
    id: int
    title: str = Field(description="Заголовок")
    text: str = Field(description="Текст")
    published_at: datetime.datetime = Field(description="Опубликовано")
    for_all_houses: bool = Field(description="Для всех домов организации, а не для одного")
    audience: str = Field(description="Для кого: адрес дома или «все дома»")


def news_of(request, account):
    """The token user's news (as on the page) of ``account``'s house and organisation."""
    return news_for(request.auth.user).filter(
        Q(house=account.premise.house_id)
        | Q(house__isnull=True, organization=account.organization_id)
    )


def _news(item) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "text": item.text,
        "published_at": item.published_at,
        "for_all_houses": item.house_id is None,
        "audience": item.audience,
    }


@router.get(
    "/accounts/{account_id}/news",
    response={200: list[NewsOut], **REFUSALS},
    url_name="news",
    summary="Новости управляющей организации для дома лицевого счёта",
    description=f"Новые первыми, не больше {NEWS_LIMIT}.",
)
def news_list(request, account_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    return [_news(item) for item in news_of(request, account)[:NEWS_LIMIT]]


@router.get(
    "/accounts/{account_id}/news/{news_id}",
    response={200: NewsOut, **REFUSALS},
    url_name="news_item",
    summary="Новость",
)
def news_item(request, account_id: int, news_id: int):
    require(request, Permission.READ)
    account = account_or_404(request, account_id)
    item = news_of(request, account).filter(pk=news_id).first()
    if item is None:
        raise Problem(404, "Новость не найдена.")
    return _news(item)
