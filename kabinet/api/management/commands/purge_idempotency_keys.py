from django.core.management.base import BaseCommand

from kabinet.api.idempotency import RETENTION, purge_expired


class Command(BaseCommand):
    help = (
        "Удаляет сохранённые ответы API на запросы с Idempotency-Key старше "
        f"{RETENTION.total_seconds() / 3600:.0f} ч (для таймера: раз в сутки). "
        "Повторный запуск безопасен."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Удалено ключей идемпотентности: {purge_expired()}.")
