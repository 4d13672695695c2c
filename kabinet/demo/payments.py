"""Demo additions for payments: an accountant of ОАО "Камал", who may upload bank registries."""

from allauth.account.models import EmailAddress

from kabinet.orgs.models import StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.users.models import User


def add_accountant(organization) -> User:
    user = User.objects.create_user(
        username="buh", password="buh12345", email="buh@kamal-uk.ru",
        last_name="Сафиуллина", first_name="Алсу", middle_name="Рифовна",
    )  # fmt: skip
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    add_staff_member(user, organization, StaffRole.ACCOUNTANT)
    return user
