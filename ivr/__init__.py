"""The phone line's door: Twilio voice webhooks under /voice, and the call flows.

Importing this package loads nothing else: ``ivr.routes.register`` puts the routes on an app.
Every webhook is a ``steps`` step (one signed request, one unit of work). A call goes through
``entry`` (greeting, language, the menu), then ``reception`` (a caller the directory does not
authorize, option 0), ``regular`` (option 6) or ``cata`` (urgent support), ends its message in
``recordings``, and ``entry`` again hears its end; a callback's technician leg is
``callback_legs``. What they say is data: ``prompts.toml`` and ``menu.toml``.
"""
