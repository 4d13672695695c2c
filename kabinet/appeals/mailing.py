"""Letters of appeals and news: an answer of the УК to its resident, news to subscribers."""

from itertools import batched

from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string
from django.utils import timezone

from kabinet.appeals.models import Message, News
from kabinet.appeals.selectors import news_subscribers
from kabinet.jobs.models import Job
from kabinet.jobs.services import fail_job, finish_job, report_progress, start_job
from kabinet.mail import absolute_url, subject_line

NEWS_MAIL_BATCH = 100


def send_answer_mail(message: Message) -> bool:
    """E-mail an answer of the УК to the appeal's author (if the author still has a profile)."""
    appeal = message.appeal
    resident = appeal.author
    if resident is None or not resident.is_active or not resident.email:
        return False
    context = {
        "appeal": appeal,
        "message": message,
        "resident": resident,
        "url": absolute_url("portal:appeal", appeal.account_id, appeal.pk),
    }
    EmailMessage(
        subject=subject_line(render_to_string("appeals/email/answer_subject.txt", context)),
        body=render_to_string("appeals/email/answer.txt", context),
        to=[resident.email],
    ).send()
    return True


def mail_news_to_subscribers(news: News, job: Job) -> int:
    """Send ``news`` to each subscriber once: a repeated run continues after the last batch sent
    and sends nothing to anyone who has it already. Returns the number of letters sent."""
    if news.mailed_at is not None:
        finish_job(job, {"Отправлено писем": 0})
        return 0
    recipients = news_subscribers(news).filter(pk__gt=news.mailed_up_to_user)
    start_job(job, recipients.count())
    sent = 0
    try:
        for batch in batched(recipients.iterator(), NEWS_MAIL_BATCH):
            mailers.default.send_messages([_news_letter(news, user) for user in batch])
            news.mailed_up_to_user = batch[-1].pk
            news.save(update_fields=["mailed_up_to_user"])
            sent += len(batch)
            report_progress(job, sent)
    except Exception as error:
        fail_job(job, f"Рассылка остановлена после {sent} писем: {error}")
        raise
    news.mailed_at = timezone.now()
    news.save(update_fields=["mailed_at"])
    finish_job(job, {"Отправлено писем": sent})
    return sent


def _news_letter(news, user) -> EmailMessage:
    context = {
        "news": news,
        "user": user,
        "profile_url": absolute_url("portal:profile"),
    }
    return EmailMessage(
        subject=subject_line(render_to_string("appeals/email/news_subject.txt", context)),
        body=render_to_string("appeals/email/news.txt", context),
        to=[user.email],
    )
