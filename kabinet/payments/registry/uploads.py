"""Uploading a bank registry: the file is kept and its crediting queued as a job (subject:
the registry) whose progress staff watch; a registry refused for its errors may be queued
again to credit its good rows."""

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from kabinet.jobs.models import JobKind
from kabinet.jobs.services import create_job
from kabinet.payments import tasks
from kabinet.payments.models import PaymentRegistry, RegistryStatus


class DuplicateRegistry(Exception):
    """This very file was uploaded before (``registry`` is that upload)."""

    def __init__(self, registry):
        super().__init__(f"Этот файл уже загружен: {registry}, {registry.uploaded_at:%d.%m.%Y}.")
        self.registry = registry


def upload_registry(organization, name: str, data: bytes, user, *, good_rows_only=False,
                    capital_repair=False, ip: str | None = None):  # fmt: skip
    """Keep an uploaded registry file and queue its import (progress on its page). A registry
    of the capital repair payee's account (``capital_repair``) credits payments that settle
    the contributions only (``Payment.capital_repair``, docs/billing-law.md).
    Raises ``DuplicateRegistry`` for a file uploaded before. The crediting is logged as done
    by ``user`` from ``ip``."""
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = PaymentRegistry.objects.filter(organization=organization, sha256=sha256).first()
    if earlier:
        raise DuplicateRegistry(earlier)
    registry = PaymentRegistry(
        organization=organization,
        file_name=name[:255],
        sha256=sha256,
        uploaded_by=user,
        good_rows_only=good_rows_only,
        capital_repair=capital_repair,
    )
    registry.file.save(name, ContentFile(data), save=False)
    try:
        with transaction.atomic():
            _queue_import(registry, user, ip)
    except IntegrityError:  # the same file, uploaded at the same moment
        raise DuplicateRegistry(
            PaymentRegistry.objects.get(organization=organization, sha256=sha256)
        ) from None
    return registry


def import_good_rows(registry, user, *, ip: str | None = None) -> PaymentRegistry:
    """A registry refused for its errors: credit its good rows after all."""
    if registry.status != RegistryStatus.REJECTED:
        raise ValueError("Only a rejected registry can have its good rows imported.")
    registry.good_rows_only = True
    registry.status = RegistryStatus.QUEUED
    _queue_import(registry, user, ip)
    return registry


def _queue_import(registry, user, ip) -> None:
    registry.save()  # the job's subject is the registry: it needs its id
    registry.job = create_job(
        registry.organization,
        JobKind.PAYMENT_REGISTRY,
        f"Реестр платежей «{registry.file_name}»",
        user,
        subject=registry,
    )
    registry.save(update_fields=["job"])
    tasks.enqueue_registry_import(registry, ip)
