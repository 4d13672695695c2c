from django.urls import path

from kabinet.backoffice import payments_views, views

app_name = "backoffice"
urlpatterns = [
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
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
]
