"""The permission matrix: every URL of the portal and every model of the back office, asked
by every class of user, against what the rules of access say each may get.

The cases are generated from the URL configuration (``get_resolver()``) and the admin's
registry (``admin.site._registry``): a URL, an admin model or an admin action without an entry
below fails ``test_every_url_has_an_entry`` / ``test_every_admin_model_has_an_entry``, so no
view can be added unchecked. An entry says how to fill the URL from the world (records of
organisation A, see ``tests/matrix_world.py``), what each user class gets from GET, and, for a
view that changes something, who may POST to it: everybody else must be refused (sent to the
login page when signed out, 403/404 otherwise) and the record must stay as it was.

Staff rights follow ``orgs.selectors.ROLE_DUTIES`` in the organisation of the record acted
on: operator — housing, metering, links, appeals; accountant — billing, payments, appeals;
manager — all of these and the organisation's settings; staff memberships and users — the
superuser only. Staff see their own organisations' records and no others.
"""

import dataclasses
import json
from collections.abc import Callable
from html.parser import HTMLParser
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone

from kabinet.api import staff_keys
from kabinet.api.models import StaffApiKey
from kabinet.appeals.models import Appeal, Message
from kabinet.backoffice import navigation
from kabinet.billing.common_correction import common_correction
from kabinet.billing.heating_correction import heating_corrections
from kabinet.billing.models import Recalculation
from kabinet.gisgkh.models import GisOrganization, Posting, ResourceNsiItem, ServiceNsiItem
from kabinet.jobs.models import Job, JobKind
from kabinet.metering.models import Reading
from kabinet.orgs.models import StaffRole
from kabinet.orgs.selectors import ROLE_DUTIES
from kabinet.payments.models import OnlinePayment, PaymentRegistry
from kabinet.receipts.models import IssuedDocument
from kabinet.users import tokens
from kabinet.users.models import TokenScope
from kabinet.webhooks.models import Webhook
from tests.conftest import built_once
from tests.matrix_world import (
    ACCOUNTANT_A,
    ACCOUNTANT_B,
    ANONYMOUS,
    MANAGER_A,
    OPERATOR_A,
    OPERATOR_A_ACCOUNTANT_B,
    OTHER_RESIDENT,
    RESIDENT,
    STAFF_ROLES,
    SUPERUSER,
    USER_CLASSES,
    build_world,
)

SIGNED_IN = frozenset(USER_CLASSES) - {ANONYMOUS}
STAFF_A = frozenset({OPERATOR_A, ACCOUNTANT_A, MANAGER_A, OPERATOR_A_ACCOUNTANT_B})
STAFF = STAFF_A | {ACCOUNTANT_B}
NOT_IN_BACK_OFFICE = frozenset({ANONYMOUS, RESIDENT, OTHER_RESIDENT})

# What a response may be.
OK = "200"
LOGIN = "to the login page"
DENY = "refused (403/404)"


def writers(duty, side="a"):
    """The user classes whose role in ``side``'s organisation may change ``duty``."""
    return frozenset(
        user_class
        for user_class, roles in STAFF_ROLES.items()
        if side in roles and duty in ROLE_DUTIES[roles[side]]
    ) | {SUPERUSER}


def expect(default, **others):
    """An answer per user class: ``default`` unless named (``resident=OK``)."""
    return {user_class: others.get(user_class, default) for user_class in USER_CLASSES}


def public(answer=OK):
    return expect(answer)


def signed_in(answer=OK):
    return expect(answer, anonymous=LOGIN)


def residents_page():
    """A page of one personal account: its resident only, 404 for anybody else."""
    return expect(DENY, anonymous=LOGIN, resident=OK)


def staff_page(answer=OK, **others):
    """A back-office page: staff of any organisation; residents get 404."""
    return {
        **expect(answer, anonymous=LOGIN, resident=DENY, other_resident=DENY),
        **others,
    }


def staff_a_page(answer=OK):
    """A back-office page of one of A's records: A's staff (and the superuser) only."""
    return staff_page(answer, accountant_b=DENY)


def admin_site_page(answer=OK):
    """A page of the admin site itself: the admin sends anyone not staff to its login."""
    return expect(answer, anonymous=LOGIN, resident=LOGIN, other_resident=LOGIN)


@dataclasses.dataclass(frozen=True)
class Post:
    """A view that changes something: who may, what to send, what must not change else."""

    entitled: frozenset
    data: Callable = lambda w: {}
    state: Callable | None = None  # world -> value that a refused POST leaves as it was
    form_refusal: bool = False  # a form without the user's organisation may refuse (200/400)
    json: bool = False  # the data is sent as JSON (the API)


@dataclasses.dataclass(frozen=True)
class Entry:
    get: dict  # user class -> expected answer to GET
    kwargs: Callable = lambda w: {}
    query: str = ""
    post: Post | None = None
    shows: Callable | None = None  # world -> a text of A's that a list shows to ``shown_to``
    shown_to: frozenset = frozenset()
    api: bool = False  # asked with the user's API token (full scope) instead of the session
    # asked with an API key of the staff member's organisation and role (their role in A, else
    # in B); the others have only personal tokens, which these operations refuse (401)
    staff_key: bool = False


SEE_A = STAFF_A | {SUPERUSER}  # the staff who see A's records, and the superuser


def row(obj):
    """A record as the database holds it (None once deleted)."""
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


def account(w):
    return {"account_id": w.a.account.pk}


API_REFUSED = 401  # the API answers the signed-out (no token) 401, never a login page


def api_page():
    """An API operation on one personal account: its resident's token only, 404 for others."""
    return expect(DENY, anonymous=API_REFUSED, resident=OK)


def reading_push(w):
    return {"readings": [{"meter_id": w.a.meter.pk, "value": "99999", "confirm_unusual": True}]}


def this_months_reading(w):
    return list(
        Reading.objects.filter(
            meter=w.a.meter, period=timezone.localdate().replace(day=1)
        ).values_list("value", flat=True)
    )


def appeal_kwargs(w):
    return {"account_id": w.a.account.pk, "appeal_id": w.a.appeal.pk}


