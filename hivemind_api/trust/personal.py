"""Structured personal data: e-mail, phone, payment card, IBAN, IP address, postal address, home
directories with user names, git author lines, and private hosts.

Phone numbers are found by ``phonenumbers`` (Google's libphonenumber), card numbers and IBANs are
confirmed with ``python-stdnum``'s checksums, IPs with ``ipaddress``: a version string, a port or
a date does not look like a phone or a card to a validating parser. Documentation ranges and
well-known public resolvers (``192.0.2.1``, ``8.8.8.8``), ``localhost`` and generic system users
(``ubuntu``, ``runner``) are ordinary technical text and stay.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import phonenumbers
import re2
from stdnum import iban, luhn
from stdnum.iso7064 import mod_97_10

from hivemind_api.trust.prefilter import Prefilter, Scan
from hivemind_api.trust.spans import Span, resolve

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}\b")
_CARD = re.compile(r"(?<![\d\-.])(?<!\d[\-.])(?:\d[ \-]?){11,18}\d(?!\d|[\-.]\d)")
# Maestro and other 12-digit cards are only taken when the text calls them a card.
_CARD_CUE = re.compile(
    r"(?i)\b(?:card|cc|carte|karte|tarjeta|carta|cartão|kaart|karta|kort|kart|карт\w*|カード|卡|카드)\b"
)
_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]{4}){2,7}(?:[ \-]?[A-Za-z0-9]{1,4})?\b")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)")
# Every IPv6 notation (full, ``::``-compressed, IPv4-embedded, with a zone); ``ipaddress`` decides.
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:%[\w.]+)?(?![\w:]|\.\d)"
)
_HOME = re.compile(r"(?P<prefix>/home/|/Users/|[A-Za-z]:\\{1,2}Users\\{1,2})(?P<user>[A-Za-z0-9._\-]+)")
_GIT_AUTHOR = re.compile(
    r"(?im)^[ \t>]*(?:Author|Committer|Signed-off-by|Co-authored-by|Reviewed-by|Acked-by|Tested-by|Reported-by|"
    r"Suggested-by|Helped-by):[ \t]*(?P<name>[^<\n]+?)[ \t]*<(?P<email>[^>\n]+)>"
)
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Ter|"
    r"Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Close|Gardens|Row|Alley|Trail"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z]+\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
    rf"(?:(?:,?\s+(?:Apt|Suite|Unit|#)\.?\s*[\w\-]+)?(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)?"
    rf"(?:,?\s+[A-Z]{{2}})?(?:,?\s+\d{{5}}(?:-\d{{4}})?)?)"
)
# German/Dutch/French style "Hauptstraße 12, 10115 Berlin" and "12 rue de la Paix, 75002 Paris".
_ADDRESS_EU = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht)\s*\d{1,4}[a-z]?(?:[/\-]\d{1,4})?"
    r"(?:,\s*\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß]+)?"
    r"|\b\d{1,4},?\s+(?:rue|avenue|boulevard|place|chemin|allée)\s+(?:[a-zà-ÿ']+\s+){0,3}[A-ZÀ-Ý][\w\-]+"
    r"(?:,\s*\d{5}\s+[A-ZÀ-Ý][a-zà-ÿ]+)?"
)
_POSTCODE_UK = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b")
# Streets in other languages, with the street word before the name ("Strada Manole Nr. 17",
# "aleja Łabędzia 92", "ул. Ленина, д. 5", "chemin Odette Baron 47") or after it ("Felsőhetveni
# utca 6.", "Laitisen tie 4", "Atatürk Caddesi 12"); the name is capitalised, a house number
# follows, and a postcode and town may follow that.
_STREET_BEFORE = (
    r"Strada|Str\.|Intrarea|Aleea|Calea|Bulevardul|Splaiul|Șoseaua|Piața|Contrada|Via|Viale|Vicolo|Piazza|Corso|"
    r"Calle|Avenida|Avda\.|Paseo|Plaza|Camino|Carrera|Rua|Travessa|Praça|Alameda|Estrada|Rodovia|Loteamento|"
    # more of Brazil's kinds of street (Correios' "tipos de logradouro")
    r"Distrito|Núcleo|Conjunto|Residencial|Setor|Quadra|Viela|Vereda|Chácara|Condomínio|Fazenda|Jardim|"
    r"Ladeira|Largo|Parque|Recanto|Esplanada|"
    r"Ulica|ul\.|Aleja|aleja|al\.|Plac|plac|Ulice|náměstí|Náměstí|třída|chemin|Chemin|impasse|Impasse|quai|Quai|"
    r"улица|ул\.|переулок|пер\.|проспект|просп\.|пр-т|набережная|наб\.|шоссе|ш\.|бульвар|б-р|площадь|пл\.|"
    r"вулиця|вул\.|провулок|пров\.|οδός|οδ\.|Οδός|λεωφόρος|Λεωφόρος|λεωφ\.|Đường|đường|Phố|phố|Ngõ|ngõ|Hẻm|hẻm"
)
_STREET_AFTER = (
    r"utca|út|útja|tér|körút|köz|tie|katu|kuja|polku|kaari|gatan|vägen|gränd|gata|vej|gade|veien|vegen|"
    r"Caddesi|Cad\.|Sokak|Sokağı|Sk\.|Bulvarı|Mahallesi|Mah\."
)
_NAME_WORD = r"[A-ZÀ-ÞĀ-ſА-ЯЁІЇЄҐΑ-ΩΆ-Ώ\u0110][\w'’\-]*"
_HOUSE = r"(?:(?:Nr\.|No\.|nr\.|n\.|nº|Nº|д\.|№)\s*)?\d{1,5}(?:[/\-]\d{1,5})*[A-Za-z]?\b(?![.,]\d)"
# A town: one or two capitalised words, a particle between them ("Pacheco de Borges"), and a
# state's code after a slash ("… / SP").
_UNCASED_WORD = r"[\u0590-\u06ff\u0900-\u0dff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
_TOWN_WORD = rf"(?:{_NAME_WORD}|{_UNCASED_WORD}[\w'’\-]*)"
_TOWN_PARTICLE = r"(?:de|da|do|dos|das|del|di|du|des|la|le|pod|nad|an|am|im|sur|sous|en|lès)"
_TOWN = (
    rf"(?:{_TOWN_PARTICLE}[ \t]+)?{_TOWN_WORD}(?:[ \t]+(?:{_TOWN_PARTICLE}[ \t]+)?{_TOWN_WORD}){{0,2}}"
    r"(?:[ \t]*/[ \t]*[A-Z]{2}\b|[ \t]*\([A-Z]{2}\))?"
)
_TOWN_TAIL = (  # on the same line: "…, 51-003 Reda", "…, Sadova, 314481", "…, Itatiaia, 59303-246 Ribeiro / BA"
    rf"(?:,?[ \t]*(?:[A-Z]{{1,2}}-)?\d{{2,8}}(?:[ \t\-]\d{{2,4}})?(?!\d)(?:[ \t]+{_TOWN})?|,[ \t]*{_TOWN}){{0,3}}"
)
_ADDRESS_INTL = re.compile(
    rf"(?<![\w])(?:(?:{_STREET_BEFORE})\s+(?:(?:de|del|da|do|dos|das|di|della|la|le|du|des)\s+)?"
    rf"{_NAME_WORD}(?:\s+(?:(?:de|del|da|do|di|la|le|du)\s+)?{_NAME_WORD}){{0,3}}"
    rf"|{_NAME_WORD}(?:\s+[^\W\d_][\w'’\-]*){{0,2}}\s+[a-zäöåőű]*(?:{_STREET_AFTER}))"
    rf",?\s+{_HOUSE}\.?{_TOWN_TAIL}"
)
# Russian and Ukrainian postal order: a settlement, a street, the house ("д." / "буд.") and its
# building or flat, a postcode ("д. Красноуфимск, пер. 50 лет Октября, д. 1/5 к. 59, 398695"); the
# street's name may start with a number, which the capitalised-name rule above does not allow.
_ADDRESS_CYRILLIC = re.compile(
    r"(?<![\w])(?:(?:г|д|п|с|пос|пгт|ст|х|м|смт|с-ще)\.[ \t]*[А-ЯЁІЇЄҐ][\w\-]+,[ \t]*)?"
    r"(?:ул|улица|пер|переулок|пр|просп|проспект|ш|шоссе|наб|б-р|бульвар|пл|площадь|вул|вулиця|пров|провулок|"
    r"алея|аллея|туп|тупик)\.?[ \t]+[^,\n]{2,40},[ \t]*(?:д|дом|буд)\.[ \t]*\d{1,4}(?:/\d{1,4})?[а-яА-Я]?"
    r"(?:[ \t]*(?:к|корп|стр|кв|оф)\.[ \t]*\d{1,4})*(?:,[ \t]*\d{5,6})?"
)
# An address's other parts beside one already replaced (the second pass sees "[ADDRESS]"): the
# postcode, town and state after it on its line and on the lines below ("[ADDRESS]\n69803 Borås",
# "[ADDRESS], [NAME], 85774", "[ADDRESS]\nTrujillotown, NE 19080"), and the flat, estate and
# district before it on its line ("Studio 04k, [NAME], Brownchester, [ADDRESS]"). Its street was
# evidence enough that the lines around it are the rest of one address.
_PLACE = r"\[(?:NAME|ADDRESS)\]"
_POSTCODE_ANY = r"(?:[A-Z]{1,2}-)?\d{2,8}(?:[ \-]\d{2,4})?(?:[ ]?[A-Z]{2}\b)?(?!\d)"
_PLACE_WORD = rf"(?:{_PLACE}|{_NAME_WORD}|{_UNCASED_WORD})"
_TOWN_ANY = (
    rf"{_PLACE_WORD}(?:[ \t]+(?:(?:de|da|do|dos|das|del|di|du|des|la|le)[ \t]+)?{_PLACE_WORD}){{0,2}}"
    r"(?:[ \t]*\([A-Z]{2,3}\))?"
)
_ADDRESS_PART = re.compile(
    rf"(?:[ \t]*,{{1,2}}[ \t]*|[ \t]*/[ \t]*)(?:{_POSTCODE_ANY}(?:[ \t]+{_TOWN_ANY})?|{_TOWN_ANY})"
    rf"|[ \t]+(?:{_POSTCODE_ANY}(?:[ \t]+{_TOWN_ANY})?|{_PLACE}|[A-Z]{{2}}\b)"
)
_ADDRESS_LINE = re.compile(
    rf"[ \t]*(?:{_POSTCODE_ANY}(?:[ \t]+{_TOWN_ANY})?|{_TOWN_ANY}(?:-\d{{6}})?)(?:{_ADDRESS_PART.pattern})*[ \t,]*"
)
_UNIT_BEFORE = r"(?:Flat|Studio|Unit|Apartment|Apt\.?|Suite|Room|Building|Block)[ \t]+[\w\-]+"
_BEFORE_ADDRESS = re.compile(rf"(?P<head>(?:(?:{_UNIT_BEFORE}|{_TOWN_ANY})[ \t]*,[ \t]*){{1,4}})\[ADDRESS\]")


# An address by its shape alone, whatever its street's word: comma-separated parts of
# capitalised words, house numbers ("21/29", "Nr. 80", "Bl. 74") and particles, ending in a
# postcode of five to eight digits or a dashed or spaced one ("Drumul Tabacu Nr. 435, Resita,
# 600391", "Cañada Delfina Carretero 32, Ceuta, 13746", "Fayehof 07, 8645OS, Dieden"). A
# four-digit number after a comma is as often a year ("Figure 20, 2021 Results"), so it needs a
# street word (see above); a part of only common English words or technologies does not count.
_CYRILLIC_STREET = (  # a street word in lower case, and the words of its name, any case ("сквер Рози вітрів")
    r"(?:сквер|провулок|вулиця|шосе|площа|бульвар|улица|переулок|проспект|набережна|набережная|узвіз|тупик|"
    r"алея|аллея|шоссе|площадь|парк|майдан)(?:[ \t]+[а-яёіїєґА-ЯЁІЇЄҐ0-9'’\-]+){1,5}"
)
_CHAIN_WORD = (
    rf"(?:\[NAME\]|{_NAME_WORD}\.?|{_UNCASED_WORD}|\([^()\n,]{{1,20}}\)|\d{{1,5}}[A-Za-z]?(?:[/\-]\d{{1,5}})*\.?|\d{{1,2}}ª|"
    r"(?:de|da|do|dos|das|del|di|du|des|la|le|y|i)|[a-zа-яё]{1,4}\.|"
    rf"ulica|plac|aleja|osiedle|rue|avenue|boulevard|allée|chemin|impasse|quai|place|út|utca|{_CYRILLIC_STREET})"
)
_CHAIN_SEGMENT = rf"{_CHAIN_WORD}(?:[ \t]+{_CHAIN_WORD}){{0,6}}"
# Its end: a postcode (and a town), "Town-PIN" (India), or "Town, ST 12345" (the US)
_CHAIN_END = (
    r"(?:[A-Z]{1,2}-|Τ\.?Κ\.?[ ]?)?(?P<postcode>\d{5,8}|\d{2,5}-\d{3,4}|\d{3}[ ]\d{2}|\d{4}[ ]?[A-Z]{2}|\[PHONE\])"
    rf"(?![\w\-])(?:[ \t]*,?[ \t]+{_TOWN})?"
    rf"|{_TOWN}(?:[ \t]*-[ \t]*|[ \t]+)\d{{6}}(?!\d)"
    rf"|{_TOWN},?[ \t]+[A-Z]{{2}}[ \t]+\d{{5}}(?:-\d{{4}})?(?!\d)"
)
_ADDRESS_CHAIN = re.compile(
    rf"(?<![\w\-.])(?P<chain>{_CHAIN_SEGMENT}(?:[ \t]*,{{1,2}}[ \t]*{_CHAIN_SEGMENT}){{0,4}})"
    rf"[ \t]*,{{1,2}}[ \t]*(?:{_CHAIN_END})"
)
_DATE_DIGITS = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


# Vietnamese addresses: a house number ("Số 38/648", "2/15"), then the street, the ward, the
# district, the city and the province, each announced by its word ("Khu 43 Điện Biên Phủ Phường
# Tân An thành phố Hồ Chí Minh"); an administrative word must be among them.
_VI_TOKEN = (
    r"(?:\[(?:NAME|ADDRESS)\]|TP\.|" + _NAME_WORD + r"|\d{1,5}(?:/\d{1,5})*|"
    r"phường|quận|huyện|xã|thành|phố|thị|trấn|tỉnh|đường|hẻm|ngõ|ngách|ấp|thôn|khu|khóm|số)"
)
_VI_ADDRESS = re.compile(
    rf"(?<![\w/])(?:Số[ \t]+)?\d{{1,5}}(?:/\d{{1,5}})*(?:(?:[ \t]*,)?[ \t]+{_VI_TOKEN}){{2,24}}"
)
_VI_ADMIN = re.compile(r"(?i)\b(?:phường|quận|huyện|xã|thành phố|tp\.|tỉnh|thị xã|thị trấn)(?!\w)")


# US military post: "PSC 0780, Box 1762, APO AP 80911", "Unit 9682 Box 8905, DPO AE 41197", "USS Kidd\nFPO AP 33068".
_MILITARY_POST = re.compile(
    r"\b(?:(?:PSC|Unit|CMR)[ \t]+\d{1,5},?[ \t]+Box[ \t]+\d{1,5}|USN?S[ \t]+[^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*)?)"
    r"[ \t]*[,\n][ \t]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5}(?!\d)"
)


def _names_a_place(found: str) -> bool:
    """A street's or a town's name among the words: a placeholder, a word of an uncased script,
    or a capitalised word that is rare in English (under one in a million words: "Resita",
    "Ceuta", "Dieden"), not an acronym or a technology ("Chapter 7, Appendix B, 12345 words",
    "Apache 2.0, MIT, 12345678" are not addresses)."""
    from hivemind_api.trust.names import uncommon_word_in

    if "[NAME]" in found or re.search(_UNCASED_WORD, found):
        return True
    return uncommon_word_in(found, below=_RARE_IN_ENGLISH, acronyms=False)


_RARE_IN_ENGLISH = 2.5  # "Retry" is 2.6, "Forst" 1.9


def _address_chains(scan: Scan) -> list[Span]:
    spans = []
    for m in scan.finditer(_ADDRESS_CHAIN):
        if _DATE_DIGITS.fullmatch(m.group("postcode") or ""):  # "Build 45, 20240115": a date
            continue
        if _names_a_place(m.group()):
            spans.append(Span(m.start(), m.end(), "ADDRESS"))
    spans += [
        Span(m.start(), m.end(), "ADDRESS") for m in scan.finditer(_VI_ADDRESS) if _VI_ADMIN.search(m.group())
    ]
    spans += [Span(m.start(), m.end(), "ADDRESS") for m in scan.finditer(_MILITARY_POST)]
    return spans


def _part_of_address(piece: str) -> bool:
    """A postcode, a placeholder or a place's name; not words of a sentence ("Thanks", "Please")."""
    if re.search(r"\d|\[(?:NAME|ADDRESS)\]", piece):
        return True
    from hivemind_api.trust.names import common_word

    words = re.findall(r"[^\W\d_]+", piece)
    return bool(words) and not all(common_word(w) for w in words)


