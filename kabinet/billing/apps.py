from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "kabinet.billing"
    verbose_name = "Начисления"
