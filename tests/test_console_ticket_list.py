"""The ticket list: every ticket a person may open, resolved and closed ones too, newest first,
narrowed by filters, found by the words of its subject, of the client's emails and of its notes,
by its client's and its contact's names, its contact's email and phone numbers, in pages that show
each ticket once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from console import ticket_search
from helpdesk import tickets
from models import (
    Channel,
    Client,
    Contact,
    Duty,
    EmailMessage,
    Line,
    MailDirection,
    Ticket,
    TicketStatus,
)
from tests.console_world import (
    DAVID,
    HELENE,
    JULIE,
    KARIM,
    LUC,
    Staff,
    give_passwords,
    signed_in_at,
    staff_id,
)
from tests.counting import statements
from tests.phone import at

NOW = at(2026, 12, 4, 10)  # a Friday morning in Montreal
DECEMBER_1 = at(2026, 12, 1, 10)
_NUMBERS = re.compile(r'<td><a href="/console/tickets/(\d+)">')
_NEXT = re.compile(r'<a rel="next" href="([^"]+)">')


def _contact(db: Session, name: str) -> Contact:
    return db.scalars(select(Contact).where(Contact.name == name)).one()


def _ticket(
    db: Session,
    number: int,
    subject: str,
    *,
    contact: str | None = "Marie Tremblay",
    line: Line = Line.REGULAR,
    channel: Channel = Channel.PHONE,
    status: TicketStatus = TicketStatus.OPEN,
    opened: datetime = DECEMBER_1,
    assignee: str | None = None,
    to_verify: bool = False,
) -> Ticket:
    person = _contact(db, contact) if contact else None
    ticket = Ticket(
        number=number,
        client_id=person.client_id if person else None,
        contact_id=person.id if person else None,
        priority=line,
        channel=channel,
        status=status,
        to_verify=to_verify,
        subject=subject,
        created_at=opened,
        sla_due_at=None if to_verify else opened + timedelta(hours=4),
        assignee_id=staff_id(db, assignee) if assignee else None,
    )
    if status != TicketStatus.OPEN:
        ticket.first_response_at = opened + timedelta(hours=1)
        ticket.resolved_at = opened + timedelta(hours=2)
    if status == TicketStatus.CLOSED:
        ticket.closed_at = opened + timedelta(hours=3)
    db.add(ticket)
    db.flush()
    return ticket


def _email(
    db: Session, ticket: Ticket, text: str, *, way: MailDirection = MailDirection.IN
) -> None:
    db.add(
        EmailMessage(
            message_id=f"<{ticket.number}-{way.value}-{len(text)}@client.example>",
            direction=way,
            ticket_id=ticket.id,
            from_address="marie@boulangerie.example",
            subject=f"Re: {ticket.subject}",
            text=text,
        )
    )


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """Seven tickets of every kind, over four days, with emails and notes."""
    give_passwords(db)
    _ticket(db, 1001, "Sage 50 ne démarre plus", opened=at(2026, 12, 1, 10))
    printer = _ticket(
        db,
        1002,
        "Printer offline after the update",
        contact="Emily Carter",
        line=Line.URGENT,
        channel=Channel.EMAIL,
        status=TicketStatus.RESOLVED,
        opened=at(2026, 12, 2, 9),
        assignee=LUC,
    )
    _email(db, printer, "Our front-desk printer stopped printing invoices this morning.")
    invoices = _ticket(
        db,
        1003,
        "Facture en double",
        contact="Sylvie Pelletier",
        channel=Channel.EMAIL,
        status=TicketStatus.CLOSED,
        opened=at(2026, 11, 20, 14),
        assignee=JULIE,
    )
    _email(db, invoices, "Les imprimantes du bureau sortent chaque facture deux fois.")
    _email(db, invoices, "Nous avons bien reçu votre zèbre.", way=MailDirection.OUT)
    _ticket(db, 1004, "Message d'un inconnu", contact=None, to_verify=True)
    backup = _ticket(
        db,
        1005,
        "Copie de sauvegarde",
        contact="Jacques Bouchard",
        line=Line.URGENT,
        opened=at(2026, 12, 3, 8),
    )
    tickets.add_note(
        backup, staff_id(db, LUC), "Écran de connexion réparé, copie relancée.", public=False
    )
    _ticket(db, 1006, "Mot de passe oublié", opened=at(2026, 12, 3, 11), assignee=KARIM)
    _ticket(db, 1007, "Transfert de données", contact="Luc Gauthier", opened=at(2026, 12, 4, 8))
    db.commit()
    return phone_app


@pytest.fixture
def helene(desk: Flask) -> Iterator[Staff]:
    with signed_in_at(desk, HELENE, NOW) as person:
        yield person


def _listed(person: Staff, query: str = "") -> list[int]:
    page = person.text(f"/console/tickets{'?' + query if query else ''}")
    return [int(number) for number in _NUMBERS.findall(page)]


def test_a_supervisor_sees_every_ticket_newest_first_resolved_and_closed_included(
    helene: Staff,
) -> None:
    assert _listed(helene) == [1007, 1006, 1005, 1002, 1004, 1001, 1003]


def test_the_list_answers_with_or_without_its_final_slash(helene: Staff) -> None:
    assert _listed(helene) == [int(n) for n in _NUMBERS.findall(helene.text("/console/tickets/"))]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", [1007, 1006, 1005, 1004, 1001]),
        ("status=resolved", [1002]),
        ("status=closed", [1003]),
        ("line=urgent", [1005, 1002]),
        ("channel=email", [1002, 1003]),
        ("client=1001", [1006, 1005, 1001]),
        ("from=2026-12-02&to=2026-12-03", [1006, 1005, 1002]),
        ("status=open&line=urgent", [1005]),
    ],
)
def test_each_filter_narrows_the_list(helene: Staff, query: str, expected: list[int]) -> None:
    assert _listed(helene, query) == expected


def test_the_contact_and_technician_filters_narrow_the_list(helene: Staff, db: Session) -> None:
    jacques = _contact(db, "Jacques Bouchard").id
    assert _listed(helene, f"contact={jacques}") == [1005]
    assert _listed(helene, f"technician={staff_id(db, JULIE)}") == [1003]
    assert _listed(helene, f"technician={staff_id(db, LUC)}&status=resolved") == [1002]


def test_the_technician_filter_finds_the_tickets_nobody_has_taken(helene: Staff) -> None:
    listed = _listed(helene, "technician=none")
    assert listed and not {1002, 1003, 1006} & set(listed)
    assert 'value="none" selected' in helene.text("/console/tickets?technician=none")


def test_the_period_is_read_in_montreal_days(helene: Staff, db: Session) -> None:
    # 23:30 in Montreal on December 3 is already December 4 in UTC: it belongs to the 3rd.
    _ticket(db, 1008, "Tard le soir", opened=at(2026, 12, 3, 23, 30))
    db.commit()
    assert _listed(helene, "from=2026-12-03&to=2026-12-03") == [1008, 1006, 1005]
    assert re.search(
        r"jeu\. 3 déc\.( 2026)?, 23 h 30", helene.text("/console/tickets?from=2026-12-03")
    )


def test_an_unreadable_filter_is_ignored_and_said(helene: Staff) -> None:
    page = helene.text("/console/tickets?line=weekly&from=yesterday")
    assert len(_NUMBERS.findall(page)) == 7
    assert "Ignorés (illisibles) : Ligne, Ouverts du" in page


@pytest.mark.parametrize(
    "query",
    [
        "contact=99999999999&technician=-1",
        "from=0001-01-01&to=9999-12-31",
        "after=garbage",
        "after=0001-01-01T00:00:00%2B14:00_1",
        "after=2026-12-01T00:00:00%2B00:00_99999999999",
        "q=" + "9" * 30,
        'q="',
    ],
)
def test_values_out_of_range_are_refused_quietly_never_an_error(helene: Staff, query: str) -> None:
    assert helene.get(f"/console/tickets?{query}").status_code == 200


def test_search_finds_a_ticket_by_its_subject(helene: Staff) -> None:
    assert _listed(helene, "q=sauvegarde") == [1005]
    assert _listed(helene, "q=mot de passe") == [1006]


def test_search_finds_a_ticket_by_the_clients_email_not_by_ours(helene: Staff) -> None:
    assert _listed(helene, "q=invoices") == [1002]
    assert _listed(helene, "q=deux fois") == [1003]
    assert _listed(helene, "q=zèbre") == []  # only in our own email to the client


def test_search_finds_a_ticket_by_a_note(helene: Staff) -> None:
    assert _listed(helene, "q=relancée") == [1005]


def test_search_ignores_case_and_accents(helene: Staff) -> None:
    assert _listed(helene, "q=ECRAN") == [1005]  # the note says "Écran"
    assert _listed(helene, "q=demarre") == [1001]  # the subject says "démarre"
    assert _listed(helene, "q=Fàcture") == [1003]


def test_search_and_filters_combine(helene: Staff) -> None:
    assert _listed(helene, "q=printer&status=open") == []
    assert _listed(helene, "q=printer&status=resolved") == [1002]


def test_a_ticket_number_finds_its_ticket(helene: Staff) -> None:
    assert _listed(helene, "q=1003") == [1003]


def test_search_finds_the_tickets_of_a_client_by_its_name(helene: Staff) -> None:
    assert _listed(helene, "q=Quincaillerie") == [1003]  # Quincaillerie Laval inc.
    assert _listed(helene, "q=boulangerie saint-denis") == [1006, 1005, 1001]


def test_search_finds_a_client_by_part_of_its_name_whatever_its_case_and_accents(
    helene: Staff,
) -> None:
    assert _listed(helene, "q=LTEE") == [1007]  # Transports Gauthier ltée
    assert _listed(helene, "q=quincaill") == [1003]


def test_search_finds_the_tickets_of_a_contact_by_their_name(helene: Staff) -> None:
    assert _listed(helene, "q=Jacques") == [1005]
    assert _listed(helene, "q=emily CARTER") == [1002]


def test_search_finds_a_contacts_emailed_tickets_as_well_as_their_calls(
    helene: Staff, db: Session
) -> None:
    _ticket(db, 1008, "Caisse bloquée", channel=Channel.EMAIL, opened=at(2026, 12, 2, 15))
    db.commit()
    assert _listed(helene, "q=Tremblay") == [1006, 1008, 1001]


def test_search_finds_the_tickets_of_a_contact_by_their_email(helene: Staff) -> None:
    assert _listed(helene, "q=marie@boulangerie.example") == [1006, 1001]  # her calls
    assert _listed(helene, "q=Emily@Dental.example") == [1002]


def _number(number: str) -> str:
    return urlencode({"q": number})


@pytest.mark.parametrize(
    "number",
    ["514 555-0101", "(514) 555-0101", "5145550101", "+15145550101", "+1 514.555.0101", "555-0101"],
)
def test_a_phone_number_finds_the_tickets_of_its_contact_however_it_is_typed(
    helene: Staff, number: str
) -> None:
    assert _listed(helene, _number(number)) == [1006, 1001]  # Marie Tremblay's


def test_any_of_a_contacts_numbers_on_file_finds_their_tickets(helene: Staff) -> None:
    assert _listed(helene, _number("438 555-0102")) == [1006, 1001]  # Marie's other number
    assert _listed(helene, _number("555-0103")) == [1005]  # Jacques Bouchard's


def test_a_phone_number_finds_a_ticket_by_the_number_its_caller_called_from(
    helene: Staff, db: Session
) -> None:
    # 1004 is a message from a number the directory does not know.
    db.execute(update(Ticket).where(Ticket.number == 1004).values(requester="+15145550199"))
    db.commit()
    assert _listed(helene, _number("(514) 555-0199")) == [1004]
    assert _listed(helene, _number("5550199")) == [1004]


def test_words_and_short_numbers_do_not_match_phone_numbers(helene: Staff) -> None:
    assert _listed(helene, _number("555-0103")) == [1005]
    assert _listed(helene, _number("poste 555-0103")) == []  # words and a number: not a number
    assert _listed(helene, _number("0103")) == []  # too short to be a phone number


@pytest.mark.parametrize(
    ("query", "digits"),
    [
        ("(514) 555-0101", "15145550101"),
        ("+1 514 555 0101", "15145550101"),
        ("555-0101", "5550101"),
        ("Tremblay", None),
        ("Sage 5145550101", None),
        ("1003", None),
    ],
)
def test_only_a_search_that_looks_like_a_phone_number_is_compared_with_numbers(
    query: str, digits: str | None
) -> None:
    assert ticket_search.phone_digits(query) == digits


def test_search_on_postgresql_stems_french_and_english_words(helene: Staff, db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("stemming is PostgreSQL's full-text search; SQLite matches the words as typed")
    assert _listed(helene, "q=imprimante") == [1003]  # the email says "imprimantes"
    assert _listed(helene, "q=printers") == [1002]  # the subject says "Printer"
    assert _listed(helene, "q=réparée") == [1005]  # the note says "réparé"
    assert _listed(helene, 'q="front-desk printer" -toner') == [1002]  # web-search syntax


def test_a_technician_sees_their_lines_and_their_own_tickets_never_a_message_to_verify(
    desk: Flask, db: Session
) -> None:
    with signed_in_at(desk, KARIM, NOW) as karim:  # urgent line only
        assert _listed(karim) == [1006, 1005, 1002]  # 1006: regular, but his own
        assert _listed(karim, "q=facture") == []
    with signed_in_at(desk, JULIE, NOW) as julie:  # regular line only
        assert _listed(julie) == [1007, 1006, 1001, 1003]
        assert _listed(julie, "q=inconnu") == []


def test_a_technician_off_duty_sees_only_their_own_tickets(desk: Flask, db: Session) -> None:
    db.execute(delete(Duty).where(Duty.staff_member_id == staff_id(db, KARIM)))
    db.commit()
    with signed_in_at(desk, KARIM, NOW) as karim:
        assert _listed(karim) == [1006]


def test_keyset_pages_show_every_ticket_once(helene: Staff, db: Session) -> None:
    # 130 more tickets, many opened at the same second: the pages still cut cleanly.
    for n in range(130):
        _ticket(db, 2000 + n, f"Lot {n}", opened=at(2026, 11, 1, 9) + timedelta(minutes=n // 7))
    db.commit()
    seen: list[int] = []
    path = "/console/tickets?line=regular"
    while path:
        page = helene.text(path.replace("&amp;", "&"))
        seen += [int(number) for number in _NUMBERS.findall(page)]
        found = _NEXT.search(page)
        path = found.group(1) if found else ""
    regular = db.scalars(select(Ticket.number).where(Ticket.priority == Line.REGULAR)).all()
    assert len(seen) == len(set(seen)) == len(regular) == 135
    assert sorted(seen) == sorted(regular)


def test_the_next_page_keeps_the_search_and_the_filters(helene: Staff, db: Session) -> None:
    for n in range(60):
        _ticket(db, 3000 + n, f"Imprimante {n}", opened=at(2026, 10, 1, 9) + timedelta(hours=n))
    db.commit()
    first = helene.text("/console/tickets?q=imprimante&status=open")
    found = _NEXT.search(first)
    assert found is not None
    link = found.group(1).replace("&amp;", "&")
    assert "q=imprimante" in link and "status=open" in link and "after=" in link
    assert len(_NUMBERS.findall(first)) + len(_NUMBERS.findall(helene.text(link))) == 60


def _rows(page: str) -> dict[int, str]:
    """Each ticket's row of the list, by number."""
    cut = page.split("<tbody>")[1].split("</tbody>")[0].split("</tr>")
    return {int(n): row for row in cut for n in _NUMBERS.findall(row)}