def _beside_address(text: str) -> list[Span]:
    """Each "[ADDRESS]" with the parts around it on its line (one span, so one placeholder), and
    each line below it that holds only a postcode, a town or a state."""
    heads: dict[int, int] = {}  # where a placeholder's address starts, left of it on its line
    for m in _BEFORE_ADDRESS.finditer(text):
        pieces = re.split(r"[ \t]*,[ \t]*", m.group("head").rstrip(" \t,"))
        while pieces and not _part_of_address(pieces[0]):
            pieces.pop(0)  # a sentence's words at the left end are not the address's
        if pieces:
            heads[m.end() - len("[ADDRESS]")] = m.start("head") + m.group("head").find(pieces[0])
    spans: list[Span] = []
    for m in re.finditer(r"\[ADDRESS\]", text):
        end = m.end()
        for part in _ADDRESS_PART.finditer(text, end):  # the rest of its line
            if part.start() != end or not _part_of_address(part.group()):
                break
            end = part.end()
        begin = heads.get(m.start(), m.start())
        if (begin, end) != (m.start(), m.end()):
            spans.append(Span(begin, end, "ADDRESS"))
        newline = text.find("\n", end)
        if newline == -1 or text[end:newline].strip(" \t,."):
            continue  # the line goes on with other words: the lines below are not its
        start = newline + 1
        for _ in range(3):  # the lines below: a town, a postcode, a state
            stop = text.find("\n", start)
            stop = len(text) if stop == -1 else stop
            line = text[start:stop]
            if not line.strip() or not _ADDRESS_LINE.fullmatch(line) or not _part_of_address(line):
                break
            first = start + len(line) - len(line.lstrip())
            spans.append(Span(first, start + len(line.rstrip(" \t,")), "ADDRESS"))
            start = stop + 1
    return spans


