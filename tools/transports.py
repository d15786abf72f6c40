"""How the simulator reaches the app: in-process through Flask's test client, or over HTTP."""

from __future__ import annotations

import http.client
from typing import Self
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
    """Requests go to a running server, on one kept-alive connection; URLs keep the public
    address they were signed with. A context manager: leaving it closes the connection."""

    def __init__(self, server: str, timeout: float = 10) -> None:
        self.server = urlsplit(server)
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = urlencode(params)
        headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again
            try:
                connection = self._connection()
                connection.request("POST", target, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read().decode("utf-8")
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.server.scheme == "https"
                else (http.client.HTTPConnection)
            )
            host = self.server.hostname or "127.0.0.1"
            self.connection = kind(host, self.server.port, timeout=self.timeout)
        return self.connection

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
