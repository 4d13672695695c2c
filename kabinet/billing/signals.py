"""Signals other domains listen to, so that billing does not import them."""

from django.dispatch import Signal

# Sent after a period is closed and its transaction has committed; kwargs: ``period``.
period_closed = Signal()
