"""«Мой профиль»: personal data, subscriptions, linked accounts, deleting the profile and
downloading one's personal data (152-ФЗ)."""

import re
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, User
from kabinet.users.signals import personal_data_requested

PROFILE_FIELDS = ("username", "last_name", "first_name", "middle_name", "phone")


class ProfileError(Exception):
    """The profile cannot be changed as asked; ``str(error)`` is the message for the person."""


def normalize_phone(value: str) -> str:
    """A Russian phone number as people write it → ``+7 (912) 345-67-89``; ``""`` stays empty.
    Raises ``ValueError`` for anything that is not a Russian number of ten digits."""
    digits = re.sub(r"\D", "", value, flags=re.ASCII)  # ASCII digits only, not «１２３»
    if not digits:
        return ""
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or re.search(r"[^\d\s()+\-.]", value, re.ASCII):
        raise ValueError(value)
    return f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def update_profile(user: User, **data) -> None:
    """Change the login, ФИО or phone (already validated by the form)."""
    unknown = set(data) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"not profile fields: {sorted(unknown)}")
    for field, value in data.items():
        setattr(user, field, value.strip())
    user.save(update_fields=list(data))


def set_subscriptions(
    user: User, *, reading_reminders: bool, news_by_email: bool, receipts_for: set[int]
) -> None:
    """Switch reminders and news on or off, and e-mailed receipts on for the linked accounts
    whose ids are in ``receipts_for`` (off for the others)."""
    with transaction.atomic():
        user.reading_reminders = reading_reminders
        user.news_by_email = news_by_email
        user.save(update_fields=["reading_reminders", "news_by_email"])
        links = AccountLink.objects.filter(user=user)
        links.filter(account__in=receipts_for).update(receipts_by_email=True)
        links.exclude(account__in=receipts_for).update(receipts_by_email=False)


def unlink_account(user: User, account) -> None:
    """Remove the account from the user's profile; the account and its history stay with the УК."""
    AccountLink.objects.filter(user=user, account=account).delete()


def can_delete_profile(user: User) -> bool:
    """Staff profiles are managed by the platform administrator, not deleted by their owners."""
    return not (user.is_staff or user.is_superuser or user.staff_memberships.exists())


@transaction.atomic
def delete_profile(user: User) -> None:
    """Delete the user and their personal data: profile, e-mail addresses, linked accounts,
    attempts and requests to link. What the УК must keep (payments, readings, appeals) belongs to
    the personal accounts and stays, no longer pointing at the person. A confirmation goes to the
    address the person had."""
    if not can_delete_profile(user):
        raise ProfileError(
            "Профиль сотрудника управляющей организации удаляет администратор портала."
        )
    context = {"name": user.greeting_name, "username": user.username}
    email = user.email
    user.delete()
    if email:
        subject = render_to_string("users/email/profile_deleted_subject.txt", context).strip()
        transaction.on_commit(
            partial(
                send_mail,
                subject=subject,
                message=render_to_string("users/email/profile_deleted.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[email],
            )
        )


def export_personal_data(user: User) -> dict:
    """Everything the portal holds about ``user``, as JSON-serialisable data."""
    links = AccountLink.objects.filter(user=user).select_related(
        "account__organization", "account__premise__house"
    )
    data = {
        "exported_at": timezone.now(),
        "profile": {
            "username": user.username,
            "last_name": user.last_name,
            "first_name": user.first_name,
            "middle_name": user.middle_name,
            "email": user.email,
            "phone": user.phone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "subscriptions": {
            "reading_reminders": user.reading_reminders,
            "news_by_email": user.news_by_email,
            "receipts_by_email": [link.account.number for link in links if link.receipts_by_email],
        },
        "linked_accounts": [
            {
                "number": link.account.number,
                "organization": link.account.organization.name,
                "address": str(link.account.premise),
                "linked_at": link.created_at,
                "receipts_by_email": link.receipts_by_email,
            }
            for link in links
        ],
        "api_tokens": [
            {
                "name": token.name,
                "scope": token.scope,
                "account_number": token.account.number if token.account_id else None,
                "created_at": token.created_at,
                "expires_at": token.expires_at,
                "last_used_at": token.last_used_at,
                "revoked_at": token.revoked_at,
            }
            for token in user.access_tokens.select_related("account").order_by("created_at")
        ],
        "link_attempts": [
            {
                "at": attempt.created_at,
                "account_number": attempt.account_number,
                "address": attempt.address,
                "succeeded": attempt.succeeded,
                "ip_address": attempt.ip_address,
            }
            for attempt in LinkAttempt.objects.filter(user=user).order_by("created_at")
        ],
        "link_requests": [
            {
                "number": request.pk,
                "organization": request.organization.name,
                "address": str(request.premise),
                "account_number": request.account_number,
                "message": request.message,
                "status": request.get_status_display(),
                "reply": request.staff_reply,
                "created_at": request.created_at,
                "decided_at": request.decided_at,
            }
            for request in LinkRequest.objects.filter(user=user)
            .select_related("organization", "premise__house")
            .order_by("created_at")
        ],
    }
    for _receiver, (section, section_data) in personal_data_requested.send(sender=User, user=user):
        data[section] = section_data
    return data
