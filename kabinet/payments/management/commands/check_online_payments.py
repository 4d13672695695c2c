from django.core.management.base import BaseCommand

from kabinet.payments.services import check_pending_online_payments


class Command(BaseCommand):
    help = (
        "Проверяет в платёжном сервисе онлайн-оплаты, которые давно ждут подтверждения "
        "(для cron: например, каждые 5 минут). Повторный запуск безопасен."
    )

    def handle(self, *args, **options):
        decided = check_pending_online_payments()
        self.stdout.write(f"Проверено; получили решение платёжного сервиса: {decided}.")
