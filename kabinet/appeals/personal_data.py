"""The appeals part of a user's personal data export (see users.signals)."""

from django.dispatch import receiver

from kabinet.appeals.models import Appeal
from kabinet.users.signals import personal_data_requested


@receiver(personal_data_requested, dispatch_uid="appeals_personal_data")
def appeals_of_user(sender, user, **kwargs):
    """Every appeal the user wrote, with its whole thread (staff are named only as the УК)."""
    appeals = (
        Appeal.objects.filter(author=user)
        .select_related("organization", "account", "topic")
        .prefetch_related("messages__attachments")
        .order_by("created_at")
    )
    return "appeals", [
        {
            "number": appeal.number,
            "organization": appeal.organization.name,
            "account": appeal.account.number,
            "topic": appeal.topic.name,
            "status": appeal.get_status_display(),
            "created_at": appeal.created_at,
            "closed_at": appeal.closed_at,
            "messages": [
                {
                    "from": "управляющая организация" if message.from_staff else "вы",
                    "sent_at": message.created_at,
                    "text": message.text,
                    "attachments": [a.name for a in message.attachments.all()],
                }
                for message in appeal.messages.all()
            ],
        }
        for appeal in appeals
    ]