def upload(name, content=b"x"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def gis_account_request(w):
    """A's exchange ready for exportAccountData (orgPPAGUID, an account with its ЕЛС): a
    refusal is then the role's, not the data's."""
    GisOrganization.objects.get_or_create(
        organization=w.a.organization,
        defaults={"org_ppa_guid": "5d6c7b8a-1234-4abc-9def-0123456789ab"},
    )
    type(w.a.account).objects.filter(pk=w.a.account.pk).update(unified_account="75АБ012345")
    return {"organization": w.a.organization.pk, "operation": "exportAccountData",
            "confirm": "1"}  # fmt: skip


POST_SIGNED_IN = Post(entitled=SIGNED_IN)  # the user's own data: only the signed-out refused

URLS = {
    # --- the resident's portal -------------------------------------------------------------
    "portal:home": Entry(  # staff without an account of their own land in the back office
        {**signed_in(), **dict.fromkeys(STAFF | {SUPERUSER}, 302)},
        shows=lambda w: w.a.account.number,
        shown_to=frozenset({RESIDENT}),
    ),
    "portal:privacy": Entry(public()),
    "portal:pay_several": Entry(  # only the user's own accounts with debts are payable
        signed_in(),
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {
                "organization": w.a.account.organization_id,
                "account": [w.a.account.pk],
            },
            state=lambda w: OnlinePayment.objects.count(),
        ),
    ),
    "portal:dismiss_help": Entry(signed_in(405), post=POST_SIGNED_IN),
    "portal:profile": Entry(signed_in()),
    "portal:edit_profile": Entry(signed_in(), post=POST_SIGNED_IN),
    "portal:subscriptions": Entry(signed_in(405), post=POST_SIGNED_IN),
    "portal:export_personal_data": Entry(signed_in()),
    "portal:delete_profile": Entry(signed_in(), post=POST_SIGNED_IN),
    "portal:api_tokens": Entry(signed_in(), post=POST_SIGNED_IN),
    "portal:revoke_api_token": Entry(
        signed_in(405),
        lambda w: {"token_id": w.access_token.pk},
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.access_token)),
    ),
    # --- the API (a bearer token per user class; staff and the superuser have no accounts) ---
    "api:accounts": Entry(
        expect(OK, anonymous=API_REFUSED),
        shows=lambda w: w.a.account.number,
        shown_to=frozenset({RESIDENT}),
        api=True,
    ),
    "api:account": Entry(api_page(), account, api=True),
    "api:meters": Entry(api_page(), account, api=True),
    "api:charges": Entry(api_page(), account, api=True),
    "api:month_charges": Entry(
        api_page(),
        lambda w: {"account_id": w.a.account.pk, "month": f"{w.a.closed_period.month:%Y-%m}"},
        api=True,
    ),
    "api:charge_explanation": Entry(
        api_page(),
        lambda w: {
            "account_id": w.a.account.pk,
            "month": f"{w.a.closed_period.month:%Y-%m}",
            "service_id": w.a.charge.service_id,
        },
        api=True,
    ),
    "api:readings": Entry(
        expect(405),
        account,
        api=True,
        post=Post(frozenset({RESIDENT}), reading_push, state=this_months_reading, json=True),
    ),
    "api:receipts": Entry(api_page(), account, api=True),
    "api:receipt_pdf": Entry(
        api_page(),
        lambda w: {"account_id": w.a.account.pk, "month": f"{w.a.closed_period.month:%Y-%m}"},
        api=True,
    ),
    "api:payments": Entry(api_page(), account, api=True),
    "api:online_payments": Entry(
        expect(405),
        account,
        api=True,
        post=Post(
            frozenset({RESIDENT}),
            lambda w: {"amount": "100"},
            state=lambda w: OnlinePayment.objects.count(),
            json=True,
        ),
    ),
    "api:appeal_topics": Entry(api_page(), account, api=True),
    "api:appeals": Entry(api_page(), account, api=True),
    "api:new_appeal": Entry(  # the same path as the list: GET lists, POST writes
        api_page(),
        account,
        api=True,
        post=Post(
            frozenset({RESIDENT}),
            lambda w: {"topic_id": w.a.topic.pk, "text": "Через API"},
            state=lambda w: Appeal.objects.count(),
            json=True,
        ),
    ),
    "api:appeal": Entry(api_page(), appeal_kwargs, api=True),
    "api:appeal_attachments": Entry(api_page(), appeal_kwargs, api=True),
    "api:appeal_attachment": Entry(
        api_page(), lambda w: {**appeal_kwargs(w), "attachment_id": w.a.attachment.pk}, api=True
    ),
    "api:news": Entry(
        api_page(),
        account,
        api=True,
        shows=lambda w: json.dumps(w.a.news.title)[1:-1],  # as the API's JSON escapes it
        shown_to=frozenset({RESIDENT}),
    ),
    "api:news_item": Entry(
        api_page(),
        lambda w: {"account_id": w.a.account.pk, "news_id": w.a.news.pk},
        api=True,
    ),
    # --- the organisations' API (a key per staff class; see Entry.staff_key) -------------------
    "api:org_accounts": Entry(
        expect(API_REFUSED, **dict.fromkeys(STAFF, OK)),
        shows=lambda w: w.a.account.number,
        shown_to=STAFF_A,
        staff_key=True,
    ),
    "api:org_charges": Entry(expect(API_REFUSED, **dict.fromkeys(STAFF, OK)), staff_key=True),
    "api:org_payments": Entry(expect(API_REFUSED, **dict.fromkeys(STAFF, OK)), staff_key=True),
    "api:org_job": Entry(
        expect(API_REFUSED, **dict.fromkeys(STAFF_A, OK), accountant_b=DENY),
        lambda w: {"job_id": w.a.job.pk},
        staff_key=True,
    ),
    "api:org_import_readings": Entry(
        expect(405),
        staff_key=True,
        post=Post(
            writers("metering") - {SUPERUSER},
            data=lambda w: {
                "file": upload(
                    "readings.csv",
                    "ЛС;Заводской номер;Показание;Дата\n"
                    f"{w.a.account.number};{w.a.meter.serial_number};99999;"
                    f"{timezone.localdate():%d.%m.%Y}\n".encode(),
                )
            },
            state=lambda w: Job.objects.filter(kind=JobKind.READINGS_IMPORT).count(),
        ),
    ),
    "api:org_import_registry": Entry(
        expect(405),
        staff_key=True,
        post=Post(
            (writers("payments") | {ACCOUNTANT_B}) - {SUPERUSER},  # B's accountant: into B
            data=lambda w: {
                "file": upload(
                    "bank.csv",
                    f"Дата;Лицевой счёт;Сумма\n12.11.2026;{w.a.account.number};5,00\n".encode(),
                )
            },
            state=lambda w: PaymentRegistry.objects.count(),
        ),
    ),
    "api:appeal_reply": Entry(
        expect(405),
        appeal_kwargs,
        api=True,
        post=Post(
            frozenset({RESIDENT}),
            lambda w: {"text": "Дополняю через API"},
            state=lambda w: Message.objects.count(),
            json=True,
        ),
    ),
    "api:close_appeal": Entry(
        expect(405),
        appeal_kwargs,
        api=True,
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.appeal)["status"], json=True),
    ),
    "portal:unlink_account": Entry(
        residents_page(),
        account,
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.link)),
    ),
    "portal:appeals": Entry(signed_in()),
    "portal:news": Entry(
        signed_in(), shows=lambda w: w.a.news.title, shown_to=frozenset({RESIDENT})
    ),
    "portal:link_account": Entry(signed_in(), post=POST_SIGNED_IN),
    "portal:request_link": Entry(signed_in(), post=POST_SIGNED_IN),
    "portal:account": Entry(residents_page(), account),
    "portal:account_tariffs": Entry(residents_page(), account),
    "portal:account_charges": Entry(residents_page(), account),
    "portal:receipt": Entry(
        residents_page(),
        lambda w: {
            "account_id": w.a.account.pk,
            "year": w.a.closed_period.month.year,
            "month": w.a.closed_period.month.month,
        },
    ),
    "portal:charge_explanation": Entry(
        residents_page(),
        lambda w: {
            "account_id": w.a.account.pk,
            "year": w.a.closed_period.month.year,
            "month": w.a.closed_period.month.month,
            "service_id": w.a.charge.service_id,
        },
    ),
    "portal:receipt_pdf": Entry(
        residents_page(),
        lambda w: {
            "account_id": w.a.account.pk,
            "year": w.a.closed_period.month.year,
            "month": w.a.closed_period.month.month,
        },
    ),
    "portal:account_penalties": Entry(residents_page(), account),
    "portal:account_payments": Entry(residents_page(), account),
    "portal:reconciliation": Entry(residents_page(), account),
    "portal:reconciliation_pdf": Entry(residents_page(), account),
    "portal:reconciliation_xlsx": Entry(residents_page(), account),
    "portal:pay": Entry(
        residents_page(),
        account,
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {"amount": "100,00"},
            state=lambda w: OnlinePayment.objects.count(),
        ),
    ),
    "portal:online_payment": Entry(
        residents_page(),
        lambda w: {"account_id": w.a.account.pk, "payment_id": w.a.online_payment.pk},
    ),
    "portal:fiscal_receipt": Entry(
        residents_page(),
        lambda w: {"account_id": w.a.account.pk, "payment_id": w.a.online_payment.pk},
    ),
    "portal:cancel_online_payment": Entry(
        residents_page(),
        lambda w: {"account_id": w.a.account.pk, "payment_id": w.a.pending_online_payment.pk},
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.pending_online_payment)),
    ),
    "portal:autopay": Entry(
        residents_page(),
        account,
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {"mode": "full", "limit": "777,00"},
            state=lambda w: row(w.a.autopay),
        ),
    ),
    "portal:skip_autopay_month": Entry(
        signed_in(405),
        account,
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.autopay)),
    ),
    "portal:cancel_autopay": Entry(
        residents_page(),
        account,
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.autopay)),
    ),
    "portal:account_contracts": Entry(residents_page(), account),
    "portal:account_meters": Entry(
        residents_page(),
        account,
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {f"meter_{w.a.meter.pk}": "200"},
            state=lambda w: Reading.objects.count(),
        ),
    ),
    "portal:contract_document": Entry(
        residents_page(),
        lambda w: {"account_id": w.a.account.pk, "document_id": w.a.document.pk},
    ),
    "portal:account_appeals": Entry(residents_page(), account),
    "portal:new_appeal": Entry(
        residents_page(),
        account,
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {"topic": w.a.topic.pk, "text": "Течёт крыша"},
            state=lambda w: Appeal.objects.count(),
        ),
    ),
    "portal:appeal": Entry(
        residents_page(),
        appeal_kwargs,
        post=Post(
            frozenset({RESIDENT}),
            data=lambda w: {"text": "Дополняю"},
            state=lambda w: Message.objects.count(),
        ),
    ),
    "portal:close_appeal": Entry(
        residents_page(),
        appeal_kwargs,
        post=Post(frozenset({RESIDENT}), state=lambda w: row(w.a.appeal)),
    ),
    "portal:appeal_attachment": Entry(
        residents_page(), lambda w: {**appeal_kwargs(w), "attachment_id": w.a.attachment.pk}
    ),
    # --- the signed-in user's account settings (allauth) -----------------------------------
    "account_email": Entry(signed_in(), post=POST_SIGNED_IN),
    "account_change_password": Entry(signed_in(), post=POST_SIGNED_IN),
    "account_set_password": Entry(signed_in(302)),  # they have a password: to «change» it
    "account_reauthenticate": Entry(signed_in()),
    # --- two-factor sign-in (allauth.mfa): the signed-in user's own authenticators -----------
    "mfa_index": Entry(signed_in()),
    # Changes of one's second factor ask for the password (or the factor) again first; the
    # world's resident has a TOTP authenticator and no recovery codes, nobody else has one.
    "mfa_reauthenticate": Entry(expect(302, anonymous=LOGIN, resident=OK)),
    "mfa_activate_totp": Entry(signed_in(302)),
    "mfa_deactivate_totp": Entry(expect(DENY, anonymous=LOGIN, resident=302)),
    "mfa_view_recovery_codes": Entry(expect(DENY, anonymous=LOGIN)),
    "mfa_generate_recovery_codes": Entry(signed_in(302)),
    "mfa_download_recovery_codes": Entry(expect(DENY, anonymous=LOGIN)),
    # --- the back office's own pages -------------------------------------------------------
    "backoffice:job": Entry(staff_a_page(), lambda w: {"job_id": w.a.job.pk}),
    "backoffice:api_keys": Entry(
        staff_page(DENY, manager_a=OK, superuser=OK),
        post=Post(
            frozenset({MANAGER_A, SUPERUSER}),
            data=lambda w: {"organization": w.a.organization.pk, "name": "1С", "role": "manager"},
            state=lambda w: StaffApiKey.objects.count(),
        ),
    ),
    "backoffice:webhooks": Entry(
        staff_page(DENY, manager_a=OK, superuser=OK),
        post=Post(
            frozenset({MANAGER_A, SUPERUSER}),
            data=lambda w: {
                "organization": w.a.organization.pk,
                "url": "https://93.184.215.14/new",  # public: no DNS asked
                "events": ["payment.credited"],
            },
            state=lambda w: Webhook.objects.count(),
        ),
    ),
    "backoffice:webhook": Entry(
        staff_page(DENY, manager_a=OK, superuser=OK), lambda w: {"webhook_id": w.a.webhook.pk}
    ),
    "backoffice:disable_webhook": Entry(  # not a manager: refused whatever the method
        staff_page(DENY, manager_a=405, superuser=405),
        lambda w: {"webhook_id": w.a.webhook.pk},
        post=Post(frozenset({MANAGER_A, SUPERUSER}), state=lambda w: row(w.a.webhook)),
    ),
    "backoffice:revoke_api_key": Entry(
        staff_page(DENY, manager_a=405, superuser=405),
        lambda w: {"key_id": w.a.api_key.pk},
        post=Post(frozenset({MANAGER_A, SUPERUSER}), state=lambda w: row(w.a.api_key)),
    ),
    "backoffice:appeal": Entry(
        staff_a_page(),
        lambda w: {"appeal_id": w.a.appeal.pk},
        post=Post(
            writers("appeals"),
            data=lambda w: {"send_answer": "1", "answer-text": "Ответ", "answer-status": "closed"},
            state=lambda w: (row(w.a.appeal), Message.objects.count()),
        ),
    ),
    "backoffice:appeal_attachment": Entry(
        staff_a_page(),
        lambda w: {"appeal_id": w.a.appeal.pk, "attachment_id": w.a.attachment.pk},
    ),
    "backoffice:readings": Entry(
        staff_page(), shows=lambda w: w.a.meter.serial_number, shown_to=SEE_A
    ),
    "backoffice:readings_export": Entry(
        staff_page(),
        lambda w: {"file_format": "csv"},
        shows=lambda w: w.a.meter.serial_number,
        shown_to=SEE_A,
    ),
    "backoffice:readings_import": Entry(
        staff_page(DENY, operator_a=OK, manager_a=OK, operator_a_accountant_b=OK, superuser=OK),
        post=Post(
            writers("metering"),
            data=lambda w: {
                "organization": w.a.organization.pk,
                "file": upload(
                    "readings.csv", f"ЛС;Счётчик;Показание\n{w.a.account.number};1;1\n".encode()
                ),
            },
            state=lambda w: Job.objects.count(),
            form_refusal=True,
        ),
    ),
    # «ГИС ЖКХ»: every role reads the coverage; the operator and the manager import identifiers.
    "backoffice:gisgkh": Entry(
        staff_page(),
        post=Post(
            writers("housing"),
            data=lambda w: {
                "organization": w.a.organization.pk,
                "file": upload(
                    "els.csv", f"Номер ЛС;ЕЛС\n{w.a.account.number};75АБ012345\n".encode()
                ),
            },
            state=lambda w: row(w.a.account),
            form_refusal=True,
        ),
    ),
    # The orgPPAGUID: the manager of the organisation sets it; the page is the one above.
    "backoffice:gisgkh_organization": Entry(
        staff_page(405),
        post=Post(
            writers("organization"),
            data=lambda w: {
                "organization": w.a.organization.pk,
                "org_ppa_guid": "5d6c7b8a-1234-4abc-9def-0123456789ab",
            },
            state=lambda w: GisOrganization.objects.filter(organization=w.a.organization).count(),
            form_refusal=True,
        ),
    ),
    # «Подготовить и отправить»: each operation by the duty of its data — the request of
    # accounts (housing) here; readings (metering) and payment documents (billing) in
    # tests/test_gisgkh_sending.py.
    "backoffice:gisgkh_send": Entry(
        staff_page(405),
        post=Post(
            writers("housing"),
            data=gis_account_request,
            state=lambda w: Posting.objects.filter(organization=w.a.organization).count(),
            form_refusal=True,
        ),
    ),
    # «Обмен с ГИС ЖКХ»: every role reads its organisations' postings and their messages.
    "backoffice:gisgkh_postings": Entry(
        staff_page(), shows=lambda w: str(w.a.gis_exchange.message_guid), shown_to=SEE_A
    ),
    "backoffice:gisgkh_exchange": Entry(
        staff_a_page(), lambda w: {"exchange_id": w.a.gis_exchange.pk}
    ),
    # «Справочники НСИ»: every role reads its organisations' list; a service's element is set
    # by whoever may change billing in the service's organisation, a resource's by whoever may
    # change metering there.
    "backoffice:gisgkh_nsi": Entry(staff_page(), shows=lambda w: w.a.service.name, shown_to=SEE_A),
    "backoffice:gisgkh_service_nsi": Entry(
        staff_page(DENY, **dict.fromkeys(writers("billing"), OK)),
        lambda w: {"service_id": w.a.service.pk},
        post=Post(
            writers("billing"),
            data=lambda w: {
                "registry": "50",
                "code": "1",
                "guid": "6e7f8a9b-1234-4abc-9def-0123456789ab",
            },
            state=lambda w: ServiceNsiItem.objects.filter(service=w.a.service).count(),
        ),
    ),
    "backoffice:gisgkh_resource_nsi": Entry(
        staff_page(DENY, **dict.fromkeys(writers("metering"), OK)),
        lambda w: {"organization_id": w.a.organization.pk, "resource": "cold_water"},
        post=Post(
            writers("metering"),
            data=lambda w: {"code": "1", "guid": "7f8a9b0c-1234-4abc-9def-0123456789ab"},
            state=lambda w: ResourceNsiItem.objects.filter(organization=w.a.organization).count(),
        ),
    ),
    "backoffice:find_account": Entry(staff_page()),
    "backoffice:account_readings": Entry(
        staff_a_page(),
        account,
        post=Post(
            writers("metering"),
            data=lambda w: {
                f"meter_{w.a.meter.pk}": "200",
                "period": "2026-11",
                "taken_on": "2026-11-20",
            },
            state=lambda w: Reading.objects.count(),
        ),
    ),
    "backoffice:house_meters": Entry(
        staff_page(), shows=lambda w: w.a.house_meter.serial_number, shown_to=SEE_A
    ),
    "backoffice:house_meter": Entry(
        staff_a_page(),
        lambda w: {"meter_id": w.a.house_meter.pk},
        post=Post(
            writers("metering"),
            data=lambda w: {
                f"meter_{w.a.house_meter.pk}": "200",
                "period": "2026-11",
                "taken_on": "2026-11-20",
            },
            state=lambda w: Reading.objects.count(),
        ),
    ),
    "backoffice:registries": Entry(
        staff_page(),
        post=Post(
            writers("payments"),
            data=lambda w: {
                "organization": w.a.organization.pk,
                "file": upload(
                    "bank.csv",
                    f"Дата;Лицевой счёт;Сумма\n12.11.2026;{w.a.account.number};5,00\n".encode(),
                ),
            },
            state=lambda w: PaymentRegistry.objects.count(),
            form_refusal=True,
        ),
    ),
    "backoffice:registry": Entry(staff_a_page(), lambda w: {"registry_id": w.a.registry.pk}),
    "backoffice:registry_import_good_rows": Entry(
        staff_page(405),
        lambda w: {"registry_id": w.a.registry.pk},
        post=Post(
            writers("payments"),
            state=lambda w: (row(w.a.registry), Job.objects.count()),
        ),
    ),
    "backoffice:reconciliation": Entry(staff_page()),
    "backoffice:billing": Entry(staff_page()),
    # «Расчёт пени»: every role of the account's organisation reads it; it changes nothing.
    "backoffice:penalty_find_account": Entry(staff_page()),
    "backoffice:penalty_claim": Entry(staff_a_page(), lambda w: {"account_id": w.a.account.pk}),
    "backoffice:penalty_claim_document": Entry(
        staff_a_page(), lambda w: {"account_id": w.a.account.pk, "file_format": "pdf"}
    ),
    # Issued payment documents: every role of the account's organisation reads and downloads
    # them; a corrected one is issued by the billing's roles in the account's organisation.
    "backoffice:documents_find_account": Entry(staff_page()),
    "backoffice:account_documents": Entry(
        staff_a_page(),
        lambda w: {"account_id": w.a.account.pk},
        shows=lambda w: w.a.issued_document.number,
        shown_to=SEE_A,
        post=Post(
            writers("billing"),
            data=lambda w: {
                "period": w.a.closed_period.pk,
                "reason": "Исправлены реквизиты",
                "confirm": "on",
            },
            state=lambda w: IssuedDocument.objects.count(),
        ),
    ),
    "backoffice:account_document_file": Entry(
        staff_a_page(),
        lambda w: {"account_id": w.a.account.pk, "document_id": w.a.issued_document.pk},
    ),
    # Documents not delivered by the deadline: every role reads its organisation's; A's first.
    "backoffice:undelivered_documents": Entry(
        staff_page(), shows=lambda w: w.a.account.number, shown_to=SEE_A
    ),
    "backoffice:undelivered_documents_export": Entry(
        staff_page(),
        lambda w: {"file_format": "csv"},
        shows=lambda w: w.a.account.number,
        shown_to=SEE_A,
    ),
    "backoffice:billing_run": Entry(
        staff_page(405),
        lambda w: {"period_id": w.a.open_period.pk},
        post=Post(writers("billing"), state=lambda w: (row(w.a.open_period), Job.objects.count())),
    ),
    "backoffice:billing_import": Entry(
        staff_page(405),
        lambda w: {"period_id": w.a.open_period.pk},
        post=Post(
            writers("billing"),
            data=lambda w: {"file": upload("charges.csv", "ЛС;Услуга;Начислено\n".encode())},
            state=lambda w: (row(w.a.open_period), Job.objects.count()),
        ),
    ),
    "backoffice:billing_close": Entry(
        staff_page(405),
        lambda w: {"period_id": w.a.open_period.pk},
        post=Post(
            writers("billing"),
            data=lambda w: {"confirm": "on"},
            state=lambda w: row(w.a.open_period),
        ),
    ),
    "backoffice:billing_job": Entry(staff_a_page(), lambda w: {"job_id": w.a.billing_job.pk}),
    "backoffice:recalculations": Entry(
        staff_page(),
        post=Post(
            writers("billing"),
            data=lambda w: {
                "account": w.a.account.number,
                "service": w.a.service.pk,
                "corrected_period": w.a.closed_period.pk,
                "kind": "other",
                "amount": "-10,00",
                "reason": "Проверка",
                "save": "1",
                "shown_amount": "-10.00",
            },
            state=lambda w: Recalculation.objects.count(),
            form_refusal=True,
        ),
    ),
    "backoffice:heating_correction": Entry(
        staff_page(),
        post=Post(
            writers("billing"),
            data=lambda w: {
                "house": w.a.house.pk,
                "year": "2025",
                "save": "1",
                "shown_amount": str(sum(c.amount for c in heating_corrections(w.a.house, 2025))),
            },
            state=lambda w: Recalculation.objects.count(),
            form_refusal=True,
        ),
    ),
    "backoffice:common_correction": Entry(
        staff_page(),
        post=Post(
            writers("billing"),
            data=lambda w: {
                "house": w.a.house.pk,
                "service": w.a.house.organization.services.get(name="Электроснабжение").pk,
                "year": "2025",
                "save": "1",
                "shown_amount": str(
                    common_correction(
                        w.a.house,
                        w.a.house.organization.services.get(name="Электроснабжение"),
                        2025,
                    ).total
                ),
            },
            state=lambda w: Recalculation.objects.count(),
            form_refusal=True,
        ),
    ),
    "backoffice:recalculation_delete": Entry(
        staff_page(405),
        lambda w: {"recalculation_id": w.a.recalculation.pk},
        post=Post(writers("billing"), state=lambda w: row(w.a.recalculation)),
    ),
    # --- the admin site's own pages (the models' pages: ADMIN_MODELS below) -----------------
    "admin:index": Entry(admin_site_page()),
    "admin:password_change": Entry(admin_site_page()),
    "admin:password_change_done": Entry(admin_site_page()),
    "admin:jsi18n": Entry(admin_site_page()),
    "admin:app_list": Entry(admin_site_page(), lambda w: {"app_label": "housing"}),
    # Portal users are the superuser's: staff may not search them through a staff form.
    "admin:autocomplete": Entry(
        admin_site_page(DENY) | {SUPERUSER: OK},
        query="app_label=orgs&model_name=staffmembership&field_name=user&term=res",
    ),
    # No model has a page on the site, so «view on site» finds nothing for anybody.
    "admin:view_on_site": Entry(
        admin_site_page(DENY),
        lambda w: {
            "content_type_id": ContentType.objects.get_for_model(w.a.account).pk,
            "object_id": w.a.account.pk,
        },
    ),
    "admin/(?P<url>.*)$": Entry(admin_site_page(DENY), lambda w: {"url": "no-such-page/"}),
    "admin:auth_user_password_change": Entry(
        admin_site_page(DENY) | {SUPERUSER: OK},
        lambda w: {"id": w.users[RESIDENT].pk},
        post=Post(
            frozenset({SUPERUSER}),
            data=lambda w: {"password1": "Zx-91-new-pass", "password2": "Zx-91-new-pass"},
            state=lambda w: row(w.users[RESIDENT]),
        ),
    ),
}

