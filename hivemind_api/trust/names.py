"""Personal names, without an NER model (none installs from the registries without a download).

Five kinds of evidence, each precise on technical text:

* a known first name followed by a capitalised surname ("Priya Raman", "John Q. Smith"), where
  the first name is not also a common word or a technology ("Will", "Ruby", "Hugo", "Jasmine");
* a person cue in front ("thanks to", "my colleague", "Hi", "reported by", "cc") or a speech
  verb behind ("… said", "… suggested"), which also catches names no list knows;
* a known first name in the possessive ("Maria's laptop");
* a short run of words in another script inside text written in Latin letters ("ask 王伟",
  "Андрей Петров hit this too"; at least half the words in Latin letters): in a technical note in
  English such a run is nearly always a person's or a place's name; a longer run (over four
  words), a run in quotes or backticks (a UI string, a log line), a single character, and
  Cyrillic or Greek words that are not capitalised are left alone.

* a name standing alone ("Tapio fixed it", "Lepistö and Koskela"), when a lexicon knows it and
  the text never writes the word in lower case: the census's most frequent first names, and the
  first names and surnames ranked high in any of 105 countries by names-dataset, distilled into
  ``models/first_names.txt`` and ``surnames.txt`` without those that are common English words
  ("Can", "Bay") or products (``TECH_WORDS``: "Claude", "Cassandra").

The pair and possessive rules read the US Census 1990 lists shipped by the ``names`` package
(5,494 names); a name that only a cue reveals is still caught, whatever its origin.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from hivemind_api.trust.prefilter import Prefilter, Scan
from hivemind_api.trust.spans import PLACEHOLDER_RE, Span

# First names that are also ordinary words, months or technologies: evidence only with a cue.
AMBIGUOUS_FIRST = set(
    [
        "will",
        "may",
        "june",
        "april",
        "august",
        "mark",
        "bill",
        "art",
        "grant",
        "chase",
        "hope",
        "joy",
        "faith",
        "summer",
        "dawn",
        "rose",
        "ruby",
        "julia",
        "max",
        "dean",
        "guy",
        "jack",
        "page",
        "lane",
        "chance",
        "miles",
        "ray",
        "ivy",
        "crystal",
        "amber",
        "pearl",
        "iris",
        "daisy",
        "holly",
        "heather",
        "jasmine",
        "violet",
        "lily",
        "autumn",
        "forest",
        "sunny",
        "king",
        "major",
        "rich",
        "sterling",
        "penny",
        "ward",
        "cliff",
        "glen",
        "dale",
        "wade",
        "carol",
        "sandy",
        "rusty",
        "buck",
        "son",
        "don",
        "hugo",
        "spring",
        "karma",
        "rocky",
        "travis",
        "jenkins",
        "kali",
        "gene",
        "sage",
        "hunter",
        "cole",
        "drew",
        "gray",
        "grey",
        "mason",
        "carter",
        "parker",
        "tyler",
        "taylor",
        "jordan",
        "morgan",
        "cameron",
        "bailey",
        "logan",
        "harper",
        "reed",
        "read",
        "brook",
        "brooks",
        "case",
        "june",
        "rusty",
        "sonny",
        "star",
        "storm",
        "angel",
        "christian",
        "eve",
        "lucky",
        "young",
        "long",
        "short",
        "early",
        "ever",
        "easter",
        "ali",
        "lee",
        "kim",
        "chad",
        "deb",
        "dom",
        "norm",
        "pat",
        "sam",
        "al",
        "ed",
        "bob",
        "jean",
        "jo",
    ]
)
# Capitalised words that follow a first name in technical text without making a person.
NOT_SURNAMES = set(
    [
        "Linux",
        "Server",
        "Cloud",
        "Studio",
        "Code",
        "Desktop",
        "Edition",
        "Framework",
        "Library",
        "Engine",
        "Runtime",
        "Toolkit",
        "Project",
        "Platform",
        "Console",
        "Manager",
        "Shell",
        "Core",
        "Pro",
        "Team",
        "Labs",
        "Inc",
        "Corp",
        "Ltd",
        "Foundation",
        "Street",
        "Avenue",
        "Road",
        "Update",
        "Release",
        "Version",
        "Service",
        "Services",
        "App",
        "Apps",
        "Api",
        "Sdk",
        "Cli",
        "Client",
        "Plugin",
        "Extension",
        "Module",
        "Package",
        "Bot",
        "Agent",
        "Ai",
        "Ml",
        "Db",
        "Database",
        "Docs",
        "Protocol",
        "Network",
        "Cluster",
        "Node",
        "Worker",
        "Pipeline",
        "Build",
        "Test",
        "Tests",
        "Runner",
        "Action",
        "Actions",
        "Hub",
        "Lab",
        "Store",
        "Market",
        "The",
        "And",
        "Or",
        "Of",
        "For",
        "In",
        "On",
        "At",
        "To",
        "With",
        "By",
        "From",
        "Is",
        "Was",
        "Are",
        "Were",
        "Has",
        "Have",
        "Had",
        "Not",
        "No",
        "Yes",
        "If",
        "Then",
        "Else",
        "When",
        "While",
    ]
)
# Cues that announce a person whatever the name ("my colleague Oluwaseun", "Hi Priya,").
_CUE_STRONG = (
    r"(?:my|our|a)\s+(?:colleague|co-?worker|teammate|manager|boss|friend|intern|tech\s+lead|team\s+lead|"
    r"reviewer|sysadmin|cto|ceo|client|customer|landlord|neighbou?r|wife|husband|partner)(?:\s+named)?|"
    # family ("remove my kid Sayrak from the will")
    r"(?:my|our|his|her|their)\s+(?:son|daughter|kid|child|brother|sister|mother|father|mom|mum|dad|uncle|aunt|"
    r"cousin|nephew|niece|grandson|granddaughter|grandmother|grandfather|girlfriend|boyfriend|fianc[ée]e?|"
    r"roommate|flatmate|stepson|stepdaughter)(?:\s+named)?|"
    r"\bhi|\bhello|\bhey|\bdear|regards,?|cheers,?|best,|my\s+name\s+is|on\s+behalf\s+of|"
    # credits of a film, a song or a book: only people are starring, directed or sung
    r"(?:co-?)?starring|directed\s+by|sung\s+by|narrated\s+by|illustrated\s+by|composed\s+by"
)
# Cues that also precede products ("thanks to Docker", "per Kubernetes docs"): a known first
# name must follow.
_CUE_WEAK = (
    r"thanks\s+to|thank\s+you,?|many\s+thanks\s+to|kudos\s+to|shout-?out\s+to|h/t|"
    r"(?:fixed|written|reported|found|suggested|authored|maintained|reviewed|approved|debugged|discovered|"
    r"diagnosed|noticed|owned|signed|sent)\s+by|"
    r"\bcc:?|\bping(?:ed)?|\bask(?:ed)?|\bcontact(?:ed)?|reach\s+out\s+to|talk(?:ed)?\s+to|spoke\s+(?:to|with)|"
    r"according\s+to|\bper|assigned\s+to|\bi\s+am|\bi'm|\bwith"
)


def _latin_case(category: str) -> str:
    """Every Latin letter of one case ("Lu" or "Ll"), Latin-1 to Latin Extended Additional, as
    the body of a character class: Czech "Růžička", Vietnamese "Phạm", Romanian "Ștefan" and
    Turkish "Işık" are written with letters beyond Latin-1."""
    ascii_part = "A-Z" if category == "Lu" else "a-z"
    others = (chr(c) for c in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)))
    return ascii_part + "".join(c for c in others if unicodedata.category(c) == category)


def zipf(word: str, language: str) -> float:
    """wordfreq's Zipf frequency of ``word`` in ``language``: English from its full list, every
    other language from its small list (the words above zipf 3, which every threshold here but
    the double-barrelled surnames' 2.5 is). A full list costs 20-75 MB of a process's memory, a
    small one about 5: fifteen full lists would take half the backend's budget of 1 GB."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, language, wordlist="best" if language == "en" else "small"))


_UP, _LO = _latin_case("Lu"), _latin_case("Ll")
_NAME_TOKEN = rf"[{_UP}][{_LO}]+(?:['\-][{_UP}]?[{_LO}]+)?"
_SURNAME = rf"(?:Mc|Mac|O')?[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_CUED = {
    strength: re.compile(
        rf"(?i:(?<![\w])(?:{cues}))[\s,:]+(?:@)?(?P<name>{_NAME_TOKEN}(?:\s+(?:[A-Z]\.\s+)?{_SURNAME})?)"
    )
    for strength, cues in (("strong", _CUE_STRONG), ("weak", _CUE_WEAK))
}
_PAIR = re.compile(rf"\b(?P<first>[A-Z][a-z]+)\s+(?:[A-Z]\.\s+)?(?P<last>{_SURNAME})(?![\w])")
_SPEECH = re.compile(
    rf"\b(?P<name>{_NAME_TOKEN}(?:\s+{_SURNAME})?)\s+(?:said|says|wrote|suggested|mentioned|reported|noticed|"
    rf"found\s+that|told\s+(?:me|us)|pointed\s+out|explained|recommended|confirmed|figured\s+out)\b"
)
# A given name before a double-barrelled surname ("Job Miner-Houdijk", "Hugo Bergström-Andersson").
_DOUBLE_BARRELLED = re.compile(
    rf"(?<![\w\-./@`$#:\[])(?P<name>(?P<first>{_NAME_TOKEN})[ \u00a0](?P<last>[{_UP}][{_LO}]+-[{_UP}][{_LO}]+))"
    r"(?![\w\-/@`(\[]|\.\w)"
)
_POSSESSIVE = re.compile(rf"(?<![\w])(?P<first>{_NAME_TOKEN})['’]s\s+(?P<thing>\w+)")
# What a person has (and a product rarely does): "Priya's laptop", "Wei's branch".
_PERSONAL_THINGS = set(
    [
        "laptop",
        "machine",
        "computer",
        "desktop",
        "workstation",
        "desk",
        "phone",
        "account",
        "inbox",
        "email",
        "calendar",
        "team",
        "fork",
        "branch",
        "pr",
        "dotfiles",
        "setup",
        "config",
        "home",
        "homedir",
        "directory",
        "folder",
        "script",
        "notebook",
        "idea",
        "suggestion",
        "fix",
        "patch",
        "review",
        "comment",
        "answer",
        "question",
        "advice",
        "blog",
        "post",
        "talk",
        "slides",
        "repo",
        "repository",
        "mac",
        "macbook",
        "pc",
        "vm",
        "box",
        "car",
        "keyboard",
        # family: no product has a daughter ("I'm Viktor's daughter")
        "daughter",
        "son",
        "wife",
        "husband",
        "mother",
        "father",
        "mom",
        "mum",
        "dad",
        "brother",
        "sister",
        "kids",
        "grandson",
        "granddaughter",
        "grandmother",
        "grandfather",
        "girlfriend",
        "boyfriend",
        "fiancé",
        "fiancée",
        "widow",
        "nephew",
        "niece",
        "aunt",
        "uncle",
        "cousin",
        "address",  # "here's Feraye's address:"
    ]
)
# Products and companies that appear in a person's place ("Docker's cache", "Google's account").
TECH_WORDS = set(
    [
        "Docker",
        "Google",
        "Microsoft",
        "Apple",
        "Amazon",
        "Python",
        "Node",
        "Linux",
        "Windows",
        "Ubuntu",
        "Debian",
        "Kubernetes",
        "Postgres",
        "Redis",
        "Chrome",
        "Firefox",
        "Safari",
        "Slack",
        "Stripe",
        "Jenkins",
        "Ansible",
        "Terraform",
        "Azure",
        "Oracle",
        "Meta",
        "Facebook",
        "Twitter",
        "Netflix",
        "Uber",
        "Spotify",
        "Heroku",
        "Vercel",
        "Netlify",
        "Cloudflare",
        "Nginx",
        "Apache",
        "Mozilla",
        "Intel",
        "Nvidia",
        "Samsung",
        "Android",
        "Java",
        "Rust",
        "Swift",
        "Ruby",
        "Rails",
        "Django",
        "Flask",
        "React",
        "Angular",
        "Vue",
        "Svelte",
        "Gradle",
        "Maven",
        "Webpack",
        "Vite",
        "Babel",
        "Jest",
        "Pytest",
        "Poetry",
        "Conda",
        "Homebrew",
        "Git",
        "Kafka",
        "Spark",
        "Hadoop",
        "Grafana",
        "Prometheus",
        "Elastic",
        "Mongo",
        "Mongodb",
        "Mysql",
        "Sqlite",
        "Github",
        "Gitlab",
        "Bitbucket",
        "Jira",
        "Notion",
        "Figma",
        "Zoom",
        "Teams",
        "Outlook",
        "Gmail",
        "Postman",
        "Insomnia",
        "Helm",
        "Istio",
        "Envoy",
        "Consul",
        "Vault",
        "Nomad",
        "Packer",
        "Vagrant",
        "Pulumi",
        # products and models named like people: a bare mention is the product
        "Argo",
        "Asana",
        "Aws",
        "Cassandra",
        "Claude",
        "Cordova",
        "Deno",
        "Gemini",
        "Jaeger",
        "Luigi",
        "Mako",
        "Pip",
        "Tauri",
        "Trino",
        "Ada",
        "Athena",
        "Artemis",
        "Bard",
        "Devin",
        "Gemma",
        "Hermes",
        "Jarvis",
        "Siri",
        "Juno",
        "Minerva",
        "Odin",
        "Elmo",
        "Ernie",
        "Gaia",
        "Ollama",
        "Llama",
        "Mistral",
        "Qwen",
        "Grok",
        "Copilot",
        "Codex",
        "Sonnet",
        "Opus",
        "Haiku",
        "Cline",
        "Aider",
    ]
)
# Names in any script after a cue that says a name follows ("my name is", "Name:", "named", a
# title such as "Dr." or "Frau"): each word capitalised in a cased script (Latin, Cyrillic, Greek),
# or any run of letters in an uncased one (CJK, Hangul, Hebrew, Arabic, Devanagari, Thai).
# A capitalised word with at least one lower-case letter after its first ("HTML" is an acronym).
_CASED_WORD = r"[^\W\d_a-zß-ÿа-яёіїєґα-ωά-ώ](?=[\w'’\-]*[a-zß-ÿа-яёіїєґα-ωά-ώ])['’\-\w]*"
_UNCASED_RUN = r"[\u0590-\u06ff\u0900-\u0dff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
_ANY_NAME = rf"(?:{_UNCASED_RUN}(?:[ \u00a0]{_UNCASED_RUN}){{0,3}}|{_CASED_WORD}(?:[ \u00a0]+(?:[A-ZÀ-Þ]\.[ ]?)?{_CASED_WORD}){{0,3}})"
_NAME_CUE = (
    r"my\s+name\s+is|name\s+is|named|"
    # a question for a name and its answer ("What's your last name? Bersani", "… name on the
    # account? User: Havse Yalın")
    r"(?:what(?:'s|\s+is)\s+your\s+(?:full\s+|first\s+|last\s+|sur)?name|name\s+on\s+the\s+\w+)\s*\?"
    r"(?:\s*(?:user|customer|client|me|answer|a)\s*:)?|maiden\s+name\s+is|(?:full\s+|first\s+|last\s+)?name\s*:|"
    r"under\s+(?:my\s+|the\s+|his\s+|her\s+)?(?:\w+'s\s+)?name|this\s+is|called|signed,?|"
    r"(?:people|everyone|everybody|they|friends)\s+call\s+me|call\s+me|calls\s+me|"
    # titles: with their full stop in any case ("ms. Deborah"), without it only capitalised ("Frau Weber")
    r"(?:mr|mrs|ms|mx|dr|prof|mme|mlle|sr|sra|srta|sig|sig\.ra|dott|κ|κα|ing|mgr|bc|phdr|mudr|judr|rndr|"
    r"univ\.[ ]?prof|dipl\.-ing)\.|"
    # Italian feminine titles, whose full stop is inside ("Sig.ra Vismara", "Dott.ssa Greco")
    r"sig\.(?:ra|na)|dott\.ssa|prof\.ssa|"
    r"(?-i:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Pan|Pani|Mme|Mlle|Sr|Sra|Srta|Signora|Signor|Dott|"
    r"Г-н|Г-жа|Господин|Госпожа|Пан|Пані|Κύριος|Κυρία)|"
    # titles of other languages, as written there: Russian and Ukrainian in lower case ("пані
    # Аліна Шило", "г-жа Лора …"), Turkish titles ("Av.", "Doç.", "Öğr.", "Okt.", "Sayın"; not "Bay",
    # an English word too: "Bay Area"), Vietnamese
    # ("Ông", "Quý cô"), Arabic ("السيدة", "المهندس"), Hindi ("श्रीमती")
    r"(?-i:г-н|г-жа|господин|госпожа|пан|пані|панна|пане|добродій|добродійка|добродійко|Av\.|Doç\.|Uzm\.|Uz\.|Op\.|Yrd\.|Öğr\.|Arş\.|Okt\.|"
    r"Sayın|Bayan|"
    r"Ông|Bà|Cô|Chị|Bác|Quý[ ](?:ông|bà|cô))|"
    r"السيد|السيدة|الآنسة|الدكتور|الدكتورة|المهندس|المهندسة|الأستاذ|الأستاذة|الشيخ|"
    r"श्री|श्रीमती|सुश्री|माननीय|"
    r"ich\s+heiße|je\s+m'appelle|me\s+llamo|mi\s+chiamo|meu\s+nome\s+é|меня\s+зовут|мене\s+звати|"
    r"私の名前は|我叫|我的名字是|제\s*이름은|저는"
)
_CUED_ANY = re.compile(rf"(?i:(?<![\w])(?:{_NAME_CUE}))(?![\w])[\s,:]*(?P<name>{_ANY_NAME})")
# A label that says the addressee of a letter or parcel follows on the same line ("Billing
# address: Jinthe van den Broek", "Ship to: …"), the address on the lines below.
_ADDRESSEE_LABEL = (
    r"(?i:(?:billing|shipping|delivery|mailing|postal|return|invoice)[ \t]+address|"
    r"(?:ship|bill|deliver|send|mail|invoice)[ \t]+to|recipient|addressee)[ \t]*:"
)
# Lower-case particles inside a name ("Jinthe van den Broek", "Ludwig von und zu …").
_PARTICLE = r"(?:van|von|der|den|de|du|da|das|dos|di|del|della|le|la|zu|ten|ter|bin|ibn)"
_PARTICLED_NAME = rf"{_CASED_WORD}(?:[ ]{_PARTICLE}){{1,3}}[ ]{_CASED_WORD}"
# A line that is only a name, heading a contact block (signature, address label, vCard-like
# text): the next few lines hold an e-mail address, a phone number or a contact field.
_NAME_LINE = re.compile(
    rf"(?m)^[ \t]*(?P<label>{_ADDRESSEE_LABEL}[ \t]*)?(?P<name>{_ANY_NAME}|{_PARTICLED_NAME})[ \t]*$"
)
_CONTACT_NEAR = re.compile(
    r"@[\w\-]+\.|\d(?:\D{0,3}\d){6}|\[(?:PHONE|EMAIL|ADDRESS)\]|"
    r"(?i:\b(?:phone|tel|mobile|fax|e-?mail|address|adresse|telefon|tél)\b)"
)
# The rest of an address label under a name line written in another script than Latin ("윤명숙 /
# 551-45 백제고분 / 계룡시 / 요르단 44955"): at least two lines of at most 60 characters that are not sentences, one
# with a number or a value already replaced.
# The name line: two words or more, or a Korean name (three syllables, a common family name first);
# a single word of Chinese or Japanese is as likely a heading ("安装").
_LABEL_LINE = re.compile(r"[^!?;]{1,60}(?<![.:,])")
# a number, a value already replaced, or a Russian or Ukrainian address abbreviation ("г. Москва",
# "ул. Ленина", "вул. Шевченка", "м. Київ")
_LABEL_VALUE = re.compile(
    r"\d|\[(?:NAME|ADDRESS|PHONE|EMAIL)\]|(?<!\w)(?:г|п|м|с|к|ул|вул|д|кв|пр|просп|пер|ст|обл|пос|смт|корп|стр)\.\s|"
    # a Korean line of administrative divisions alone ("청주시 청원구", "수원시 장안구"): every word
    # ends in a division's suffix, one of them a city's, county's or district's
    r"^(?=[\uac00-\ud7af ]*[\uac00-\ud7af][시군구](?: |$))(?:[\uac00-\ud7af]{1,6}[시군구읍면동리로길도](?: |$)){1,4}$|"
    # a Japanese or Chinese one, written without spaces ("印旛郡本埜村", "横浜市栄区", "朝阳区"):
    # ideographs and kana alone, a city, ward or county among them ("いすみ市"), a division last
    r"^(?=[\u3040-\u30ff\u3400-\u9fff]*[\u3040-\u30ff\u3400-\u9fff][市区郡])[\u3040-\u30ff\u3400-\u9fff]{1,12}[都道府県市区郡町村]$"
)
_LIST_ITEM = re.compile(r"(?:\d{1,2}[.)]|[-*•])\s")  # a numbered or bulleted list under a heading
_KOREAN_NAME = re.compile(
    "[김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민나진지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉]"
    "[\uac00-\ud7af]{2}"
)


