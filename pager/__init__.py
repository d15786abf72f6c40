"""The technicians' pager: the SMS they get (written by ``sending.staff_notices``) and the SMS
they answer with (``door``, Twilio's messaging webhook), read as commands (``commands``: "OK
1234" takes ticket 1234)."""
