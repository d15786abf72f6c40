"""Reading incoming support email: pure Python, no web layer, no database, no network.

`read_message` turns the raw bytes an MTA pipe, an HTTP hook or IMAP hands over into an
`InboundMessage`, or an `Unreadable` that the caller quarantines with the bytes.
"""

from mail.reading.automatic import OWN_HEADER, automatic_reason
from mail.reading.message import Attachment, InboundMessage, Unreadable
from mail.reading.parse import read_message

__all__ = [
    "OWN_HEADER",
    "Attachment",
    "InboundMessage",
    "Unreadable",
    "automatic_reason",
    "read_message",
]