def _address_label_follows(name: str, lines: list[str]) -> bool:
    block = [line.strip() for line in lines if line.strip()][:6]
    if len(block) < 2 or not all(
        _LABEL_LINE.fullmatch(line) and not _LIST_ITEM.match(line) for line in block
    ):
        return False
    if _LATIN_LETTER.search(name):
        return _latin_address_label(name, block)
    return (len(name.split()) >= 2 or bool(_KOREAN_NAME.fullmatch(name))) and any(
        _LABEL_VALUE.search(line) for line in block
    )


_RARE_ZIPF = 2.5  # rarer in English prose than an eponym such as Kolmogorov (2.1) or Cauchy (2.4) is common


def _double_barrelled(first: str, last: str, text: str, at: int) -> bool:
    """Eponyms, brands and compound words are hyphenated too ("Wilcoxon Mann-Whitney", "Performs
    Gauss-Legendre", "Director Cercetare-Dezvoltare"): the given name is a known first name (its
    first part, for "Marie-Theres") or a word rare in every language the screens know (zipf < 2.5
    in English and the prose languages), one part of the surname is rare in English (zipf < 2.5),
    as family names are and named methods mostly are not, and no part is a very common word of
    one of those languages ("Maggiore")."""
    from wordfreq import zipf_frequency

    def commonest(word: str) -> float:
        return max(zipf(word, language) for language in ("en", *_PROSE_LANGUAGES))

    given = first.split("-")[0]
    parts = last.split("-")
    return (  # the word lists first, the fifteen frequency lookups of each part last
        all(p not in TECH_WORDS and p.lower() not in _NOT_NAMES for p in (first, *parts))
        and any(zipf_frequency(p, "en") < _RARE_ZIPF for p in parts)
        and _name_neighbour(given, text, frequent_names=True)
        and not _word_of_the_text(given, text, at)
        and (given.lower() in first_names() or commonest(given) < _RARE_ZIPF)
        and all(commonest(p) < 5.0 for p in parts)
    )


