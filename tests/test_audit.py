"""The audit log: every money- and rights-changing action leaves an entry naming who, when,
from where, the organisation, the object and what changed; an organisation's manager (and a
superuser) read it in the back office, nobody changes or deletes it."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kabinet.audit.models import AuditAction, AuditEntry, AuditEntryError
from kabinet.audit.services import record
from kabinet.billing.models import Period, PeriodStatus, RecalculationKind
from kabinet.months import add_months
from kabinet.orgs.models import StaffMembership, StaffRole
from kabinet.orgs.services import add_staff_member
from kabinet.payments.models import Payment
from kabinet.users.models import LinkRequest
from tests.factories import (
    PASSWORD,
    ChargeFactory,
    HouseFactory,
    PaymentFactory,
    PeriodFactory,
    PersonalAccountFactory,
    UserFactory,
    staff_user,
    this_month,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
D = Decimal
IP = "127.0.0.1"  # the test client's REMOTE_ADDR


@pytest.fixture
def account(own):
    return PersonalAccountFactory(premise__house=HouseFactory(organization=own), number="100")


def last_entry(action) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("pk")


def assert_by(entry, user, organization):
    assert (entry.actor, entry.actor_name, entry.ip) == (user, user.username, IP)
    assert entry.organization == organization


# Manual payments, tariffs: the admin's changes ------------------------------------------------


def test_a_manual_payment_added_changed_and_deleted_in_the_admin(client, accountant, own, account):
    client.post(reverse("admin:payments_payment_add"), {
        "account": account.pk, "paid_on": "2026-10-10", "amount": "1500.00", "commission": "0",
        "source": "manual", "external_id": "касса-1", "payer_name": "", "period": "",
        "registry": "",
    })  # fmt: skip
    payment = Payment.objects.get()
    added = last_entry(AuditAction.ADDED)
    assert_by(added, accountant, own)
    assert (added.object_type, added.object_id) == ("payments.payment", str(payment.pk))
    assert added.changes["amount"] == [None, "1500.00"]
    assert added.amount == D("1500.00")

    client.post(reverse("admin:payments_payment_change", args=[payment.pk]), {
        "account": account.pk, "paid_on": "2026-10-10", "amount": "150.00", "commission": "0",
        "source": "manual", "external_id": "касса-1", "payer_name": "", "period": "",
        "registry": "",
    })  # fmt: skip
    changed = last_entry(AuditAction.CHANGED)
    assert_by(changed, accountant, own)
    assert changed.changes == {"amount": ["1500.00", "150.00"]}
    assert changed.amount == D("150.00")

    client.post(reverse("admin:payments_payment_delete", args=[payment.pk]), {"post": "yes"})
    assert not Payment.objects.exists()
    removed = last_entry(AuditAction.DELETED)
    assert_by(removed, accountant, own)
    assert removed.changes["amount"] == ["150.00", None]
    assert removed.object_id == str(payment.pk)


def test_payments_deleted_by_the_lists_action_are_each_logged(client, accountant, own, account):
    payments = [PaymentFactory(account=account, external_id=f"p{n}") for n in range(2)]
    client.post(reverse("admin:payments_payment_changelist"), {
        "action": "delete_selected", "_selected_action": [p.pk for p in payments], "post": "yes",
    })  # fmt: skip
    assert not Payment.objects.exists()
    entries = AuditEntry.objects.filter(action=AuditAction.DELETED)
    assert sorted(e.object_id for e in entries) == sorted(str(p.pk) for p in payments)


def test_a_tariff_change_names_the_old_and_the_new_value(client, accountant, own, upkeep):
    tariff = upkeep.tariffs.get()
    client.post(reverse("admin:billing_tariff_change", args=[tariff.pk]), {
        "service": upkeep.pk, "house": "", "value": "25.5", "valid_from": "2020-01-01",
        "valid_to": "",
    })  # fmt: skip
    entry = last_entry(AuditAction.CHANGED)
    assert_by(entry, accountant, own)
    assert entry.changes == {"value": ["20.0000", "25.5000"]}


def test_an_unchanged_form_leaves_no_entry(client, accountant, upkeep):
    tariff = upkeep.tariffs.get()
    client.post(reverse("admin:billing_tariff_change", args=[tariff.pk]), {
        "service": upkeep.pk, "house": "", "value": "20", "valid_from": "2020-01-01",
        "valid_to": "",
    })  # fmt: skip
    assert not AuditEntry.objects.filter(action=AuditAction.CHANGED).exists()


# Billing: the run, the import, closing, recalculations ----------------------------------------


def test_the_billing_run_names_who_started_it_and_the_periods_total(
    client, accountant, own, account, upkeep, period, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:billing_run", args=[period.pk]))
    entry = last_entry(AuditAction.BILLING_RUN)
    assert_by(entry, accountant, own)
    assert entry.object_id == str(period.pk)
    charged = (D("20.00") * account.premise.area).quantize(D("0.01"))
    assert entry.amount == charged
    assert entry.changes == {"lines": [0, 1], "total": ["0.00", str(charged)]}


def test_the_charges_import_is_logged(
    client, accountant, own, account, upkeep, period, django_capture_on_commit_callbacks
):
    text = "ЛС;Услуга;Тариф;Объём;Начислено\n100;Содержание жилья;20;50;1000,00\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:billing_import", args=[period.pk]),
                    {"file": SimpleUploadedFile("charges.csv", text.encode())})  # fmt: skip
    entry = last_entry(AuditAction.CHARGES_IMPORT)
    assert_by(entry, accountant, own)
    assert entry.amount == D("1000.00")
    assert entry.changes["lines"] == [0, 1]


def test_closing_a_period_is_logged(client, accountant, own, account, upkeep):
    previous_open = PeriodFactory(organization=own, month=add_months(this_month(), -1),
                                  status=PeriodStatus.OPEN)  # fmt: skip
    Period.objects.filter(pk=previous_open.pk).update(calculated_at=timezone.now())
    ChargeFactory(account=account, service=upkeep, period=previous_open, charged=D("970.00"))
    client.post(reverse("backoffice:billing_close", args=[previous_open.pk]), {"confirm": "on"})
    entry = last_entry(AuditAction.PERIOD_CLOSED)
    assert_by(entry, accountant, own)
    assert entry.changes == {"status": ["open", "closed"]}
    assert entry.amount == D("970.00")


def test_recalculations_added_and_taken_back_are_logged(
    client, accountant, own, upkeep, previous, recalculable
):
    data = {
        "account": "100", "service": upkeep.pk, "corrected_period": previous.pk,
        "kind": RecalculationKind.QUALITY, "percent": "10", "reason": "Акт № 7",
        "save": "Сохранить", "shown_amount": "-100.00",
    }  # fmt: skip
    client.post(reverse("backoffice:recalculations"), data)
    entry = last_entry(AuditAction.RECALCULATION_ADDED)
    assert_by(entry, accountant, own)
    assert entry.amount == D("-100.00")
    assert entry.changes["reason"] == [None, "Акт № 7"]
    recalculation_id = entry.object_id

    client.post(reverse("backoffice:recalculation_delete", args=[recalculation_id]))
    taken_back = last_entry(AuditAction.RECALCULATION_DELETED)
    assert_by(taken_back, accountant, own)
    assert (taken_back.object_id, taken_back.amount) == (recalculation_id, D("-100.00"))


# Payments from a bank registry --------------------------------------------------------------


def test_crediting_a_registry_is_logged_with_its_amount(
    client, accountant, own, account, django_capture_on_commit_callbacks
):
    text = "20.11.2026;100;Петров;;;1234,50;0\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:registries"), {
            "organization": own.pk, "file": SimpleUploadedFile("r.txt", text.encode("cp1251")),
        })  # fmt: skip
    entry = last_entry(AuditAction.REGISTRY_CREDITED)
    assert_by(entry, accountant, own)
    assert entry.amount == D("1234.50")
    assert entry.changes["rows_credited"] == [None, 1]


# Rights: roles, linked accounts, signing in ----------------------------------------------------


@pytest.fixture
def superuser(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_roles_given_changed_and_taken_in_the_admin_are_logged(client, superuser, own):
    someone = UserFactory()
    client.post(reverse("admin:orgs_staffmembership_add"),
                {"user": someone.pk, "organization": own.pk, "role": "operator"})  # fmt: skip
    membership = StaffMembership.objects.get(user=someone)
    given = last_entry(AuditAction.ROLE_CHANGED)
    assert (given.actor, given.ip, given.organization) == (superuser, IP, own)
    assert given.changes["role"] == [None, "operator"]

    client.post(reverse("admin:orgs_staffmembership_change", args=[membership.pk]),
                {"user": someone.pk, "organization": own.pk, "role": "manager"})  # fmt: skip
    assert last_entry(AuditAction.ROLE_CHANGED).changes["role"] == ["operator", "manager"]

    client.post(reverse("admin:orgs_staffmembership_delete", args=[membership.pk]), {"post": "yes"})
    taken = last_entry(AuditAction.DELETED)
    assert (taken.actor, taken.organization, taken.object_type) == (
        superuser,
        own,
        "orgs.staffmembership",
    )
    assert taken.changes["role"] == ["manager", None]


def test_a_role_given_by_the_service_names_who_gave_it(own):
    boss, someone = UserFactory(), UserFactory()
    add_staff_member(someone, own, StaffRole.ACCOUNTANT, by=boss, ip="10.0.0.7")
    entry = last_entry(AuditAction.ROLE_CHANGED)
    assert (entry.actor, entry.ip, entry.organization) == (boss, "10.0.0.7", own)
    assert entry.changes["role"] == [None, "accountant"]
    add_staff_member(someone, own, StaffRole.ACCOUNTANT, by=boss)
    assert AuditEntry.objects.filter(action=AuditAction.ROLE_CHANGED).count() == 1


def test_a_role_given_in_the_organisations_inline_is_logged(client, superuser, own):
    someone = UserFactory()
    client.post(reverse("admin:orgs_organization_change", args=[own.pk]), {
        "name": own.name, "inn": own.inn, "kpp": own.kpp, "ogrn": own.ogrn,
        "address": own.address, "phone": "", "email": "", "website": "",
        "bank_name": own.bank_name, "bik": own.bik,
        "correspondent_account": own.correspondent_account,
        "settlement_account": own.settlement_account, "readings_from_day": 15,
        "readings_to_day": 25, "online_payment_limit": "100000.00", "tax_system_code": 1,
        "vat_code": 1, "receipt_items": "services",
        "staff-TOTAL_FORMS": 1, "staff-INITIAL_FORMS": 0, "staff-0-user": someone.pk,
        "staff-0-role": "manager", "staff-0-organization": own.pk,
        "payment_commissions-TOTAL_FORMS": 0, "payment_commissions-INITIAL_FORMS": 0,
    })  # fmt: skip
    assert StaffMembership.objects.filter(user=someone, role=StaffRole.MANAGER).exists()
    entry = last_entry(AuditAction.ADDED)
    assert (entry.actor, entry.organization, entry.object_type) == (
        superuser,
        own,
        "orgs.staffmembership",
    )
    assert entry.changes["role"] == [None, "manager"]


def test_a_user_made_superuser_is_logged_without_the_password(client, superuser):
    someone = UserFactory(username="petrova")
    data = {
        "username": "petrova", "last_name": "", "first_name": "", "middle_name": "",
        "email": someone.email, "phone": "", "is_active": "on", "is_staff": "on",
        "is_superuser": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
    }  # fmt: skip
    client.post(reverse("admin:users_user_change", args=[someone.pk]), data)
    entry = last_entry(AuditAction.CHANGED)
    assert (entry.actor, entry.organization, entry.object_type) == (superuser, None, "users.user")
    assert entry.changes["is_superuser"] == [False, True]
    assert "password" not in entry.changes


def test_approving_a_link_request_is_logged(
    client, own, account, django_capture_on_commit_callbacks
):
    resident = UserFactory()
    link_request = LinkRequest.objects.create(
        user=resident, organization=own, premise=account.premise, account=account,
        message="Прошу присоединить",
    )  # fmt: skip
    operator = staff_user(own, StaffRole.OPERATOR)
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:users_linkrequest_changelist"),
                    {"action": "approve", "_selected_action": [link_request.pk]})  # fmt: skip
    entry = last_entry(AuditAction.LINK_APPROVED)
    assert_by(entry, operator, own)
    assert entry.changes["account"] == [None, str(account)]
    assert entry.object_type == "users.accountlink"


def test_staff_signing_in_to_the_back_office_are_logged_residents_not(client, own):
    operator = staff_user(own, StaffRole.OPERATOR)
    resident = UserFactory()
    for user in (operator, resident):
        client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
        client.logout()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_LOGIN)
    assert_by(entry, operator, own)


# Who reads the log; nobody changes it -------------------------------------------------------


@pytest.fixture
def entries(own, other):
    mine = record(action=AuditAction.PERIOD_CLOSED, organization=own, amount=D("1.00"))
    theirs = record(action=AuditAction.PERIOD_CLOSED, organization=other, amount=D("2.00"))
    return mine, theirs


def listed(client, user):
    client.force_login(user)
    return client.get(reverse("admin:audit_auditentry_changelist"))


def test_a_manager_reads_their_organisations_log_only(client, own, entries):
    mine, theirs = entries
    response = listed(client, staff_user(own, StaffRole.MANAGER))
    shown = list(response.context["cl"].result_list)
    assert mine in shown
    assert {entry.organization for entry in shown} == {own}
    url = reverse("admin:audit_auditentry_change", args=[theirs.pk])
    assert client.get(url).status_code == 302  # «not found» for another organisation's entry


def test_a_manager_of_another_organisation_does_not_see_ours(client, other, entries):
    _, theirs = entries
    response = listed(client, staff_user(other, StaffRole.MANAGER))
    shown = list(response.context["cl"].result_list)
    assert theirs in shown
    assert {entry.organization for entry in shown} == {other}


def test_a_manager_elsewhere_reads_nothing_where_they_are_an_operator(client, own, other, entries):
    user = staff_user(other, StaffRole.MANAGER)
    add_staff_member(user, own, StaffRole.OPERATOR)
    assert {e.organization for e in listed(client, user).context["cl"].result_list} == {other}


@pytest.mark.parametrize("role", [StaffRole.OPERATOR, StaffRole.ACCOUNTANT])
def test_operator_and_accountant_do_not_see_the_log(client, own, entries, role):
    user = staff_user(own, role)
    assert listed(client, user).status_code == 403
    index = client.get(reverse("admin:index"))
    assert "audit" not in {app["app_label"] for app in index.context["app_list"]}


def test_a_superuser_reads_every_entry(client, superuser, entries):
    response = client.get(reverse("admin:audit_auditentry_changelist"))
    assert set(response.context["cl"].result_list) >= set(entries)


def test_nobody_changes_or_deletes_an_entry_in_the_admin(client, own, superuser, entries):
    mine, _ = entries
    for user in (superuser, staff_user(own, StaffRole.MANAGER)):
        client.force_login(user)
        change = reverse("admin:audit_auditentry_change", args=[mine.pk])
        assert client.post(change, {"amount": "5.00"}).status_code == 403
        delete = reverse("admin:audit_auditentry_delete", args=[mine.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    mine.refresh_from_db()
    assert mine.amount == D("1.00")


def test_the_model_refuses_to_change_or_delete_an_entry(entries):
    mine, _ = entries
    mine.amount = D("5.00")
    with pytest.raises(AuditEntryError):
        mine.save()
    with pytest.raises(AuditEntryError):
        mine.delete()
    with pytest.raises(AuditEntryError):
        AuditEntry.objects.filter(pk=mine.pk).update(amount=D("5.00"))
    with pytest.raises(AuditEntryError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=mine.pk).amount == D("1.00")


def test_a_deleted_users_entries_keep_their_name(own):
    user = UserFactory(username="ivanova")
    entry = record(action=AuditAction.PERIOD_CLOSED, organization=own, actor=user)
    user.delete()
    entry.refresh_from_db()
    assert (entry.actor, entry.actor_name) == (None, "ivanova")
