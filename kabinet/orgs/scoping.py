"""Scoping every record to the organisations a staff user belongs to, written once.

Each domain model's queryset says where its organisation is (``organization``,
``house__organization``, …); the back office and the selectors call ``for_organizations``,
and ``organization_id_of`` follows the same lookups to the organisation of one record.
"""

from django.db import models
from django.db.models import Q


class OrganizationScopedQuerySet(models.QuerySet):
    organization_lookups: tuple[str, ...] = ("organization",)

    @classmethod
    def through(cls, *lookups: str):
        """A queryset class whose records belong to an organisation through ``lookups``."""
        return type(f"ScopedBy_{'_'.join(lookups)}", (cls,), {"organization_lookups": lookups})

    def for_organizations(self, organizations):
        condition = Q()
        for lookup in self.organization_lookups:
            condition |= Q(**{f"{lookup}__in": organizations})
        return self.filter(condition)


def organization_id_of(record) -> int | None:
    """The id of the organisation ``record`` belongs to, as stored (not as a form may have
    changed it in memory): the first of its queryset's lookups that leads somewhere (a meter
    belongs through its account or, a house meter, through its house)."""
    queryset = type(record)._default_manager.filter(pk=record.pk)
    found = queryset.values_list(*queryset.organization_lookups).first()
    return next((pk for pk in found or () if pk is not None), None)


def organization_of(obj):
    """The organisation ``obj`` belongs to as it stands in memory (a record being added or just
    deleted has no stored row to ask): the first of its queryset's lookups that leads
    somewhere, or None."""
    lookups = getattr(type(obj)._default_manager.get_queryset(), "organization_lookups", ())
    for lookup in lookups:
        value = obj
        for name in lookup.split("__"):
            value = obj if name == "pk" else getattr(value, name, None)
            if value is None:
                break
        if value is not None:
            return value
    return None
