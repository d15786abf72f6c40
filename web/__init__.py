"""What every web door shares, set on the app by ``create_app``: the helpdesk context
(``context``), sessions, CSRF and the security headers (``security``), and the language of the
web pages with their one catalog (``languages``). No door sets any of it, and no door imports
another."""
