"""Background work of appeals and news (Django's tasks framework)."""

from django.tasks import task

from kabinet.appeals import mailing
from kabinet.appeals.models import Message, News
from kabinet.jobs.models import Job


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
