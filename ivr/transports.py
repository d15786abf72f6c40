"""How the simulator reaches the app: in-process through Flask's test client, or over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from flask import Flask
from twilio.request_validator import SIGNATURE_HEADER


class InProcess:
    """Requests go straight to the app object, as Twilio's would go to its public URL."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        parts = urlsplit(url)
        response = self.client.post(
            parts.path + (f"?{parts.query}" if parts.query else ""),
            data=params,
            headers={SIGNATURE_HEADER: signature},
            base_url=f"{parts.scheme}://{parts.netloc}",
        )
        return response.status_code, response.get_data(as_text=True)


class OverHttp:
    """Requests go to a running server; URLs keep the public address they were signed with."""

    def __init__(self, server: str, timeout: float = 10) -> None:
        self.server = urlsplit(server)
        self.timeout = timeout

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        parts = urlsplit(url)
        target = f"{self.server.scheme}://{self.server.netloc}{parts.path}"
        target += f"?{parts.query}" if parts.query else ""
        request = urllib.request.Request(
            target,
            data=urlencode(params).encode(),
            method="POST",
            headers={SIGNATURE_HEADER: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, ""
