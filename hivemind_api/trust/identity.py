"""Personal data that has no checksum or fixed shape, found where the text announces it: national
ID numbers, birth dates and postal addresses.

A US social security number has a shape of its own (``123-45-6789``, with the ranges the SSA
never assigns left out). Everything else is taken only after a cue that says what follows, in the
languages the evaluation covers: "SSN:", "passport no.", "Personalausweis", "born on", "date of
birth", "my address is", "Adresse", "dirección", "адрес", "住所" … A bare date or a bare number in
technical text is not personal data, so nothing here fires without its cue (or the SSN shape).
"""

from __future__ import annotations

import re
from functools import lru_cache

from hivemind_api.trust.names import uncommon_word_in
from hivemind_api.trust.prefilter import Prefilter
from hivemind_api.trust.spans import Span

_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")

_ID_CUE = (
    r"ssn|social\s+security(?:\s+(?:number|no\.?))?|national\s+(?:id|insurance)(?:\s+(?:number|no\.?))?|"
    r"passport(?:\s+(?:number|no\.?))?|driver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?))?|tax\s+(?:id|number)|"
    r"id\s+(?:number|no\.?|card)|personal\s+(?:id|number)|bank\s+account(?:\s+(?:number|no\.?))?|account\s+(?:number|no\.?)|"
    r"personalausweis(?:nummer)?|steuer-?id|reisepass(?:nummer)?|sozialversicherungsnummer|"
    r"num[ée]ro\s+de\s+s[ée]curit[ée]\s+sociale|nir|passeport|carte\s+d'identit[ée]|"
    r"dni|nie|nif|pasaporte|n[úu]mero\s+de\s+identidad|codice\s+fiscale|passaporto|carta\s+d'identit[àa]|"
    r"cpf|rg|bsn|burgerservicenummer|personnummer|cpr(?:-nummer)?|henkil[öo]tunnus|pesel|rodn[ée]\s+[čc][íi]slo|"
    r"tc\s+kimlik(?:\s+no)?|снилс|инн|паспорт|ідентифікаційний\s+код|aadhaar|pan|주민등록번호|"
    r"マイナンバー|身份证(?:号码?)?"
)
_ID_AFTER_CUE = re.compile(
    rf"(?i)(?<![\w])(?:{_ID_CUE})(?![\w])[\s:#.,\-]*(?:is|was|es|est|ist|è|é|:|=|no\.?|number)?\s*"
    r"(?P<value>[A-Za-z]{0,3}[\d][\dA-Za-z .\-/]{4,22}[\dA-Za-z])"
)

_DOB_CUE = (
    r"date\s+of\s+birth|birth\s*date|birthday|d\.?o\.?b\.?|born(?:\s+(?:on|in))?|geburtsdatum|geboren(?:\s+am)?|"
    r"date\s+de\s+naissance|n[ée]e?\s+le|fecha\s+de\s+nacimiento|naci[óo]\s+el|nacid[oa]\s+el|data\s+di\s+nascita|"
    r"nat[oa]\s+il|data\s+de\s+nascimento|nasceu\s+em|geboortedatum|geboren\s+op|f[öo]delsedatum|f[öo]dd|"
    r"data\s+urodzenia|urodzon[ya]|doğum\s+tarihi|дата\s+рождения|родил(?:ся|ась)|дата\s+народження|生年月日|出生日期|생년월일"
)
_DATE = (
    r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}/\d{1,2}/\d{1,2}|"
    r"\d{1,2}\.?\s+[A-Za-zÀ-ÿ]{3,10}\.?\s+\d{4}|[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}|\d{4}年\d{1,2}月\d{1,2}日"
)
_DOB = re.compile(rf"(?i)(?<![\w])(?:{_DOB_CUE})(?![\w])[^\n\d]{{0,30}}?(?P<value>{_DATE})")

