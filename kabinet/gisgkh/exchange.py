"""Postings to ГИС ЖКХ: the messages of one sending, signed and stored before anything goes out,
then sent and followed to their result by a background job (``gisgkh.tasks``).

- **Stored first.** ``prepare_posting`` signs each message and keeps it (``Exchange.envelope``)
  with its ``MessageGUID``; every attempt sends these same bytes. ГИС ЖКХ answers a request it
  has already received with the same acknowledgement, so a message sent again after a crash
  (its acknowledgement not recorded) is not taken twice, and a recorded acknowledgement is never
  sent again: the job goes straight on to ``getState``.
- **Bounded retries.** A transient failure (no answer, 5xx, 429) is retried ``SEND_ATTEMPTS``
  times per request with ``RETRY_DELAYS`` between; then the job fails naming it, and staff
  resume it later (``resume_posting``) — it goes on from where it stopped.
- **Polling with back-off.** ``getState`` after ``POLL_DELAYS`` (2 s, 5 s, … 5 min); a result
  still not ready after the last one leaves the message «принято, ждёт результата» and the
  job says so; resuming polls again.
- **The result.** ``ErrorMessage`` — the message refused as a whole; ``ImportResult`` with
  ``Error`` — those objects refused (named: the meter of a reading), the rest accepted. The
  result of an export (accounts, meters) is imported into the identifiers at once
  (``results``), in the same transaction as the message's new state.
- **Once per period.** A second posting of the same operation and month while one is not
  refused is refused unless staff ask to resend.
- Every request and answer is in ``MessageLog``.

Starting a posting is ``kabinet.gisgkh.postings``."""

import time
import uuid
import xml.etree.ElementTree as ET

from django.db import transaction

from kabinet.gisgkh.messages import BASE
from kabinet.gisgkh.models import Exchange, ExchangeState, MessageLog
from kabinet.gisgkh.results import IMPORTS, import_result
from kabinet.gisgkh.services import org_ppa_guid_of
from kabinet.gisgkh.transport import READY, GisFault, TransientError
from kabinet.jobs.services import fail_job, finish_job, report_progress, start_job

SEND_ATTEMPTS = 3
RETRY_DELAYS = (5, 30)  # seconds before the 2nd and the 3rd attempt
POLL_DELAYS = (2, 5, 10, 30, 60, 120, 300)  # seconds before each getState of one run


class PostingError(Exception):
    """A posting that may not start (in Russian)."""


def _logger(exchange: Exchange):
    def log(direction, action, body: bytes, status=None, error=""):
        MessageLog.objects.create(
            exchange=exchange,
            direction=direction,
            action=action,
            status=status,
            body=body.decode("utf-8", errors="replace"),
            error=error[:500],
        )

    return log


def _with_retries(call):
    for attempt in range(SEND_ATTEMPTS):
        try:
            return call()
        except TransientError:
            if attempt == SEND_ATTEMPTS - 1:
                raise
            time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])


def _result_errors(exchange: Exchange, result: ET.Element) -> tuple[bool, list[str]]:
    """(whether the message was refused as a whole, the errors named for staff)."""
    error = result.find(f"{{{BASE}}}ErrorMessage")
    if error is not None:
        code = error.findtext(f"{{{BASE}}}ErrorCode", "")
        return True, [f"{code}: {error.findtext(f'{{{BASE}}}Description', '')}"]
    errors = []
    for item in result:
        if not item.tag.endswith("}ImportResult"):
            continue
        transport_guid = item.findtext(f"{{{BASE}}}TransportGUID", "")
        name = exchange.items.get(transport_guid, transport_guid)
        for problem in item.findall(f"{{{BASE}}}Error"):
            code = problem.findtext(f"{{{BASE}}}ErrorCode", "")
            errors.append(f"{name}: {code} {problem.findtext(f'{{{BASE}}}Description', '')}")
    return False, errors


