"""Reads of appeals and news, scoped to a resident (their own) or to staff (their organisation)."""

from django.db.models import Prefetch, Q

from kabinet.appeals.models import Appeal, Attachment, News, Topic
from kabinet.users.models import AccountLink, User
from kabinet.users.selectors import accounts_for


def appeals_of(user):
    """The appeals ``user`` wrote about the accounts they have linked (not a family member's)."""
    return Appeal.objects.filter(author=user, account__in=accounts_for(user)).select_related(
        "topic", "account", "organization"
    )


def appeals_for_staff(organizations):
    return Appeal.objects.for_organizations(organizations).select_related(
        "topic", "account__premise__house", "organization", "author"
    )


def thread(appeal):
    """The appeal's messages, oldest first, with their attachments."""
    return appeal.messages.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
    )


def attachments_of(appeal):
    """The files of every message of the appeal, oldest first."""
    return Attachment.objects.filter(message__appeal=appeal).order_by("pk")


def attachment_of(appeal, attachment_id):
    return attachments_of(appeal).filter(pk=attachment_id).first()


def topics_for(organization):
    """The topics residents may choose for an appeal to ``organization``."""
    return Topic.objects.filter(organization=organization, is_active=True)


def news_for(user):
    """News of the УК for the houses of the user's accounts, and for all of their houses."""
    accounts = accounts_for(user)
    return News.objects.filter(
        Q(house__in=accounts.values("premise__house"))
        | Q(house__isnull=True, organization__in=accounts.values("organization"))
    ).select_related("organization", "house")


def news_subscribers(news):
    """Users subscribed to news who have an account in the news' house (or organisation)."""
    links = AccountLink.objects.filter(
        **({"account__premise__house": news.house_id} if news.house_id else {})
    ).filter(account__organization=news.organization_id)
    return (
        User.objects.filter(is_active=True, news_by_email=True, pk__in=links.values("user"))
        .exclude(email="")
        .order_by("pk")
    )