# Patterns anybody may open: each with the reason it needs no rights.
PUBLIC = {
    "account_login": "signing in",
    "admin:login": "the admin's sign-in, shadowed by admin/login/ (to the portal's)",
    "admin/login/": "the back office signs in through the portal's rate-limited login",
    "account_logout": "signing out needs no rights",
    "admin:logout": "signing out of the back office needs no rights",
    "account_signup": "registration",
    "account_inactive": "tells a signed-out visitor their account is inactive",
    "account_email_verification_sent": "tells a new user to confirm their e-mail",
    "account_confirm_email": "the link in the confirmation e-mail, keyed by a secret",
    "account_confirm_login_code": "the sign-in by code (a step of signing in)",
    "account_reset_password": "password reset: asks for an e-mail",
    "account_reset_password_done": "password reset: «we sent you a letter»",
    "account_reset_password_from_key": "the link in the reset e-mail, keyed by a secret",
    "account_reset_password_from_key_done": "password reset: «done»",
    "captcha-image": "the picture code of the sign-up and link forms",
    "captcha-image-2x": "the picture code, high resolution",
    "captcha-audio": "the picture code, spoken",
    "captcha-refresh": "a new picture code (limited per address)",
    "mfa_authenticate": "the second step of signing in: only with a sign-in pending",
    "portal:payment_notification": "the payment gateway's webhook: checked by the gateway's API",
    "healthz": "the load balancer's probe: says only that the process answers",
    "readyz": "the load balancer's probe: names which dependency failed, nothing of anybody's",
    "metrics": "counts only, and only for clients on METRICS_ALLOWED_NETWORKS (others 404)",
    "sandbox:pay": "the sandbox gateway's own page (development), keyed by an unguessable UUID",
    "sandbox:receipt": "the sandbox gateway's fiscal receipt (development), by an unguessable UUID",
    "api:api-root": "the API's root: django-ninja's marker for its paths, always 404",
    "api:openapi-json": "the API's OpenAPI schema: describes the API, holds no data",
    "api:openapi-view": "the API's documentation page: describes the API, holds no data",
}


