"""Background work of appeals and news (Django's tasks framework): the task bodies and the
``enqueue_*`` functions that queue them once the transaction commits."""

from django.db import transaction
from django.tasks import task

from kabinet.appeals import mailing
from kabinet.appeals.models import Message, News
from kabinet.jobs.models import Job


def enqueue_answer_mail(message: Message) -> None:
    transaction.on_commit(lambda: mail_answer.enqueue(message.pk))


def enqueue_news_mailing(news: News, job: Job) -> None:
    transaction.on_commit(lambda: mail_news.enqueue(news.pk, job.pk))


@task
def mail_answer(message_id: int) -> bool:
    message = Message.objects.select_related("appeal__author", "appeal__organization").get(
        pk=message_id
    )
    return mailing.send_answer_mail(message)


@task
def mail_news(news_id: int, job_id: int) -> int:
    news = News.objects.select_related("organization", "house").get(pk=news_id)
    return mailing.mail_news_to_subscribers(news, Job.objects.get(pk=job_id))