_PRIVATE_HOST = re.compile(
    r"\b(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:internal|corp|intranet|lan|local|localdomain|private|"
    r"home\.arpa|intra|priv)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _private_host_re2() -> re2._Regexp:
    """``_PRIVATE_HOST`` as RE2 runs it, in linear time. Python's engine retries the repeated
    labels from every label of a long dotted run and took seconds on 20,000 characters of
    "a.a.a…" ending in ".internal". (RE2's word boundary is ASCII's, so a host right after a
    non-ASCII letter is found too.)"""
    options = re2.Options()
    options.case_sensitive = False
    return re2.compile(_PRIVATE_HOST.pattern, options)


def _private_hosts(scan: Scan) -> list[re.Match[str]] | list[re2._Match]:
    if _PRIVATE_HOST not in scan:
        return []
    try:
        return list(_private_host_re2().finditer(scan.text))
    except UnicodeEncodeError:  # lone surrogates: RE2 only reads UTF-8, Python's engine runs
        return list(scan.finditer(_PRIVATE_HOST))


_GENERIC_USERS = {
    "user",
    "username",
    "you",
    "yourname",
    "your-name",
    "your_user",
    "me",
    "name",
    "runner",
    "ubuntu",
    "ec2-user",
    "vagrant",
    "node",
    "app",
    "admin",
    "root",
    "circleci",
    "travis",
    "jenkins",
    "docker",
    "pi",
    "debian",
    "centos",
    "fedora",
    "linuxbrew",
    "shared",
    "public",
    "default",
    "guest",
    "runneradmin",
    "vscode",
    "codespace",
    "gitpod",
}
_PUBLIC_RESOLVERS = {
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
}
_EXAMPLE_DOMAINS = re.compile(
    r"@(?:[\w\-]+\.)*(?:example\.(?:com|org|net)|example|test|invalid|localhost)$", re.I
)
# At a documentation domain only a placeholder mailbox is ordinary text: ``user@example.com`` stays,
# ``anna.schmidt@example.org`` is a person's name in an address and goes.
_PLACEHOLDER_MAILBOX = re.compile(
    r"^(?:user|username|you|your[._\-]?(?:name|email)|name|email|mail|me|someone|somebody|person|foo|bar|baz|test|"
    r"tester|demo|example|admin|info|support|contact|hello|sales|noreply|no-reply|alice|bob|carol|john\.doe|jane\.doe|"
    r"jdoe|x|a|b|security|abuse|postmaster|webmaster|hostmaster|privacy|legal|billing|ops|dev|devops|team|hr|jobs|"
    r"press|office|help|feedback|newsletter|notifications?|alerts?|mailer-daemon|root|ci|bot|service)\d{0,2}@",
    re.I,
)


def _iban_checksum_ok(value: str) -> bool:
    """ISO 13616's mod-97 check (ISO 7064) over 15-34 characters; neither the country's length
    nor the national part's own check digits are required (an account number someone mistyped,
    or a generator got a digit short, is still someone's account)."""
    compact = iban.compact(value.upper().replace("-", ""))
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    return mod_97_10.is_valid(compact[4:] + compact[:4])


def _ip_kind(value: str) -> str | None:
    """IP for addresses that can point at a person or a network; None for technical ones."""
    try:
        ip = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # "::ffff:127.0.0.1" is loopback
        return _ip_kind(str(ip.ipv4_mapped))
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast or value in _PUBLIC_RESOLVERS:
        return None
    doc_nets = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    if any(ip in ipaddress.ip_network(net) for net in doc_nets):
        return None
    if ip.version == 4 and (value.startswith("0.") or (value.endswith(".0") and ip.is_private)):
        return None  # network addresses in CIDR-ish text ("10.0.0.0") are configuration, not a host
    return "HOST" if ip.is_private or ip.is_link_local else "IP"


# Seven digits, each within four characters of the next: the shape of any number kept below
# (libphonenumber's matcher allows at most four punctuation characters between digit blocks).
_PHONE_DIGITS = re.compile(r"\d(?:\D{0,4}\d){6}")


# An international number: "+" and a country code, then 6-14 more digits in any grouping.
_PHONE_INTERNATIONAL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .\-/]?\(?\d{1,5}\)?){2,6}(?![\w])")
# A national number announced as one (in the languages the evaluation covers): "call me on 0911 801561".
_PHONE_CUE = re.compile(
    r"(?i)(?:\b(?:phone|tel|telephone|mobile|mob|cell|fax|call|text|sms|whatsapp|signal|number|no|nr|ring|"
    r"telefon|handy|rufnummer|téléphone|portable|portable|teléfono|telefono|móvil|cellulare|celular|telefoon|"
    r"mobiel|telefonu|telefonnummer|puhelin|numer|číslo|telefone|тел|телефон|номер|τηλ|τηλέφωνο|טלפון|هاتف|"
    r"फ़ोन|फोन|landline|msisdn|contact|kontakt|kontakta|kontaktieren|contacto|contatto|contato|контакт|"
    # "reach me on", "reach the front desk at" ("downloads reach 1 500 000" is a count)
    r"reach(?:\s+(?!on\b|at\b)\w+){0,3}\s+(?:on|at))\b\.?|on_?call|phone_number|電話|电话|手机|携帯|전화|휴대폰)"
    r"[\s:#.,]*(?:(?:me|us|them|him|her|you)\s+)?(?:on|at|is|:|au|am|под|на)?[\s\"']*"
    r"(?P<number>\(?\+?\d[\d\s().\-/]{5,20}\d)"
)
_NOT_A_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}")
# A count grouped in thousands ("1 500 000", "2.300.000", "1,250,000"): libphonenumber takes seven
# such digits for a possible local number; alone, with no cue, they are a quantity.
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+")
# Inside a candidate: a date, or a version (a dotted group of one digit) means it is not a number to call.
_DATE_OR_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}|(?<!\d)\d{1,3}\.\d(?:\.\d+)+|\bv\d")
# A national number with its trunk prefix: "0911 801561", "030-01 60 19", "02397912198".
_PHONE_NATIONAL = re.compile(
    r"(?<![\w+.\-/])(?:0\d{1,4}|\(0\d{1,4}\))(?:[ \-/]?\d{2,4}){1,4}(?:x\d{1,5})?(?![\w.\-/]|\.\d)"
)


