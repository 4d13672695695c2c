from django.core.management.base import BaseCommand

from kabinet.webhooks.delivery import deliver_due


class Command(BaseCommand):
    help = (
        "Доставляет события вебхуков, время которых пришло, в том числе повторные попытки "
        "(для таймера: каждую минуту). Повторный запуск безопасен."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Попыток доставки: {deliver_due()}.")
