"""Regular support (option 6): a ticket and its number, the caller's description, the promise.
A caller with an open ticket may add a message to it instead; one who calls while regular
support is closed and the CATA open may turn to the CATA."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from helpdesk import phone
from ivr import menu, speech
from ivr.steps import Turn, bp, call_step
from ivr.twiml import announce_closed, arg, field, record_message, url
from models import Line
from routing.calendar import Status

CATA_OFFER_SECONDS = 4  # after the offer, then the regular request goes on


@bp.post("/regular")
@call_step
def regular(turn: Turn) -> VoiceResponse:
    response = VoiceResponse()
    contact = phone.authorized_contact(turn.session, turn.call)
    if contact is None:
        response.redirect(url("ivr.account", line="regular"))
        return response
    # A caller who chose a new ticket, or whose call has one, is not offered their open one.
    offer = turn.call.ticket_id is None and not arg("new")
    waiting = phone.waiting_ticket(turn.session, turn.call, contact) if offer else None
    if waiting is not None:
        gather = response.gather(
            num_digits=1,
            timeout=6,
            finish_on_key="",  # the pound key is a stray key too, not "nothing pressed"
            action=url("ivr.existing", ticket=waiting.id, invalid=arg("invalid")),
        )
        turn.say(gather, "existing_ticket", number=speech.digits(waiting.number))
        response.redirect(url("ivr.regular", new=1))
        return response
    # Opened first: a caller who hangs up while hearing the hours keeps their request.
    opened = phone.open_support_ticket(turn.session, turn.hours, turn.call, Line.REGULAR)
    if _offer_the_cata(turn, response, opened.status):
        return response
    if not opened.status.is_open and not arg("offered"):  # the offer said it already
        announce_closed(
            turn.speaker, response, turn.language, opened.status, turn.hours, Line.REGULAR.value
        )
    turn.say(response, "ticket_opened", number=speech.digits(opened.ticket.number))
    turn.say(response, "record_problem")
    record_message(response, turn.voice.max_recording_seconds, Line.REGULAR.value)
    return response


def _offer_the_cata(turn: Turn, response: VoiceResponse, regular: Status) -> bool:
    """Regular support closed while the CATA is open: the caller hears why and regular
    support's hours, then the CATA's key on the menu; without it, their regular request is taken
    as usual. True when offered (once: ``offered`` in the URL)."""
    cata = turn.voice.menu.option_for("urgent")
    if cata is None or arg("offered"):
        return False
    closed = phone.cata_instead(turn.session, turn.hours, regular)
    if closed is None:
        return False
    announce_closed(turn.speaker, response, turn.language, closed, turn.hours, Line.REGULAR.value)
    gather = response.gather(
        num_digits=1,
        timeout=CATA_OFFER_SECONDS,
        finish_on_key="",  # the pound key is a key too: the regular request goes on
        action=url("ivr.cata_offered"),
    )
    turn.say(gather, "cata_open_now", digit=cata.digit)
    response.redirect(url("ivr.regular", new=1, offered=1))
    return True


@bp.post("/regular/cata")
@call_step
def cata_offered(turn: Turn) -> VoiceResponse:
    """The CATA's key takes the caller there, as from the menu, their request made urgent; any
    other key, to the regular request they came for."""
    digits = field("Digits", 10)
    cata = turn.voice.menu.option_for("urgent")
    response = VoiceResponse()
    if cata is not None and digits == cata.digit:
        phone.turn_to_the_cata(turn.session, turn.hours, turn.call, key=digits)
        response.redirect(url(menu.STEPS["urgent"]))
    else:
        response.redirect(url("ivr.regular", new=1, offered=1))
    return response


@bp.post("/regular/existing")
@call_step
def existing(turn: Turn) -> VoiceResponse:
    response = VoiceResponse()
    digits = field("Digits", 10)
    if digits not in ("", "1", "2"):
        # A stray key is not a new request: the offer again, as the main menu does; after the
        # menu's tries, the caller's request is taken all the same, as a new one.
        phone.invalid_input(turn.call, digits, heard=False)
        turn.say(response, "invalid_choice")
        invalid = arg("invalid") + 1
        again = invalid < turn.voice.menu.invalid_tries
        response.redirect(
            url("ivr.regular", invalid=invalid) if again else url("ivr.regular", new=1)
        )
        return response
    ticket = (
        phone.choose_existing(turn.session, turn.call, arg("ticket")) if digits == "1" else None
    )
    if ticket is None:  # silence, 2, or a ticket that is not the caller's: a new request
        response.redirect(url("ivr.regular", new=1))
        return response
    turn.say(response, "record_addition")
    record_message(response, turn.voice.max_recording_seconds, "addition", ticket=ticket.id)
    return response
