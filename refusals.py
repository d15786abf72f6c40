"""An act the product refuses: a key that a door translates, the values it names, and the English
text (for logs and tests). The one way to refuse: services, billing and forms all raise it.

Services raise it; a door shows it (the console in the reader's language, by ``key``), and the
transaction around the act rolls back, so nothing of a refused act is kept. A leaf module, so
that the pure modules (``billing``) refuse the same way.
"""

from __future__ import annotations

from typing import Any


class Refused(ValueError):
    def __init__(self, key: str, english: str, **values: Any) -> None:
        super().__init__(english % values if values else english)
        self.key = key
        self.values = values
