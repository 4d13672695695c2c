from django.core.management.base import BaseCommand

from kabinet.payments.autopay.services import run_autopay


class Command(BaseCommand):
    help = (
        "Автоплатежи: планирует списания по новым квитанциям, шлёт предупреждения за день, "
        "списывает в срок и повторяет неудачные попытки. Запускайте раз в день (cron) или "
        "чаще; повторный или одновременный запуск ничего не спишет дважды."
    )

    def handle(self, *args, **options):
        done = run_autopay()
        self.stdout.write(
            "Автоплатежи: запланировано {scheduled}, предупреждений {notified}, "
            "списаний {charged}, досчитано ожидавших {settled}.".format(**done)
        )