# Four pairs of digits, or a pair, a triple and two pairs, standing alone: Danish, Norwegian and
# Polish landlines written as they are dialled ("47 73 72 49", "32 345 36 61"); a longer run of
# pairs is a hex dump or a table, three-digit groups are thousands ("691 906 212"). Russian
# numbers with the trunk "8" likewise ("8 327 633 24 55", "8 (495) 123-45-67", "8 406 135 8952"),
# and Swedish ones, an area code with its trunk "0" and a dash before pairs ("08-15 64 71",
# "0485-25 62 19").
_PHONE_PAIRS = re.compile(
    r"(?<![\w.:\-/+])(?<!\d[ ])(?:\d{2}[ ](?:\d{2}|\d{3})[ ]\d{2}[ ]\d{2}"
    r"|8[ \-]?\(?\d{3}\)?[ \-]\d{3}[ \-](?:\d{2}[ \-]\d{2}|\d{4})|0\d{1,3}-\d{2,3}(?:[ ]\d{2}){2,3})"
    r"(?![\w.:\-/]|[ ]\d)"
)
_EXTENSION = re.compile(r"[ \t]*(?:x|ext\.?|extension|доб\.?)[ \t]*\d{1,6}(?!\d)", re.IGNORECASE)
_COUNTRY_PREFIX = re.compile(r"\+\d{1,3}[ \t]$")


