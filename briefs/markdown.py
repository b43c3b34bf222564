"""Typed text made inert for the Markdown export (`brief.md`).

Whatever an architect types must read as typed once the file is pasted into a Markdown renderer:
no link, image, heading, list, quote, table, code or HTML of its own. Backslash escapes do it
(CommonMark lets any ASCII punctuation be escaped), not HTML entities: the file is plain text
first, and `&lt;` would show as such in an editor or a chat.
"""

from __future__ import annotations

import re

# Inline constructs: emphasis, code, links and images ([), autolinks and HTML (<), entities (&),
# strikethrough (~), tables (|), e-mail autolinks (@), a heading's closing #s, and the escape
# character itself.
_INLINE = re.compile(r"([\\`*_\[\]<>&~|@#])")
# Bare addresses that GitHub-flavoured renderers turn into links (scheme://, //host, www.).
_SCHEME = re.compile(r"(:)?//")
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)
# Block constructs a line may start with: setext underlines and thematic breaks, bullet and
# numbered lists (headings, quotes, tables and fences are escaped wherever they appear).
_LINE_START = re.compile(r"^([=+-])|^(\d+)([.)])", re.MULTILINE)


def markdown_escape(text: object) -> str:
    """`text` as Markdown that renders to exactly its characters, in one paragraph per block.

    Leading spaces of every line go: four would start a code block. Every line is treated as
    the start of a block, since a field may sit on a line of its own in the template.
    """
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    value = "\n".join(line.lstrip(" \t") for line in value.split("\n"))
    value = _INLINE.sub(r"\\\1", value)
    value = _SCHEME.sub(lambda m: ("\\:" if m.group(1) else "") + "\\/\\/", value)
    value = _WWW.sub(r"\1\\.", value)
    return _LINE_START.sub(
        lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", value
    )
