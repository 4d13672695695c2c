"""What the administrator prepares on a web host of the multi-host test, with the cluster's
settings (tests/cluster/test_cluster.py runs ``python -m tests.cluster.seed …``).

``static``: ``collectstatic`` into ``STATIC_ROOT``, hashed names and their manifest as production
serves them, but not compressed: whitenoise's gzip and brotli copies of a thousand files take a
minute of a core, and the web serves the plain file when there are none.

``world ACCOUNTS``: after ``migrate``, the world, printed as JSON for the test:

- a small organisation with one account and its resident, who writes an appeal with a file;
- a large one whose billing run lasts long enough to kill its worker in the middle
  (``ACCOUNTS`` accounts, three services by area);
- their accountant, with an authenticator app as production requires of staff (the test
  computes the codes from the secret).
"""

import datetime
import json
import os
import secrets
import sys
from decimal import Decimal

import django


def build(accounts: int) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from kabinet.billing.models import CalculationMethod, Period, Service, Tariff
    from kabinet.bulk import insert_rows
    from kabinet.housing.models import House, OwnershipType, PersonalAccount, Premise
    from kabinet.months import first_of_month
    from kabinet.orgs.models import Organization, StaffRole
    from kabinet.orgs.services import add_staff_member
    from kabinet.users.models import AccountLink, User

    month = first_of_month(timezone.localdate())
    since = month - datetime.timedelta(days=365)

    def organization(name: str) -> Organization:
        org = Organization.objects.create(
            name=name, inn="1659001230", kpp="165901001", ogrn="1021600012345",
            address="г. Казань", bank_name="ПАО Сбербанк", bik="049205603",
            correspondent_account="30101810600000000603",
            settlement_account="40702810462000012345",
        )  # fmt: skip
        for position, (service, tariff) in enumerate(
            [("Содержание жилья", "19.30"), ("Ремонт жилья", "12.50"), ("Вывоз мусора", "4.10")]
        ):
            service = Service.objects.create(
                organization=org, name=service, unit="м²", method=CalculationMethod.AREA,
                position=position,
            )  # fmt: skip
            Tariff.objects.create(service=service, value=Decimal(tariff), valid_from=since)
        Period.objects.create(organization=org, month=month)
        return org

    def person(username: str) -> tuple[User, str]:
        password = secrets.token_urlsafe(16)
        user = User.objects.create(username=username, email=f"{username}@example.com")
        user.set_password(password)
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user, password

    small = organization("УК «Кластер»")
    house = House.objects.create(organization=small, address="ул. Узловая, д. 1")
    premise = Premise.objects.create(
        house=house, number="1", area=Decimal("48.50"), ownership=OwnershipType.PRIVATE
    )
    account = PersonalAccount.objects.create(
        organization=small, number="7000001", holder_name="Петров П. П.", premise=premise,
        residents=2,
    )  # fmt: skip
    resident, resident_password = person("resident")
    AccountLink.objects.create(user=resident, account=account)

    large = organization("УК «Большая»")
    houses = House.objects.bulk_create(
        House(organization=large, address=f"ул. Нагрузочная, д. {n + 1}")
        for n in range((accounts + 99) // 100)
    )
    insert_rows(
        Premise,
        ["house", "number", "area", "ownership"],
        (
            (houses[n // 100].pk, str(n % 100 + 1), Decimal(3000 + n % 6000) / 100, "private")
            for n in range(accounts)
        ),
    )
    premises = Premise.objects.filter(house__organization=large).order_by("pk")
    insert_rows(
        PersonalAccount,
        ["organization", "number", "holder_name", "premise", "share", "residents", "is_open"],
        (
            (large.pk, f"8{n:07d}", "Иванов И. И.", premise, 1, 1 + n % 4, True)
            for n, premise in enumerate(premises.values_list("pk", flat=True))
        ),
    )

    accountant, accountant_password = person("accountant")
    for org in (small, large):
        add_staff_member(accountant, org, StaffRole.ACCOUNTANT)
    secret = generate_totp_secret()
    TOTP.activate(accountant, secret)

    return {
        "resident": {"login": "resident", "password": resident_password, "account": account.pk},
        "accountant": {"login": "accountant", "password": accountant_password, "totp": secret},
        "small_period": Period.objects.get(organization=small).pk,
        "large_period": Period.objects.get(organization=large).pk,
        "large_accounts": PersonalAccount.objects.filter(organization=large).count(),
    }


def collect_static() -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": manifest}}):
        call_command("collectstatic", "--noinput", verbosity=0)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    django.setup()
    if sys.argv[1] == "static":
        collect_static()
    else:
        print(json.dumps(build(int(sys.argv[2]))))
