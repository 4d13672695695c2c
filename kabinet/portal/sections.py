"""The sections of an account's pages: the side menu, the strip of phones and the «Разделы»
menu list them, and «Другой лицевой счет» leads to the same section of another account."""

from typing import NamedTuple

from django.urls import reverse


class Section(NamedTuple):
    key: str
    label: str  # in the side menu and the strip
    title: str  # in the «Разделы» menu
    view: str  # the section's page of an account


SECTIONS = (
    Section("card", "Карточка", "Карточка лицевого счета", "portal:account"),
    Section("charges", "Начисления", "Начисления", "portal:account_charges"),
    Section("tariffs", "Действующие тарифы", "Действующие тарифы", "portal:account_tariffs"),
    Section("penalties", "Пени", "Пени", "portal:account_penalties"),
    Section("meters", "Показания счетчиков", "Показания счетчиков", "portal:account_meters"),
    Section("contracts", "Договоры", "Договоры", "portal:account_contracts"),
    Section("payments", "Платежи", "Платежи", "portal:account_payments"),
    Section("appeals", "Обращения", "Обращения в УК", "portal:account_appeals"),
)
SECTION_PAGES = {section.key: section.view for section in SECTIONS}


def section_links(account) -> list[tuple[Section, str]]:
    """(section, address) of each section of ``account``, reversed once per account object: an
    account's page lists them three times."""
    links = getattr(account, "_section_links", None)
    if links is None:
        links = [(section, reverse(section.view, args=[account.pk])) for section in SECTIONS]
        account._section_links = links
    return links
