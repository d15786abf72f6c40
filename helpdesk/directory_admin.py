"""A supervisor's changes to the directory: clients, their contacts, staff, and the whole file.

The rules are the directory file's rules (directory/entries.py): numbers in E.164 and owned by
one contact, at most 4 authorized contacts a client, staff on duty reachable on a mobile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from directory import entries, sync
from email_addresses import InvalidEmailAddress, normalized
from helpdesk import staff_sessions
from models import (
    Client,
    Contact,
    ContactPhone,
    Duty,
    IntegrityRuleError,
    Language,
    Role,
    StaffMember,
    current_time,
)
from models.directory import MAX_AUTHORIZED_CONTACTS
from phones import InvalidPhoneNumber, to_e164
from refusals import Refused


@dataclass(frozen=True)
class ClientFields:
    account: str
    name: str
    language: Language
    hour_bank: bool
    distance_km: float


@dataclass(frozen=True)
class ContactFields:
    name: str
    email: str
    phones: Sequence[str]  # as typed; stored in E.164
    language: Language
    authorized: bool


@dataclass(frozen=True)
class StaffFields:
    name: str
    email: str
    mobile: str
    role: Role
    language: Language
    active: bool


def clients(session: Session) -> Sequence[Client]:
    """Every client with its contacts and their numbers, by account."""
    return session.scalars(
        select(Client)
        .options(selectinload(Client.contacts).selectinload(Contact.phones))
        .order_by(Client.account)
    ).all()


def find_client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise Refused("no_such_client", "no such client")
    return client


def save_client(session: Session, client_id: int | None, fields: ClientFields) -> Client:
    """Create a client (no id) or change one."""
    account, name = fields.account.strip(), fields.name.strip()
    if not account or not name:
        raise Refused("client_needs_account_and_name", "a client needs an account and a name")
    if fields.distance_km < 0:
        raise Refused("negative_distance", "the distance cannot be negative")
    clash = session.scalars(select(Client).where(Client.account == account)).first()
    if clash is not None and clash.id != client_id:
        raise Refused("account_taken", "account %(account)s is already used", account=account)
    client = Client() if client_id is None else find_client(session, client_id)
    if client_id is None:
        session.add(client)
    client.account, client.name = account, name
    client.language, client.hour_bank = fields.language, fields.hour_bank
    client.distance_km = fields.distance_km
    session.flush()
    return client


def save_contact(
    session: Session, client_id: int, contact_id: int | None, fields: ContactFields
) -> Contact:
    """Add a contact to a client (no id) or change one; refuse a 5th authorized contact."""
    client = find_client(session, client_id)
    contact = Contact() if contact_id is None else _contact_of(client, contact_id)
    name = fields.name.strip()
    if not name:
        raise Refused("contact_needs_name", "a contact needs a name")
    email = _email(fields.email)
    if email is not None:
        _address_free(session, email, contact)
    numbers = _numbers(session, fields.phones, contact)
    if fields.authorized and not (contact_id is not None and contact.authorized):
        _room_for_one_more(session, client)
    contact.name, contact.email = name, email
    contact.language, contact.authorized = fields.language, fields.authorized
    if contact_id is None:
        client.contacts.append(contact)  # only now: autoflush must not write a contact half-made
    _set_phones(session, contact, numbers)
    try:
        session.flush()
    except IntegrityRuleError:  # the model's backstop, for a contact authorized concurrently
        raise _too_many(client) from None
    return contact


def _contact_of(client: Client, contact_id: int) -> Contact:
    for contact in client.contacts:
        if contact.id == contact_id:
            return contact
    raise Refused("no_such_contact", "no such contact")


def _email(typed: str) -> str | None:
    """The address as stored (email_addresses.normalized), or None when none is typed."""
    if not typed.strip():
        return None
    try:
        return normalized(typed.strip())
    except InvalidEmailAddress:
        raise Refused(
            "bad_email", "email: %(email)s is not a valid email address", email=typed.strip()
        ) from None


def _address_free(session: Session, email: str, contact: Contact) -> None:
    """Refuse an address another contact has (in any case): mail from it must find one client."""
    owner = session.scalars(
        select(Contact.name).where(
            func.lower(Contact.email) == email.lower(), Contact.id != (contact.id or 0)
        )
    ).first()
    if owner is not None:
        raise Refused(
            "address_taken",
            "%(email)s is already the address of %(owner)s",
            email=email,
            owner=owner,
        )


def _numbers(session: Session, typed: Sequence[str], contact: Contact) -> list[str]:
    """The numbers in E.164, each at most once and owned by no other contact."""
    numbers: list[str] = []
    for raw in (t.strip() for t in typed):
        if not raw:
            continue
        try:
            number = to_e164(raw, field="phone")
        except InvalidPhoneNumber:
            raise Refused("bad_phone", "%(phone)s is not a valid phone number", phone=raw) from None
        if number not in numbers:
            numbers.append(number)
    owners = session.execute(
        select(ContactPhone.number, Contact.name)
        .join(Contact, Contact.id == ContactPhone.contact_id)
        .where(ContactPhone.number.in_(numbers), ContactPhone.contact_id != (contact.id or 0))
    ).first()
    if owners is not None:
        raise Refused(
            "phone_taken",
            "%(phone)s is already the number of %(owner)s",
            phone=owners[0],
            owner=owners[1],
        )
    return numbers


def _set_phones(session: Session, contact: Contact, numbers: list[str]) -> None:
    have = {phone.number: phone for phone in contact.phones}
    for phone in list(contact.phones):
        if phone.number not in numbers:
            contact.phones.remove(phone)
    session.flush()  # a number moved down the list is released before it is added again
    for position, number in enumerate(numbers):
        if number in have:
            have[number].position = position
        else:
            contact.phones.append(ContactPhone(number=number, position=position))


def _room_for_one_more(session: Session, client: Client) -> None:
    count = session.scalar(
        select(func.count(Contact.id)).where(
            Contact.client_id == client.id, Contact.authorized.is_(True)
        )
    )
    if (count or 0) >= MAX_AUTHORIZED_CONTACTS:
        raise _too_many(client)


def _too_many(client: Client) -> Refused:
    return Refused(
        "too_many_authorized",
        "%(client)s already has %(limit)d authorized contacts: the policy allows at most "
        "%(limit)d. Withdraw one's authorization first.",
        client=client.name,
        limit=MAX_AUTHORIZED_CONTACTS,
    )


def staff(session: Session) -> Sequence[StaffMember]:
    return session.scalars(select(StaffMember).order_by(StaffMember.name)).all()


def save_staff(session: Session, staff_id: int | None, fields: StaffFields) -> StaffMember:
    """Create a staff member (no id) or change one; leaving, they leave the standing orders."""
    name = fields.name.strip()
    if not name:
        raise Refused("staff_needs_name", "a staff member needs a name")
    email = _email(fields.email)
    if email is None:
        raise Refused("staff_needs_email", "a staff member needs an email address")
    email = email.lower()  # staff sign in with it: one spelling
    clash = session.scalars(select(StaffMember).where(StaffMember.email == email)).first()
    if clash is not None and clash.id != staff_id:
        raise Refused("email_taken", "%(email)s is already a staff member's", email=email)
    mobile = _mobile(fields.mobile)
    member = StaffMember() if staff_id is None else _staff_member(session, staff_id)
    if staff_id is None:
        session.add(member)
    elif fields.active and not mobile and _on_duty(session, staff_id):
        raise Refused(
            "duty_needs_mobile",
            "%(name)s has no mobile number: the line could not ring or page them",
            name=name,
        )
    changed_access = staff_id is not None and (member.role, member.active) != (
        fields.role,
        fields.active,
    )
    member.name, member.email, member.mobile = name, email, mobile
    member.role, member.language, member.active = fields.role, fields.language, fields.active
    session.flush()
    if changed_access:  # a new role or leaving: the sessions opened under the old one end
        staff_sessions.end_all(session, member.id, current_time(session))
    if not fields.active:
        session.execute(
            delete(Duty).where(
                Duty.staff_member_id == member.id, Duty.starts_at.is_(None), Duty.ends_at.is_(None)
            )
        )
    return member


def _staff_member(session: Session, staff_id: int) -> StaffMember:
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise Refused("no_such_staff", "no such staff member")
    return member


def _mobile(typed: str) -> str | None:
    if not typed.strip():
        return None
    try:
        return to_e164(typed, field="mobile")
    except InvalidPhoneNumber:
        raise Refused("bad_phone", "%(phone)s is not a valid phone number", phone=typed) from None


def _on_duty(session: Session, staff_id: int) -> bool:
    """On a standing order, or on a rotation not yet over (a past week asks for nothing)."""
    still = or_(Duty.ends_at.is_(None), Duty.ends_at > current_time(session))
    duty = select(Duty.id).where(Duty.staff_member_id == staff_id, still)
    return session.scalars(duty).first() is not None


def import_file(session: Session, text: str) -> entries.Directory:
    """Load a directory file; raises entries.DirectoryFileError (every error) and loads nothing."""
    directory = entries.parse(text)
    sync.load(session, directory)
    return directory


def export_file(session: Session) -> str:
    return sync.dump(session)


def choose_language(session: Session, staff_id: int, language: Language) -> None:
    """A staff member's own language: the console's pages and their notices speak it."""
    _staff_member(session, staff_id).language = language
