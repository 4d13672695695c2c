"""The back office: Django admin, one module per domain, each staff user confined to their own
organisations by the base classes of ``base`` (its docstring holds the rules).

Django's admin autodiscovery imports this package; importing the modules registers their admins.
"""

from django.contrib import admin

from kabinet.backoffice.admin import (  # noqa: F401  (registers the admins)
    appeals,
    audit,
    billing,
    housing,
    jobs,
    metering,
    orgs,
    payments,
    receipts,
    users,
)

admin.site.site_header = "Личный кабинет: бэк-офис управляющей организации"
admin.site.site_title = "Бэк-офис"
admin.site.index_title = "Управление"
# The apps' list down the left took 300 px from every table, which was cut at 1280 px; the
# start page («Начало», in every page's breadcrumbs) lists the same sections.
admin.site.enable_nav_sidebar = False
