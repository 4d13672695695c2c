from django.urls import path, re_path

from kabinet.backoffice import (
    api_keys_views,
    appeals_views,
    billing_views,
    common_correction_views,
    documents_views,
    gisgkh_exchange_views,
    gisgkh_nsi_views,
    gisgkh_views,
    issued_documents_views,
    meters_views,
    payments_views,
    penalty_claim_views,
    views,
    webhooks_views,
)

app_name = "backoffice"
urlpatterns = [
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("api-keys/", api_keys_views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", api_keys_views.revoke_api_key, name="revoke_api_key"),
    path("webhooks/", webhooks_views.webhooks, name="webhooks"),
    path("webhooks/<int:webhook_id>/", webhooks_views.webhook, name="webhook"),
    path(
        "webhooks/<int:webhook_id>/disable/",
        webhooks_views.disable_webhook,
        name="disable_webhook",
    ),
    path("appeals/<int:appeal_id>/", appeals_views.appeal, name="appeal"),
    path(
        "appeals/<int:appeal_id>/files/<int:attachment_id>/",
        appeals_views.appeal_attachment,
        name="appeal_attachment",
    ),
    path("gisgkh/", gisgkh_views.identifiers, name="gisgkh"),
    path("gisgkh/organization/", gisgkh_views.organization_guid, name="gisgkh_organization"),
    path("gisgkh/send/", gisgkh_views.send, name="gisgkh_send"),
    path("gisgkh/nsi/", gisgkh_nsi_views.nsi, name="gisgkh_nsi"),
    path("gisgkh/postings/", gisgkh_exchange_views.postings, name="gisgkh_postings"),
    path(
        "gisgkh/messages/<int:exchange_id>/",
        gisgkh_exchange_views.exchange,
        name="gisgkh_exchange",
    ),
    path(
        "gisgkh/nsi/services/<int:service_id>/",
        gisgkh_nsi_views.service_nsi,
        name="gisgkh_service_nsi",
    ),
    path(
        "gisgkh/nsi/resources/<int:organization_id>/<slug:resource>/",
        gisgkh_nsi_views.resource_nsi,
        name="gisgkh_resource_nsi",
    ),
    path("readings/", meters_views.readings, name="readings"),
    re_path(
        r"^readings/export\.(?P<file_format>csv|xlsx)$",
        meters_views.readings_export,
        name="readings_export",
    ),
    path("readings/import/", meters_views.readings_import, name="readings_import"),
    path("readings/account/", meters_views.find_account, name="find_account"),
    path(
        "readings/account/<int:account_id>/",
        meters_views.account_readings,
        name="account_readings",
    ),
    path("house-meters/", meters_views.house_meters_list, name="house_meters"),
    path("house-meters/<int:meter_id>/", meters_views.house_meter, name="house_meter"),
    path("payments/registries/", payments_views.registry_list, name="registries"),
    path(
        "payments/registries/<int:registry_id>/",
        payments_views.registry_detail,
        name="registry",
    ),
    path(
        "payments/registries/<int:registry_id>/import-good-rows/",
        payments_views.registry_import_good_rows,
        name="registry_import_good_rows",
    ),
    path("payments/reconciliation/", payments_views.payment_reconciliation, name="reconciliation"),
    path("billing/", billing_views.billing, name="billing"),
    path("billing/periods/<int:period_id>/run/", billing_views.billing_run, name="billing_run"),
    path(
        "billing/periods/<int:period_id>/import/",
        billing_views.billing_import,
        name="billing_import",
    ),
    path(
        "billing/periods/<int:period_id>/close/", billing_views.billing_close, name="billing_close"
    ),
    path("billing/jobs/<int:job_id>/", billing_views.billing_job, name="billing_job"),
    path("billing/accounts/", penalty_claim_views.find_account, name="penalty_find_account"),
    path(
        "billing/accounts/<int:account_id>/penalties/",
        penalty_claim_views.penalty_claim,
        name="penalty_claim",
    ),
    re_path(
        r"^billing/accounts/(?P<account_id>\d+)/penalties/document\.(?P<file_format>pdf|xlsx)$",
        penalty_claim_views.penalty_claim_document,
        name="penalty_claim_document",
    ),
    path("billing/recalculations/", billing_views.recalculations, name="recalculations"),
    path(
        "billing/documents/accounts/",
        issued_documents_views.find_account,
        name="documents_find_account",
    ),
    path(
        "billing/documents/accounts/<int:account_id>/",
        issued_documents_views.account_documents,
        name="account_documents",
    ),
    path(
        "billing/documents/accounts/<int:account_id>/<int:document_id>.pdf",
        issued_documents_views.account_document_file,
        name="account_document_file",
    ),
    path(
        "billing/documents/undelivered/",
        documents_views.undelivered_documents,
        name="undelivered_documents",
    ),
    re_path(
        r"^billing/documents/undelivered\.(?P<file_format>csv|xlsx)$",
        documents_views.undelivered_documents_export,
        name="undelivered_documents_export",
    ),
    path(
        "billing/common-correction/",
        common_correction_views.common_correction_page,
        name="common_correction",
    ),
    path(
        "billing/heating-correction/",
        billing_views.heating_correction,
        name="heating_correction",
    ),
    path(
        "billing/recalculations/<int:recalculation_id>/delete/",
        billing_views.recalculation_delete,
        name="recalculation_delete",
    ),
]