# --- the admin's models ------------------------------------------------------------------

DUTY = "the role's duty in the record's organisation"
SUPERUSER_ONLY = "superuser only"
MANAGERS = "the managers of the record's organisation"
NOBODY = "nobody"


@dataclasses.dataclass(frozen=True)
class Action:
    may: str  # DUTY, SUPERUSER_ONLY or NOBODY (with the model's duty) or another duty
    state: Callable  # (world, side) -> what a refused action leaves as it was


@dataclasses.dataclass(frozen=True)
class AdminModel:
    obj: Callable  # (world, side) -> the record of that side's organisation
    duty: str = ""  # the duty of ROLE_DUTIES that changes it
    view: str = "staff"  # "staff" (of the record's organisation) or SUPERUSER_ONLY
    add: str = DUTY
    change: str = DUTY
    delete: str = DUTY
    actions: dict = dataclasses.field(default_factory=dict)
    own_page: bool = False  # its change view sends everybody on to the record's own page

    @property
    def scoped(self):
        return self.view == "staff"


def still_there(w, side):
    return None  # the record itself is compared by the test


DELETE_SELECTED = {"delete_selected": Action(DUTY, still_there)}
DELETE_NOBODY = {"delete_selected": Action(NOBODY, still_there)}


def scoped_model(of, duty, **rules):
    return AdminModel(obj=lambda w, side: of(getattr(w, side)), duty=duty, **rules)


