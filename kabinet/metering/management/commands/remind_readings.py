from django.core.management.base import BaseCommand
from django.utils import timezone

from kabinet.metering.tasks import enqueue_reading_reminders
from kabinet.metering.window import reading_window
from kabinet.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Ставит в очередь напоминания о передаче показаний для организаций, у которых сегодня "
        "открыт приём. Запускайте раз в день (cron); повторный запуск писем не дублирует."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        queued = 0
        for organization in Organization.objects.order_by("pk"):
            if reading_window(organization, today).is_open:
                enqueue_reading_reminders(organization, today)
                queued += 1
        self.stdout.write(f"Напоминания о показаниях: организаций с открытым приёмом — {queued}.")
