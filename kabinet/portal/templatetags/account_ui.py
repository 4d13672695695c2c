"""Template helpers of an account's pages."""

from django import template

from kabinet.portal.sections import section_links

register = template.Library()


@register.simple_tag
def account_sections(account) -> list:
    """(section, address) of each section of the account (``sections.section_links``)."""
    return section_links(account)
