from django.core.management.base import BaseCommand

from kabinet.payments.tasks import check_pending_online_payments


class Command(BaseCommand):
    help = (
        "Проверяет в платёжном сервисе онлайн-оплаты, которые давно ждут подтверждения "
        "(для cron: например, каждые 5 минут). Повторный запуск безопасен."
    )

    def handle(self, *args, **options):
        result = check_pending_online_payments.enqueue()
        if result.is_finished:
            self.stdout.write(
                f"Проверено; получили решение платёжного сервиса: {result.return_value}."
            )
        else:
            self.stdout.write("Проверка поставлена в очередь фоновых задач.")
