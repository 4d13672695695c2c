"""Starting a posting to ГИС ЖКХ: its messages signed and stored, and the job that sends them
(``kabinet.gisgkh.exchange`` is the sending, ``tasks`` the background task)."""

from django.db import transaction

from kabinet.gisgkh import tasks
from kabinet.gisgkh.exchange import PostingError
from kabinet.gisgkh.messages import _GUID, BASE, DEVICE_METERING, Message
from kabinet.gisgkh.models import Exchange, ExchangeState, GisMeter, Posting
from kabinet.jobs.models import JobKind
from kabinet.jobs.services import create_job

TITLES = {
    "importMeteringDeviceValues": "Передача показаний в ГИС ЖКХ",
    "importPaymentDocumentData": "Передача платёжных документов в ГИС ЖКХ",
    "exportAccountData": "Запрос лицевых счетов из ГИС ЖКХ",
    "exportMeteringDeviceData": "Запрос приборов учёта из ГИС ЖКХ",
}


def _items(message: Message) -> dict[str, str]:
    """The message's objects by their ``TransportGUID``, named for staff (readings: the
    meter's root GUID, turned into the meter's name when it is ours)."""
    items = {}
    for device in message.body.iter(f"{{{DEVICE_METERING}}}MeteringDevicesValues"):
        root_guid = device.findtext(f"{{{DEVICE_METERING}}}MeteringDeviceRootGUID")
        for transport_guid in device.iter(f"{{{BASE}}}TransportGUID"):
            items[transport_guid.text] = root_guid
    names = {
        str(gis.root_guid): f"счётчик № {gis.meter.serial_number}"
        for gis in GisMeter.objects.filter(
            root_guid__in={v for v in items.values() if _GUID.fullmatch(v or "")}
        ).select_related("meter")
    }
    return {key: names.get(value, f"прибор учёта {value}") for key, value in items.items()}


def prepare_posting(
    organization, operation: str, messages: list[Message], *, signer, period=None, user=None,
    resend: bool = False,
):  # fmt: skip
    """Sign and store ``messages`` as one posting and queue the job sending it; the job."""
    if not messages:
        raise PostingError("Отправлять нечего.")
    if period is not None and not resend:
        earlier = Exchange.objects.filter(
            posting__organization=organization,
            posting__operation=operation,
            posting__period=period,
        ).exclude(state=ExchangeState.FAILED)
        if earlier.exists():
            raise PostingError(
                "Данные этого периода уже отправлены в ГИС ЖКХ. Чтобы отправить их снова, "
                "отметьте «Отправить повторно»."
            )
    with transaction.atomic():
        posting = Posting.objects.create(
            organization=organization, operation=operation, period=period,
            resend=resend, created_by=user,
        )  # fmt: skip
        for message in messages:
            Exchange.objects.create(
                posting=posting,
                message_guid=message.message_guid,
                envelope=signer.sign(message.envelope()).decode(),
                items=_items(message),
            )
        job = create_job(organization, JobKind.GIS_EXCHANGE, TITLES[operation], user,
                         subject=posting)  # fmt: skip
        tasks.enqueue_posting(job)
    return job


def resume_posting(posting: Posting, user=None):
    """A new job going on with ``posting`` where it stopped (nothing is sent twice)."""
    job = create_job(posting.organization, JobKind.GIS_EXCHANGE, TITLES[posting.operation],
                     user, subject=posting)  # fmt: skip
    tasks.enqueue_posting(job)
    return job
