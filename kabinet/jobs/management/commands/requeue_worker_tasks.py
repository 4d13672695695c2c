from django.core.management.base import BaseCommand

from kabinet.jobs.workers import requeue_abandoned_tasks


class Command(BaseCommand):
    help = (
        "Возвращает в очередь задачи, которые воркер с этим id начал и не закончил (он был "
        "остановлен на середине): перед запуском воркера (deploy/systemd/kabinet-worker.service)."
    )

    def add_arguments(self, parser):
        parser.add_argument("worker_id", help="id воркера, как в db_worker --worker-id")

    def handle(self, *args, worker_id, **options):
        requeued, failed = requeue_abandoned_tasks(worker_id)
        self.stdout.write(
            f"{worker_id}: задач возвращено в очередь — {requeued}, отмечено сбойными — {failed}."
        )