def read_only(of, **rules):
    rules = {"actions": {"delete_selected": Action(NOBODY, still_there)}, **rules}
    return scoped_model(of, "", add=NOBODY, change=NOBODY, delete=NOBODY, **rules)


def superusers_model(obj, **rules):
    rules = {"add": SUPERUSER_ONLY, "change": SUPERUSER_ONLY, "delete": SUPERUSER_ONLY, **rules}
    return AdminModel(obj=lambda w, side: obj(w), view=SUPERUSER_ONLY, **rules)


def mailings(w, side):
    return Job.objects.filter(kind=JobKind.RECEIPTS_MAILING).count()


ADMIN_MODELS = {
    "orgs.organization": scoped_model(
        lambda s: s.organization,
        "organization",
        add=SUPERUSER_ONLY,
        delete=SUPERUSER_ONLY,
        actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)},
    ),
    "orgs.staffmembership": scoped_model(
        lambda s: s.membership,
        "staff",
        add=SUPERUSER_ONLY,
        change=SUPERUSER_ONLY,
        delete=SUPERUSER_ONLY,
        actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)},
    ),
    "housing.house": scoped_model(lambda s: s.house, "housing", actions=DELETE_SELECTED),
    "housing.premise": scoped_model(lambda s: s.premise, "housing", actions=DELETE_SELECTED),
    "housing.personalaccount": scoped_model(
        lambda s: s.account, "housing", actions=DELETE_SELECTED
    ),
    "housing.managementcontract": scoped_model(
        lambda s: s.contract, "housing", actions=DELETE_SELECTED
    ),
    "billing.service": scoped_model(lambda s: s.service, "billing", actions=DELETE_SELECTED),
    "billing.tariff": scoped_model(lambda s: s.tariff, "billing", actions=DELETE_SELECTED),
    "billing.period": scoped_model(lambda s: s.open_period, "billing", actions=DELETE_SELECTED),
    # The world's charge is in the closed period: nobody changes or deletes it (closed periods
    # never change; corrections are recalculations).
    "billing.charge": scoped_model(
        lambda s: s.charge, "billing", change=NOBODY, delete=NOBODY, actions=DELETE_NOBODY
    ),
    "billing.recalculation": scoped_model(
        lambda s: s.recalculation, "billing", actions=DELETE_SELECTED
    ),
    "billing.instalmentplan": scoped_model(
        lambda s: s.instalment_plan, "billing", actions=DELETE_SELECTED
    ),
    "billing.capitalrepairfund": scoped_model(
        lambda s: s.capital_repair_fund, "billing", actions=DELETE_SELECTED
    ),
    "billing.heatingsetting": scoped_model(
        lambda s: s.heating_setting, "billing", actions=DELETE_SELECTED
    ),
    "billing.capitalrepairdueday": scoped_model(
        lambda s: s.capital_repair_due_day, "billing", actions=DELETE_SELECTED
    ),
    "billing.increasingcoefficient": scoped_model(
        lambda s: s.coefficient, "billing", actions=DELETE_SELECTED
    ),
    "billing.commonneedsnormative": scoped_model(
        lambda s: s.common_normative, "billing", actions=DELETE_SELECTED
    ),
    "metering.meterimpossible": scoped_model(
        lambda s: s.meter_impossible, "metering", actions=DELETE_SELECTED
    ),
    "billing.keyrate": scoped_model(lambda s: s.key_rate, "billing", actions=DELETE_SELECTED),
    "billing.penalty": read_only(lambda s: s.penalty),
    "billing.accountbalance": read_only(lambda s: s.balance),
    "payments.payment": scoped_model(lambda s: s.payment, "payments", actions=DELETE_SELECTED),
    "payments.paymentregistry": read_only(lambda s: s.registry),
    "payments.onlinepayment": read_only(lambda s: s.online_payment),
    "metering.meter": scoped_model(lambda s: s.meter, "metering", actions=DELETE_SELECTED),
    "metering.reading": scoped_model(
        lambda s: s.reading, "metering", add=NOBODY, change=NOBODY, actions=DELETE_SELECTED
    ),
    # A link needs a user, whom staff may not look up: residents link accounts themselves or
    # staff approve their requests.
    "users.accountlink": scoped_model(
        lambda s: s.link, "links", add=SUPERUSER_ONLY, actions=DELETE_SELECTED
    ),
    "users.linkattempt": read_only(lambda s: s.link_attempt),
    "users.linkrequest": scoped_model(
        lambda s: s.link_request,
        "links",
        add=NOBODY,
        actions={
            **DELETE_SELECTED,
            "approve": Action(DUTY, still_there),
            "reject": Action(DUTY, still_there),
        },
    ),
    "jobs.job": scoped_model(
        lambda s: s.job,
        "",
        add=NOBODY,
        change=NOBODY,
        delete=SUPERUSER_ONLY,
        actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)},
    ),
    "appeals.topic": scoped_model(lambda s: s.topic, "appeals", actions=DELETE_SELECTED),
    # The list links to each appeal's thread page (backoffice:appeal), checked on its own.
    "appeals.appeal": read_only(lambda s: s.appeal, own_page=True),
    "appeals.news": scoped_model(lambda s: s.news, "appeals", actions=DELETE_SELECTED),
    "receipts.receiptdelivery": scoped_model(
        lambda s: s.delivery,
        "billing",
        add=NOBODY,
        change=NOBODY,
        delete=NOBODY,
        actions={
            "mail_again": Action(DUTY, mailings),
            "mail_uncertain_again": Action(DUTY, mailings),
            **DELETE_NOBODY,
        },
    ),
    "receipts.paymentdocumentid": scoped_model(
        lambda s: s.payment_document_id, "housing", actions=DELETE_SELECTED
    ),
    "receipts.supplier": scoped_model(lambda s: s.supplier, "billing", actions=DELETE_SELECTED),
    # Read by the organisation's managers and superusers; nobody changes an entry.
    "audit.auditentry": AdminModel(
        obj=lambda w, side: getattr(w, side).audit_entry,
        view=MANAGERS,
        add=NOBODY,
        change=NOBODY,
        delete=NOBODY,
        actions=DELETE_NOBODY,
    ),
    "mfa.authenticator": superusers_model(
        lambda w: w.authenticator,
        add=NOBODY,
        change=NOBODY,
        actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)},
    ),
    "users.user": superusers_model(
        lambda w: w.users[RESIDENT],
        actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)},
    ),
    "auth.group": superusers_model(
        lambda w: w.group, actions={"delete_selected": Action(SUPERUSER_ONLY, still_there)}
    ),
    "account.emailaddress": superusers_model(
        lambda w: w.users[RESIDENT].emailaddress_set.get(),
        actions={
            "delete_selected": Action(SUPERUSER_ONLY, still_there),
            "make_verified": Action(SUPERUSER_ONLY, still_there),
        },
    ),
    "django_tasks_database.dbtaskresult": superusers_model(
        lambda w: w.task_result,
        add=NOBODY,
        change=NOBODY,
        delete=NOBODY,
        actions={"delete_selected": Action(NOBODY, still_there)},
    ),
}


