"""What devices reported over time: samples of numeric state keys and hourly energy.

Pure decisions (`sampler`, `energy`) and one SQLite file (`database`). Nothing here runs
a task or touches the event loop: the daemon owns the thread the database is used from.
"""

from setsmart.history.database import (
    HistoryDatabase,
    HistoryError,
    HistoryFull,
    Limits,
    Point,
    open_database,
)
from setsmart.history.energy import HourlyEnergy
from setsmart.history.sampler import Sample, Sampler, numeric_values
from setsmart.history.units import unit_of

__all__ = [
    "HistoryDatabase",
    "HistoryError",
    "HistoryFull",
    "HourlyEnergy",
    "Limits",
    "Point",
    "Sample",
    "Sampler",
    "numeric_values",
    "open_database",
    "unit_of",
]