def _addressed_first(word: str, text: str) -> bool:
    """A word opening a sentence before a request ("Tanak, can I …") is the person spoken to.
    Sentence adverbs open sentences the same way ("Alternatively, you can …", "Optionally, we
    …"): a word found at all in English prose (zipf 3) or ending in -ly is one, unless it is a
    known name ("Crystal", "Emily"); one as frequent as "So" or "Still" (zipf 5) is never a name
    here, though both are surnames too."""
    from wordfreq import zipf_frequency

    return (
        _name_neighbour(word, text, frequent_names=True, common_zipf=3.0)
        and (not word.lower().endswith("ly") or _fold(word) in names_in_company())
        and zipf_frequency(word, "en") < 5.0
    )


def _addressee(words: list[str], following: list[str]) -> bool:
    """A name after an addressee's label ("Billing address: Klaus-Jürgen Trüb") is the
    addressee's when the next lines begin an address: one of the next three holds a number or a
    value already replaced. ("Shipping address: Same as billing" has none below; "Bill to: ACME
    GmbH" is not capitalised as a name.)"""
    block = [line for line in following if line.strip()][:3]
    return (
        1 <= len(words) <= 5
        and all(_bare(w) not in _NOT_NAMES for w in words)
        and _plausible_name(" ".join(words))
        and not all(common_word(_bare(w)) for w in words)  # "Bill to: Accounts Payable"
        and any(re.search(r"\d|\[(?:ADDRESS|PHONE|NAME)\]", line) for line in block)
    )


# An address label's line in a Latin script: capitalised words and numbers ("1648 Veis Locks",
# "5759", "Egypt 38383"), a particle of three letters at most in lower case ("Via di Monte").
_LATIN_LABEL_LINE = re.compile(
    rf"(?:(?:{_CASED_WORD}\.?|\d[\w\-/]*|\[(?:NAME|ADDRESS)\]|[a-zà-ÿ]{{1,3}}),?(?: |$))+"
)


def _latin_address_label(name: str, block: list[str]) -> bool:
    """A Latin name line over an address ("Fatinur Manço / 1648 Veis Locks / 5759 / Sezermouth /
    Egypt 38383"): a heading over lines with numbers is as often a section over a table, so the
    name line holds a known name or a word that is not a common English one, and the three lines
    or more below are only capitalised words and numbers, one with a number and one of words alone
    (the town or the country)."""
    known = bare_first_names()
    if not any(_fold(w) in known or not common_word(w) for w in name.split()) or not _plausible_name(name):
        return False
    return (
        len(block) >= 3
        and all(_LATIN_LABEL_LINE.fullmatch(line + " ") for line in block)
        and any(re.search(r"\d", line) for line in block)
        and any(not re.search(r"\d", line) for line in block)
    )


