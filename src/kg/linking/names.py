"""Organisation names as entity resolution compares them, and website domains.

:func:`normalise` is the comparison form of a name: transliterated to ASCII (``anyascii``: Greek,
Cyrillic …), case-folded, punctuation off, ``ae``/``ä`` spellings folded, legal forms off — the
ones ``cleanco`` (a maintained library of company-type terms in many countries) knows, then the ones
it lacks, from :data:`EXTRA_LEGAL_FORMS` (a documented table, docs/entity-resolution.md) — and a
leading "the" dropped. ``CESIE ETS``, ``Cesie`` and ``CESIE E.T.S.`` are all ``cesie``;
``ΚΕΝΤΡΟ ΑΜΚΕ`` is ``kentro``.

This is *not* :func:`kg.linking.organisations.name_key`, the older key that minted ids and registry
keys (URIs are forever, so that key stays as it was); :func:`normalise` only weighs evidence.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import urlsplit

from anyascii import anyascii
from cleanco import basename

# Legal forms cleanco (2.3) does not strip, checked one by one (tests/test_entity_resolution.py):
# form as normalised tokens → what it is. Stripped from the end of a name (after cleanco's own).
EXTRA_LEGAL_FORMS: dict[tuple[str, ...], str] = {
    ("ets",): "IT: ente del Terzo settore (third-sector body, Codice del Terzo settore 2017)",
    ("aps",): "IT: associazione di promozione sociale",
    ("odv",): "IT: organizzazione di volontariato",
    ("onlus",): "IT: organizzazione non lucrativa di utilità sociale",
    ("impresa", "sociale"): "IT: impresa sociale",
    ("scs",): "IT: società cooperativa sociale",
    ("soc", "coop"): "IT: società cooperativa (abbreviated)",
    ("societa", "cooperativa"): "IT: società cooperativa",
    ("societa", "cooperativa", "sociale"): "IT: società cooperativa sociale",
    ("amke",): "EL: αστική μη κερδοσκοπική εταιρεία (civil non-profit company), ΑΜΚΕ",
    ("a", "m", "k", "e"): "EL: Α.Μ.Κ.Ε. written with dots",
    ("ggmbh",): "DE: gemeinnützige GmbH (non-profit limited company)",
    ("gug",): "DE: gemeinnützige Unternehmergesellschaft",
    ("aisbl",): "BE: association internationale sans but lucratif",
    ("ivzw",): "BE: internationale vereniging zonder winstoogmerk",
    ("asbl",): "BE/LU: association sans but lucratif",
    ("vzw",): "BE: vereniging zonder winstoogmerk",
    ("ev",): "DE: eingetragener Verein",
    ("e", "v"): "DE: e.V. written with dots",
    ("zs",): "CZ: zapsaný spolek",
    ("ops",): "CZ: obecně prospěšná společnost",
    ("ry",): "FI: rekisteröity yhdistys",
    ("rf",): "DK/NO: registreret forening",
    ("kft",): "HU: korlátolt felelősségű társaság",
    ("nonprofit", "kft"): "HU: nonprofit kft.",
    ("sp", "z", "o", "o"): "PL: spółka z ograniczoną odpowiedzialnością",
    ("spzoo",): "PL: sp. z o.o. written together",
    ("doo",): "HR/SI/RS: društvo s ograničenom odgovornošću",
    ("mtu",): "EE: mittetulundusühing (non-profit association)",
    ("oy",): "FI: osakeyhtiö",
    ("ek",): "SE: ekonomisk förening",
    ("cic",): "UK: community interest company",
    ("cio",): "UK: charitable incorporated organisation",
    ("limited",): "limited (company)",
}
_EXTRA_BY_LENGTH = sorted(EXTRA_LEGAL_FORMS, key=len, reverse=True)
# Trailing words cleanco (2.3) strips as legal forms that in organisation names here say which branch it
# is: "EIT DIGITAL UK" is not "EIT DIGITAL" (two PICs in CORDIS). Kept.
NOT_LEGAL_FORMS = frozenset({"uk", "nl", "at", "pt"})


def fold(text: str) -> str:
    """ASCII, lower case, punctuation to spaces, transliterated umlauts folded (``ae`` → ``a``)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = anyascii(bare)
    folded = re.sub(r"[\W_]+", " ", ascii_text.casefold()).strip()
    return re.sub(r"(?<=[a-z])([aou])e", r"\1", folded)


def _join_initials(tokens: list[str]) -> list[str]:
    """``e t s`` → ``ets``: a dotted abbreviation is one token."""
    out: list[str] = []
    run: list[str] = []
    for t in [*tokens, ""]:
        if len(t) == 1 and t.isalpha():
            run.append(t)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if t:
            out.append(t)
    return out


def _strip_extra(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in _EXTRA_BY_LENGTH:
            n = len(form)
            if len(tokens) > n and tuple(tokens[-n:]) == form:
                tokens = tokens[:-n]
                changed = True
                break
    return tokens


@functools.lru_cache(maxsize=1 << 17)
def normalise(name: str) -> str:
    """The comparison form of an organisation name (see the module docstring); never empty for a
    non-empty name (a name that is only a legal form keeps it)."""
    text = name.strip()
    # "UNIVERSITAET POTSDAM; UP": an acronym appended after a semicolon is not part of the name
    text = re.sub(r"\s*;\s*[A-Z0-9][A-Z0-9&.\-]{0,11}$", "", text) or text
    try:
        stripped = basename(anyascii(text)) or text
    except (IndexError, ValueError):  # cleanco on odd inputs (a lone punctuation mark)
        stripped = text
    removed = fold(anyascii(text)).split()[len(fold(stripped).split()):]
    if removed and set(removed) & NOT_LEGAL_FORMS:
        stripped = text
    tokens = _strip_extra(_join_initials(fold(stripped).split()))
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return " ".join(tokens) or fold(text)


def tokens(name: str) -> list[str]:
    """The distinct tokens of a normalised name, in order."""
    seen: dict[str, None] = {}
    for t in normalise(name).split():
        seen.setdefault(t, None)
    return list(seen)


def acronym(name: str) -> str:
    """The initials of a normalised name's words of three letters or more (``university of potsdam``
    → ``up``): one level of the name comparison."""
    return "".join(t[0] for t in normalise(name).split() if len(t) >= 3)


# hosts many unrelated organisations use: their domain says nothing about who it is
SHARED_HOSTS = frozenset(
    """gmail.com yahoo.com hotmail.com outlook.com libero.it facebook.com linkedin.com twitter.com instagram.com
    google.com sites.google.com wordpress.com blogspot.com wixsite.com europa.eu ec.europa.eu""".split()
)


def domain(website: str | None) -> str | None:
    """The registrable-looking host of a website (``https://www.uni-potsdam.de/x`` → ``uni-potsdam.de``),
    None for none or for a host many organisations share (gmail.com, facebook.com …)."""
    if not website or not website.strip():
        return None
    text = website.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        host = (urlsplit(text).hostname or "").casefold().rstrip(".")
    except ValueError:
        return None
    host = re.sub(r"^(www\d?|web)\.", "", host)
    if not host or "." not in host or host in SHARED_HOSTS:
        return None
    if any(host.endswith("." + s) for s in SHARED_HOSTS):
        return None
    return host
