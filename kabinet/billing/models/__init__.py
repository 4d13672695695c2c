"""Billing's models, a module per subject; everything is importable from here as before."""

from kabinet.billing.models.figures import HouseFigures  # noqa: F401
from kabinet.billing.models.houses import (  # noqa: F401
    CapitalRepairDueDay,
    CapitalRepairFund,
    CapitalRepairFundKind,
    HeatingMethod,
    HeatingPayment,
    HeatingSetting,
    parse_season_months,
)
from kabinet.billing.models.law import (  # noqa: F401
    COEFFICIENT_RESOURCES,
    COMMON_NEEDS_RESOURCES,
    WASTEWATER,
    CommonNeedsNormative,
    IncreasingCoefficient,
    KeyRate,
    PenaltyRule,
    PenaltyRuleKind,
    PenaltyScale,
)
from kabinet.billing.models.periods import (  # noqa: F401
    FROZEN_PERIOD_FIELDS,
    Charge,
    ChargeBasis,
    ChargeQuerySet,
    ClosedPeriodError,
    Period,
    PeriodQuerySet,
    PeriodRow,
    PeriodRowQuerySet,
    PeriodStatus,
    refuse_closed,
)
from kabinet.billing.models.rows import (  # noqa: F401
    NOT_INSTALLABLE,
    AccountBalance,
    InstalmentPlan,
    Penalty,
    PenaltyBasis,
    Recalculation,
    RecalculationKind,
)
from kabinet.billing.models.runs import BillingRun, BillingRunPart, RunStatus  # noqa: F401
from kabinet.billing.models.services import (  # noqa: F401
    CAPITAL_REPAIR_METHODS,
    INSTALMENT_METHODS,
    PENALTY_METHODS,
    TARIFF_FIELD,
    VOLUME_FIELD,
    CalculationMethod,
    Service,
    Tariff,
)
