"""The table of measures: how each declared indicator is computed (the engine's extension
point). A measure takes ``(store, indicator, periods, scope, now)`` and gives one value per
period, in order (None where there is no data); it computes all the periods in one or few
queries and respects the scope. Keys are prefixed by domain: ``cases.*`` here,
``env.*``, ``traffic.*``, ``safety.*``, ``grid.*``, ``external.*`` from the sensing modules.

A measure may carry ``check_params(params)``, raising ValueError for parameters it does not
take; the registry calls it when loading the indicators.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from models.indicators import case_measures, external, grid_measures, sensing_measures

if TYPE_CHECKING:
    from models.indicators.periods import Period
    from models.indicators.registry import Indicator
    from models.security import Scope
    from models.store import Store

Measure = Callable[["Store", "Indicator", "list[Period]", "Scope", datetime], "list[float | None]"]

MEASURES: dict[str, Measure] = {
    **case_measures.MEASURES,
    **sensing_measures.MEASURES,
    **grid_measures.MEASURES,
    **external.MEASURES,
}