def may(model: AdminModel, rule: str, user_class: str, side: str | None = "a") -> bool:
    """Whether ``user_class`` may do what ``rule`` guards on ``side``'s record (``None``: in
    any of their organisations, as for «add»)."""
    if rule == NOBODY:
        return False
    if user_class == SUPERUSER:
        return True
    if rule == SUPERUSER_ONLY:
        return False
    duty = model.duty if rule == DUTY else rule
    roles = STAFF_ROLES.get(user_class, {})
    if side is not None:
        roles = {side: roles[side]} if side in roles else {}
    return any(duty in ROLE_DUTIES[role] for role in roles.values())


def sees(model: AdminModel, user_class: str, side: str = "a") -> bool:
    if user_class == SUPERUSER:
        return True
    if model.view == MANAGERS:
        return STAFF_ROLES.get(user_class, {}).get(side) == StaffRole.MANAGER
    return model.scoped and side in STAFF_ROLES.get(user_class, {})


def lists(model: AdminModel, user_class: str) -> bool:
    if model.view == MANAGERS:
        roles = STAFF_ROLES.get(user_class, {}).values()
        return user_class == SUPERUSER or StaffRole.MANAGER in roles
    return user_class == SUPERUSER or (model.scoped and user_class in STAFF)


def admin_get(model: AdminModel, view: str, user_class: str):
    """The answer of one admin page about A's record to ``user_class``."""
    if user_class in NOT_IN_BACK_OFFICE:
        return LOGIN
    if view == "changelist":
        return OK if lists(model, user_class) else DENY
    if view == "add":
        return OK if may(model, model.add, user_class, side=None) else DENY
    if view == "redirect" or (view == "change" and model.own_page):
        return 302  # on to …/change/ or to the record's own page, which checks the user
    if not sees(model, user_class):
        return DENY
    if view in ("change", "history"):
        return OK
    if view == "delete":
        return OK if may(model, model.delete, user_class) else DENY
    raise AssertionError(view)


# --- the cases -----------------------------------------------------------------------------