# A Vietnamese name by its middle name ("An Văn Nguyễn", "Lê Thị Hoa"): Văn and Thị stand
# between a family and a given name, and nowhere else capitalised.
_VIETNAMESE_MIDDLE = re.compile(rf"(?<![\w])(?P<name>{_CASED_WORD}[ ](?:Văn|Thị)(?:[ ]{_CASED_WORD}){{1,2}})")
# A speaker's label in a dialogue ("Chloe: …" on its own line, when another line is also spoken).
_SPEAKER_LABEL = re.compile(r"(?m)^(?P<name>[^\W\d_][\w'’\-]{1,30}|\[NAME\])[ \t]*:[ \t]*(?=\S)")
# East Asian honorifics after a name: 田中さん, 김민수 씨, 王先生.
_HONORIFIC = re.compile(
    r"(?P<name>[\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af]{1,4})\s?(?:さん|様|さま|先生|女士|小姐|씨|님)"
)
# Words that follow a cue without being a name ("this is Docker", "name: string").
_NOT_NAMES = {w.lower() for w in TECH_WORDS | NOT_SURNAMES} | {
    "string",
    "str",
    "required",
    "optional",
    "none",
    "null",
    "true",
    "false",
    "the",
    "a",
    "an",
    "it",
    "not",
    "what",
    "how",
    "why",
    "because",
    "correct",
    "wrong",
    "fine",
    "done",
    "ok",
    "okay",
    "great",
    "important",
    "unknown",
    "id",
    "value",
    "key",
    "field",
    "type",
    "default",
    "example",
    "test",
    "name",
    "my",
    "your",
    "our",
    "their",
    "his",
    "her",
    "user",  # speakers' labels after a question for a name
    "customer",
    "client",
    "answer",
    "bot",
    "agent",
    "assistant",
}
# Letters of the scripts a name in another script is written in; cased ones must be capitalised.
_OTHER_SCRIPTS = (
    "\u0400-\u04ff",
    "\u0370-\u03ff",
    "\u05d0-\u05ea\u05f0-\u05f4",
    "\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff",
    "\u0900-\u097f",
    "\u0e01-\u0e4e",
    "\uac00-\ud7af",
    "\u3005\u3040-\u30ff\u3400-\u9fff",  # with the iteration mark "々" ("佐々木")
)
# A word may hold a hyphen or an apostrophe ("Ковальчук-Бойко", "Лук'яненко", "Лукʼянович").
_OTHER_SCRIPT_RUN = re.compile(
    "|".join(
        rf"(?<![\w])[{r}]+(?:['’ʼ\-][{r}]+)*(?:[ \u00a0][{r}]+(?:['’ʼ\-][{r}]+)*)*(?![\w])"
        for r in _OTHER_SCRIPTS
    )
)
_EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_LETTER = re.compile(r"[^\W\d_]")
_QUOTES = "'\"`«»“”‘’「」"
# TODO(priya), FIXME(wchen): the owner of a code note is a person (a handle or a first name).
_CODE_OWNER = re.compile(r"\b(?:TODO|FIXME|XXX|HACK|NOTE|BUG)\((?P<who>@?[A-Za-z][\w.\-]{1,30})\)")
_SIGNOFF = re.compile(rf"(?m)^(?:--\s*|—\s*)(?P<name>{_NAME_TOKEN}(?:\s+{_SURNAME})?)\s*$")


@lru_cache(maxsize=1)
def _census() -> tuple[tuple[int, str], ...]:
    """The census's first names, lower case, each with its rank in its own list (male, female)."""
    import names as census

    folder = Path(census.__file__).parent
    return tuple(
        (rank, line.split()[0].lower())
        for file in ("dist.male.first", "dist.female.first")
        for rank, line in enumerate(row for row in (folder / file).read_text().splitlines() if row.strip())
    )


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    return frozenset(name for _, name in _census())


# The census's most frequent names (its top ``_CENSUS_TOP`` per sex) are names even though they are
# frequent words ("John", "Maria"); those that are as often a place or a month are not enough alone.
_CENSUS_TOP = 400
_PLACES_AND_MONTHS = {
    "austin",
    "orlando",
    "israel",
    "virginia",
    "victoria",
    "georgia",
    "geneva",
    "jan",
    "lincoln",
}


@lru_cache(maxsize=1)
def bare_first_names() -> frozenset[str]:
    """Names that are evidence on their own, without a cue or a second name: the census's most
    frequent first names, the rest of the census that is no common English word, and the world's
    first names and surnames (``models/first_names.txt`` and ``surnames.txt``, distilled from
    names-dataset by ``make first-names``), all folded to lower case without accents."""
    from wordfreq import zipf_frequency

    found = {
        name
        for rank, name in _census()
        if rank < _CENSUS_TOP or zipf_frequency(name, "en") < COMMON_WORD_ZIPF - 0.5
    }
    for file in ("first_names.txt", "surnames.txt"):
        lexicon = Path(__file__).with_name("models") / file
        for line in lexicon.read_text(encoding="utf-8").splitlines():
            # without its accents a name may spell a word ("Thé", "Somé"): those need a cue
            if (
                line
                and not line.startswith("#")
                and zipf_frequency(_fold(line), "en") < COMMON_WORD_ZIPF - 0.5
            ):
                found.add(line)
    not_alone = (
        AMBIGUOUS_FIRST | _PLACES_AND_MONTHS | _NOT_NAMES | _CUE_WORDS | {w.lower() for w in TECH_WORDS}
    )
    return frozenset(_fold(w) for w in found) - {_fold(w) for w in not_alone}


def _described_people(scan: Scan, text: str) -> list[Span]:
    """Someone described by a trait (``_DESCRIBED``) or several people by what they were together
    (``_TOGETHER``): each word must be a plausible name, and a trait software has too wants a
    given name of the lexicon."""
    spans = []
    for m in scan.finditer(_DESCRIBED):
        group = "name" if m.group("name") else "asked"
        word = m.group(group)
        person_trait = m.group("trait") or m.group("asked_trait")
        if not person_trait and _fold(word) not in first_names():
            continue
        if _name_neighbour(word, text, frequent_names=True):
            spans.append(Span(m.start(group), m.end(group), "NAME"))
    for m in scan.finditer(_TOGETHER):
        words = list(re.finditer(_NAMEISH, m.group("names")))
        if all(_name_neighbour(w.group(), text) for w in words):
            spans += [Span(m.start("names") + w.start(), m.start("names") + w.end(), "NAME") for w in words]
    return spans


def _fold(word: str) -> str:
    """Lower case without accents: "Ascensión" is the lexicon's "ascension"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def _bare_names(scan: Scan, text: str) -> list[Span]:
    """Known first names standing alone, unless the text also writes the word in lower case, or
    the word is a common one of the language the text is written in where that language
    capitalises it (see ``_word_of_the_text``)."""
    spans = []
    known = bare_first_names()
    written_lower: set[str] | None = None  # the text's tokens, read once if a candidate shows up
    for m in scan.finditer(_BARE):
        word = m.group("name")
        folded = _fold(word)
        if not (folded in known or all(p in known for p in folded.split("-"))):
            continue
        if written_lower is None:
            written_lower = set(_TOKEN.findall(text))
        if word.lower() not in written_lower and not _word_of_the_text(word, text, m.start("name")):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    return spans


# Prose in another language than English, told by its commonest words (wordfreq's lists). Its
# capitalised words are not names merely because the world's lexicons hold them as surnames:
# German capitalises every noun ("Das Buch", "den Boden", "die Maus": Buch, Boden and Maus are
# surnames), and every language its sentences' first words ("Bien", "Visto", "Tengo").
_PROSE_LANGUAGES = ("de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "cs", "fi", "hu", "ro", "tr")
_CAPITALISES_NOUNS = {"de"}
_WORD_OF_THE_LANGUAGE_ZIPF = 4.0  # once in 100,000 words of that language, as COMMON_WORD_ZIPF in English
# Beside a name, only a language's very commonest words ("Das", "La", "Bitte") are told apart:
# a name is a frequent word of its own language's corpus too ("Pablo", "Müller").
_FUNCTION_WORD_ZIPF = 5.5
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*)$")


@lru_cache(maxsize=1)
def _commonest_words() -> dict[str, frozenset[str]]:
    from wordfreq import top_n_list

    return {
        lang: frozenset(w for w in top_n_list(lang, 50, wordlist="small") if len(w) > 1)
        for lang in ("en", *_PROSE_LANGUAGES)
    }


@lru_cache(maxsize=32)
def prose_language(text: str) -> str:
    """The language of ``text`` when it is prose in one of ``_PROSE_LANGUAGES`` (three of that
    language's fifty commonest words and a tenth of its words at least, half as many again as
    English ones), else "en"."""
    words = re.findall(r"[^\W\d_]{2,}", text.lower())
    hits = {lang: sum(w in common for w in words) for lang, common in _commonest_words().items()}
    best = max(_PROSE_LANGUAGES, key=lambda lang: hits[lang])
    # prose: its commonest words are a tenth of its words or more (not a list of names with a "de")
    return best if hits[best] >= max(3, len(words) / 10) and hits[best] > 1.5 * hits["en"] else "en"


def _word_of_the_text(word: str, text: str, at: int) -> bool:
    """A common word of the text's language (not English) where that language capitalises it:
    anywhere in German, first in a sentence elsewhere. The census's frequent first names stay names."""
    language = prose_language(text)
    if language == "en" or _fold(word) in _census_top():
        return False
    if language not in _CAPITALISES_NOUNS and not _SENTENCE_START.search(text[max(0, at - 3) : at]):
        return False

    return zipf(word, language) >= _WORD_OF_THE_LANGUAGE_ZIPF


@lru_cache(maxsize=1)
def _census_top() -> frozenset[str]:
    return frozenset(name for rank, name in _census() if rank < _CENSUS_TOP)


_TOKEN = re.compile(r"(?<![\w\-])[\w\-]+(?![\w\-])")


def strong_first_name(word: str) -> bool:
    """A first name from the list that is not also an ordinary word or a technology."""
    lower = word.lower()
    return lower in first_names() and lower not in AMBIGUOUS_FIRST and lower not in _census_words()


