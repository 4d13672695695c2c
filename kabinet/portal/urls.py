from django.urls import path

from kabinet.portal import (
    appeals_views,
    autopay_views,
    charges_views,
    meters_views,
    pay_several_views,
    payments_views,
    profile_views,
    statement_views,
    views,
)

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/dismiss/", views.dismiss_help, name="dismiss_help"),
    path("profile/", profile_views.profile, name="profile"),
    path("profile/edit/", profile_views.edit_profile, name="edit_profile"),
    path("profile/subscriptions/", profile_views.subscriptions, name="subscriptions"),
    path("profile/export/", profile_views.export_personal_data, name="export_personal_data"),
    path("profile/delete/", profile_views.delete_profile, name="delete_profile"),
    path("profile/api/", profile_views.api_tokens, name="api_tokens"),
    path(
        "profile/api/<int:token_id>/revoke/",
        profile_views.revoke_api_token,
        name="revoke_api_token",
    ),
    path(
        "profile/accounts/<int:account_id>/unlink/",
        profile_views.unlink_account,
        name="unlink_account",
    ),
    path("appeals/", appeals_views.my_appeals, name="appeals"),
    path("news/", appeals_views.news, name="news"),
    path("privacy/", views.privacy, name="privacy"),
    path("pay/", pay_several_views.pay_several, name="pay_several"),
    path("link/", views.link_account, name="link_account"),
    path("link/request/", views.request_link, name="request_link"),
    # Every page of one personal account: <account_id> is checked against the user's links.
    path("ls/<int:account_id>/", views.account_card, name="account"),
    path("ls/<int:account_id>/tariffs/", views.account_tariffs, name="account_tariffs"),
    path("ls/<int:account_id>/charges/", charges_views.account_charges, name="account_charges"),
    path(
        "ls/<int:account_id>/charges/<int:year>-<int:month>/<int:service_id>/",
        charges_views.charge_explanation,
        name="charge_explanation",
    ),
    path(
        "ls/<int:account_id>/receipt/<int:year>-<int:month>/",
        charges_views.receipt,
        name="receipt",
    ),
    path(
        "ls/<int:account_id>/receipt/<int:year>-<int:month>.pdf",
        charges_views.receipt_pdf,
        name="receipt_pdf",
    ),
    path("ls/<int:account_id>/penalties/", views.account_penalties, name="account_penalties"),
    path(
        "ls/<int:account_id>/payments/",
        payments_views.account_payments,
        name="account_payments",
    ),
    path(
        "ls/<int:account_id>/reconciliation/",
        statement_views.reconciliation,
        name="reconciliation",
    ),
    path(
        "ls/<int:account_id>/reconciliation.pdf",
        statement_views.reconciliation_pdf,
        name="reconciliation_pdf",
    ),
    path(
        "ls/<int:account_id>/reconciliation.xlsx",
        statement_views.reconciliation_xlsx,
        name="reconciliation_xlsx",
    ),
    path("ls/<int:account_id>/pay/", payments_views.pay, name="pay"),
    path(
        "ls/<int:account_id>/pay/<int:payment_id>/",
        payments_views.online_payment,
        name="online_payment",
    ),
    path(
        "ls/<int:account_id>/pay/<int:payment_id>/receipt/",
        payments_views.fiscal_receipt,
        name="fiscal_receipt",
    ),
    path(
        "ls/<int:account_id>/pay/<int:payment_id>/cancel/",
        payments_views.cancel_online_payment,
        name="cancel_online_payment",
    ),
    path("ls/<int:account_id>/autopay/", autopay_views.autopay_page, name="autopay"),
    path(
        "ls/<int:account_id>/autopay/skip/",
        autopay_views.skip_autopay_month,
        name="skip_autopay_month",
    ),
    path(
        "ls/<int:account_id>/autopay/cancel/",
        autopay_views.cancel_autopay,
        name="cancel_autopay",
    ),
    path(
        "payments/notify/<slug:provider>/",
        payments_views.payment_notification,
        name="payment_notification",
    ),
    path("ls/<int:account_id>/contracts/", views.account_contracts, name="account_contracts"),
    path("ls/<int:account_id>/meters/", meters_views.account_meters, name="account_meters"),
    path(
        "ls/<int:account_id>/contracts/<int:document_id>/",
        views.contract_document,
        name="contract_document",
    ),
    path("ls/<int:account_id>/appeals/", appeals_views.account_appeals, name="account_appeals"),
    path("ls/<int:account_id>/appeals/new/", appeals_views.new_appeal, name="new_appeal"),
    path("ls/<int:account_id>/appeals/<int:appeal_id>/", appeals_views.appeal, name="appeal"),
    path(
        "ls/<int:account_id>/appeals/<int:appeal_id>/close/",
        appeals_views.close_appeal,
        name="close_appeal",
    ),
    path(
        "ls/<int:account_id>/appeals/<int:appeal_id>/files/<int:attachment_id>/",
        appeals_views.appeal_attachment,
        name="appeal_attachment",
    ),
]
