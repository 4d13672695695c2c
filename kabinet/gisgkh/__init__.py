"""Exchange with ГИС ЖКХ (dom.gosuslugi.ru): the identifiers the system assigns, imported from
its exports, and the request messages built and checked against its schemas (docs/gis-gkh.md)."""
