"""Linking personal accounts to users: by proof of the last payment, or by the УК's decision."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.housing.models import PersonalAccount, Premise
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, LinkRequestStatus

MAX_FAILURES_PER_USER = 5
MAX_USERS_FAILING_ON_ONE_ACCOUNT = 3
LOCK_PERIOD = datetime.timedelta(hours=1)

NOT_PROVEN = (
    "Лицевой счёт не найден по этому адресу или дата и сумма последней оплаты не совпадают. "
    "Проверьте данные по квитанции или чеку."
)
LOCKED = (
    "Слишком много неудачных попыток присоединить лицевой счёт. Попробуйте снова через час "
    "или обратитесь в управляющую организацию."
)


class LinkRefused(Exception):
    """The account was not linked; ``str(error)`` is the message for the resident."""


def is_link_locked(user, account_number: str) -> bool:
    """Five failures of a user in an hour lock the user; failures of several users on one
    account number in an hour lock that number (someone is guessing)."""
    since = timezone.now() - LOCK_PERIOD
    failures = LinkAttempt.objects.filter(succeeded=False, created_at__gte=since)
    if failures.filter(user=user).count() >= MAX_FAILURES_PER_USER:
        return True
    users_on_number = (
        failures.filter(account_number=account_number).values("user").distinct().count()
    )
    return users_on_number >= MAX_USERS_FAILING_ON_ONE_ACCOUNT


def link_account(
    user,
    *,
    premise: Premise,
    account_number: str,
    paid_on: datetime.date,
    amount: Decimal,
    ip_address: str | None = None,
) -> tuple[PersonalAccount, bool]:
    """Link the account at ``premise`` numbered ``account_number`` to ``user`` if its last
    payment was made on ``paid_on`` for ``amount``. Returns the account and whether a new
    link was made (``False``: it was linked already). Raises ``LinkRefused``."""
    account_number = account_number.strip()
    if is_link_locked(user, account_number):
        raise LinkRefused(LOCKED)
    organization = premise.house.organization
    account = PersonalAccount.objects.filter(
        organization=organization, premise=premise, number=account_number
    ).first()
    proven = account is not None and _last_payment_matches(account, paid_on, amount)
    LinkAttempt.objects.create(
        user=user,
        organization=organization,
        account_number=account_number,
        address=str(premise),
        succeeded=proven,
        ip_address=ip_address,
    )
    if not proven:
        raise LinkRefused(NOT_PROVEN)
    _, created = AccountLink.objects.get_or_create(user=user, account=account)
    return account, created


def _last_payment_matches(account, paid_on, amount) -> bool:
    last_date = account.payments.order_by("-paid_on").values_list("paid_on", flat=True).first()
    return last_date == paid_on and account.payments.filter(paid_on=paid_on, amount=amount).exists()


def request_link(user, *, premise: Premise, account_number: str, message: str) -> LinkRequest:
    """Ask the УК to link an account the resident cannot prove by a payment."""
    return LinkRequest.objects.create(
        user=user,
        organization=premise.house.organization,
        premise=premise,
        account_number=account_number.strip(),
        message=message.strip(),
    )


class DecisionError(Exception):
    """A link request cannot be decided as asked; ``str(error)`` says why, for staff."""


@transaction.atomic
def approve_link_request(link_request: LinkRequest, staff_user, *, ip: str | None = None):
    """Link the account staff chose and tell the resident by e-mail; the audit log keeps
    the approval (by ``staff_user`` from ``ip``)."""
    if link_request.status != LinkRequestStatus.NEW:
        raise DecisionError(f"{link_request} уже рассмотрен.")
    account = link_request.account
    if account is None:
        raise DecisionError(f"{link_request}: укажите лицевой счёт, который нужно присоединить.")
    if account.organization_id != link_request.organization_id:
        raise DecisionError(f"{link_request}: лицевой счёт другой организации.")
    link, _ = AccountLink.objects.get_or_create(user=link_request.user, account=account)
    _decide(link_request, LinkRequestStatus.APPROVED, staff_user)
    record(
        action=AuditAction.LINK_APPROVED,
        organization=link_request.organization,
        actor=staff_user,
        ip=ip,
        obj=link,
        changes={
            "status": [LinkRequestStatus.NEW.value, LinkRequestStatus.APPROVED.value],
            "account": [None, str(account)],
            "user": [None, str(link_request.user)],
        },
    )
    return link


@transaction.atomic
def reject_link_request(link_request: LinkRequest, staff_user) -> None:
    """Refuse the request; the resident gets the staff's reply by e-mail."""
    if link_request.status != LinkRequestStatus.NEW:
        raise DecisionError(f"{link_request} уже рассмотрен.")
    if not link_request.staff_reply.strip():
        raise DecisionError(
            f"{link_request}: напишите жителю причину отказа (поле «ответ жителю»)."
        )
    _decide(link_request, LinkRequestStatus.REJECTED, staff_user)


def _decide(link_request, status, staff_user):
    link_request.status = status
    link_request.decided_by = staff_user
    link_request.decided_at = timezone.now()
    link_request.save(update_fields=["status", "decided_by", "decided_at"])
    context = {"request": link_request, "approved": status == LinkRequestStatus.APPROVED}
    transaction.on_commit(
        lambda: send_mail(
            subject=render_to_string("users/email/link_decision_subject.txt", context).strip(),
            message=render_to_string("users/email/link_decision.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[link_request.user.email],
        )
    )


def dismiss_help(user) -> None:
    user.help_dismissed = True
    user.save(update_fields=["help_dismissed"])
