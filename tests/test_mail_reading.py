"""Reading incoming support email: the corpus of real-looking messages, edge cases, and fuzzing."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.reading import InboundMessage, Unreadable, read_message
from mail.reading.quoting import first_lines, split_quoted

CORPUS = Path(__file__).parent / "mail_corpus"
EDT = timezone(timedelta(hours=-4))
OWN = {"altilogix.example"}


def raw(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def read(name: str, **limits: Any) -> InboundMessage:
    message = read_message(raw(name), own_domains=OWN, **limits)
    assert isinstance(message, InboundMessage), message
    return message


def test_outlook_subject_is_decoded_from_base64_utf8() -> None:
    assert read("outlook_alternative_qp.eml").subject == "Problème d'accès à Sage 50 — urgent"


def test_outlook_plain_part_is_chosen_over_html_and_quoted_printable_is_undone() -> None:
    text = read("outlook_alternative_qp.eml").text
    assert text.startswith("Bonjour,\n\nDepuis ce matin, personne au bureau")
    assert "« Accès refusé » et la paie doit partir à 15 h." in text
    assert "<p" not in text and "=C3" not in text


def test_html_alternative_of_a_message_is_not_an_attachment() -> None:
    assert read("outlook_alternative_qp.eml").attachments == ()


def test_sender_address_is_lowercased_and_name_kept() -> None:
    message = read("outlook_alternative_qp.eml")
    assert message.from_address == "marie.tremblay@boulangerie.example"
    assert message.from_name == "Marie Tremblay"


def test_recipients_gather_to_cc_and_delivered_to_without_repeats() -> None:
    assert read("outlook_alternative_qp.eml").recipients == (
        "support-urgent@altilogix.example",
        "luc.gagnon@boulangerie.example",
    )


def test_message_id_loses_its_angle_brackets() -> None:
    assert read("outlook_alternative_qp.eml").message_id == (
        "YT3PR01MB62104C1F0E2A9B7D8E3F4A5B6C7D8@YT3PR01MB6210.CANPRD01.PROD.OUTLOOK.EXAMPLE"
    )


def test_date_is_an_aware_datetime() -> None:
    assert read("outlook_alternative_qp.eml").date == datetime(2025, 6, 3, 13, 14, 22, tzinfo=UTC)
    assert read("apple_mail_reply.eml").date == datetime(2025, 6, 3, 10, 41, 9, tzinfo=EDT)


def test_a_person_s_message_is_not_automatic() -> None:
    assert read("outlook_alternative_qp.eml").automatic is None


def test_gmail_base64_text_body_is_decoded() -> None:
    assert read("gmail_attachment_base64.eml").text == (
        "Bonjour,\n\nVoici le relevé de mars que Sage 50 refuse d'importer "
        "(erreur « Format de fichier non valide »).\nLe fichier est joint.\n\n"
        "Merci!\nJosée Lavoie\nGarage Lavoie et fils"
    )


def test_gmail_attachment_keeps_its_decoded_name_type_size_hash_and_bytes() -> None:
    (attachment,) = read("gmail_attachment_base64.eml").attachments
    assert attachment.filename == "relevé-mars-2025.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.content is not None and attachment.content.startswith(b"%PDF-1.4")
    assert attachment.size == len(attachment.content) == 96
    assert attachment.sha256 == hashlib.sha256(attachment.content).hexdigest()


def test_attachment_over_the_limit_is_refused_with_its_metadata_only() -> None:
    message = read("gmail_attachment_base64.eml", max_attachment_bytes=95)
    assert message.attachments == ()
    (refused,) = message.refused_attachments
    assert (refused.filename, refused.size, refused.content) == ("relevé-mars-2025.pdf", 96, None)


def test_reply_keeps_in_reply_to_and_references_in_order() -> None:
    message = read("apple_mail_reply.eml")
    assert message.in_reply_to == ("174895812.1042.7@altilogix.example",)
    assert message.references == (
        "YT3PR01MB62104C1F0E2A9B7D8E3F4A5B6C7D8@YT3PR01MB6210.CANPRD01.PROD.OUTLOOK.EXAMPLE",
        "174895812.1042.7@altilogix.example",
    )


def test_reply_keeps_the_quoted_history_in_the_text() -> None:
    text = read("apple_mail_reply.eml").text
    assert text.startswith("Bonjour Sophie,\n\nC'est réglé de notre côté")
    assert "> Le 3 juin 2025 à 10:02, Sophie Roy <sophie.roy@altilogix.example> a écrit :" in text


def test_ticket_token_with_a_space_after_the_hash() -> None:
    message = read("apple_mail_reply.eml")
    assert message.subject == "Re: [# 1042] Problème d'accès à Sage 50"
    assert message.ticket_token == 1042


def test_ticket_token_with_a_word_before_the_hash_inside_brackets() -> None:
    assert read("encoded_subject_and_name.eml").ticket_token == 1071


def test_no_ticket_token_without_brackets() -> None:
    assert read("outlook_alternative_qp.eml").ticket_token is None


def test_rfc2047_latin1_subject_split_over_two_words_is_joined() -> None:
    assert read("encoded_subject_and_name.eml").subject == (
        "Clôture d'exercice : les écritures de décembre ne s'affichent plus [Billet #1071]"
    )


def test_rfc2047_sender_name_and_reply_to_are_decoded() -> None:
    message = read("encoded_subject_and_name.eml")
    assert message.from_name == "François Bélanger"
    assert message.from_address == "francois.belanger@comptabelanger.example"
    assert message.reply_to == ("secretariat@comptabelanger.example",)


def test_latin1_quoted_printable_body_is_decoded() -> None:
    assert read("encoded_subject_and_name.eml").text == (
        "Bonjour,\n\nLes écritures de décembre ne s'affichent plus depuis la clôture.\n\n"
        "François Bélanger, CPA"
    )


def test_utf8_body_labelled_latin1_is_read_as_utf8() -> None:
    text = read("lying_charset.eml").text
    assert "La facture générée par Sage 50 affiche des caractères étranges" in text
    assert "Ã" not in text


def _text_of(content_type: bytes, body: bytes) -> str:
    """The text read from a one-part email with this Content-Type and body."""
    message = read_message(
        b"From: a@client.example\nContent-Type: " + content_type + b"\n\n" + body
    )
    assert isinstance(message, InboundMessage)
    return message.text


def test_outlooks_dashes_and_quotes_in_text_labelled_latin1_are_kept() -> None:
    text = _text_of(b"text/plain; charset=iso-8859-1", b"Pelletier \x96 Laval, \x93urgent\x94\n")
    assert text == "Pelletier \u2013 Laval, \u201curgent\u201d"


def test_a_subject_in_raw_8bit_latin1_is_read_not_garbled() -> None:
    message = read_message(
        b"From: a@client.example\nSubject: Mauvais jeu de caract\xe8res\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nCaract\xe8res\n"
    )
    assert isinstance(message, InboundMessage)
    assert message.subject == "Mauvais jeu de caractères"


def test_unknown_charset_falls_back_without_raising() -> None:
    message = read_message(
        b"From: a@client.example\nContent-Type: text/plain; charset=x-klingon\n\nCaf\xe9 cr\xe8me\n"
    )
    assert isinstance(message, InboundMessage)
    assert message.text == "Café crème"


def test_an_html_tables_cells_stay_apart_in_the_text() -> None:
    html = (
        "<p>Voici l'erreur :</p><table><tr><th>Poste</th><th>Erreur</th></tr>"
        "<tr><td>CAISSE-03</td><td>« Base verrouillée »</td></tr></table>"
    )
    text = _text_of(b"text/html; charset=utf-8", html.encode())
    assert text == "Voici l'erreur :\n\nPoste\tErreur\nCAISSE-03\t« Base verrouillée »"


def test_outlooks_table_cells_with_paragraphs_stay_on_their_row() -> None:
    html = b"<table>\n <tr>\n  <td><p>Poste</p></td>\n  <td><p>CAISSE-03</p></td>\n </tr>\n</table>"
    assert _text_of(b"text/html; charset=utf-8", html) == "Poste\tCAISSE-03"


def test_a_byte_windows_1252_leaves_undefined_does_not_turn_latin1_text_into_replacements() -> None:
    assert _text_of(b"text/plain; charset=iso-8859-1", b"Caf\xe9 \x81cr\xe8me\n") == "Café crème"


def test_html_only_message_becomes_text_without_scripts_or_styles() -> None:
    assert read("html_only.eml").text == (
        "Demande de support\n\nNom : Hélène Gagné\nTéléphone : 450-555-0119\n\n"
        "Le module Paie affiche « Erreur 1042 » depuis la mise à jour.\n\n"
        "Poste 1 : correct\n\nPoste 2 : erreur"
    )


def test_body_is_cut_at_the_limit_and_flagged() -> None:
    message = read("outlook_alternative_qp.eml", max_body_chars=8)
    assert (message.text, message.text_truncated) == ("Bonjour,", True)
    assert read("outlook_alternative_qp.eml").text_truncated is False


def test_missing_message_id_is_derived_from_the_bytes() -> None:
    data = b"From: a@client.example\nSubject: allo\n\nbonjour\n"
    message = read_message(data)
    assert isinstance(message, InboundMessage)
    assert message.message_id == f"{hashlib.sha256(data).hexdigest()}@no-message-id.invalid"


def test_control_characters_are_removed_from_the_subject() -> None:
    message = read_message(b"From: a@client.example\nSubject: =?utf-8?q?Sage=00_=1B[31m50?=\n\nx")
    assert isinstance(message, InboundMessage)
    assert message.subject == "Sage [31m50"


def test_long_subject_is_capped() -> None:
    message = read_message(b"From: a@client.example\nSubject: " + b"a" * 1000 + b"\n\nx")
    assert isinstance(message, InboundMessage)
    assert len(message.subject) == 250


def test_raw_utf8_in_headers_is_recovered() -> None:
    data = "From: Réjean <r@client.example>\nSubject: Problème\n\nx".encode()
    message = read_message(data)
    assert isinstance(message, InboundMessage)
    assert (message.subject, message.from_name) == ("Problème", "Réjean")


def test_crlf_line_endings_read_the_same() -> None:
    lf = read("apple_mail_reply.eml")
    crlf = read_message(raw("apple_mail_reply.eml").replace(b"\n", b"\r\n"))
    assert crlf == lf


def test_bounce_keeps_the_delivery_status_as_a_file() -> None:
    message = read("postfix_bounce.eml")
    assert [a.content_type for a in message.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
    ]
    assert message.from_address == "mailer-daemon@mx.altilogix.example"


def test_non_mail_bytes_are_unreadable() -> None:
    assert read_message(raw("not_mail.png")) == Unreadable("not_a_message")


def test_empty_bytes_are_unreadable() -> None:
    assert read_message(b"  \r\n") == Unreadable("empty")


def test_message_without_from_is_unreadable() -> None:
    assert read_message(b"To: support@altilogix.example\nSubject: x\n\nx") == Unreadable(
        "no_sender"
    )


def _corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.iterdir())]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(read_message(data), InboundMessage | Unreadable)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_corpus()), st.integers(0, 10_000), st.data())
def test_truncated_and_corrupted_corpus_never_raises(
    message: bytes, cut: int, data: st.DataObject
) -> None:
    damaged = bytearray(message[: cut % (len(message) + 1)])
    for _ in range(data.draw(st.integers(0, 8))):
        if damaged:
            at = data.draw(st.integers(0, len(damaged) - 1))
            damaged[at] = data.draw(st.integers(0, 255))
    result = read_message(bytes(damaged), max_body_chars=500, max_attachment_bytes=50)
    assert isinstance(result, InboundMessage | Unreadable)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=200))
def test_arbitrary_header_and_body_text_never_raises(sender: str, subject: str, body: str) -> None:
    data = f"From: {sender}\nSubject: {subject}\nContent-Type: {subject}\n\n{body}"
    result = read_message(data.encode("utf-8", errors="surrogatepass"))
    assert isinstance(result, InboundMessage | Unreadable)


def test_a_notices_excerpt_keeps_the_clients_paragraphs() -> None:
    text = "Bonjour,\n\n\nSage 50 ne démarre plus.\nDepuis ce matin.\n\nMerci,\nMarie\n"
    assert (
        first_lines(text)
        == "Bonjour,\n\nSage 50 ne démarre plus.\nDepuis ce matin.\n\nMerci,\nMarie"
    )


def test_a_notices_excerpt_counts_written_lines_not_blank_ones() -> None:
    text = "\n\n".join(f"Ligne {n}" for n in range(1, 6))
    assert first_lines(text, lines=3) == "Ligne 1\n\nLigne 2\n\nLigne 3\n…"


SAGE_NOTICE = (
    "De : Sage <avis@sage.example>\n"
    "Envoyé : 7 décembre 2026 09:12\n"
    "À : marie.tremblay@boulangerie.example\n"
    "Objet : Avis de renouvellement\n\n"
    "Votre licence Sage 50 expire le 31 décembre.\n"
)


def test_a_forward_shows_what_was_forwarded_as_the_clients_words() -> None:
    text = "Pouvez-vous regarder ceci ?\n\n________________\n" + SAGE_NOTICE
    assert split_quoted(text, "TR : Avis de renouvellement") == (text.strip(), "")
    assert "expire le 31 décembre" in first_lines(text, "Fwd: Avis", lines=40, chars=2000)


def test_a_forwarding_line_keeps_the_forwarded_message_in_the_text() -> None:
    text = "Pouvez-vous regarder ceci ?\n\n---------- Forwarded message ---------\n" + SAGE_NOTICE
    assert split_quoted(text, "Avis de renouvellement") == (text.strip(), "")


def test_a_reply_to_a_forward_still_folds_its_quoted_history() -> None:
    text = "Merci, c'est réglé.\n\nLe lun. 7 déc. 2026, Luc a écrit :\n> ---------- Forwarded"
    assert split_quoted(text, "Re: TR : Avis de renouvellement") == (
        "Merci, c'est réglé.",
        "Le lun. 7 déc. 2026, Luc a écrit :\n> ---------- Forwarded",
    )


def test_an_outlook_reply_folds_its_header_block() -> None:
    text = "Voici le détail.\n\n________________\n" + SAGE_NOTICE
    fresh, history = split_quoted(text, "RE : Avis de renouvellement")
    assert fresh == "Voici le détail.\n\n________________"
    assert history.startswith("De : Sage")


# A message a client forwards as an attachment, as the mail client sent it (folded header kept).
FORWARDED = (
    b"From: Fournisseur Exemple <factures@fournisseur.example>\r\n"
    b"To: marie@boulangerie.example\r\n"
    b"Subject: =?utf-8?q?Facture_d=C3=A9cembre?=\r\n"
    b"X-Mailer: Exemple Mail 1.0 with a header long enough that a parser might fold it again\r\n"
    b"  where its sender did not\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Bonjour,\r\nvoici la facture.\r\n"
)


def _attachment_of_a_forward(enclosed: bytes, part_headers: bytes = b"") -> Any:
    """The one attachment read from an email that forwards ``enclosed`` as message/rfc822."""
    message = read_message(
        b"From: marie@boulangerie.example\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nVoir le message joint.\r\n"
        b"--XX\r\nContent-Type: message/rfc822\r\n"
        + part_headers
        + b"\r\n"
        + enclosed
        + b"\r\n--XX--\r\n"
    )
    assert isinstance(message, InboundMessage), message
    (attachment,) = message.attachments
    return attachment


def test_a_forwarded_message_is_kept_as_its_own_bytes_named_after_its_subject() -> None:
    attachment = _attachment_of_a_forward(FORWARDED)
    assert (attachment.filename, attachment.content_type) == (
        "Facture décembre.eml",
        "message/rfc822",
    )
    assert attachment.content == FORWARDED


def test_a_forwarded_message_without_a_subject_is_message_eml() -> None:
    enclosed = FORWARDED.replace(b"Subject: =?utf-8?q?Facture_d=C3=A9cembre?=\r\n", b"")
    assert _attachment_of_a_forward(enclosed).filename == "message.eml"


def test_a_slash_in_a_forwarded_subject_does_not_cut_the_name() -> None:
    enclosed = FORWARDED.replace(b"=?utf-8?q?Facture_d=C3=A9cembre?=", b"Facture 12/2026")
    assert _attachment_of_a_forward(enclosed).filename == "Facture 12-2026.eml"


def test_a_forwarded_message_sent_in_base64_is_decoded() -> None:
    encoded = base64.encodebytes(FORWARDED).replace(b"\n", b"\r\n")
    attachment = _attachment_of_a_forward(encoded, b"Content-Transfer-Encoding: base64\r\n")
    assert (attachment.filename, attachment.content) == ("Facture décembre.eml", FORWARDED)