def test_a_late_ticket_is_marked(helene: Staff) -> None:
    rows = _rows(helene.text("/console/tickets"))
    assert "en retard" in rows[1001]  # due on December 1 at 14:00, nobody called back
    assert re.search(r"mar\. 1 déc\.( 2026)?, 14 h 00", rows[1001])  # the deadline, in Montreal
    assert "en retard" not in rows[1002]  # reached an hour after it was opened
    assert "en retard" not in rows[1007]  # due at noon today: not yet
    assert "en retard" not in rows[1004]  # a message to verify promises nothing


def test_a_ticket_close_to_its_deadline_is_marked_at_risk(desk: Flask, db: Session) -> None:
    # Opened at 7:00, due at 11:00: at 10:00, one business hour is left, the line's warning.
    _ticket(db, 1008, "Sage 50 lent au démarrage", opened=at(2026, 12, 4, 7))
    db.commit()
    with signed_in_at(desk, HELENE, NOW) as helene:
        rows = _rows(helene.text("/console/tickets"))
    assert '<span class="standing at_risk">à risque</span>' in rows[1008]
    assert "à risque" not in rows[1007]  # due at noon: two business hours left
    assert "à risque" not in rows[1001] and "en retard" in rows[1001]


def test_the_list_speaks_french_and_english(desk: Flask) -> None:
    with signed_in_at(desk, HELENE, NOW) as helene:
        french = helene.text("/console/tickets")
    with signed_in_at(desk, DAVID, NOW) as david:
        english = david.text("/console/tickets")
    for text in ("<h1>Billets</h1>", "Recherche", "Statut", "Canal", "Ouverts du", "fermé"):
        assert text in french, text
    for text in ("<h1>Tickets</h1>", "Search", "Status", "Channel", "Opened from", "closed"):
        assert text in english, text


