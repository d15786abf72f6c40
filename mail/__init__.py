"""Everything about support email, in the order a message goes through it.

- ``mail.reading``: raw bytes to an ``InboundMessage`` (pure Python: no database, no network);
- the doors that hand the bytes over: ``hook`` (an HTTP post), ``pipe`` (the MTA's pipe,
  ``flask email ingest``), ``imap`` (the worker polls a mailbox);
- ``intake``: the message stored, and what it becomes (a ticket, a reply, quarantine);
- ``loops``: the signs of a mail loop that hold an answer for a supervisor;
- ``letters``, ``replies`` and ``notices``: the emails written to clients (acknowledgements,
  confirmations, notices of interventions, the survey), as Notification rows that
  ``sending`` delivers.
"""
