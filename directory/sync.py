"""Bring the database in line with a directory file, and write the database back as one.

Loading is idempotent: the same file twice changes nothing. The file is the truth for what it
names: a client's contacts absent from it lose their authorization, phone numbers and personal
code (their tickets keep them), and their email address when the file gives it to another
contact; staff absent from it become inactive and leave the permanent on-call order. Clients
absent from the file are left alone: removing a client is a supervisor's act. An email address,
like a phone number, belongs to one contact: mail from it must find one client.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable
from graphlib import CycleError, TopologicalSorter

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from directory.entries import (
    ClientEntry,
    ContactEntry,
    Directory,
    DirectoryFileError,
    StaffEntry,
)
from models import (
    Client,
    Contact,
    ContactPhone,
    Duty,
    Line,
    StaffMember,
    StaffSession,
    current_time,
)


def load(session: Session, directory: Directory) -> None:
    """Apply ``directory`` in the caller's transaction."""
    clients = {c.account: c for c in session.scalars(select(Client).options(selectinload("*")))}
    pairs = [(entry, clients.get(entry.account)) for entry in directory.clients]
    # Numbers leave their old owners before anyone gets them, so a number can move between
    # contacts without tripping the unique constraint; so do the file's addresses, from the
    # contacts it drops (a contact renamed is a new one).
    wanted = {(e.account, c.name): c for e, _ in pairs for c in e.contacts}
    addresses = {c.email.lower() for e in directory.clients for c in e.contacts if c.email}
    for entry, client in pairs:
        if client is not None:
            _release_numbers(session, client, entry, wanted, addresses)
    session.flush()
    for entry, client in pairs:
        _load_client(session, entry, client)
    session.flush()
    _check_addresses_owned_once(session, directory)
    _load_staff(session, directory.staff)


def _check_addresses_owned_once(session: Session, directory: Directory) -> None:
    """Refuse (DirectoryFileError) an address of the file that a contact it does not name has:
    one of a client it leaves alone, or one dropped from it. Mail from it must find one client."""
    named = {c.email.lower() for e in directory.clients for c in e.contacts if c.email}
    holders = session.execute(
        select(func.lower(Contact.email), Client.account, Contact.name)
        .join(Client, Client.id == Contact.client_id)
        .where(func.lower(Contact.email).in_(named))
        .order_by(Contact.id)
    ).all()
    first: dict[str, str] = {}
    errors = []
    for address, account, name in holders:
        who = f"client {account} contact {name!r}"
        if first.setdefault(address, who) != who:
            errors.append(f"{who}: email: {address} is also the address of {first[address]}")
    if errors:
        raise DirectoryFileError(errors)


def _release_numbers(
    session: Session,
    client: Client,
    entry: ClientEntry,
    wanted: dict[tuple[str, str], ContactEntry],
    addresses: set[str],
) -> None:
    for contact in client.contacts:
        keep = wanted.get((entry.account, contact.name))
        for phone in list(contact.phones):
            if keep is None or phone.number not in keep.phones:
                contact.phones.remove(phone)
        if keep is None:
            contact.authorized, contact.pin_hash = False, None
            if (contact.email or "").lower() in addresses:
                contact.email = None  # another of the file's contacts has it now


def _load_client(session: Session, entry: ClientEntry, client: Client | None) -> None:
    if client is None:
        client = Client(account=entry.account)
        session.add(client)
    _assign(
        client,
        name=entry.name,
        language=entry.language,
        hour_bank=entry.hour_bank,
        distance_km=entry.distance_km,
    )
    by_name = {contact.name: contact for contact in client.contacts}
    for contact_entry in entry.contacts:
        contact = by_name.get(contact_entry.name)
        if contact is None:
            contact = Contact(name=contact_entry.name)
            client.contacts.append(contact)
        _assign(
            contact,
            email=contact_entry.email,
            language=contact_entry.language,
            authorized=contact_entry.authorized,
        )
        have = {phone.number: phone for phone in contact.phones}
        for position, number in enumerate(contact_entry.phones):
            phone = have.get(number)
            if phone is None:
                contact.phones.append(ContactPhone(number=number, position=position))
            elif phone.position != position:
                phone.position = position


