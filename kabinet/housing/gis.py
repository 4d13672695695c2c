"""Identifiers that ГИС ЖКХ (dom.gosuslugi.ru) assigns and the payment document prints
(Приказ Минстроя России от 26.01.2018 № 43/пр, раздел 1 формы): the единый лицевой счёт (ЕЛС),
the идентификатор жилищно-коммунальной услуги (ЖКУ) and the идентификатор платёжного документа
(ИПД). Kabinet never makes them up: staff enter them, a later import fetches them.

Their lengths are those of the interface schemas 16.3.0.0 (``hcs-account-base.xsd``:
``UnifiedAccountNumber`` length 10, ``ServiceID`` length 13; ``hcs-bills-base.xsd``:
``PaymentDocumentID`` length 18). The schemas fix no alphabet; the system issues digits,
letters (Cyrillic or Latin) and hyphens between the parts (``75АБ012345-01``), so a space or
any other character is a typing error."""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

UNIFIED_ACCOUNT_LENGTH = 10
SERVICE_ID_LENGTH = 13
PAYMENT_DOCUMENT_ID_LENGTH = 18

_ALPHABET = re.compile(r"[0-9A-Za-zА-ЯЁа-яё-]*")


@deconstructible
class GisIdentifierValidator:
    """Exactly ``length`` characters of the identifiers' alphabet."""

    def __init__(self, length: int, name: str):
        self.length, self.name = length, name

    def __call__(self, value: str) -> None:
        if len(value) != self.length:
            raise ValidationError(
                f"{self.name} ГИС ЖКХ состоит из {self.length} знаков, здесь {len(value)}."
            )
        if not _ALPHABET.fullmatch(value):
            raise ValidationError(
                f"{self.name} ГИС ЖКХ состоит из цифр, букв и дефисов, без пробелов."
            )

    def __eq__(self, other):
        return isinstance(other, GisIdentifierValidator) and (self.length, self.name) == (
            other.length,
            other.name,
        )


validate_unified_account = GisIdentifierValidator(UNIFIED_ACCOUNT_LENGTH, "Единый лицевой счёт")
validate_service_id = GisIdentifierValidator(SERVICE_ID_LENGTH, "Идентификатор ЖКУ")
validate_payment_document_id = GisIdentifierValidator(
    PAYMENT_DOCUMENT_ID_LENGTH, "Идентификатор платёжного документа"
)