# Below its most frequent names the census lists words as first names ("See", "Many", "Season",
# "Numbers"): taken for a first name, "See Figure 3" lost "See Figure". The very common ones
# (zipf >= 4.8: each is among English's 2,000 commonest words) are not first names alone.
_CENSUS_WORD_ZIPF = 4.8


@lru_cache(maxsize=1)
def _census_words() -> frozenset[str]:
    from wordfreq import zipf_frequency

    return frozenset(
        name
        for rank, name in _census()
        if rank >= _CENSUS_TOP and zipf_frequency(name, "en") >= _CENSUS_WORD_ZIPF
    )


def _plausible_name(name: str) -> bool:
    parts = name.split()
    return (
        all(p not in NOT_SURNAMES and p not in TECH_WORDS for p in parts)
        and parts[0].lower() not in _CUE_WORDS
    )


_CUE_WORDS = {
    "the",
    "this",
    "that",
    "it",
    "we",
    "you",
    "they",
    "he",
    "she",
    "me",
    "us",
    "them",
    "all",
    "everyone",
    "team",
    "support",
    "there",
    "here",
    "again",
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "your",
    "our",
    "my",
    "a",
    "an",
    "if",
    "for",
    "in",
    "on",
    "about",
}


def _bare(word: str) -> str:
    """A word as the stop lists spell it: lower case, no trailing punctuation or possessive."""
    word = word.lower().rstrip(".,;:")
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _capitalised(word: str) -> bool:
    letter = _LETTER.search(word)
    return letter is not None and letter.group().isupper()


def _has_case(letter: str) -> bool:
    """The letter's script writes upper and lower case (Cyrillic, Greek; not Hebrew or Han)."""
    return letter.lower() != letter.upper()


def _prose_run(run: str) -> bool:
    """A run of another script that is a phrase, not a name: three words or more, one of them in
    lower case where the script has cases ("Светлана Васильевна Аксенова" is a name) or one of
    the language's very commonest words where it has none ("شكرا جزيلا لك", "आप कैसे हैं"; not
    "نوري تغلب بن وائل", whose "بن" joins a name), or East Asian characters beyond a name's length."""
    words = run.split()
    if _EAST_ASIAN.match(words[0]):
        return len("".join(words)) > 8
    if len(words) < 3:
        return False
    if _has_case(words[0][0]):
        return any(w[0].islower() for w in words)
    language = _UNCASED_LANGUAGE.get(unicodedata.name(words[0][0], "").split(" ")[0])
    if language is None:
        return True

    return any(w not in _NAME_JOINERS and zipf(w, language) >= _FUNCTION_WORD_ZIPF for w in words)


# Scripts without case whose prose wordfreq knows, by the first word of their letters' Unicode names.
_UNCASED_LANGUAGE = {"ARABIC": "ar", "HEBREW": "he", "DEVANAGARI": "hi", "BENGALI": "bn", "TAMIL": "ta"}
# Words that join the parts of a name: Arabic "son/daughter of", "father of", "servant of"; Hebrew "son of".
_NAME_JOINERS = {"بن", "بنت", "ابن", "أبو", "ابو", "عبد", "آل", "בן", "בת"}


def _names_in_other_scripts(text: str) -> list[Span]:
    """Short runs of another script inside mostly Latin text (see the module's docstring)."""
    if text.isascii():
        return []
    # placeholders ("[ADDRESS]") are this screen's own words, not the text's
    words = [w for w in PLACEHOLDER_RE.sub(" ", text).split() if _LETTER.search(w)]
    is_latin = [_LATIN_LETTER.search(w) is not None for w in words]
    latin = sum(is_latin)
    # Words of the other script that are not capitalised: what its prose is made of (a text
    # listing "Светлана Васильевна Аксенова of Промсвязьбанк, …" is still an English one).
    other = sum(1 for w, lat in zip(words, is_latin, strict=True) if not lat and not _capitalised(w))
    runs = list(_OTHER_SCRIPT_RUN.finditer(text))
    if other > latin and (latin < 2 or any(_prose_run(m.group()) for m in runs)):
        # Text written in that script: its words are not names by being there. (Short runs
        # only, in a Latin sentence, are a list of names: "They had 3: דוד, אביגיל and הילה.")
        return []
    spans = []
    for m in runs:
        words = m.group().split()
        length = len("".join(words))
        if len(words) > 4 or length < 2:
            continue
        cased = _has_case(words[0][0])
        if cased and not all(w[0].isupper() for w in words):
            continue
        if cased and len(words) == 1 and words[0].isupper():
            continue  # an acronym ("ООО", "ΕΕ")
        if not cased and length > (8 if _EAST_ASIAN.match(words[0]) else 24):
            continue
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if before and after and before in _QUOTES and after in _QUOTES:
            continue
        spans.append(Span(m.start(), m.end(), "NAME"))
    return spans