def all_patterns(patterns=None, prefix="", namespace=""):
    """(key, route) of every URL pattern: its namespaced name, or its route if it has none."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from all_patterns(pattern.url_patterns, route, inner)
        else:
            assert isinstance(pattern, URLPattern)
            if pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route
            else:
                yield route, route


def model_key(model):
    return f"{model._meta.app_label}.{model._meta.model_name}"


ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete")


def admin_url_keys(model):
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    yield from (f"{info}_{view}" for view in ADMIN_VIEWS)
    yield f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"


def registered_actions(model_admin) -> list[str]:
    return [action.name for action in model_admin._get_base_actions()]


@dataclasses.dataclass(frozen=True)
class Case:
    key: str
    method: str
    user_class: str
    expected: object = None
    model: type | None = None
    view: str = ""
    action: str = ""

    @property
    def id(self):
        what = f"action:{self.action}" if self.action else self.method
        return f"{self.key}-{what}-{self.user_class}"


def marked(case: Case):
    return pytest.param(case, id=case.id)


def url_get_cases():
    for key, entry in URLS.items():
        for user_class in USER_CLASSES:
            yield Case(key, "GET", user_class, entry.get[user_class])


def url_post_cases():
    for key, entry in URLS.items():
        if entry.post is None:
            continue
        for user_class in USER_CLASSES:
            if user_class not in entry.post.entitled:
                yield Case(key, "POST", user_class)


def registered_models():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model_key(model) in ADMIN_MODELS
    ]


def admin_get_cases():
    for model, _ in registered_models():
        entry = ADMIN_MODELS[model_key(model)]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for view in (*ADMIN_VIEWS, "redirect"):
            for user_class in USER_CLASSES:
                yield Case(
                    f"{info}_{view}",
                    "GET",
                    user_class,
                    admin_get(entry, view, user_class),
                    model=model,
                    view=view,
                )


def admin_post_cases():
    """Change, delete and add refused to those who may not."""
    for model, _ in registered_models():
        entry = ADMIN_MODELS[model_key(model)]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for user_class in USER_CLASSES:
            for view, rule, side in (
                ("change", entry.change, "a"),
                ("delete", entry.delete, "a"),
                ("add", entry.add, None),
            ):
                entitled = may(entry, rule, user_class, side) and (
                    side is None or sees(entry, user_class)
                )
                if not entitled:
                    yield Case(f"{info}_{view}", "POST", user_class, model=model, view=view)


def admin_action_cases():
    for model, model_admin in registered_models():
        entry = ADMIN_MODELS[model_key(model)]
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for name in registered_actions(model_admin):
            action = entry.actions.get(name)
            if action is None:
                continue  # test_every_admin_model_has_an_entry names it
            for user_class in USER_CLASSES:
                if not (may(entry, action.may, user_class) and sees(entry, user_class)):
                    yield Case(
                        info, "POST", user_class, model=model, view="changelist", action=name
                    )


# --- the world and the checks --------------------------------------------------------------


def each_context_without_sidebar(site, request):
    """The admin's context without the list of every model in its sidebar: building it asks
    each model admin for its rights, a query each (about 100 per page), and it is the same on
    every page. admin:index still builds it, and its case checks it."""
    with mock.patch.object(AdminSite, "get_app_list", return_value=[]):
        return EACH_CONTEXT(site, request)


EACH_CONTEXT = AdminSite.each_context


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module; each test's own transaction is a savepoint inside it.
    Sessions live in signed cookies here, so signing in costs no queries."""
    media = tmp_path_factory.mktemp("media")
    with (
        override_settings(
            MEDIA_ROOT=media,
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
            # «Подготовить и отправить» needs an address; the job is never run here (the
            # tests' transactions are not committed), so nothing is sent to it.
            GISGKH_URL="http://127.0.0.1:9/",
            GISGKH_SIGNER="none",
        ),
        mock.patch.object(AdminSite, "each_context", each_context_without_sidebar),
        built_once(django_db_blocker),
    ):
        yield build_world()


@pytest.fixture
def as_user(client, world, db):
    def sign_in(user_class, api=False, staff_key=False):
        user = world.users[user_class]
        if staff_key and user_class in STAFF_ROLES:
            roles = STAFF_ROLES[user_class]
            side = "a" if "a" in roles else "b"
            organization = getattr(world, side).organization
            secret = staff_keys.create_key(
                organization, name="matrix", role=roles[side], created_by=user
            ).secret
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        elif user is not None and api:
            secret = tokens.create_token(user, name="matrix", scope=TokenScope.FULL).secret
            client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        elif user is not None:
            client.force_login(user)
        return client

    return sign_in


LOGIN_PAGES = {"/accounts/login/", "/admin/login/"}


def location(response):
    return urlsplit(response["Location"]).path


def check_answer(response, expected, url):
    status = response.status_code
    said = f"{url} answered {status}" + (f" → {location(response)}" if status == 302 else "")
    if expected == OK:
        assert status == 200, said
    elif expected == LOGIN:
        assert status == 302, said
        assert location(response) in LOGIN_PAGES, said
    elif expected == DENY:
        # The admin answers a record outside the user's queryset with a redirect to its index.
        refused = status in (403, 404) or (status == 302 and location(response) == "/admin/")
        assert refused, said
    else:
        assert status == expected, said
        if status == 302:
            assert location(response) not in LOGIN_PAGES, said


def check_refusal(response, user_class, url, *, form_refusal=False, api=False, keyless=False):
    if (api and user_class == ANONYMOUS) or keyless:
        check_answer(response, API_REFUSED, url)
    elif user_class == ANONYMOUS or (
        user_class in NOT_IN_BACK_OFFICE and url.startswith("/admin/")
    ):
        check_answer(response, LOGIN, url)
    elif form_refusal and response.status_code in (200, 400):
        pass  # the form does not offer the user this organisation: shown again with an error
    else:
        check_answer(response, DENY, url)


def url_of(case: Case, world):
    entry = URLS[case.key]
    if case.key.startswith("admin/"):  # the admin's catch-all pattern has no name
        url = "/admin/" + entry.kwargs(world)["url"]
    else:
        url = reverse(case.key, kwargs=entry.kwargs(world))
    return url + (f"?{entry.query}" if entry.query else "")


@pytest.mark.parametrize("case", [marked(c) for c in url_get_cases()])
def test_get(case, world, as_user):
    url = url_of(case, world)
    entry = URLS[case.key]
    response = as_user(case.user_class, api=entry.api, staff_key=entry.staff_key).get(url)
    check_answer(response, case.expected, url)
    if entry.shows and response.status_code == 200:
        shown = entry.shows(world) in response.content.decode()
        assert shown == (case.user_class in entry.shown_to), (
            f"{url}: A's record to {case.user_class}"
        )


@pytest.mark.parametrize("case", [marked(c) for c in url_post_cases()])
def test_post_is_refused(case, world, as_user):
    entry = URLS[case.key]
    post = entry.post
    url = url_of(case, world)
    state = post.state or (lambda w: None)
    client = as_user(
        case.user_class, api=entry.api, staff_key=entry.staff_key
    )  # signing in changes the last_login
    before = state(world)
    response = send(client, url, post, world)
    check_refusal(
        response,
        case.user_class,
        url,
        form_refusal=post.form_refusal,
        api=entry.api,
        keyless=entry.staff_key and case.user_class not in STAFF_ROLES,
    )
    assert state(world) == before, f"{url}: changed by {case.user_class}"


def send(client, url, post: Post, world):
    if post.json:
        return client.post(url, post.data(world), content_type="application/json")
    return client.post(url, post.data(world))


def admin_url(case: Case, world, side="a"):
    entry = ADMIN_MODELS[model_key(case.model)]
    meta = case.model._meta
    if case.view in ("changelist", "add"):
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_{case.view}")
    obj = entry.obj(world, side)
    if case.view == "redirect":
        return f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/"
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{case.view}", args=[obj.pk])


@pytest.mark.parametrize("case", [marked(c) for c in admin_get_cases()])
def test_admin_get(case, world, as_user):
    url = admin_url(case, world)
    response = as_user(case.user_class).get(url)
    check_answer(response, case.expected, url)
    if response.status_code != 200:
        return
    entry = ADMIN_MODELS[model_key(case.model)]
    if case.view == "change":
        # A record the user may only read is shown without a «Сохранить».
        may_change = may(entry, entry.change, case.user_class)
        assert response.context["has_change_permission"] == may_change, url
    if case.view == "changelist" and entry.scoped and case.user_class != SUPERUSER:
        listed = set(response.context["cl"].queryset)
        for side in ("a", "b"):
            shown = entry.obj(world, side) in listed
            assert shown == sees(entry, case.user_class, side), f"{url}: {side}'s record"


def admin_post_data(case, world, obj):
    if case.view == "delete":
        return {"post": "yes"}
    return {"__matrix__": "1"}  # refused before the form is read


