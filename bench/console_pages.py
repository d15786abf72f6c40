"""Console pages at 2,000 and at 200,000 calls: does the server time stay flat as history grows?

For each size, a fresh PostgreSQL database (migrated, with the demo directory) is filled in bulk
(``INSERT … SELECT`` over ``generate_series``: calls over a year, their events, tickets with their
history and recordings, the clients' emails and the technicians' notes, in French and English; a
fixed number of tickets still open, as on a real line), then the app
serves the pages in-process to a signed-in supervisor and the median server time of each is
printed, with the ratio of the big database to the small one (target: under 2) and the number of
SQL statements each page ran (the same at both sizes).

    python -m bench.console_pages            # every page
    python -m bench.console_pages dashboard  # the pages whose name says "dashboard"
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app import create_app
from bench.harness import demo_database
from models.db import make_engine
from tests.console_world import HELENE, Staff, give_passwords
from tests.counting import statements

SIZES = (2_000, 200_000)
OPEN_TICKETS = 60  # open tickets do not grow with history: they are closed as work is done
YEAR_SECONDS = 365 * 24 * 3600
RUNS = 15
TARGET_RATIO = 2.0
MONTREAL = ZoneInfo("America/Toronto")

# The pages measured; "{ticket}" is an open ticket's number.
PAGES = {
    "call log, first page": "/console/calls/",
    "call log, filtered": "/console/calls/?line=urgent&client=1001",
    "ticket page": "/console/tickets/{ticket}",
    "SLA board": "/console/sla",
    # the worst case of the technician filter: somebody never rung, whose calls are none
    "call log, technician": "/console/calls/?technician={quiet}",
    "tickets, first page": "/console/tickets",
    "tickets, one client": "/console/tickets?client=1003",
    # one ticket's words: "commande" (in half the emails) and the reference its client wrote
    "tickets, search": "/console/tickets?q=commande+{reference}",
    # a word in one ticket in eleven (its subject, emails or notes), stemmed and unaccented
    "tickets, common word": "/console/tickets?q=imprimantes",
    # a year of calls, counted by hour, outcome and line: the supervisors' widest view
    "dashboard, one year": "/console/dashboard/?from={year_ago}&to={today}",
    "dashboard, 4 weeks": "/console/dashboard/",
}
# Pages with a bound of their own at 200,000 calls, beside the ratio (milliseconds).
BOUNDS_MS = {"dashboard, one year": 300.0}

# What the tickets say. The lists have prime lengths, so that a ticket's subject, email and
# note vary independently of each other and of its client.
SUBJECTS = (
    "Sage 50 ne démarre plus",
    "L'imprimante n'imprime plus les factures",
    "Erreur de synchronisation bancaire",
    "Mot de passe oublié",
    "Printer offline after the update",
    "Relevé de paie incorrect",
    "Copie de sauvegarde échouée",
    "Cannot open the company file",
    "Taxes TPS/TVQ mal calculées",
    "Installation sur un nouveau poste",
    "Report takes forever to load",
)
EMAILS = (
    "Bonjour, depuis la mise à jour, Sage 50 affiche un écran blanc au démarrage.",
    "Hello, the invoices come out twice on the front-desk printer since Monday.",
    "Le rapprochement bancaire refuse d'importer le relevé de décembre.",
    "Nous avons changé de poste et le logiciel demande une nouvelle activation.",
    "The payroll run stopped with an error about the tax tables.",
    "Les imprimantes réseau ne reçoivent plus les bons de commande.",
    "La sauvegarde de vendredi s'est arrêtée à 40 %, le disque serait plein.",
    "Could you call me back? Our accountant needs the year-end report today.",
    "Le fichier de la société est verrouillé par un autre utilisateur.",
    "Les taxes sur les factures de novembre ne sont pas les bonnes.",
    "After the Windows update the program closes by itself.",
    "Le mot de passe de l'administrateur ne fonctionne plus.",
    "The bank feed shows the same transactions twice.",
)
NOTES = (
    "Réinstallé Sage 50 et rétabli les droits du dossier partagé.",
    "Client rappelé, la licence a été réactivée.",
    "Pilote d'imprimante mis à jour, test d'impression réussi.",
    "Restored the company file from last night's backup.",
    "Tables d'impôts mises à jour, paie relancée avec le client.",
    "Verrou supprimé sur le fichier, tous les postes s'y connectent.",
    "Walked the client through the bank feed settings.",
    "Disque de sauvegarde remplacé, copie complète terminée.",
    "Taxes corrigées dans le profil de la société.",
    "Mot de passe réinitialisé, le client est reconnecté.",
    "Rapport optimisé : il s'ouvre maintenant en quelques secondes.",
    "Escaladé au fournisseur, en attente de leur réponse.",
    "Sent the client the steps to archive the previous year.",
    "Installation terminée sur le nouveau poste, données migrées.",
    "Redémarré le service de base de données sur le serveur.",
    "Le client confirme que tout fonctionne.",
    "Checked the printer queue and cleared the stuck jobs.",
)

# Every third call opens no ticket (after hours, abandoned); the others open ticket n.
FILL = (
    """
    INSERT INTO ticket (id, number, client_id, contact_id, priority, channel, status, to_verify,
        language, requester, subject, description, created_at, sla_due_at, first_response_at,
        resolved_at, closed_at)
    SELECT n, 100000 + n, (CAST(:clients AS int[]))[1 + n % :parties],
        (CAST(:contacts AS int[]))[1 + n % :parties],
        CASE WHEN n % 4 = 0 THEN 'urgent' ELSE 'regular' END, 'phone',
        CASE WHEN n <= :open THEN 'open' ELSE 'closed' END, false, 'fr', '+15145550101',
        (CAST(:subjects AS text[]))[1 + n % :n_subjects], '', t, t + interval '4 hours',
        CASE WHEN n <= :open THEN NULL ELSE t + interval '1 hour' END,
        CASE WHEN n <= :open THEN NULL ELSE t + interval '2 hours' END,
        CASE WHEN n <= :open THEN NULL ELSE t + interval '3 hours' END
    FROM generate_series(1, :n) AS n,
        LATERAL (SELECT CAST(:now AS timestamptz) - n * :step * interval '1 second' AS t) AS x
    WHERE n % 3 <> 0
    """,
    """
    INSERT INTO call (id, call_sid, direction, line, from_number, to_number, client_id, contact_id,
        language, started_at, ended_at, status, outcome, duration_seconds, ticket_id)
    SELECT n, 'CA' || lpad(n::text, 32, '0'), 'inbound',
        CASE WHEN n % 4 = 0 THEN 'urgent' ELSE 'regular' END,
        '+151455501' || lpad((n % 100)::text, 2, '0'), '+15149826161',
        (CAST(:clients AS int[]))[1 + n % :parties], (CAST(:contacts AS int[]))[1 + n % :parties],
        'fr', t, t + interval '3 minutes', 'completed',
        CASE WHEN n % 3 = 0 THEN (CASE WHEN n % 2 = 0 THEN 'after_hours' ELSE 'abandoned' END)
             WHEN n % 4 = 0 THEN 'connected' ELSE 'message' END,
        180, CASE WHEN n % 3 <> 0 THEN n END
    FROM generate_series(1, :n) AS n,
        LATERAL (SELECT CAST(:now AS timestamptz) - n * :step * interval '1 second' AS t) AS x
    """,
    """
    INSERT INTO call_event (call_id, at, kind, data)
    SELECT c.id, c.started_at + k * interval '20 seconds',
        (ARRAY['arrived', 'option_chosen', 'closed'])[k + 1], CAST('{}' AS json)
    FROM call AS c, generate_series(0, 2) AS k
    """,
    """
    INSERT INTO ticket_event (ticket_id, at, kind, data)
    SELECT t.id, t.created_at + k * interval '1 hour',
        (ARRAY['opened', 'message', 'resolved', 'closed'])[k + 1], CAST('{}' AS json)
    FROM ticket AS t, generate_series(0, 3) AS k
    WHERE k < 2 OR t.status = 'closed'
    """,
    # Every other ticket has an email from its client (with its order reference), and ours
    # back; every closed ticket has a technician's note.
    """
    INSERT INTO email_message (message_id, direction, ticket_id, from_address, to_addresses,
        subject, text, outcome, source, size, received_at)
    SELECT '<' || t.id || '-' || way || '@bench.example>', way, t.id, 'client@bench.example',
        'support@altilogix.example', t.subject,
        CASE WHEN way = 'in' THEN (CAST(:emails AS text[]))[1 + t.id % :n_emails]
            || E'\n\nCommande ' || t.id || E'\n-- \nUn client'
        ELSE 'Nous avons bien reçu votre demande.' END,
        CASE WHEN way = 'in' THEN 'new_ticket' ELSE 'sent' END, 'pipe', 400,
        t.created_at + interval '1 minute'
    FROM ticket AS t, unnest(ARRAY['in', 'out']) AS way
    WHERE t.id % 2 = 0
    """,
    """
    INSERT INTO ticket_event (ticket_id, at, kind, data)
    SELECT t.id, t.created_at + interval '90 minutes', 'note',
        json_build_object('text', (CAST(:notes AS text[]))[1 + t.id % :n_notes], 'public', false)
    FROM ticket AS t WHERE t.status = 'closed'
    """,
    """
    INSERT INTO call_ring (call_id, staff_member_id, position, rung_at, answer, answered_at)
    SELECT c.id, (CAST(:technicians AS int[]))[1 + (c.id / 4) % :staffed], 0, c.started_at,
        'accepted', c.started_at + interval '20 seconds'
    FROM call AS c WHERE c.line = 'urgent'
    """,
    """
    INSERT INTO recording (call_id, ticket_id, url, sid, seconds, created_at)
    SELECT c.id, c.ticket_id,
        'https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE' || c.id,
        'RE' || c.id, 42, c.started_at + interval '1 minute'
    FROM call AS c WHERE c.ticket_id IS NOT NULL
    """,
)


OPEN_TICKET = "SELECT min(number) FROM ticket WHERE status = 'open'"
# A ticket in the middle of the history, with an email from its client: its reference.
REFERENCE = "SELECT min(id) FROM ticket WHERE id % 2 = 0 AND id >= (SELECT max(id) / 2 FROM ticket)"
QUIET_STAFF = "SELECT id FROM staff_member WHERE role = 'supervisor' ORDER BY id LIMIT 1"


def fill(engine: Engine, calls: int) -> None:
    """``calls`` calls spread over the past year, newest first, with their tickets: the tickets
    and calls first, then their events and recordings on three connections at once."""
    with engine.connect() as connection:
        parties = connection.execute(text("SELECT client_id, id FROM contact ORDER BY id")).all()
        technicians = connection.scalars(
            text("SELECT id FROM staff_member WHERE role = 'technician' ORDER BY id")
        ).all()
    values: dict[str, Any] = {
        "n": calls,
        "open": OPEN_TICKETS,
        "now": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "step": YEAR_SECONDS / calls,
        "clients": [client for client, _contact in parties],
        "contacts": [contact for _client, contact in parties],
        "parties": len(parties),
        "technicians": list(technicians),
        "staffed": len(technicians),
        "subjects": list(SUBJECTS),
        "n_subjects": len(SUBJECTS),
        "emails": list(EMAILS),
        "n_emails": len(EMAILS),
        "notes": list(NOTES),
        "n_notes": len(NOTES),
    }
    first, then = FILL[:2], FILL[2:]
    _insert(engine, first, values)
    with ThreadPoolExecutor(len(then)) as pool:
        list(pool.map(lambda statement: _insert(engine, (statement,), values), then))
    with engine.begin() as connection:
        # The search's expression indexes have statistics too: longer than a page's statement.
        connection.execute(text("SET LOCAL statement_timeout = 0"))
        connection.execute(text("ANALYZE"))


def _insert(engine: Engine, statements: Sequence[str], values: Mapping[str, Any]) -> None:
    with engine.begin() as connection:
        # The rows are consistent by construction: skip the foreign keys' triggers, the bulk of
        # the time (a session setting, for the database's owner; this database is the bench's).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        # A bulk insert indexes every text for the search: longer than a page's statement.
        connection.execute(text("SET LOCAL statement_timeout = 0"))
        for statement in statements:
            connection.execute(text(statement), values)


@dataclass(frozen=True)
class Figure:
    median_ms: float
    statements: int


@dataclass
class Site:
    """One filled database and the app on it, with a supervisor signed in."""

    calls: int
    engine: Engine
    supervisor: Staff
    values: dict[str, int | str]

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.supervisor.text(path.format(**self.values))
        return (time.perf_counter() - started) * 1000

    def statements(self, path: str) -> int:
        with statements(self.engine) as seen:
            self.supervisor.text(path.format(**self.values))
        return len(seen)


@contextmanager
def site(calls: int) -> Iterator[Site]:
    with demo_database() as url:
        engine = make_engine(url)
        started = time.perf_counter()
        fill(engine, calls)
        print(f"{calls:>7,} calls: filled in {time.perf_counter() - started:.1f} s", flush=True)
        with Session(engine) as session:
            give_passwords(session)
            ticket = session.execute(text(OPEN_TICKET)).scalar_one()
            quiet = session.execute(text(QUIET_STAFF)).scalar_one()
            reference = session.execute(text(REFERENCE)).scalar_one()
        supervisor = Staff(create_app(_config(url)))
        supervisor.sign_in(HELENE)
        today = datetime.now(MONTREAL).date()
        year_ago = (today - timedelta(days=364)).isoformat()
        values = {
            "ticket": ticket,
            "quiet": quiet,
            "reference": reference,
            "today": today.isoformat(),
            "year_ago": year_ago,
        }
        try:
            yield Site(calls, engine, supervisor, values)
        finally:
            engine.dispose()


def measure(sites: Sequence[Site], path: str) -> list[Figure]:
    """Requests to the sites in turn, so that a busy moment of the machine hits them alike."""
    times: list[list[float]] = [[] for _ in sites]
    for _ in range(2):  # warm the caches (templates, the business calendars)
        for each in sites:
            each.get(path)
    for _ in range(RUNS):
        for index, each in enumerate(sites):
            times[index].append(each.get(path))
    return [
        Figure(statistics.median(runs), each.statements(path))
        for runs, each in zip(times, sites, strict=True)
    ]


def _config(url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "TWILIO_AUTH_TOKEN": "bench-token",
        "PUBLIC_BASE_URL": "https://support.altilogix.example",
    }


def report(figures: dict[str, list[Figure]], show: Callable[[str], None]) -> None:
    show(f"{'page':<22} {'2,000':>9} {'200,000':>9} {'ratio':>6}  statements")
    for name, (small, big) in figures.items():
        ratio = big.median_ms / small.median_ms
        bound = BOUNDS_MS.get(name)
        fast = ratio < TARGET_RATIO and (bound is None or big.median_ms < bound)
        verdict = ("ok" if fast else "SLOW") + (f" (under {bound:.0f} ms)" if bound else "")
        show(
            f"{name:<22} {small.median_ms:>7.1f}ms {big.median_ms:>7.1f}ms {ratio:>6.2f}  "
            f"{small.statements} / {big.statements}  {verdict}"
        )


def main() -> None:
    chosen = {name: path for name, path in PAGES.items() if all(w in name for w in sys.argv[1:])}
    with ExitStack() as stack:
        sites = [stack.enter_context(site(calls)) for calls in SIZES]
        figures = {name: measure(sites, path) for name, path in chosen.items()}
    report(figures, print)


if __name__ == "__main__":
    main()