# Capitalised words next to a name already replaced: a surname after it ("[NAME] Pino"), a word
# before it on the same line ("Remmers [NAME]"), and the other members of a list it is in
# ("Lether, [NAME] and Everts"). Letters only, any Latin script, hyphenated parts allowed.
_NAMEISH = (
    # a Dutch double surname ends its first half with the second's particle: "[NAME] Beijring-de
    # [NAME]", "[NAME] Muijs-van der Kint", "[NAME] van Olst-van het Heerenveen"
    rf"(?:[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+|-(?:de|van|den|der|ter|ten)"
    rf"(?=[ \u00a0]+(?:(?:de|der|den|het)[ \u00a0]+)?(?:\[NAME\]|[{_UP}][{_LO}])))?"
    r"|[Α-ΩΆΈΉΊΌΎΏ][α-ωάέήίόύώϊϋΐΰ]+|[А-ЯЁІЇЄҐ][а-яёіїєґ]+)"
)
# Surnames' particles ("de Pauw", "van der Horst", "da Luz") may stand between a name and its surname.
_PARTICLES_BETWEEN = re.compile(
    rf"(?<=\[NAME\])(?P<particles>(?:[ \u00a0]+{_PARTICLE}){{1,2}}"
    # a Dutch double surname whose first half was found: "[NAME]-van [NAME]", "[NAME]-van der [NAME]"
    r"|-(?:van|de|den|der|ter|ten)(?:[ \u00a0]+(?:de|der|den|het))?)(?=[ \u00a0]+\[NAME\])"
)
# A surname's particles before a name already replaced: Germanic ones in any case ("van de
# [NAME]", "von [NAME]"), any particle capitalised ("De [NAME]", "Da [NAME]"). A lower-case "de",
# "da" or "la" is as often a preposition or an article, and stays.
_PARTICLES_BEFORE = re.compile(
    r"(?<![\w\-])(?P<particles>(?:(?:van|von|vom|zu|zur|ten|ter)(?:[ \u00a0]+(?:de|der|den|het))?"
    r"|(?-i:Van|Von|Vom|De|Der|Den|Da|Das|Dos|Di|Del|Della|Du|Le|La|Ten|Ter))[ \u00a0]+)(?=\[NAME\])"
)
# In English prose the Romance particles are no English words: "though da [NAME]'s song",
# "that dos [NAME] was". ("de" and "du" are, in borrowed phrases: "the Guide de [NAME]"; in
# Portuguese or Italian prose "da Roma" is "from Rome".)
_ROMANCE_PARTICLES = re.compile(
    r"(?<![\w\-])(?P<particles>(?:da|das|dos|di|del|della)[ \u00a0]+)(?=\[NAME\])"
)
# After a title or a speech verb, a lower-case particle is a surname's too ("Sra. da [NAME]",
# "says de [NAME]").
_PARTICLES_AFTER_CUE = re.compile(
    r"(?:\b(?:Sra|Sr|Sig|Dr|Dra|Mr|Mrs|Ms|Mme|Prof)\.|\b(?:says|said|asks|asked|writes|wrote|name\s+is|named))"
    r"[ \u00a0]+(?P<particles>(?:de|da|do|dos|das|di|del|della|du|le|la)[ \u00a0]+)(?=\[NAME\])"
)
# After a name, Dutch "'s", "'t" and "het" are particles too ("[NAME] 's Gravensande", "[NAME]
# van het Heerenveen").
_PARTICLE_AFTER = rf"(?:{_PARTICLE}|het|['’][st])"
_AFTER_NAME = re.compile(
    rf"\[NAME\](?P<words>(?:[ \u00a0]+(?:{_PARTICLE_AFTER}[ \u00a0]+){{0,2}}{_NAMEISH}){{1,2}})(?![\w\-])"
)
_PHRASE_END = re.compile(r"[ \t\u00a0]*(?:$|\n|[,.;:!?)\]\"'])")
_BEFORE_NAME = re.compile(rf"(?<![\w\-.])(?P<word>{_NAMEISH})[ \u00a0]+\[NAME\]")
# "Sofia da [NAME]", "Jan van der [NAME]": a name, a surname's particles, the surname found.
_BEFORE_PARTICLES = re.compile(
    rf"(?<![\w\-.])(?P<word>{_NAMEISH})(?P<particles>(?:[ \u00a0]+{_PARTICLE}){{1,2}})[ \u00a0]+\[NAME\]"
)
# "Joaquim had given [NAME] his address": the subject of a verb whose object is a person.
_SUBJECT_OF_NAME = re.compile(
    rf"(?<![\w\-.])(?P<word>{_NAMEISH})[ \u00a0]+(?:had[ \u00a0]+)?(?:given|gave|told|asked|met|married|called|emailed|"
    rf"texted|thanked|hired|introduced|shouted\s+at)[ \u00a0]+\[NAME\]"
)
_LIST_AND = r"(?:and|or|&|und|et|y|e|i|en|och|og|ve|és|a|и|oraz|sau|ja)"
_LIST = re.compile(
    rf"(?P<list>(?:(?:{_NAMEISH}|\[NAME\]),[ \u00a0]+)+(?:{_NAMEISH}|\[NAME\]),?[ \u00a0]+{_LIST_AND}[ \u00a0]+(?:{_NAMEISH}|\[NAME\])"
    rf"|(?:{_NAMEISH}|\[NAME\])[ \u00a0]+{_LIST_AND}[ \u00a0]+(?:{_NAMEISH}|\[NAME\]))(?![\w\-])"
)
_LIST_WORD = re.compile(_NAMEISH)
# A list introduced by a word for people ("our 3 founders: Gomoła, Cygal and Zbiciak."): its
# members are people even when none of them is a known name.
_PEOPLE_LIST = re.compile(
    r"(?i:\b(?:co-?founders|founders|authors|maintainers|contributors|reviewers|speakers|"
    r"organi[sz]ers|panelists|attendees|volunteers|colleagues))"
    rf"[ \u00a0]*:[ \u00a0]*{_LIST.pattern}"
)
# A capitalised word between two names is a part of them ("[NAME] Kiss [NAME]"), unless it is a
# word as frequent as "Will" or "And" (zipf 5.5: "Kiss" is 4.3).
_BETWEEN_NAMES = re.compile(rf"(?<=\[NAME\])[ \u00a0](?P<word>{_NAMEISH})[ \u00a0](?=\[NAME\])")
_BETWEEN_NAMES_ZIPF = 5.5
# A verb that takes a person as its object ("said Thoralf to Leopold", "shouted at Arkadiusz", "had
# given Rafaela his address", "pan Droździel"), and a name called out at the end of a sentence ("Don't go, Gülsiye!").
_VERB_CUE = re.compile(
    rf"\b(?:said|asked|told|shouted\s+at|yelled\s+at|replied\s+to|wrote\s+to|emailed|texted|phoned|thanked|"
    rf"married|hired|(?:had\s+)?given|gave|"
    # Polish, Czech and Slovak titles written in lower case ("pan Droździel", "paní Nováková",
    # "slečna Urban", "slečno Zahrádko")
    rf"pan|pani|pán|paní|slečna|slečno)[ \u00a0]+(?P<name>{_NAMEISH}(?:[ \u00a0]+{_NAMEISH})?)(?P<rest>[ \u00a0]+\w+)?"
)
# A subject whose verb only a person takes ("Tygo lives on …", "Sanchez began writing as a
# teenager", "Droździel grew up in Wyszków"), or who is said to be a person.
_LIFE_VERB = re.compile(
    rf"(?<![\w\-.])(?P<name>{_NAMEISH}(?:[ \u00a0]+{_NAMEISH})?)[ \u00a0]+(?:lives\s+(?:on|in|at|with|near)|"
    r"lived\s+(?:on|in|at|with|near)|grew\s+up|was\s+born|is\s+an?\s+\d{1,3}[- ]year[- ]old|"
    r"began\s+(?:writing|painting|singing|acting|studying)|studied\s+(?:at|law|medicine)|passed\s+away|"
    # described as a person: "Ilarion is a very kind person", "Mecide was such a nice woman"
    r"(?:is|was)\s+(?:a|an|such\s+an?)\s+(?:[a-z]+\s+){0,2}(?:person|man|woman|guy|girl|boy|lady|gentleman))\b"
)
# Described by a trait only people have: "Why is Özçam so impulsive?", "Mecide was very stubborn".
# Traits that describe software too ("Redis is very reliable", "Polars is lazy") count only
# after a given name of the lexicon ("Sofia is very reliable").
_PERSON_TRAIT = (
    r"(?:impulsive|selfish|stubborn|shy|rude|polite|arrogant|humble|brave|honest|dishonest|jealous|moody|"
    r"cheerful|grumpy|talkative|caring|thoughtful|charming|naive|ambitious|loyal|kind(?![\s-]+of\b)|"
    r"kind-hearted|generous|sympathetic|pessimistic|optimistic|outgoing|introverted|extroverted|bossy|sincere|"
    r"cruel|compassionate|courageous|handsome|beautiful|pretty|intelligent|nervous|anxious|upset|"
    r"hard-?working|trustworthy|lovely|gentle|impatient|irritable|sarcastic|witty|greedy)"
)
_SOFTWARE_TOO_TRAIT = (
    r"(?:reliable|dependable|punctual|smart|clever|wise|lazy|friendly|nice|funny|sweet|mean|calm|patient|"
    r"emotional|reserved|modest|angry|sad|tired|happy)"
)
_DEGREE = r"(?:(?:very|so|really|quite|extremely|too|always|never|not|incredibly|rather|pretty|a\s+bit|such\s+an?)\s+){0,2}"
_DESCRIBED = re.compile(
    rf"(?<![\w\-.])(?P<name>{_NAMEISH})[ \u00a0]+(?:is|was|seems|seemed|has\s+been|can\s+be|could\s+be)\s+"
    rf"{_DEGREE}(?:(?P<trait>{_PERSON_TRAIT})|{_SOFTWARE_TOO_TRAIT})\b"
    rf"|\b(?:[Ww]hy|[Hh]ow)\s+(?:is|was)\s+(?P<asked>{_NAMEISH})\s+{_DEGREE}"
    rf"(?:(?P<asked_trait>{_PERSON_TRAIT})|{_SOFTWARE_TOO_TRAIT})\b"
)
# People by what they were together: "Vergassola and Perozzo were precision engineers".
_PEOPLE_NOUN = (
    r"(?:engineers|doctors|nurses|teachers|friends|colleagues|co-?workers|brothers|sisters|cousins|siblings|"
    r"twins|partners|neighbou?rs|classmates|roommates|lawyers|musicians|artists|writers|co-?founders|founders|"
    r"students|married|engaged|divorced)"
)
_TOGETHER = re.compile(
    rf"(?<![\w\-.])(?P<names>{_NAMEISH}(?:,[ \u00a0]+{_NAMEISH})*,?[ \u00a0]+(?:and|&)[ \u00a0]+{_NAMEISH})"
    rf"[ \u00a0]+(?:were|are)\s+(?:[a-z\-]+\s+){{0,2}}{_PEOPLE_NOUN}\b"
)
_OBJECT_FOLLOWS = {
    "his",
    "her",
    "their",
    "a",
    "an",
    "the",
    "my",
    "our",
    "to",
    "that",
    "about",
    "for",
    "and",
    "why",
    "how",
    "what",
    "if",
    "when",
}
# The speaker after a quotation: '"…," says Demirel.' (a UI's message is "says Forbidden" without it).
_SPEAKER_AFTER_QUOTE = re.compile(
    rf"[\"”»'],?[ \u00a0]*(?:says|said|asks|asked|replied|writes|wrote|added|adds)[ \u00a0]+"
    rf"(?P<name>{_NAMEISH}(?:[ \u00a0]+{_NAMEISH})?)(?=[.,!?;:]|\s*$)"
)
_VOCATIVE = re.compile(rf",[ \u00a0]+(?P<name>{_NAMEISH})[!?]")
# The same address opening a sentence, before a request or question to that person ("Tanak, can I
# please speak to your boss?", "Milo, you saved my life").
_VOCATIVE_FIRST = re.compile(
    rf"(?:\A[ \u00a0]*|(?<=[.!?])\s+|(?<=[.!?][\"”])\s+)(?P<name>{_NAMEISH}),[ \u00a0]+"
    r"(?=(?:(?:can|could|would|will|do|did|are|have)[ ]+(?:you|I|we)|please|you|we|let's|thanks|"
    r"thank[ ]you|listen|remember|wait|come)\b|I(?:'m|[ ]+[a-z]))"
)
# A capitalised word standing alone, the shape of a bare first name ("Tapio fixed it"): not part
# of a dotted, dashed or slashed identifier, a call, a path or an address.
# (Its start, shared by the surnames found by their endings below.)
_STANDALONE_START = r"(?<![\w\-./@`$#:\[])"
_BARE = re.compile(rf"{_STANDALONE_START}(?P<name>{_NAMEISH})(?![\w\-/@`(\[]|\.\w|::)")
COMMON_WORD_ZIPF = 4.0  # at least once in 100,000 English words (wordfreq): "Back", "Server", "Thanks"