@pytest.mark.parametrize("case", [marked(c) for c in admin_post_cases()])
def test_admin_post_is_refused(case, world, as_user):
    entry = ADMIN_MODELS[model_key(case.model)]
    obj = entry.obj(world, "a")
    url = admin_url(case, world)
    client = as_user(case.user_class)
    before = (row(obj), case.model._default_manager.count())
    response = client.post(url, admin_post_data(case, world, obj))
    if case.view == "change" and entry.own_page and case.user_class not in NOT_IN_BACK_OFFICE:
        check_answer(response, 302, url)
    else:
        check_refusal(response, case.user_class, url)
    assert (row(obj), case.model._default_manager.count()) == before, (
        f"{url}: changed by {case.user_class}"
    )


@pytest.mark.parametrize("case", [marked(c) for c in admin_action_cases()])
def test_admin_action_is_refused(case, world, as_user):
    entry = ADMIN_MODELS[model_key(case.model)]
    obj = entry.obj(world, "a")
    url = admin_url(case, world)
    state = entry.actions[case.action].state

    def snapshot():
        return row(obj), state(world, "a")

    client = as_user(case.user_class)
    before = snapshot()
    response = client.post(
        url, {"action": case.action, "_selected_action": [obj.pk], "index": "0", "post": "yes"}
    )
    if case.user_class in NOT_IN_BACK_OFFICE:
        check_answer(response, LOGIN, url)
    else:
        # An action the user may not run is not offered: the admin shows the list again, or
        # answers «no action chosen» with a redirect back to it; what counts is the record.
        assert response.status_code in (200, 302, 403, 404), f"{url}: {response.status_code}"
        if response.status_code == 302:
            assert location(response) == url, f"{url} answered 302 → {location(response)}"
    assert snapshot() == before, f"{url}: {case.action} run by {case.user_class}"


# --- every URL, model and action has an entry ----------------------------------------------


def urls_without_entry(patterns=None) -> list[str]:
    covered = set(URLS) | set(PUBLIC)
    for model, _ in registered_models():
        covered.update(admin_url_keys(model))
    return [f"{key} ({route})" for key, route in all_patterns(patterns) if key not in covered]


def test_every_url_has_an_entry():
    missing = urls_without_entry()
    assert not missing, "new URL without a permission-matrix entry: " + ", ".join(missing)


def test_a_new_view_without_an_entry_is_named():
    def view(request):
        raise AssertionError("never called")

    patterns = [
        *get_resolver().url_patterns,
        path("staff/", include(([path("secrets/<int:pk>/", view, name="secrets")], "backoffice"))),
        path("unnamed/", view),
    ]
    assert urls_without_entry(patterns) == [
        "backoffice:secrets (staff/secrets/<int:pk>/)",
        "unnamed/ (unnamed/)",
    ]


def test_no_entry_outlives_its_url():
    keys = {key for key, _ in all_patterns()}
    stale = (set(URLS) | set(PUBLIC)) - keys
    assert not stale, f"permission-matrix entries for URLs that no longer exist: {stale}"


def test_every_admin_model_has_an_entry():
    missing = [model_key(m) for m in admin.site._registry if model_key(m) not in ADMIN_MODELS]
    assert not missing, "new admin model without a permission-matrix entry: " + ", ".join(missing)
    stale = set(ADMIN_MODELS) - {model_key(m) for m in admin.site._registry}
    assert not stale, f"permission-matrix entries for models no longer in the admin: {stale}"


def test_every_admin_action_has_an_entry():
    missing = [
        f"{model_key(model)}: {name}"
        for model, model_admin in registered_models()
        for name in registered_actions(model_admin)
        if name not in ADMIN_MODELS[model_key(model)].actions
    ]
    assert not missing, "new admin action without a permission-matrix entry: " + ", ".join(missing)


def entitled_cases():
    """For each view that changes something, one user who may: what a refusal must leave
    unchanged, such a user's POST changes (so the refusals above are not vacuous)."""
    preferred = (RESIDENT, MANAGER_A, ACCOUNTANT_A, OPERATOR_A, SUPERUSER)
    for key, entry in URLS.items():
        if entry.post is None or entry.post.state is None:
            continue
        user_class = next(u for u in preferred if u in entry.post.entitled)
        yield Case(key, "POST", user_class)


@pytest.mark.parametrize("case", [marked(c) for c in entitled_cases()])
def test_post_by_the_entitled_changes_what_refusals_keep(case, world, as_user):
    entry = URLS[case.key]
    post = entry.post
    url = url_of(case, world)
    client = as_user(case.user_class, api=entry.api, staff_key=entry.staff_key)
    before = post.state(world)
    response = send(client, url, post, world)
    assert response.status_code in (200, 201, 202, 302), f"{url} answered {response.status_code}"
    assert post.state(world) != before, f"{url}: nothing changed for {case.user_class}"


# --- every link shown to staff opens -------------------------------------------------------

# Where a back-office page keeps its way to other pages: the header's links, the breadcrumbs,
# the tools above a list or a form, the strips of the staff pages' sections (not the filters,
# the date drill-down or the pages of a list).
NAVIGATION = frozenset(
    {"header", "nav-sidebar", "breadcrumbs", "object-tools", "kb-tools", "workplaces"}
)
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                           "meta", "source", "track", "wbr"})  # fmt: skip


class LinkCollector(HTMLParser):
    """The addresses of a page's links: all of them, and those inside its navigation."""

    def __init__(self):
        super().__init__()
        self.all, self.navigation = [], []
        self.open = []  # (tag, whether it is or is inside navigation)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        marks = {attrs.get("id") or "", *(attrs.get("class") or "").split()}
        inside = bool(self.open and self.open[-1][1]) or bool(marks & NAVIGATION)
        if tag == "a" and attrs.get("href"):
            self.all.append(attrs["href"])
            if inside:
                self.navigation.append(attrs["href"])
        if tag not in VOID_ELEMENTS:
            self.open.append((tag, inside))

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                del self.open[depth:]
                return


def page_links(html: str) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(html)
    return collector


def internal(href: str, page: str) -> str | None:
    """The path and query of a link within the site, or None (another site, an e-mail, a
    phone, a place on the same page)."""
    url = urlsplit(urljoin(f"http://testserver{page}", href))
    if href.startswith("#") or url.netloc != "testserver":
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def staff_links(client) -> dict[str, tuple[str, int]]:
    """Every link of the admin index, and of the navigation of each back-office page reached
    from there, followed until no new one turns up: link -> (a page showing it, its answer)."""
    found = {"/admin/": ("", 0)}
    to_read = ["/admin/"]
    while to_read:
        path = to_read.pop()
        response = client.get(path)
        found[path] = (found[path][0], response.status_code)
        if response.status_code != 200 or not path.startswith(("/admin/", "/staff/")):
            continue
        links = page_links(response.content.decode())
        for href in links.all if path == "/admin/" else links.navigation:
            target = internal(href, path)
            if target is not None and target not in found:
                found[target] = (path, 0)
                to_read.append(target)
    return found


@pytest.mark.parametrize("user_class", [*STAFF_ROLES, SUPERUSER])
def test_every_link_shown_to_staff_opens(user_class, world, as_user):
    """The admin index and the back office's navigation show a staff member only what their
    role opens: each link answers 200 to them (never 403, 404 or a detour)."""
    found = staff_links(as_user(user_class))
    refused = [
        f"{target} (on {page}) answered {status}"
        for target, (page, status) in sorted(found.items())
        if status != 200
    ]
    assert not refused, f"{user_class}: " + "; ".join(refused)


@pytest.mark.parametrize("user_class", [*STAFF_ROLES, SUPERUSER])
def test_the_index_lists_every_workplace_the_user_opens(user_class, world, as_user):
    """«Рабочие места» hides no page the user may open, and shows none they may not."""
    client = as_user(user_class)
    listed = {internal(href, "/admin/") for href in page_links(client.get("/admin/").text).all}
    for link in navigation.WORKPLACES:
        url = reverse(link.url_name)
        opens = client.get(url).status_code == 200
        assert (url in listed) == opens, f"{user_class}: {url} listed {url in listed}"