class _SevenDigitMatcher(phonenumbers.PhoneNumberMatcher):
    """libphonenumber's matcher, which skips a candidate of fewer than seven digits before parsing
    it: no number found inside one could be kept (``_phones`` keeps seven digits or more), and
    parsing the short numbers of technical text (ports, counts, dates, hex) was most of its cost."""

    def _extract_match(self, candidate: str, offset: int) -> phonenumbers.PhoneNumberMatch | None:
        if sum(c.isdigit() for c in candidate) < 7:
            return None
        match: phonenumbers.PhoneNumberMatch | None = super()._extract_match(candidate, offset)
        return match


def _phones(text: str) -> list[Span]:
    """Phone numbers of seven digits or more that are *possible* (right length for a numbering
    plan; an unassigned range is still somebody's number to the screen). Parsing every candidate
    (version strings, ports, counts) is most of the scrubber's cost on technical prose, so a text
    without seven digits close together is not handed to the parser at all."""
    if not _PHONE_DIGITS.search(text):
        return []
    spans = []
    for m in _SevenDigitMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE):
        raw = m.raw_string
        if (
            sum(c.isdigit() for c in raw) >= 7
            and not _NOT_A_PHONE.fullmatch(raw.strip())
            and not _THOUSANDS.fullmatch(raw.strip())
            and not _DATE_OR_VERSION.search(raw)
        ):
            spans.append(Span(m.start, m.end, "PHONE"))
    for found in _PHONE_NATIONAL.finditer(text):
        number = found.group().split("x")[0]  # an extension's digits are not the number's
        if 9 <= sum(c.isdigit() for c in number) <= (16 if number.startswith("00") else 12):
            spans.append(Span(found.start(), found.end(), "PHONE"))
    for found in _PHONE_INTERNATIONAL.finditer(text):
        digits = sum(c.isdigit() for c in found.group())
        if 8 <= digits <= 15 and _possible_international(found.group()):
            spans.append(Span(found.start(), found.end(), "PHONE"))
    for found in _PHONE_CUE.finditer(text):
        number = found.group("number").rstrip(" -/.(")
        digits = sum(c.isdigit() for c in number)
        if 7 <= digits <= 15 and not _NOT_A_PHONE.fullmatch(number.strip()):
            spans.append(Span(found.start("number"), found.start("number") + len(number), "PHONE"))

    for found in _PHONE_PAIRS.finditer(text):
        spans.append(Span(found.start(), found.end(), "PHONE"))
    spans = [_with_prefix_and_extension(text, sp) for sp in spans]

    # A digit run inside a longer token (a SHA, a hash, an id) is part of that token, not a number.
    def word_char(c: str) -> bool:
        return c.isascii() and c.isalnum()

    # A bare run of digits (or a decimal) glued to code, a path or an anchor is a value there
    # ("used=4809781248", "system=2150.659", "0.0078125", "record/1234567", "badge/12345678.svg",
    # "#issuecomment-1234567890", "issue #1693050"), not a number to call.
    def in_code(sp: Span) -> bool:
        if not re.fullmatch(r"\d+(?:\.\d+)?", text[sp.start : sp.end]):  # digits, or a decimal
            return False
        before, after = text[sp.start - 1 : sp.start], text[sp.end : sp.end + 1]
        return (
            (before != "" and before in "=./_-#@")
            or (after != "" and after in "/_")
            or (after == "." and text[sp.end + 1 : sp.end + 2].isalnum())
        )

    inside = [
        sp
        for sp in spans
        if (sp.start > 0 and word_char(text[sp.start - 1]))
        or (sp.end < len(text) and word_char(text[sp.end]) and text[sp.end] != "x")
        or in_code(sp)
    ]
    return resolve([sp for sp in spans if sp not in inside])  # one number found three ways is one span


