from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kabinet.payments"
    verbose_name = "Платежи"

    def ready(self):
        from kabinet.billing.signals import period_closed
        from kabinet.payments.autopay.tasks import run_autopay_when_period_closes

        period_closed.connect(run_autopay_when_period_closes, dispatch_uid="autopay_run")
