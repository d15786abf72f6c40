"""A supervisor's act the helpdesk refuses: a key the console translates, and the English text.

Services raise it; a door shows it (the console in the reader's language, by ``key``), and the
transaction around the act rolls back, so nothing of a refused act is kept.
"""

from __future__ import annotations

from typing import Any


class Refused(ValueError):
    def __init__(self, key: str, english: str, **values: Any) -> None:
        super().__init__(english % values if values else english)
        self.key = key
        self.values = values
