"""A real Dovecot IMAP server for the tests, started the way its users start it.

A minimal configuration in a temporary folder: one passwd-file user, maildir storage, a
self-signed certificate made with openssl, IMAPS and IMAP (STARTTLS only, no plaintext login)
on free loopback ports; ``dovecot -F -c conf`` in the foreground, stopped at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import services

USER, PASSWORD = "support", "imap-test-password"


@dataclass(frozen=True)
class Dovecot:
    imaps_port: int
    imap_port: int
    ca_file: str

    def url(self, scheme: str = "imaps") -> str:
        port = self.imaps_port if scheme == "imaps" else self.imap_port
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}"


def binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _accounts() -> tuple[str, str, int, int]:
    """Login user, internal user, and the uid and gid that own the mail. Dovecot runs its
    helpers as unprivileged users and never touches mail as root."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid


CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
disable_plaintext_auth = yes
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@contextmanager
def running() -> Iterator[Dovecot]:
    """Dovecot on two free loopback ports until the block ends; skip (fail under CI) without
    it."""
    program = binary()
    if program is None:
        services.missing("Dovecot", "no dovecot binary (apt-get install dovecot-imapd)")
        raise AssertionError("unreachable")
    # Its own folder, open to Dovecot's unprivileged users (pytest's are private to us).
    folder = Path(tempfile.mkdtemp(prefix="altilogix-dovecot-"))
    folder.chmod(0o755)
    try:
        with _started(program, folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _started(program: str, folder: Path) -> Iterator[Dovecot]:
    cert, key = _certificate(folder)
    login_user, internal_user, uid, gid = _accounts()
    (folder / "mail").mkdir()
    os.chown(folder / "mail", uid, gid)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (folder / "passwd").chmod(0o644)
    server = Dovecot(_free_port(), _free_port(), str(cert))
    conf = folder / "dovecot.conf"
    conf.write_text(
        CONFIG.format(
            folder=folder,
            cert=cert,
            key=key,
            login_user=login_user,
            internal_user=internal_user,
            uid=uid,
            gid=gid,
            imap_port=server.imap_port,
            imaps_port=server.imaps_port,
        )
    )
    with (folder / "output.log").open("wb") as output:
        process = subprocess.Popen(
            [program, "-F", "-c", str(conf)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=services.real_clock_environment(),  # Dovecot dies when time moves backwards
        )
    try:
        _wait_for(server.imaps_port, process, folder)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(port: int, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = [folder / "output.log", folder / "dovecot.log"]
            details = " ".join(log.read_text() for log in logs if log.exists())
            raise RuntimeError(f"dovecot stopped: {details}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("dovecot did not listen within 15 s")