def _load_staff(session: Session, entries: list[StaffEntry]) -> None:
    members = {m.email.lower(): m for m in session.scalars(select(StaffMember))}
    access_before = {m.id: (m.role, m.active) for m in members.values()}
    listed = set()
    for entry in entries:
        member = members.get(entry.email)
        if member is None:
            member = StaffMember(email=entry.email)
            session.add(member)
            members[entry.email] = member
        listed.add(entry.email)
        _assign(
            member,
            name=entry.name,
            mobile=entry.mobile,
            role=entry.role,
            language=entry.language,
            active=entry.active,
        )
    for email, member in members.items():
        if email not in listed and member.active:
            member.active = False
    session.flush()
    # A new role or leaving ends the sessions opened under the old one (staff_sessions.end_all's
    # rule, written here: the directory sits below the helpdesk).
    access_now = {m.id: (m.role, m.active) for m in members.values()}
    changed = [id_ for id_, now in access_now.items() if access_before.get(id_, now) != now]
    if changed:
        session.execute(
            update(StaffSession)
            .where(StaffSession.staff_member_id.in_(changed), StaffSession.ended_at.is_(None))
            .values(ended_at=current_time(session))
        )
    _load_permanent_duties(session, [members[e.email] for e in entries], entries)


def _load_permanent_duties(
    session: Session, members: list[StaffMember], entries: list[StaffEntry]
) -> None:
    for line in Line:
        order = [m.id for m, e in zip(members, entries, strict=True) if line in e.duty]
        current = session.scalars(
            select(Duty)
            .where(Duty.line == line, Duty.starts_at.is_(None), Duty.ends_at.is_(None))
            .order_by(Duty.position, Duty.id)
        ).all()
        if [d.staff_member_id for d in current] == order and [d.position for d in current] == list(
            range(len(order))
        ):
            continue
        session.execute(
            delete(Duty).where(Duty.line == line, Duty.starts_at.is_(None), Duty.ends_at.is_(None))
        )
        session.add_all(
            Duty(line=line, staff_member_id=member_id, position=position)
            for position, member_id in enumerate(order)
        )


def _assign(obj: object, **values: object) -> None:
    """Set only what differs, so an unchanged file leaves rows untouched."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def dump(session: Session) -> str:
    """The current directory, in the format ``load`` reads."""
    lines: list[str] = []
    clients = session.scalars(select(Client).order_by(Client.account))
    for client in clients:
        lines += _table(
            "client",
            {
                "account": client.account,
                "name": client.name,
                "language": client.language.value,
                "hour_bank": client.hour_bank,
                "distance_km": client.distance_km,
            },
        )
        for contact in client.contacts:
            if not contact.authorized and not contact.phones:
                continue  # a former contact, kept only for the history of their tickets
            values: dict[str, object] = {"name": contact.name}
            if contact.email:
                values["email"] = contact.email
            values |= {
                "phones": [p.number for p in contact.phones],
                "language": contact.language.value,
                "authorized": contact.authorized,
            }
            lines += _table("client.contact", values)
    lines += _dump_staff(session)
    return "\n".join(lines)


def _dump_staff(session: Session) -> list[str]:
    duties = session.scalars(
        select(Duty)
        .where(Duty.starts_at.is_(None), Duty.ends_at.is_(None))
        .order_by(Duty.line, Duty.position)
    ).all()
    on_duty = {line: [d.staff_member_id for d in duties if d.line == line] for line in Line}
    members = list(session.scalars(select(StaffMember).order_by(StaffMember.id)))
    rank = {member_id: i for i, member_id in enumerate(_file_order(on_duty.values()))}
    members.sort(key=lambda m: rank.get(m.id, len(rank)))
    lines: list[str] = []
    for member in members:
        values: dict[str, object] = {"name": member.name, "email": member.email}
        if member.mobile:
            values["mobile"] = member.mobile
        values |= {"role": member.role.value, "language": member.language.value}
        if not member.active:
            values["active"] = False
        values["duty"] = [line.value for line in Line if member.id in on_duty[line]]
        lines += _table("staff", values)
    return lines


def _file_order(orders: Collection[list[int]]) -> list[int]:
    """One order of staff that gives every line its ring order, as the file's order does."""
    graph: TopologicalSorter[int] = TopologicalSorter()
    for order in orders:
        for member_id in order:
            graph.add(member_id)
        for before, after in itertools.pairwise(order):
            graph.add(after, before)
    try:
        return list(graph.static_order())
    except CycleError:  # orders set elsewhere that no single file order can express
        return [member_id for order in orders for member_id in order]


def _table(name: str, values: dict[str, object]) -> list[str]:
    return [f"[[{name}]]", *(f"{key} = {_toml(value)}" for key, value in values.items()), ""]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, Iterable):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")
