"""The prompt catalog: every sentence heard on the line, in fr-CA and en-CA, spoken with <Say>.

``PROMPTS`` lists each key the call flows say and the placeholders they fill in; the catalog
file is checked against it at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

import i18n

CATALOG_FILE = Path(__file__).with_name("prompts.toml")
LOCALES = {"fr": "fr-CA", "en": "en-CA"}

PROMPTS = i18n.keys(
    welcome="",
    language_offer="digit",
    menu_regular="digit",
    menu_urgent="digit",
    menu_reception="digit",
    menu_repeat="",
    no_input="",
    invalid_choice="",
    to_voicemail="",
    voicemail="",
    message_saved="",
    no_message="",
    record_again="",
    goodbye="",
    closed_now="",
    closed_holiday="holiday",
    closed_closure="",
    hours_regular="hours",
    hours_cata="hours",
    cata_welcome="",
    cata_open_now="digit",
    ticket_opened="number",
    ticket_reminder="number",
    record_problem="",
    callback_by="when",
    urgent_callback_by="when",
    existing_ticket="number",
    record_addition="",
    message_added="number",
    account_prompt="",
    account_no_input="",
    unauthorized="",
    not_identified="",
    unknown_account="",
    no_account="",
    will_verify="",
    code_prompt="",
    code_refused="",
    to_regular_support="",
    to_urgent_support="",
    urgent_connecting="",
    urgent_nobody="",
    urgent_record="",
    whisper="client contact number",
    whisper_declined="",
    reception_connecting="",
    reception_closed="hours",
    reception_unavailable="",
    technical_difficulty="",
    callback_intro="client number",
    callback_connecting="",
    callback_not_reached="",
    unknown_client="",
    unknown_contact="",
    when_today="time",
    when_tomorrow="time",
    when_day="day time",
    days_range="first last",
    days_single="first",
    time_span="start end",
    spans_and="first second",
    day_hours="days spans",
)


def load(path: Path | None = None) -> i18n.Catalog:
    """The prompt catalog, checked against what the call flows say."""
    return i18n.load(path or CATALOG_FILE, PROMPTS)


class Speaker:
    """Says catalog prompts with the configured voice for each language."""

    def __init__(self, catalog: i18n.Catalog, voices: dict[str, str]) -> None:
        self.catalog = catalog
        self.voices = voices

    def text(self, key: str, language: str, **values: Any) -> str:
        return self.catalog.render(key, language, **values)

    def say(self, verb: VoiceResponse | Gather, key: str, language: str, **values: Any) -> None:
        verb.say(
            self.text(key, language, **values),
            voice=self.voices[language],
            language=LOCALES[language],
        )