def test_the_navigation_the_client_and_bank_pages_and_the_call_log_link_to_the_list(
    helene: Staff, db: Session
) -> None:
    client = db.scalars(select(Client).where(Client.account == "1001")).one()
    assert 'href="/console/tickets"' in helene.text("/console/")
    assert 'href="/console/tickets?client=1001"' in helene.text(f"/console/clients/{client.id}")
    assert 'href="/console/tickets?client=1001"' in helene.text("/console/banks/1001")
    assert 'href="/console/tickets?client=1001"' in helene.text("/console/calls/?client=1001")


def test_a_page_runs_as_many_statements_with_many_tickets(desk: Flask, db: Session) -> None:
    def counted(email: str, query: str) -> int:
        with signed_in_at(desk, email, NOW) as person, statements(db.get_bind()) as seen:
            person.text(f"/console/tickets?{query}")
        return len(seen)

    queries = ("", "q=imprimante&status=closed", "client=1001&line=regular&from=2026-11-01")
    few = {(who, q): counted(who, q) for who in (HELENE, LUC) for q in queries}
    for n in range(80):
        ticket = _ticket(
            db, 4000 + n, f"Imprimante {n}", opened=at(2026, 11, 2, 9) + timedelta(hours=n)
        )
        _email(db, ticket, f"L'imprimante {n} ne répond plus.")
        tickets.add_note(ticket, staff_id(db, LUC), f"Imprimante {n} redémarrée.", public=False)
    db.commit()
    many = {(who, q): counted(who, q) for who in (HELENE, LUC) for q in queries}
    # the viewer, the page's tickets, each line's calendar (2 queries a line: where each ticket
    # stands), then the filters' clients, contacts and staff; before a search, the clients and
    # contacts it names, and on PostgreSQL the plan asked for its words
    postgresql = db.get_bind().dialect.name == "postgresql"
    expected = {(who, q): 9 + ("q=" in q) * (1 + postgresql) for who, q in few}
    assert few == many == expected
