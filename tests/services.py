"""Real services for the tests: find them, or skip (fail under CI=true) saying why."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from redis import Redis
from redis.exceptions import RedisError

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# libfaketime's variables (`make test-moved-clock` runs the suite with the clock moved).
FAKETIME_VARIABLES = ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE", "DONT_FAKE_MONOTONIC")


def real_clock_environment() -> dict[str, str]:
    """The environment for a server the tests start (Redis, Dovecot, Chromium): it keeps the
    machine's real clock, as PostgreSQL does; only the code under test lives at a moved date,
    as the app's hosts and the servers they talk to may disagree in production too."""
    return {k: v for k, v in os.environ.items() if k not in FAKETIME_VARIABLES}


def missing(service: str, reason: str) -> None:
    """A test needs ``service``: under CI it must be there; elsewhere skip and say why."""
    message = f"{service} is not available: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: services must run; see .ci/run)")
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test run, dropped afterwards."""
    name = f"altilogix_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        missing("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {str(error).strip()}")
        raise  # unreachable: missing() skips or fails
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
            yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redis_client() -> Redis:
    client = Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except Exception as error:
        missing("Redis", f"{REDIS_TEST_URL}: {error}")
    return client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class PrivateRedis:
    """A ``redis-server`` of the test's own, on a free port, that the test may stop and restart.

    The machine's Redis is shared with other people's tests: faults are only ever played here.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self._clients: list[Redis] = []

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            missing("redis-server", "not installed; the fault tests start their own")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, env=real_clock_environment()
        )
        client = Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Redis:
        """A client of this server, closed by ``close``: a client left open leaves its socket
        to the garbage collector, which warns about it at a moment nobody chose."""
        client = Redis(port=self.port, socket_timeout=5, socket_connect_timeout=1)
        self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client handed out, then stop the server."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.stop()


class TcpProxy:
    """A TCP proxy on loopback in front of a real server, which a test can cut or silence."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.silent = False  # accept connections but pass nothing on
        self.sockets: list[socket.socket] = []
        self.sent = 0  # bytes passed on from the clients to the server
        self.forgotten: set[socket.socket] = set()  # flows a firewall dropped (forget_flows)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            with self.lock:
                self.sockets.append(client)
            if self.silent:  # hang up after 10 s, so that a client without a timeout fails too
                threading.Timer(10, client.close).start()
                continue
            server = socket.create_connection(self.target, timeout=5)
            # The 5 s bound the connecting only: a quiet server (a statement that runs its 5 s
            # timeout) must not end the flow, which raced the server's own answer.
            server.settimeout(None)
            with self.lock:
                self.sockets.append(server)
            for source, sink in ((client, server), (server, client)):
                pipe = (source, sink, sink is server)
                threading.Thread(target=self._pipe, args=pipe, daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, to_server: bool) -> None:
        try:
            while data := source.recv(65536):
                if to_server:
                    with self.lock:
                        self.sent += len(data)
                        forgotten = source in self.forgotten
                    if forgotten:  # answered with a reset; the server never hears it
                        source.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                        break
                sink.sendall(data)
        except OSError:
            pass
        # Both ways end together, and each peer hears it: close() alone sends nothing while the
        # other direction's thread still waits in recv() on the same socket.
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def forget_flows(self) -> None:
        """A NAT or a firewall forgets the open connections, silently: nothing shows until a
        client sends on one, and then it gets a reset."""
        with self.lock:
            self.forgotten.update(self.sockets)

    def cut(self) -> None:
        """The network goes: every connection is closed and no new one is accepted."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(): close alone does not
        self.listener.close()
        with self.lock:
            for end in self.sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
