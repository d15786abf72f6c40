"""The one boundary with Twilio, shared by the voice and SMS doors and by the jobs: the
signature check of its webhooks (``signature``) and its REST API (``rest``). It knows settings,
not tickets."""