# Surnames told by their endings, where a language's surnames have endings its other words do
# not: Turkish "-oğlu", Romanian "-escu", Ukrainian "-enko"/"-чук", Georgian "-shvili",
# Polish "-wicz", East Slavic patronymics ("-ович", "-івна"), Greek "-όπουλος"/"-άκης",
# Icelandic "-dóttir", Lithuanian "-auskas"/"-ienė"/"-aitė" (with their "ė": "Gigabyte" and
# "Hygiene" end alike without it), Hungarian married names' "-né" after a known name
# ("Szilárdné", "Novákné"; French participles such as "Raffiné" end so too). A capitalised word
# with such an ending is a surname even alone ("Why is Karaosmanoğlu so quiet?").
_SURNAME_ENDING = (
    r"o[gğ]lu|escu|enko|shvili|wicz|ovich|evich|ovna|evna|ivna|opoulos|opoulou|d[oó]ttir|"
    r"auskas|evi[cč]ius|ienė|aitė|ytė|né|"
    r"енко|ович|евич|овна|евна|івна|ївна|чук|юк|[οό]πουλος|οπούλου|[άα]κης|[ίι]δης"
)
# Endings that other words have too (Polish adjectives "-ski", Finnish "-nen", Russian "-ов",
# Armenian "-yan"): a surname only right after a capitalised word that may be a name
# ("Dilfeza Kowalska", "Ηλίας Παπαδάκη"), never alone.
_SURNAME_ENDING_PAIRED = (
    r"ski|ska|cki|cka|chuk|czuk|yuk|dze|akis|idis|idou|nen|sson|yan|ov|ova|ev|eva|"
    r"ов|ова|ев|ева|ин|ина|ський|ська|цький|цька|ский|ская|цкий|цкая|[άα]κη|[ίι]δου"
)


def _ended(endings: str) -> str:
    """A capitalised Latin, Greek or Cyrillic word ending in one of ``endings``, standing alone."""
    word = rf"(?:[{_UP}][{_LO}]+?|[Α-ΩΆΈΉΊΌΎΏ][α-ωάέήίόύώϊϋΐΰ]+?|[А-ЯЁІЇЄҐ][а-яёіїєґ]+?)"
    return rf"{word}(?:{endings})(?![\w\-])(?!/|\.\w|::)"


_SURNAME_ALONE = re.compile(rf"{_STANDALONE_START}(?P<name>{_ended(_SURNAME_ENDING)})")
_SURNAME_PAIR = re.compile(
    rf"{_STANDALONE_START}(?P<first>{_NAMEISH})[ \u00a0]+"
    rf"(?P<last>{_ended(_SURNAME_ENDING + '|' + _SURNAME_ENDING_PAIRED)})"
)
# Russian surnames' Latin endings are eponyms' too, the commonest in technical text ("Markov",
# "Krylov", "Chebyshev", "Kolmogorov Smirnov"): after a name of the lexicons only ("Andrey Petrov").
_EPONYM_ENDING = re.compile(r"(?:ov|ev|ova|eva)$")
_RARE_SURNAME_ZIPF = 3.5  # rarer than about three times in a million words of each language
# The languages a word must be rare in: those whose prose the screen tells, and the others that
# write such endings ("Уральский", "Ελληνικός", "Britanski").
_RARE_IN = ("en", *_PROSE_LANGUAGES, "ru", "uk", "el", "bg", "mk", "sh", "sl", "sk", "lt", "lv")


def _rare_word(word: str) -> bool:
    """No word of any language measured (Polish "Warszawski", "Uniwersytet" are)."""
    return all(zipf(word, lang) < _RARE_SURNAME_ZIPF for lang in _RARE_IN)


def _name_before_surname(first: str, last: str, text: str, at: int) -> bool:
    """``first`` may be the given name of the surname ``last`` found by its ending (see above)."""
    if _fold(first) in bare_first_names():
        return True
    if _EPONYM_ENDING.search(last):
        return False
    return _rare_word(first) or (
        not _LATIN_LETTER.match(first) and not _SENTENCE_START.search(text[max(0, at - 3) : at])
    )


def _surnames_by_ending(scan: Scan, text: str) -> list[Span]:
    spans = []
    for m in scan.finditer(_SURNAME_ALONE):
        word = m.group("name")
        if word.endswith("né") and _fold(word[:-2]) not in bare_first_names():
            continue
        if _name_neighbour(word, text) and _rare_word(word):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_SURNAME_PAIR):
        first, last = m.group("first"), m.group("last")
        if (
            _name_neighbour(first, text)
            and _name_before_surname(first, last, text, m.start("first"))
            and _name_neighbour(last, text)
            and _rare_word(last)
        ):
            spans.append(Span(m.start("first"), m.end("last"), "NAME"))
    return spans


def common_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= COMMON_WORD_ZIPF


def uncommon_word_in(text: str, below: float = COMMON_WORD_ZIPF, acronyms: bool = True) -> bool:
    """A word of three letters or more in ``text`` that is no technology and rarer in English than
    ``below`` (zipf): what a street's or a town's name has and "Part 2, 10000 rows" has not.
    Without ``acronyms``, an all-capitals word ("MIT") does not count."""
    from wordfreq import zipf_frequency

    return any(
        w not in TECH_WORDS and (acronyms or not w.isupper()) and zipf_frequency(w, "en") < below
        for w in re.findall(r"[^\W\d_]{3,}", text)
    )


def _name_neighbour(
    word: str, text: str, frequent_names: bool = False, common_zipf: float = COMMON_WORD_ZIPF
) -> bool:
    """A capitalised word beside a name is part of it, or another name, unless it is a common
    English word (zipf ``common_zipf`` or more), a technology, or written in lower case elsewhere
    in the text. With ``frequent_names``, a name that is also a frequent word ("Mark", "Lee",
    "Smith", "Young") counts too: after a person's name, in a list of people or as a dialogue's
    speaker, it is one (before a name it is as often a verb: "Grant [NAME] access", "Will [NAME]
    fix it?")."""
    from wordfreq import zipf_frequency

    bare = word.lower()
    language = prose_language(text)
    return (
        bare not in _NOT_NAMES
        and (language == "en" or zipf(bare, language) < _FUNCTION_WORD_ZIPF)
        and word not in TECH_WORDS
        and bare not in _CUE_WORDS
        and (
            zipf_frequency(word, "en") < common_zipf
            or (frequent_names and _fold(word) in names_in_company() and bare not in _MONTHS)
        )
        and not _lower_case_elsewhere(word, text)
    )


_MONTHS = {"may", "june", "april", "august", "march", "jan"}
_CENSUS_SURNAMES_TOP = 5000


@lru_cache(maxsize=1)
def names_in_company() -> frozenset[str]:
    """Names that are also frequent English words, folded: every census first name and the
    census's 5,000 most frequent surnames (rank 5,000 is a surname of about 1 American in 10,000)."""
    import names as census

    lines = (Path(census.__file__).parent / "dist.all.last").read_text().splitlines()
    surnames = [line.split()[0].lower() for line in lines[:_CENSUS_SURNAMES_TOP] if line.strip()]
    return frozenset(_fold(w) for w in (*first_names(), *surnames))


_PLAIN_WORD = re.compile(r"[^\W\d_][^\W\d_A-Z]*(?:['’\-][^\W\d_][^\W\d_A-Z]*)*")


def _speakers(scan: Scan, text: str) -> list[Span]:
    """Speakers' labels of a dialogue that are first names: a line "Chloe: …" when at least one
    other line is spoken too ("[NAME]: …", "Morgan: …"). "Note:", "Error:" and "Docker:" are not
    first names."""
    labels = list(scan.finditer(_SPEAKER_LABEL))
    if len(labels) < 2 or any(m.group("name").lower() in _ROLES for m in labels):
        return []  # a transcript between a user and an assistant ("Human: …", "Claude: …")
    # Once a speaker is known to be a person, the others are people too, unless they are words.
    # Each line a quoted utterance ('Lioara: "Who are you?"') is a dialogue between people too.
    # (Its labels are words, not identifiers: 'EventWaitCallbacks: "Registry[int]" = …' is code.)
    people = any(m.group("name") == "[NAME]" for m in labels) or all(
        text[m.end() : m.end() + 1] in ('"', "“", "„", "«") and _PLAIN_WORD.fullmatch(m.group("name"))
        for m in labels
    )
    return [
        Span(m.start("name"), m.end("name"), "NAME")
        for m in labels
        if m.group("name") != "[NAME]"
        and m.group("name")[0].isupper()
        and not m.group("name").isupper()  # "AI:", "Q:"
        and (
            strong_first_name(m.group("name"))
            or _fold(m.group("name")) in bare_first_names()
            or (people and _name_neighbour(m.group("name"), text, frequent_names=True))
        )
    ]


_ROLES = {
    "user",
    "human",
    "assistant",
    "system",
    "ai",
    "bot",
    "agent",
    "model",
    "customer",
    "support",
    "tool",
}


_LOWER_CASE_WORD_BEFORE = re.compile(r"(?<![\w\-])[^\W\d_]+[ \u00a0]+$")


def _after_lower_case_word(text: str, at: int) -> bool:
    """The word before ``at`` is written in lower case: ``at`` is inside a sentence, where a
    capitalised word is a name and not a sentence's first word."""
    m = _LOWER_CASE_WORD_BEFORE.search(text[max(0, at - 40) : at])
    return m is not None and m.group()[0].islower()


