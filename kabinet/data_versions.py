"""Versions of what the resident's pages show: ``PersonalAccount.data_version`` and
``Organization.data_version``, integers that every write of the figures those pages cache
raises by one (``kabinet.portal.figures`` keys its cache by both).

Who bumps what (docs/design.md «Cached figures of the resident's pages»):

- the account's version: its payments (every source: the admin, online gateways, the API's
  and the back office's entry; a bank registry, written in bulk, bumps its organisation's),
  its instalment plans, its issued payment documents («Начисления» shows a closed month's
  document; the period's issue, written in bulk, bumps the accounts of each batch);
- the organisation's version: its periods (closing one publishes its charges), its services
  (name, order, method), the organisation itself (the due day); the law's rows
  (``PenaltyRule``: «Оплатить до») bump every organisation's.

Single rows are caught by the models' signals below, whoever writes them; bulk writers
(``bulk_create``, ``QuerySet.update``, ``kabinet.bulk.insert_rows``) call ``bump_*``
themselves. A bump comes after the write and in its transaction when there is one, never
before it: a page that read the new version then always reads the new figures too.
``tests/test_data_versions.py`` writes through each writer and asks the page again."""

from django.db import models
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save


class KeepsDataVersion(models.Model):
    """A model whose ``data_version`` only ``bump_*`` writes: a plain ``save()`` of an
    instance read before a bump would write the older number back, and the cache would then
    serve figures of before the bump under a key that looks current."""

    class Meta:
        abstract = True

    def save(self, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            skipped = {"data_version", *self.get_deferred_fields()}
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in skipped
            ]
        super().save(**kwargs)


def bump_accounts(account_ids) -> None:
    from kabinet.housing.models import PersonalAccount

    ids = {pk for pk in account_ids if pk is not None}
    if ids:
        PersonalAccount.objects.filter(pk__in=ids).update(data_version=F("data_version") + 1)


def bump_organizations(organization_ids) -> None:
    from kabinet.orgs.models import Organization

    ids = {pk for pk in organization_ids if pk is not None}
    if ids:
        Organization.objects.filter(pk__in=ids).update(data_version=F("data_version") + 1)


def bump_every_organization() -> None:
    """After a change of the law's rows, which every organisation's figures read."""
    from kabinet.orgs.models import Organization

    Organization.objects.update(data_version=F("data_version") + 1)


# Signals: every save and delete of a single row, the admin's and the services' alike -------


def _remember_account(sender, instance, raw=False, **kwargs):
    """The account a row had before this save: a payment moved to another account changes
    both accounts' figures."""
    if instance.pk is not None and not raw:
        instance._account_before = (
            sender._base_manager.filter(pk=instance.pk).values_list("account", flat=True).first()
        )


def _account_row_written(sender, instance, **kwargs):
    bump_accounts({instance.account_id, getattr(instance, "_account_before", None)})


def _document_issued(sender, instance, created=False, raw=False, **kwargs):
    if created and not raw:
        bump_accounts({instance.account_id})


def _organization_row_written(sender, instance, **kwargs):
    bump_organizations({instance.organization_id})


def _organization_written(sender, instance, created=False, **kwargs):
    if not created:
        bump_organizations({instance.pk})


def _law_written(sender, **kwargs):
    bump_every_organization()


def connect() -> None:
    """Called once from the portal's ``AppConfig.ready``."""
    from kabinet.billing.models import InstalmentPlan, PenaltyRule, Period, Service
    from kabinet.orgs.models import Organization
    from kabinet.payments.models import Payment
    from kabinet.receipts.models import IssuedDocument

    for model in (Payment, InstalmentPlan):
        pre_save.connect(_remember_account, sender=model, dispatch_uid=f"versions-{model}")
        post_save.connect(_account_row_written, sender=model, dispatch_uid=f"versions-{model}")
        post_delete.connect(_account_row_written, sender=model, dispatch_uid=f"versions-{model}")
    for model in (Period, Service):
        post_save.connect(_organization_row_written, sender=model, dispatch_uid=f"versions-{model}")
        post_delete.connect(
            _organization_row_written, sender=model, dispatch_uid=f"versions-{model}"
        )
    post_save.connect(_document_issued, sender=IssuedDocument, dispatch_uid="versions-document")
    post_save.connect(_organization_written, sender=Organization, dispatch_uid="versions-org")
    post_save.connect(_law_written, sender=PenaltyRule, dispatch_uid="versions-law")
    post_delete.connect(_law_written, sender=PenaltyRule, dispatch_uid="versions-law")
