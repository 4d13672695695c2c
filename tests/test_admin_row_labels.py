"""Inputs in rows under column headers — a list's editable columns and a tabular inline — are
named for screen readers by their column and row (``backoffice.admin.rows``); the browser test
``e2e/test_resident_pages.py`` checks the pages with axe-core."""

import re

import pytest
from django.urls import reverse

from kabinet.appeals.models import Topic
from tests.factories import HouseFactory

pytestmark = pytest.mark.django_db


def named_inputs(page: str) -> dict[str, str]:
    """name attribute -> aria-label of the page's inputs and selects that have one."""
    named = {}
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", page):
        name, label = re.search(r'name="([^"]+)"', tag), re.search(r'aria-label="([^"]+)"', tag)
        if name and label:
            named[name.group(1)] = label.group(1)
    return named


def test_a_lists_editable_columns_are_named_by_column_and_row(client, operator, own):
    Topic.objects.create(organization=own, name="Протечка", position=3)
    page = client.get(reverse("admin:appeals_topic_changelist")).text
    named = named_inputs(page)
    row = next(n for n, label in named.items() if label == "Порядок (Протечка)").split("-")[1]
    assert named[f"form-{row}-is_active"] == "Предлагать жителям (Протечка)"
    assert f"form-{row}-id" not in named  # hidden: nothing to announce


def test_a_tabular_inlines_inputs_are_named_by_column(client, operator, own):
    HouseFactory(organization=own)
    page = client.get(reverse("admin:housing_managementcontract_add")).text
    named = named_inputs(page)
    assert named["documents-0-title"] == "Название"
    assert named["documents-0-file"] == "Файл"
