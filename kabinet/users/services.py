"""Linking personal accounts to users: by proof of the last payment, or by the УК's decision."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet import quotas
from kabinet.audit.models import AuditAction
from kabinet.audit.services import record
from kabinet.housing.models import PersonalAccount, Premise
from kabinet.orgs.models import StaffRole
from kabinet.users.models import AccountLink, LinkAttempt, LinkRequest, LinkRequestStatus, User

MAX_FAILURES_PER_USER = 5  # failed proofs in LOCK_PERIOD, whatever account numbers they named
LOCK_PERIOD = datetime.timedelta(hours=1)
GUESSERS_ALERT = 3  # distinct users failing on one account number in ALERT_PERIOD: staff are told
ALERT_PERIOD = datetime.timedelta(hours=24)

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


def link_failures_left(user) -> int:
    """How many more failed proofs ``user`` may make now. Only the user's own failures count:
    other people guessing an account never stop its owner (staff are told of them instead)."""
    since = timezone.now() - LOCK_PERIOD
    failures = LinkAttempt.objects.filter(user=user, succeeded=False, created_at__gte=since)
    return max(0, MAX_FAILURES_PER_USER - failures.count())


def _not_proven(left: int) -> str:
    if left:
        return f"{NOT_PROVEN} Осталось попыток: {left}."
    return f"{NOT_PROVEN} Попыток больше не осталось: попробуйте снова через час."


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
    link was made (``False``: it was linked already). Raises ``LinkRefused``, or
    ``quotas.QuotaExceeded`` past the user's quota of attempts (right or wrong).

    One user's attempts are judged one at a time (the user's row is locked until the attempt
    is recorded), so concurrent requests cannot all pass the count before any is written."""
    account_number = account_number.strip()
    organization = premise.house.organization
    quotas.consume(user, link_attempts=1)
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        left = link_failures_left(user)
        if not left:
            raise LinkRefused(LOCKED)
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
        if proven:
            _, created = AccountLink.objects.get_or_create(user=user, account=account)
            return account, created
    _alert_if_guessed(organization, account_number)
    raise LinkRefused(_not_proven(left - 1))


def _alert_if_guessed(organization, account_number: str) -> None:
    """Tell the organisation, once a day per account number, that several users fail to
    prove it: someone may be guessing an account's last payment."""
    since = timezone.now() - ALERT_PERIOD
    guessers = (
        LinkAttempt.objects.filter(
            organization=organization,
            account_number=account_number,
            succeeded=False,
            created_at__gte=since,
        )
        .values("user")
        .distinct()
        .count()
    )
    if guessers < GUESSERS_ALERT:
        return
    key = f"link-guess-alert:{organization.pk}:{account_number}"
    if not cache.add(key, True, timeout=int(ALERT_PERIOD.total_seconds())):
        return  # told already (the add is atomic, across processes with a shared cache)
    recipients = [organization.email] if organization.email else _manager_emails(organization)
    if not recipients:
        return
    context = {"organization": organization, "number": account_number, "users": guessers}
    send_mail(
        subject=render_to_string("users/email/link_guessing_subject.txt", context).strip(),
        message=render_to_string("users/email/link_guessing.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )


def _manager_emails(organization) -> list[str]:
    return sorted(
        {
            email
            for email in organization.staff.filter(role=StaffRole.MANAGER).values_list(
                "user__email", flat=True
            )
            if email
        }
    )


def _last_payment_matches(account, paid_on, amount) -> bool:
    last_date = account.payments.order_by("-paid_on").values_list("paid_on", flat=True).first()
    return last_date == paid_on and account.payments.filter(paid_on=paid_on, amount=amount).exists()


def request_link(user, *, premise: Premise, account_number: str, message: str) -> LinkRequest:
    """Ask the УК to link an account the resident cannot prove by a payment (counted against
    the user's quota of requests: ``quotas.QuotaExceeded``)."""
    quotas.consume(user, link_requests=1)
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
