from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "kabinet.receipts"
    verbose_name = "Квитанции"

    def ready(self):
        from kabinet.billing.signals import period_closed
        from kabinet.receipts.tasks import issue_documents_when_period_closes

        period_closed.connect(issue_documents_when_period_closes, dispatch_uid="receipts_issue")