_ADDRESS_CUE = (
    r"(?:my|our|his|her|their|the|new|home|billing|shipping|postal|mailing|primary|secondary)\s+address(?:es)?|"
    r"address\s+(?:is|to|with|of)|(?m:^)[ \t>*\-]*(?-i:Address)\s*:|(?:home|postal|street|mailing)\s+address\s*:|lives?\s+at|"
    r"living\s+at|located\s+at|moved\s+to|"
    r"adresse|anschrift|wohnhaft\s+in|direcci[óo]n|domicilio|indirizzo|endere[çc]o|adres|osoite|"
    r"адрес(?:а|у)?|адреса|住所|地址|주소|عنوان|כתובת|διεύθυνση"
)
# After the cue: an address runs to the end of its sentence or line, and holds a digit somewhere.
_ADDRESS_AFTER_CUE = re.compile(
    rf"(?i)(?<![\w])(?:{_ADDRESS_CUE})(?![\w])(?:(?:\s+[^\s:?]+){{0,6}}\s+(?:the\s+same|following|is|to|with|in|at)\b)?"
    r"[\s:?]*(?P<value>[^\s?!.][^\n?!]{4,120}?)(?=\s+for\s+|\?|!|\.(?:\s|$)|\n|$)"
)
# Weaker cues ("send it to", "meet you at") precede addresses and much else: the value must also
# have the shape of one (several comma-separated parts and a number).
_SENT_TO = re.compile(
    r"(?i)(?<![\w])(?:send(?:\s+\w+){0,3}\s+to|sent\s+to|deliver(?:ed)?\s+to|ship(?:ped)?\s+to|mail(?:ed)?\s+to|"
    r"meet\s+(?:you|me|us)\s+at|(?:once\s+)?lived\s+in|(?:now\s+)?live\s+in|office\s+is\s+at|"
    r"arrived\s+at|taxi\s+to|(?:User|Customer):)\s+"
    r"(?P<value>[^\s?!.][^\n?!]{4,120}?)(?=\s+(?:for|after|before|on|at|by|last|this|next|tonight|today|"
    r"tomorrow|yesterday|when)\b|\?|!|\.(?:\s|$)|\n|$)"
)
# Shapes that are addresses without a cue: "Kejservej 20, 6693 Snedsted", "ul. Południowa 94/82,
# 07-069 Biała Podlaska", "Marijnsteeg 20, 2719JN, Putten" (street and number, postcode and place), "…, South Daniel, OR 15164".
_CAPITALISED = r"[A-ZÀ-ÖØ-ÞĀ-ſА-ЯΑ-Ω][\w'\-]*"
# the place after a postcode: up to four words, not running on into the sentence ("… 51318 Piteå
# after the concert")
# after, capitalised (a town's name is; "10000 rows were read" is a count)
_LOWER_START = r"(?![a-zß-ÿа-яёіїєґα-ωά-ώ])"
_PLACE = (
    rf"\s+{_LOWER_START}[^\W\d_][\w\-]*[^\W\d_](?:[ ](?!(?:after|before|for|on|at|in|and|or|to|the|last|this|"
    r"next|tonight|today|tomorrow|yesterday|when|where|if|but|with|from|is|was|are|by|until|since|because|so|then)\b)"
    rf"{_LOWER_START}[^\W\d_][\w\-]*){{0,3}}"
)
_STREET_POSTCODE = re.compile(
    rf"(?<![\w])(?:(?:{_CAPITALISED}|[a-zа-я]{{1,4}}\.)\s){{0,3}}{_CAPITALISED}\s\d{{1,5}}[a-zA-Z]?(?:/\d{{1,4}})?,"
    # postcodes: "07-069", "51318", "2719 JN" (Dutch, without the letters F I O Q U Y), "528 48" (Czech, Slovak, Swedish, Greek with
    # its "ΤΚ"), "BD39 0DT" (British); a comma may follow
    r"\s*(?:(?:\d{2}-?\d{3,5}|(?:T\.?K\.?\s?|Τ\.?Κ\.?\s?)?\d{3}\s\d{2}|[1-9]\d{3}\s?[A-EGHJ-NPRSTV-XZ]{2}|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}),?)"
    + _PLACE
)
# A four-digit postcode could be a year ("Figure 20, 2021 Results"): only after a street whose
# name ends in a street word ("Kejservej 20, 6693 Snedsted", "Storgata 5, 0155 Oslo").
_SUFFIXED_STREET = re.compile(
    r"(?<![\w])[A-ZÀ-ÖØ-Þ][\w'\-]*(?:vej|gade|gatan|vägen|veien|vegen|gata|straße|strasse|weg|gasse|platz|allee|"
    r"laan|straat|steeg|gracht|plein|kade|utca|tie|katu|polku|kuja|stræde|[ ]?[Aa]llé|[ ]?[Pp]lads|vænge|[ ]?[Tt]orv)"
    r"\s\d{1,4}[a-zA-Z]?(?:-\d{1,4})?,\s*\d{4}" + _PLACE
)
# East Asian addresses by their administrative units, largest first, ending in a number: Chinese
# (省/市 … 区/县 … 街/路 + number or 座), Korean (도/시 … 시/군/구 … 로/길/가 + number), Japanese
# (都/道/府/県 … 市/区/町 … 丁目 or a number).
_CJK_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,8}(?:省|自治区)?[\u4e00-\u9fff]{1,6}(?:市|县)[\u4e00-\u9fff]{0,6}(?:区|县|州)?[\u4e00-\u9fff]{1,10}"
    r"(?:街|路|道|巷|里)[\u4e00-\u9fffA-Za-z0-9]{0,6}?(?:\d+\s?号|[A-Za-z]\s?座)(?:\s*\d{6})?"
    r"|[가-힣]{1,8}(?:도|시)\s+[가-힣]{1,8}(?:시|군|구)(?:\s+[가-힣]{1,8}(?:구|군|읍|면))?\s+"
    r"[가-힣0-9]{1,12}(?:로|길|가|동|거리)\s*(?:지하)?\d{1,5}(?:-\d{1,5})?(?:\s*\([가-힣0-9]{1,12}\))?"
    r"|[\u4e00-\u9fff]{1,4}(?:都|道|府|県)[\u4e00-\u9fff\u3040-\u30ff]{1,8}(?:市|区|郡|町|村)[\u4e00-\u9fff\u3040-\u30ff0-9]{0,12}?"
    r"(?:\d+丁目(?:\d+番地?)?(?:\d+号)?|\d+(?:-\d+){1,2}|\d+番地?(?:\d+号)?)"
    r"(?:[ \u3000][\u3040-\u30ff\u4e00-\u9fff]+\d{0,5})?"  # the building and its room
)
_US_TAIL = re.compile(r"\b\d{1,5}\s[^\n,]{3,40}(?:,\s*[^\n,]{2,30}){0,2},\s*[A-Z]{2}\s\d{5}(?:-\d{4})?\b")
_HOST_PORT = re.compile(r"[\w.\-]+:\d{1,5}|[\d.]+|[0-9a-fA-F:]+")  # a network address
# "Apt. 629", "Nr. 800", "д. 1/5": a short word's full stop does not end the address.
_ABBREVIATION = re.compile(r"(?:^|\s)\w{1,4}$")


