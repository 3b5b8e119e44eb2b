"""Send times on either side of the clock changes of Paris and Zurich, which keep the same time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

CLOCK_CHANGES = [
    # Spring forward on 31 March 2030: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    (datetime(2030, 3, 31, 0, 30, tzinfo=UTC), datetime(2030, 3, 31, 1, 30, tzinfo=PARIS)),
    (datetime(2030, 3, 31, 1, 30, tzinfo=UTC), datetime(2030, 3, 31, 3, 30, tzinfo=PARIS)),
    # Fall back on 27 October 2030: 03:00 CEST becomes 02:00 CET at 01:00 UTC. 02:00 to 03:00
    # then happens twice (refused, see test_base.py): just before and after it.
    (datetime(2030, 10, 26, 23, 59, tzinfo=UTC), datetime(2030, 10, 27, 1, 59, tzinfo=PARIS)),
    (datetime(2030, 10, 27, 2, 0, tzinfo=UTC), datetime(2030, 10, 27, 3, 0, tzinfo=PARIS)),
    # The same in 2031 (30 March, 26 October), half an hour from the change.
    (datetime(2031, 3, 30, 0, 30, tzinfo=UTC), datetime(2031, 3, 30, 1, 30, tzinfo=PARIS)),
    (datetime(2031, 3, 30, 1, 30, tzinfo=UTC), datetime(2031, 3, 30, 3, 30, tzinfo=PARIS)),
    (datetime(2031, 10, 25, 23, 30, tzinfo=UTC), datetime(2031, 10, 26, 1, 30, tzinfo=PARIS)),
    (datetime(2031, 10, 26, 2, 30, tzinfo=UTC), datetime(2031, 10, 26, 3, 30, tzinfo=PARIS)),
    # Far from any change: summer and winter time.
    (datetime(2030, 7, 1, 12, 0, tzinfo=UTC), datetime(2030, 7, 1, 14, 0, tzinfo=PARIS)),
    (datetime(2030, 1, 15, 12, 0, tzinfo=UTC), datetime(2030, 1, 15, 13, 0, tzinfo=PARIS)),
]
"""Each a send time, and the wall clock it shows in Paris (and Zurich): what the providers read."""
