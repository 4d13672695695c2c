from django.urls import path

from kabinet.portal import payments_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("help/dismiss/", views.dismiss_help, name="dismiss_help"),
    path("profile/", views.profile, name="profile"),
    path("privacy/", views.privacy, name="privacy"),
    path("link/", views.link_account, name="link_account"),
    path("link/request/", views.request_link, name="request_link"),
    # Every page of one personal account: <account_id> is checked against the user's links.
    path("ls/<int:account_id>/", views.account_card, name="account"),
    path("ls/<int:account_id>/tariffs/", views.account_tariffs, name="account_tariffs"),
    path("ls/<int:account_id>/history/", views.account_history, name="account_history"),
    path("ls/<int:account_id>/penalties/", views.account_penalties, name="account_penalties"),
    path(
        "ls/<int:account_id>/payments/",
        payments_views.account_payments,
        name="account_payments",
    ),
    path("ls/<int:account_id>/pay/", payments_views.pay, name="pay"),
    path(
        "ls/<int:account_id>/pay/<int:payment_id>/",
        payments_views.online_payment,
        name="online_payment",
    ),
    path(
        "payments/notify/<slug:provider>/",
        payments_views.payment_notification,
        name="payment_notification",
    ),
    path("ls/<int:account_id>/contracts/", views.account_contracts, name="account_contracts"),
    path(
        "ls/<int:account_id>/contracts/<int:document_id>/",
        views.contract_document,
        name="contract_document",
    ),
]
