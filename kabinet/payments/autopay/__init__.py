"""Autopay: a resident's standing order to pay one account's receipts from a method saved at
the payment gateway. ``models`` (registered through ``payments.models``), ``services`` (the
workflow and the background run), ``tasks`` (the run queued when a period closes)."""
