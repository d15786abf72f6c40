"""A TCP proxy that can make a server unreachable for a while without touching the server.

The bench points the app and the workers at this proxy instead of the machine's PostgreSQL,
which other people use and must never be stopped. ``cut()`` resets every open connection and
refuses new ones (accepted, then reset at once: the client sees the server go away, as when a
database host reboots); ``restore()`` lets connections through again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any

CHUNK = 65536


class CuttableProxy:
    """127.0.0.1:``port`` → ``target_host``:``target_port``, run on its own event loop thread."""

    def __init__(self, target_host: str, target_port: int, port: int) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self.down = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.open: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    def __enter__(self) -> CuttableProxy:
        self.thread.start()
        self._call(self._listen())
        return self

    def __exit__(self, *_: object) -> None:
        self._call(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()

    def cut(self) -> None:
        """From now on, the server is unreachable: open connections reset, new ones refused."""
        self.down = True
        self._call(self._reset_all())

    def restore(self) -> None:
        self.down = False

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
        await self._reset_all()

    async def _reset_all(self) -> None:
        for writer in list(self.open):
            _reset(writer)
        self.open.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self.open |= {writer, up_writer}
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            for each in (writer, up_writer):
                self.open.discard(each)
                each.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until it ends; a reset of either side ends it."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        writer.write_eof()
    except (OSError, RuntimeError):
        _reset(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (linger 0), not a polite FIN: the peer fails at once."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