def _follow(exchange: Exchange, transport, org_ppa_guid: str) -> None:
    """Send ``exchange`` unless acknowledged, then poll for its result."""
    posting = exchange.posting
    log = _logger(exchange)
    if exchange.ack_guid is None:
        exchange.attempts += 1
        exchange.save(update_fields=["attempts", "updated_at"])
        ack = _with_retries(
            lambda: transport.send(posting.operation, exchange.envelope.encode(), log)
        )
        exchange.ack_guid, exchange.state = uuid.UUID(ack), ExchangeState.SENT
        exchange.save(update_fields=["ack_guid", "state", "updated_at"])
    for delay in POLL_DELAYS:
        time.sleep(delay)
        state = _with_retries(
            lambda: transport.get_state(
                posting.operation, str(exchange.ack_guid), org_ppa_guid, log
            )
        )
        exchange.polls += 1
        exchange.save(update_fields=["polls", "updated_at"])
        if state.request_state == READY:
            _record_result(exchange, state.result)
            return


@transaction.atomic
def _record_result(exchange: Exchange, result: ET.Element) -> None:
    """The message's outcome; an export's identifiers imported with it (all or nothing)."""
    refused, errors = _result_errors(exchange, result)
    if not refused and exchange.posting.operation in IMPORTS:
        exchange.outcome, import_errors = import_result(exchange.posting, result)
        errors += import_errors
    exchange.state = ExchangeState.FAILED if refused else ExchangeState.DONE
    exchange.errors = errors
    exchange.save(update_fields=["state", "errors", "outcome", "updated_at"])


def run_posting(job) -> None:
    """Send the posting that is ``job``'s subject and follow it to its results."""
    posting = job.subject
    transport = _transport()
    org_ppa_guid = org_ppa_guid_of(posting.organization)
    exchanges = list(posting.exchanges.order_by("pk"))
    start_job(job, total=len(exchanges))
    done = failed = 0
    for exchange in exchanges:
        if exchange.state in (ExchangeState.PREPARED, ExchangeState.SENT):
            try:
                _follow(exchange, transport, org_ppa_guid)
            except TransientError as error:
                fail_job(
                    job,
                    f"{error}. Отправлено сообщений: {done} из {len(exchanges)}; "
                    "повторите позже — отправленное не уйдёт дважды.",
                )
                return
            except GisFault as error:
                exchange.state, exchange.errors = ExchangeState.FAILED, [str(error)]
                exchange.save(update_fields=["state", "errors", "updated_at"])
        if exchange.state == ExchangeState.SENT:
            fail_job(job, "ГИС ЖКХ ещё обрабатывает сообщения: запросите результат позже.")
            return
        done += 1  # noqa: SIM113 — counts only the messages followed to their end
        failed += exchange.state == ExchangeState.FAILED
        for problem in exchange.errors:
            report_progress(job, done, failed, problem)
        report_progress(job, done, failed)
    finish_job(job, {"сообщений": len(exchanges), "отказов": failed})


def _transport():
    """The transport ``GISGKH_TRANSPORT`` names: ``soap`` (to ``GISGKH_URL``) or ``folder``
    (``GISGKH_FOLDER``, for the operator's own gateway: ``dropfolder``)."""
    from django.conf import settings

    from kabinet.gisgkh.dropfolder import FolderTransport
    from kabinet.gisgkh.transport import SoapTransport

    if settings.GISGKH_TRANSPORT == "folder":
        if not settings.GISGKH_FOLDER:
            raise PostingError("Папка обмена не указана (GISGKH_FOLDER): отправлять некуда.")
        return FolderTransport(settings.GISGKH_FOLDER)
    if settings.GISGKH_TRANSPORT != "soap":
        raise PostingError(
            f"Неизвестный способ обмена GISGKH_TRANSPORT=«{settings.GISGKH_TRANSPORT}»."
        )
    if not settings.GISGKH_URL:
        raise PostingError("Адрес ГИС ЖКХ не указан (GISGKH_URL): отправлять некуда.")
    return SoapTransport(settings.GISGKH_URL)
