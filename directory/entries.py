"""The directory file (TOML): read and checked as a whole before anything touches the database.

Every error names its entry and field, and all of them are reported at once, so a supervisor can
fix a file in one pass.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, TypeVar

from email_addresses import InvalidEmailAddress, normalized
from models.directory import MAX_AUTHORIZED_CONTACTS
from models.enums import Language, Line, Role
from phones import InvalidPhoneNumber, to_e164


class DirectoryFileError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            "the directory file was refused, nothing was loaded:\n  " + "\n  ".join(errors)
        )
        self.errors = errors


@dataclass
class ContactEntry:
    name: str
    email: str | None
    phones: list[str]
    language: Language
    authorized: bool


@dataclass
class ClientEntry:
    account: str
    name: str
    language: Language
    hour_bank: bool
    distance_km: float
    contacts: list[ContactEntry] = field(default_factory=list)


@dataclass
class StaffEntry:
    name: str
    email: str
    mobile: str | None
    role: Role
    language: Language
    active: bool
    duty: list[Line]


@dataclass
class Directory:
    clients: list[ClientEntry]
    staff: list[StaffEntry]


E = TypeVar("E", Language, Role, Line)

CLIENT_KEYS = {"account", "name", "language", "hour_bank", "distance_km", "contact"}
CONTACT_KEYS = {"name", "email", "phones", "language", "authorized"}
STAFF_KEYS = {"name", "email", "mobile", "role", "language", "active", "duty"}


class _Reader:
    """Reads one table's fields, noting each problem under the entry's label."""

    def __init__(self, table: dict[str, Any], label: str, known: set[str], errors: list[str]):
        self.table, self.label, self.errors = table, label, errors
        for key in sorted(set(table) - known):
            self.error(key, f"unknown field (expected one of: {', '.join(sorted(known))})")

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{self.label}: {key}: {message}")

    def text(self, key: str, required: bool = True) -> str:
        value = self.table.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, "missing")
            return ""
        if not isinstance(value, str):
            self.error(key, f"expected text, got {value!r}")
            return ""
        return value.strip()

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, got {value!r}")
            return default
        return value

    def choice(self, key: str, kind: type[E], default: E) -> E:
        value = self.table.get(key, default.value)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            self.error(key, f"unknown value {value!r} (expected one of: {allowed})")
            return default

    def phone(self, key: str, value: Any) -> str | None:
        try:
            return to_e164(str(value), field=key)
        except InvalidPhoneNumber as error:
            self.error(key, f"{error.value!r} is not a valid phone number")
            return None

    def email(self, required: bool) -> str | None:
        """The "email" field as stored (email_addresses.normalized), or None."""
        typed = self.text("email", required=required)
        if not typed:
            return None
        try:
            return normalized(typed)
        except InvalidEmailAddress:
            self.error("email", f"{typed!r} is not a valid email address")
            return None


# TOML's escapes can write any character ("\u0000"): a name or an address holds none below the
# space, nor DEL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _controls(value: Any, where: str) -> list[str]:
    """Where a string of the file holds a control character."""
    if isinstance(value, str):
        return [where] if _CONTROL.search(value) else []
    if isinstance(value, dict):
        return [w for key, item in value.items() for w in _controls(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [w for i, item in enumerate(value, 1) for w in _controls(item, f"{where}[{i}]")]
    return []


def parse(text: str) -> Directory:
    """Read a directory file; raise DirectoryFileError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DirectoryFileError([f"not valid TOML: {error}"]) from None
    errors = [f"{where.lstrip('.')}: a control character" for where in _controls(data, "")]
    for key in sorted(set(data) - {"client", "staff"}):
        errors.append(f"{key}: unknown section (expected [[client]] and [[staff]])")
    clients = [_client(t, i, errors) for i, t in enumerate(_tables(data, "client", errors), 1)]
    staff = [_staff(t, i, errors) for i, t in enumerate(_tables(data, "staff", errors), 1)]
    _check_across_entries(clients, staff, errors)
    if errors:
        raise DirectoryFileError(errors)
    return Directory(clients=clients, staff=staff)


def _tables(data: dict[str, Any], key: str, errors: list[str]) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        errors.append(f"{key}: expected [[{key}]] tables")
        return []
    return value


