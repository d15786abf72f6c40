"""Readable text from an HTML-only email, with the standard library's html.parser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Content a reader never sees in a mail client.
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
# Tags after which a mail client starts a new line.
_BREAKS = frozenset(
    {"br", "p", "div", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "hr", "ul", "ol", "pre", "section", "article", "header", "footer"}
)  # fmt: skip
# Table cells: a tab between them, as mail programs write a table as text ("Poste\tCAISSE-03").
_CELLS = frozenset({"td", "th"})
_BLANK_RUNS = re.compile(r"\n{3,}")
_CELL_GAP = re.compile(r" *\t *")  # the spaces a pretty-printed table leaves around a cell
_SPACE_RUNS = re.compile(r" {2,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0
        self.cell_depth = 0  # inside a table cell, a paragraph is a space (Outlook's cells)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden_depth += 1
        elif tag == "tr":  # a row starts a line, without a blank one after
            self.parts.append("\n")
        elif tag in _CELLS:
            self.cell_depth += 1
            self.parts.append("\t")  # a row's first cell loses it with the line's strip
        elif tag in _BREAKS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in _CELLS:
            self.cell_depth = max(0, self.cell_depth - 1)
        elif tag in _BREAKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.parts.append(_SPACES.sub(" ", data.replace("\n", " ")))

    def _break(self) -> None:
        self.parts.append(" " if self.cell_depth else "\n")


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, scripts and styles dropped, paragraphs kept, a
    table's cells apart by a tab."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # a broken document still gives whatever text came before the break
        pass
    text = "".join(collector.parts)
    lines = [_CELL_GAP.sub("\t", _SPACE_RUNS.sub(" ", line)).strip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
