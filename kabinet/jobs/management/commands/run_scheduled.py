from django.core.management.base import BaseCommand, CommandError

from kabinet.jobs.schedule import SCHEDULES, run_once


class Command(BaseCommand):
    help = (
        "Запускает периодическую команду один раз на момент расписания, сколько бы узлов ни "
        "запустили свой таймер (deploy/systemd/kabinet-manage@.service)."
    )

    def add_arguments(self, parser):
        parser.add_argument("command", help=", ".join(sorted(SCHEDULES)))

    def handle(self, *args, command, **options):
        if command not in SCHEDULES:
            raise CommandError(f"Нет расписания для {command!r}: {', '.join(sorted(SCHEDULES))}.")
        run = run_once(command, stdout=self.stdout)
        if run is None:
            self.stdout.write(f"{command}: уже выполнена на другом узле для этого момента.")
