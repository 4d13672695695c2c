"""The back office's menus in templates: ``{% staff_menu "billing" organization as links %}``
gives the links of a menu of ``backoffice.navigation`` that the user may open."""

from django import template

from kabinet.backoffice import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_menu(context, name, organization=None):
    return navigation.menu(context["request"], name, organization)
