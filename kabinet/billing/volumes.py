"""The rules of Правила № 354 (Постановление Правительства РФ от 06.05.2011 № 354) that decide
the persons and the coefficient of a charge by the normative, read once per billing run (see
docs/billing-law.md, «Volumes»). The meters' own volumes are ``calculation.meter_volume``."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from kabinet.billing import calculation as calc
from kabinet.billing.models import WASTEWATER, IncreasingCoefficient
from kabinet.metering.models import MeterImpossible

ONE = Decimal(1)


def normative_persons(residents: int, owners: int) -> int:
    """The persons a normative per person is charged for: those registered in the premise, or,
    when nobody is, its owners (Правила № 354, п. 56(2))."""
    return residents or owners


class VolumeLaw:
    """What Правила № 354 п. 42 needs for the month: the increasing coefficient per resource
    (``IncreasingCoefficient`` rows, weighted by days where one changes within the month) and
    the premises where staff recorded that a meter cannot be installed."""

    def __init__(self, coefficients: dict[str, Decimal], impossible: set[tuple[int, str]]):
        self.coefficients, self.impossible = coefficients, impossible
        self.wastewater = coefficients.get(WASTEWATER)

    @classmethod
    def of(cls, organization, first, last, houses=None) -> "VolumeLaw":
        shipped, own = defaultdict(list), defaultdict(list)
        for owner, resource, value, valid_from, valid_to in (
            IncreasingCoefficient.objects.filter(
                Q(organization__isnull=True) | Q(organization=organization),
                valid_from__lte=last,
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
            .values_list("organization", "resource", "value", "valid_from", "valid_to")
        ):
            rows = own if owner else shipped
            rows[resource].append(calc.TariffSpan(value, valid_from, valid_to))
        coefficients = {}
        for resource in shipped.keys() | own.keys():
            # An organisation's rows for a resource replace the shipped ones.
            found = calc.month_tariff(own.get(resource) or shipped[resource], first, last)
            if found is not None and found > ONE:
                coefficients[resource] = found
        marked = MeterImpossible.objects.filter(premise__house__organization=organization)
        if houses is not None:
            marked = marked.filter(premise__house__in=houses)
        impossible = set(marked.values_list("premise", "resource"))
        return cls(coefficients, impossible)

    def coefficient(self, premise: int, resource: str, found) -> Decimal | None:
        """The coefficient of a charge by the normative: without a meter, unless one cannot be
        installed; with a failed one (``calc.FAILED``); none when readings were not given."""
        if found is None:
            if (premise, resource) in self.impossible:
                return None
        elif found[1] != calc.FAILED:
            return None
        return self.coefficients.get(resource)
