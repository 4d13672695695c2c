"""Scoping every record to the organisations a staff user belongs to, written once.

Each domain model's queryset says where its organisation is (``organization``,
``house__organization``, …); the back office and the selectors call ``for_organizations``.
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
