"""The back office's menus, and the one rule for what they show: a link is shown to a staff
member only if the page it opens lets them in, asked of the very check that guards that page.

A staff page's check is its ``staff_required`` (``backoffice.views``: staff only, and with a
``duty`` only those whose role may change it in one of their organisations), which carries it
as ``may_open``; an admin list or «add» form is guarded by its model admin's
``has_view_or_change_permission`` / ``has_add_permission``. The menus below (the admin
index's «Рабочие места», the strips of the billing and meters pages, the tools above two admin
lists) name pages, never rights, so that a menu cannot offer what its page refuses.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse


@dataclass(frozen=True)
class Link:
    title: str
    url_name: str  # a page without arguments
    keeps_organization: bool = False  # carries the billing pages' chosen organisation along


@dataclass(frozen=True)
class Shown:
    title: str
    url: str


WORKPLACES = (
    Link("Расчёт начислений", "backoffice:billing"),
    Link("Перерасчёты", "backoffice:recalculations"),
    Link("Показания счётчиков", "backoffice:readings"),
    Link("Общедомовые приборы учёта", "backoffice:house_meters"),
    Link("Реестры платежей", "backoffice:registries"),
    Link("Сверка платежей", "backoffice:reconciliation"),
    Link("Ключи API", "backoffice:api_keys"),
    Link("Вебхуки", "backoffice:webhooks"),
    Link("ГИС ЖКХ", "backoffice:gisgkh"),
)
BILLING = (
    Link("Расчёт начислений", "backoffice:billing", keeps_organization=True),
    Link("Перерасчёты", "backoffice:recalculations", keeps_organization=True),
    Link("Корректировка за отопление", "backoffice:heating_correction", keeps_organization=True),
    Link("Корректировка ОДН", "backoffice:common_correction", keeps_organization=True),
    Link("Начисления по ЛС", "admin:billing_charge_changelist"),
    Link("Сальдо", "admin:billing_accountbalance_changelist"),
    Link("Тарифы", "admin:billing_tariff_changelist"),
    Link("Ключевая ставка", "admin:billing_keyrate_changelist"),
    Link("Расчёт пени по ЛС", "backoffice:penalty_find_account"),
    Link("Платёжные документы по ЛС", "backoffice:documents_find_account"),
    Link("Не доставлены в срок", "backoffice:undelivered_documents", keeps_organization=True),
)
METERS = (
    Link("Показания за месяц", "backoffice:readings"),
    Link("Импорт показаний", "backoffice:readings_import"),
    Link("Общедомовые приборы", "backoffice:house_meters"),
    Link("Приборы учёта", "admin:metering_meter_changelist"),
)
# The tools above the admin's lists of meters and readings, and of bank registries.
METERS_ADMIN = (
    Link("Показания за месяц", "backoffice:readings"),
    Link("Импорт показаний", "backoffice:readings_import"),
    Link("Общедомовые приборы", "backoffice:house_meters"),
)
REGISTRIES_ADMIN = (
    Link("Реестры платежей", "backoffice:registries"),
    Link("Сверка платежей", "backoffice:reconciliation"),
)
MENUS = {
    "workplaces": WORKPLACES,
    "billing": BILLING,
    "meters": METERS,
    "meters_admin": METERS_ADMIN,
    "registries_admin": REGISTRIES_ADMIN,
}


def may_open(request, url_name: str) -> bool:
    """Whether the page of ``url_name`` lets the request's user in, asked of its own guard."""
    view = resolve(reverse(url_name)).func
    rule = getattr(view, "may_open", None)
    if rule is not None:
        return rule(request)
    model_admin = getattr(view, "model_admin", None)  # set by ModelAdmin.get_urls
    if model_admin is not None and admin.site.has_permission(request):
        if url_name.endswith("_changelist"):
            return model_admin.has_view_or_change_permission(request)
        if url_name.endswith("_add"):
            return model_admin.has_add_permission(request)
    if model_admin is not None:
        return False
    raise ImproperlyConfigured(f"{url_name}: no check says who may open it")


def menu(request, name: str, organization=None) -> list[Shown]:
    """The links of menu ``name`` that the request's user may open."""
    shown = []
    for link in MENUS[name]:
        if not may_open(request, link.url_name):
            continue
        url = reverse(link.url_name)
        if link.keeps_organization and organization:  # "" where a page has none
            url = f"{url}?organization={organization.pk}"
        shown.append(Shown(link.title, url))
    return shown
