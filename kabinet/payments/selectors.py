from kabinet.payments.models import Payment


def payments_of(account):
    """The account's payments, newest first."""
    return Payment.objects.filter(account=account).order_by("-paid_on", "-id")
