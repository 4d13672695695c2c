"""The results of the exports that come back through the exchange (``exportAccountData``,
``exportMeteringDeviceData``) fed into the identifiers' import: the same code path as an
uploaded file — the house-management ``getStateResult`` validated against the pinned schema,
then all or nothing, audited as done by whoever started the posting — so the same result twice
changes nothing the second time."""

from kabinet.gisgkh.identifiers import (
    IdentifierImportError,
    account_export_rows,
    import_account_identifiers,
    state_result,
)
from kabinet.gisgkh.meter_identifiers import import_meter_identifiers, meter_export_rows

# operation → (the result's elements, how they are read, how they are imported, what is absent)
IMPORTS = {
    "exportAccountData": (
        "exportAccountResult",
        account_export_rows,
        import_account_identifiers,
        "В ответе ГИС ЖКХ нет лицевых счетов.",
    ),
    "exportMeteringDeviceData": (
        "exportMeteringDeviceDataResult",
        meter_export_rows,
        import_meter_identifiers,
        "В ответе ГИС ЖКХ нет приборов учёта.",
    ),
}


def import_result(posting, result) -> tuple[str, list[str]]:
    """Import the identifiers of ``result`` (the ``getStateResult`` of ``posting``'s export)
    into its organisation: (the outcome for staff, the errors — each bad entry named, and
    then nothing is imported)."""
    item, rows_of, write, refusal = IMPORTS[posting.operation]
    try:
        rows = rows_of(state_result(result, "house-management", item, refusal))
        outcome = write(posting.organization, rows, by=posting.created_by)
    except IdentifierImportError as error:
        return "Идентификаторы не загружены: исправьте ошибки и запросите снова.", error.errors
    return f"Загружено: записей {outcome.rows}, изменено {outcome.label}: {outcome.changed}.", []