def _with_prefix_and_extension(text: str, span: Span) -> Span:
    """A number's extension ("x9349", "ext. 97738") and a country code the parser left before
    it ("+1 [number]") belong to it."""
    end = span.end
    extension = _EXTENSION.match(text, end)
    if extension:
        end = extension.end()
    start = span.start
    prefix = _COUNTRY_PREFIX.search(text, max(0, start - 6), start)
    if prefix:
        start = prefix.start()
    return Span(start, end, span.kind)


def _possible_international(raw: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(raw, None))
    except phonenumbers.NumberParseException:
        return False


@lru_cache(maxsize=1)
def _prefilter() -> Prefilter:
    return Prefilter(
        [
            _GIT_AUTHOR,
            _EMAIL,
            _PHONE_DIGITS,
            _CARD,
            _IBAN,
            _IPV4,
            _IPV6,
            _PRIVATE_HOST,
            _HOME,
            _ADDRESS,
            _ADDRESS_EU,
            _POSTCODE_UK,
            _ADDRESS_INTL,
            _ADDRESS_CYRILLIC,
            _ADDRESS_CHAIN,
            _VI_ADDRESS,
            _MILITARY_POST,
        ]
    )


def detect(text: str) -> list[Span]:
    scan = _prefilter().scan(text)  # runs only the patterns that can match at all
    spans: list[Span] = []
    for m in scan.finditer(_GIT_AUTHOR):
        spans += [
            Span(m.start("name"), m.end("name"), "NAME"),
            Span(m.start("email"), m.end("email"), "EMAIL"),
        ]
    for m in scan.finditer(_EMAIL):
        address = m.group()
        if re.match(r"git@|noreply@|[\w.+\-]*users\.noreply\.", address):
            continue
        if not (_EXAMPLE_DOMAINS.search(address) and _PLACEHOLDER_MAILBOX.match(address)):
            spans.append(Span(m.start(), m.end(), "EMAIL"))
    if _PHONE_DIGITS in scan:
        spans += _phones(text)
    for m in scan.finditer(_CARD):
        digits = re.sub(r"\D", "", m.group())
        cued = len(digits) >= 13 or _CARD_CUE.search(text, max(0, m.start() - 40), m.start())
        if 12 <= len(digits) <= 19 and cued and luhn.is_valid(digits) and len(set(digits)) > 2:
            spans.append(Span(m.start(), m.end(), "CREDIT_CARD"))
    for m in scan.finditer(_IBAN):
        candidate = m.group()  # the pattern may have taken a following word as a last group: drop it
        while len(candidate) >= 15 and not _iban_checksum_ok(candidate):
            candidate = re.sub(r"[ \-]?[A-Za-z0-9]{1,4}$", "", candidate)
        if len(candidate) >= 15:
            spans.append(Span(m.start(), m.start() + len(candidate), "IBAN"))
    for pattern in (_IPV4, _IPV6):
        for m in scan.finditer(pattern):
            kind = _ip_kind(m.group())
            if kind:
                spans.append(Span(m.start(), m.end(), kind))
    for m in _private_hosts(scan):
        if not m.group().lower().endswith(("docker.internal", "cluster.local")):
            spans.append(Span(m.start(), m.end(), "HOST"))
    for m in scan.finditer(_HOME):
        if m.group("user").lower() not in _GENERIC_USERS and not m.group("user").startswith(
            ("$", "<", "{", "%")
        ):
            spans.append(Span(m.start(), m.end(), "PATH"))
    for pattern in (_ADDRESS, _ADDRESS_EU, _POSTCODE_UK, _ADDRESS_INTL, _ADDRESS_CYRILLIC):
        spans += [Span(m.start(), m.end(), "ADDRESS") for m in scan.finditer(pattern)]
    spans += _address_chains(scan)
    if "[ADDRESS]" in text:
        spans += _beside_address(text)
    return spans