@lru_cache(maxsize=1)
def _prefilter() -> Prefilter:
    return Prefilter(
        [
            _SSN,
            _ID_AFTER_CUE,
            _DOB,
            _ADDRESS_AFTER_CUE,
            _SENT_TO,
            _STREET_POSTCODE,
            _SUFFIXED_STREET,
            _US_TAIL,
            _CJK_ADDRESS,
        ]
    )


def detect(text: str) -> list[Span]:
    scan = _prefilter().scan(text)
    spans = [Span(m.start(), m.end(), "ID_NUMBER") for m in scan.finditer(_SSN)]
    for m in scan.finditer(_ID_AFTER_CUE):
        value = m.group("value").rstrip(" .-/")
        if sum(c.isdigit() for c in value) >= 5:
            spans.append(Span(m.start("value"), m.start("value") + len(value), "ID_NUMBER"))
    spans += [Span(m.start("value"), m.end("value"), "BIRTH_DATE") for m in scan.finditer(_DOB)]
    spans += [
        Span(m.start(), m.end(), "ADDRESS")
        for m in scan.finditer(_STREET_POSTCODE)
        if uncommon_word_in(m.group())
    ]
    for pattern in (_SUFFIXED_STREET, _US_TAIL, _CJK_ADDRESS):
        spans += [Span(m.start(), m.end(), "ADDRESS") for m in scan.finditer(pattern)]
    for m in scan.finditer(_SENT_TO):
        value = m.group("value")
        if "," in value and any(c.isdigit() for c in value) and not value.startswith(("http", "`", "[")):
            spans.append(Span(m.start("value"), m.end("value"), "ADDRESS"))
    for m in scan.finditer(_ADDRESS_AFTER_CUE):
        start, end = m.start("value"), m.end("value")
        while text[end : end + 2].startswith(". ") and _ABBREVIATION.search(text[start:end]):
            more = re.match(r"\.\s[^\n?!]{1,120}?(?=\s+for\s+|\?|!|\.(?:\s|$)|\n|$)", text[end:])
            if more is None:
                break
            end += more.end()
        value = text[start:end].rstrip(" ,;")
        # a place's name may stand in parentheses ("(RM)"); code about an address field may not
        bare = re.sub(r"\([^\W\d_][^()\d.]{0,30}\)", "", value)
        if (
            any(c.isdigit() for c in value)
            and not value.startswith(("http", "[", "0x"))
            and not any(c in bare for c in ";()`={}<>")
            and not _HOST_PORT.fullmatch(value)
        ):
            spans.append(Span(start, start + len(value), "ADDRESS"))
    return spans
