from django.urls import path

from kabinet.payments.sandbox import views

app_name = "sandbox"
urlpatterns = [
    path("pay/<uuid:payment_id>/", views.pay, name="pay"),
    path("receipt/<uuid:payment_id>/", views.receipt, name="receipt"),
]
