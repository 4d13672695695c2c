"""Signals other domains answer, so that users does not import them."""

from django.dispatch import Signal

# Sent when a user downloads their personal data (152-ФЗ); kwargs: ``user``. Each receiver
# returns ``(section, data)``: a name of a section of the export and JSON-serialisable data.
personal_data_requested = Signal()