def _client(table: dict[str, Any], index: int, errors: list[str]) -> ClientEntry:
    label = f"client #{index} ({table.get('account', '?')} {table.get('name', '?')})"
    read = _Reader(table, label, CLIENT_KEYS, errors)
    distance = table.get("distance_km", 0.0)
    if isinstance(distance, bool) or not isinstance(distance, int | float) or distance < 0:
        read.error("distance_km", f"expected a distance in km (0 or more), got {distance!r}")
        distance = 0.0
    client = ClientEntry(
        account=read.text("account"),
        name=read.text("name"),
        language=read.choice("language", Language, Language.FR),
        hour_bank=read.flag("hour_bank", False),
        distance_km=float(distance),
    )
    for position, contact in enumerate(_tables(table, "contact", errors), 1):
        client.contacts.append(_contact(contact, f"{label} contact #{position}", errors))
    return client


def _contact(table: dict[str, Any], where: str, errors: list[str]) -> ContactEntry:
    label = f"{where} ({table.get('name', '?')})"
    read = _Reader(table, label, CONTACT_KEYS, errors)
    phones_raw = table.get("phones", [])
    if not isinstance(phones_raw, list):
        read.error("phones", f"expected a list of numbers, got {phones_raw!r}")
        phones_raw = []
    phones = [read.phone(f"phones[{i}]", raw) for i, raw in enumerate(phones_raw)]
    email = read.email(required=False)
    return ContactEntry(
        name=read.text("name"),
        email=email,
        phones=[p for p in phones if p is not None],
        language=read.choice("language", Language, Language.FR),
        authorized=read.flag("authorized", True),
    )


def _staff(table: dict[str, Any], index: int, errors: list[str]) -> StaffEntry:
    label = f"staff #{index} ({table.get('name', '?')})"
    read = _Reader(table, label, STAFF_KEYS, errors)
    duty_raw = table.get("duty", [])
    if not isinstance(duty_raw, list):
        read.error("duty", f"expected a list of lines, got {duty_raw!r}")
        duty_raw = []
    duty: list[Line] = []
    for value in duty_raw:
        try:
            line = Line(value)
        except ValueError:
            read.error("duty", f"unknown line {value!r} (expected regular or urgent)")
            continue
        if line not in duty:
            duty.append(line)
    email = read.email(required=True) or ""
    mobile_raw = read.text("mobile", required=False)
    active = read.flag("active", True)
    if duty and active and not mobile_raw:
        # The CATA rings the people on duty and the pager is an SMS: without a mobile, a line
        # would count them on duty and never reach them.
        lines = " and ".join(line.value for line in duty)
        read.error("mobile", f"needed to be rung and paged on {lines} duty")
    return StaffEntry(
        name=read.text("name"),
        email=email.lower(),
        mobile=read.phone("mobile", mobile_raw) if mobile_raw else None,
        role=read.choice("role", Role, Role.TECHNICIAN),
        language=read.choice("language", Language, Language.FR),
        active=active,
        duty=duty,
    )


def _check_across_entries(
    clients: list[ClientEntry], staff: list[StaffEntry], errors: list[str]
) -> None:
    accounts: set[str] = set()
    owners: dict[str, str] = {}
    addresses: dict[str, str] = {}  # in lower case: mail finds its sender in any case
    for client in clients:
        if client.account and client.account in accounts:
            errors.append(f"client {client.account}: account: used by two clients")
        accounts.add(client.account)
        authorized = [c for c in client.contacts if c.authorized]
        if len(authorized) > MAX_AUTHORIZED_CONTACTS:
            errors.append(
                f"client {client.account} ({client.name}): {len(authorized)} authorized contacts; "
                f"at most {MAX_AUTHORIZED_CONTACTS} people may report problems for a client"
            )
        for contact in client.contacts:
            who = f"client {client.account} contact {contact.name!r}"
            for number in contact.phones:
                if number in owners and owners[number] != who:
                    errors.append(f"{who}: phones: {number} is also the number of {owners[number]}")
                owners.setdefault(number, who)
            address = (contact.email or "").lower()
            if address and addresses.setdefault(address, who) != who:
                errors.append(
                    f"{who}: email: {contact.email} is also the address of {addresses[address]}"
                )
    emails: set[str] = set()
    for member in staff:
        if member.email and member.email in emails:
            errors.append(f"staff {member.name!r}: email: {member.email} is used by two staff")
        emails.add(member.email)