def _list_members(m: re.Match[str], text: str) -> list[Span]:
    """The members of a list of people (``m``'s group "list") that may be names. Among two names
    found or more, a month that is a given name too is one ("[NAME], [NAME], Jan and [NAME]")."""
    among_names = m.group("list").count("[NAME]") >= 2
    return [
        Span(m.start("list") + w.start(), m.start("list") + w.end(), "NAME")
        for w in _LIST_WORD.finditer(m.group("list"))
        if _name_neighbour(w.group(), text, frequent_names=True)
        or (
            among_names
            and w.group().lower() in _MONTHS
            and _name_neighbour(w.group(), text, common_zipf=float("inf"))
        )
    ]


_GERMANIC_PARTICLES = {"van", "von", "vom", "zu", "zur", "ter", "ten"}


def _lower_case_elsewhere(word: str, text: str) -> bool:
    """``word`` is also written in lower case in ``text``: a word of the text, not a name."""
    return re.search(rf"(?<![\w\-]){re.escape(word.lower())}(?![\w\-])", text) is not None


def beside_names(text: str) -> list[Span]:
    """Surnames, list members and leading words next to a ``[NAME]`` placeholder (see above)."""
    if "[NAME]" not in text:
        return []
    spans: list[Span] = []
    for m in _AFTER_NAME.finditer(text):
        offset, words = m.start("words"), m.group("words")
        start = None  # where the surname starts: at its particles ("de Pauw"), which go with it
        apostrophe = False  # after "'s" only a rare word is a surname ("[NAME] 's Book" stays)
        germanic = False  # after "van", "von", "ter"… any capitalised word is ("[NAME] van Dam")
        for w in re.finditer(rf"{_PARTICLE_AFTER}(?=[ \u00a0])|{_NAMEISH}", words):
            if not w.group()[0].isupper():
                start = w.start() if start is None else start
                apostrophe = apostrophe or not w.group()[0].isalpha()
                germanic = germanic or w.group() in _GERMANIC_PARTICLES
                continue
            if not (
                _name_neighbour(w.group(), text, frequent_names=not apostrophe)
                or (germanic and not _lower_case_elsewhere(w.group(), text))
            ):
                break
            spans.append(Span(offset + (w.start() if start is None else start), offset + w.end(), "NAME"))
            start, apostrophe, germanic = None, False, False
    for m in _PARTICLES_BETWEEN.finditer(text):  # "[NAME] van der [NAME]": the particles go too
        lead = len(m.group("particles")) - len(m.group("particles").lstrip())
        if m.group("particles").startswith("-"):  # "[NAME]-van": one name with the half before it
            lead = -len("[NAME]")
        spans.append(Span(m.start("particles") + lead, m.end("particles"), "NAME"))
    english = prose_language(text) == "en"
    for pattern in (_PARTICLES_BEFORE, _PARTICLES_AFTER_CUE, *((_ROMANCE_PARTICLES,) if english else ())):
        for m in pattern.finditer(text):
            spans.append(Span(m.start("particles"), m.end("particles") - 1, "NAME"))
    for m in _SUBJECT_OF_NAME.finditer(text):
        if _name_neighbour(m.group("word"), text):
            spans.append(Span(m.start("word"), m.end("word"), "NAME"))
    for m in _BEFORE_NAME.finditer(text):
        # A name that is also a frequent word ("Jean", "Roman") before a name that ends the
        # phrase ("Jean [NAME]" on a line of its own), or capitalised inside a sentence ("we
        # need to add Per [NAME] as guardian"): "Grant [NAME] access" goes on.
        ends = bool(_PHRASE_END.match(text, m.end())) or _after_lower_case_word(text, m.start())
        if _name_neighbour(m.group("word"), text, frequent_names=ends):
            spans.append(Span(m.start("word"), m.end("word"), "NAME"))
    for m in _BEFORE_PARTICLES.finditer(text):
        if _name_neighbour(m.group("word"), text, frequent_names=True):
            spans.append(Span(m.start("word"), m.end("particles"), "NAME"))
    for m in _BETWEEN_NAMES.finditer(text):
        if _name_neighbour(m.group("word"), text, common_zipf=_BETWEEN_NAMES_ZIPF):
            spans.append(Span(m.start("word"), m.end("word"), "NAME"))
    for m in _LIST.finditer(text):
        if "[NAME]" not in m.group("list"):
            continue
        spans += _list_members(m, text)
    return spans


@lru_cache(maxsize=1)
def _prefilter() -> Prefilter:
    return Prefilter(
        [
            *_CUED.values(),
            _PAIR,
            _SPEECH,
            _POSSESSIVE,
            _CODE_OWNER,
            _SIGNOFF,
            _CUED_ANY,
            _NAME_LINE,
            _HONORIFIC,
            _DOUBLE_BARRELLED,
            _VIETNAMESE_MIDDLE,
            _SPEAKER_LABEL,
            _VERB_CUE,
            _SPEAKER_AFTER_QUOTE,
            _LIFE_VERB,
            _DESCRIBED,
            _TOGETHER,
            _VOCATIVE,
            _VOCATIVE_FIRST,
            _BARE,
            _PEOPLE_LIST,
            _SURNAME_ALONE,
            _SURNAME_PAIR,
        ]
    )


def detect(text: str) -> list[Span]:
    scan = _prefilter().scan(text)  # runs only the patterns that can match at all
    spans: list[Span] = _names_in_other_scripts(text)
    for m in scan.finditer(_PEOPLE_LIST):
        spans += _list_members(m, text)
    for strength, pattern in _CUED.items():
        for m in scan.finditer(pattern):
            name = m.group("name")
            known = name.split()[0].lower() in first_names()
            if _plausible_name(name) and (strength == "strong" or known or len(name.split()) == 2):
                spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_PAIR):
        if strong_first_name(m.group("first")) and m.group("last") not in NOT_SURNAMES:
            spans.append(Span(m.start(), m.end(), "NAME"))
    for m in scan.finditer(_SPEECH):
        name = m.group("name")
        known = name.split()[0].lower() in first_names()
        if (known or len(name.split()) == 2) and _plausible_name(name):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_POSSESSIVE):
        first = m.group("first")
        personal_thing = m.group("thing").lower() in _PERSONAL_THINGS
        if (strong_first_name(first) or personal_thing) and _plausible_name(first):
            spans.append(Span(m.start("first"), m.end("first"), "NAME"))
    for m in scan.finditer(_CODE_OWNER):
        if m.group("who").lower() not in _CUE_WORDS and m.group("who").lower() not in (
            "me",
            "someone",
            "anyone",
        ):
            spans.append(Span(m.start("who"), m.end("who"), "NAME"))
    for m in scan.finditer(_CUED_ANY):
        words = m.group("name").split()
        while words and _bare(words[-1]) in _NOT_NAMES:
            words.pop()
        if words and _bare(words[0]) not in _NOT_NAMES:
            start = m.start("name")
            end = start + len(" ".join(words))
            if text[start:end].endswith(("'s", "’s")):
                end -= 2
            spans.append(Span(start, end, "NAME"))
    for m in scan.finditer(_NAME_LINE):
        words = m.group("name").split()
        following = text[m.end() : m.end() + 300].split("\n")[1:9]
        if m.group("label"):
            if _addressee(words, following):
                spans.append(Span(m.start("name"), m.end("name"), "NAME"))
            continue
        if (
            (2 <= len(words) <= 4 or re.fullmatch(_UNCASED_RUN, words[0]))
            and all(_bare(w) not in _NOT_NAMES for w in words)
            and (
                _CONTACT_NEAR.search("\n".join(following))
                or _address_label_follows(m.group("name"), following)
            )
        ):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_DOUBLE_BARRELLED):
        if _double_barrelled(m.group("first"), m.group("last"), text, m.start()):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    spans += [Span(m.start("name"), m.end("name"), "NAME") for m in scan.finditer(_HONORIFIC)]
    spans += [Span(m.start("name"), m.end("name"), "NAME") for m in scan.finditer(_VIETNAMESE_MIDDLE)]
    spans += _speakers(scan, text)
    for m in scan.finditer(_SIGNOFF):
        if _plausible_name(m.group("name")):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_VERB_CUE):
        words = m.group("name").split()
        rest = (m.group("rest") or "").strip().lower()
        gave = m.group().lower().startswith(("given", "gave", "had"))
        # these verbs take a person: a census name that is also a word ("shouted at Roman") counts
        if (not gave or rest in _OBJECT_FOLLOWS) and all(
            _name_neighbour(w, text, frequent_names=True) for w in words
        ):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for pattern in (_LIFE_VERB, _SPEAKER_AFTER_QUOTE):
        for m in scan.finditer(pattern):
            if all(_name_neighbour(w, text) for w in m.group("name").split()):
                spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    spans += _described_people(scan, text)
    for m in scan.finditer(_VOCATIVE):
        # a name that is also a frequent word ("Jack", "Crystal") is the person spoken to here
        if _name_neighbour(m.group("name"), text, frequent_names=True):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    for m in scan.finditer(_VOCATIVE_FIRST):
        if _addressed_first(m.group("name"), text):
            spans.append(Span(m.start("name"), m.end("name"), "NAME"))
    return spans + _bare_names(scan, text) + _surnames_by_ending(scan, text) + beside_names(text)
