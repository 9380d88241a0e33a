"""Seeded demo data for the Capsule stand-in: parties built lazily per index, tags, deleted parties."""

from __future__ import annotations

import collections
import functools
import random
import time
import unicodedata
import zlib
from datetime import datetime, timezone
from urllib.parse import quote

# --------------------------------------------------------------------------- constants

ID_BASE = 182_000_001          # party i has id ID_BASE + 3*i; +1 and +2 are never listed
ID_STEP = 3
BLOCK = 10                     # parties are laid out in blocks of 10 (an org and its people …)
BRANCHES_FROM = 2_000          # from this party on, organisation names carry a branch
PLEASANT_BLOCKS = 4            # the first 40 parties carry no random quirks (demo-friendly)
START_EPOCH = 1_546_300_800    # 2019-01-01T00:00:00Z: the account's first record
ANCHOR_EPOCH = 1_716_292_800   # 2024-05-21T12:00:00Z: "now" for the data (never the clock)

# Rates of the random quirks (per party, outside the pleasant first blocks and the showcase).
RATES = {
    "restricted": 0.006,       # listed as {"name"/"lastName": "Private", "isRestricted": true}
    "absent_org": 0.006,       # a person whose organisation is not in the list
    "person_before_org": 0.03,  # per block: a person listed before its organisation
    "noname": 0.002,           # no name at all
    "robot": 0.002,            # unknown type
    "markup": 0.003,           # names that look like Rich markup
    "emoji": 0.004,
    "rtl": 0.015,              # Arabic / Hebrew names (via the country mix)
    "acme": 0.003,             # a case/space variant of "Acme Widgets Ltd"
    "last_only": 0.01,
    "first_only": 0.005,
}

TAGS = [
    {"id": 3001, "name": "Customer", "description": "Organisations and people with an active "
     "contract", "dataTag": True},
    {"id": 3002, "name": "Partner", "dataTag": False},
    {"id": 3003, "name": "Lead", "description": "Inbound enquiry, not yet qualified",
     "dataTag": False},
    {"id": 3004, "name": "Newsletter", "dataTag": False},
    {"id": 3005, "name": "Supplier", "description": "We buy from them", "dataTag": False},
    {"id": 3006, "name": "Prospect", "dataTag": False},
    {"id": 3007, "name": "Événements 2024", "dataTag": False},
    {"id": 3008, "name": "Wholesale", "description": "Trade accounts on wholesale prices",
     "dataTag": False},
    {"id": 3009, "name": "Vendor", "description": "Services we pay for", "dataTag": False},
    {"id": 3010, "name": "VIP", "dataTag": False},
]
_TAG = {t["name"]: {"id": t["id"], "name": t["name"], "dataTag": t["dataTag"]} for t in TAGS}

USERS = [
    {"id": 74001, "deleted": False, "username": "jordan.example",
     "pictureURL": "https://facehub.capsule.run/default/person?text=JE&size=100",
     "name": "Jordan Example"},
    {"id": 74002, "deleted": False, "username": "sam.sample",
     "pictureURL": "https://facehub.capsule.run/default/person?text=SS&size=100",
     "name": "Sam Sample"},
]

# --------------------------------------------------------------------------- vocabulary

_EN_FIRST = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Emily",
             "James", "Grace", "William", "Sophie", "Thomas", "Chloe", "Daniel", "Hannah",
             "Michael", "Laura", "David", "Sarah", "Priya", "Aisha", "Liam", "Zoe", "Ethan",
             "Megan", "Ryan", "Fiona"]
_EN_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Patel", "Wright", "Walker", "Thompson", "Evans", "Roberts", "Green", "Hall",
            "Clarke", "Hughes", "Edwards", "Turner", "O'Brien", "Murphy", "Khan", "Campbell",
            "Morgan", "Bennett", "Fletcher", "Hartley", "Kowalski", "Nguyen"]
_EN_WORDS = ["Northwind", "Bluebell", "Harbour", "Oakridge", "Summit", "Riverside", "Kestrel",
             "Meridian", "Beacon", "Granite", "Willow", "Silverline", "Redwood", "Lakeside",
             "Crescent", "Highland", "Evergreen", "Brightwater", "Foxglove", "Ironbridge",
             "Pioneer", "Clearview", "Sterling", "Juniper", "Copperfield"]
_EN_TRADES = ["Logistics", "Trading", "Engineering", "Supplies", "Foods", "Packaging",
              "Textiles", "Hardware", "Electronics", "Builders Merchants", "Garden Centre",
              "Coffee Roasters", "Bakery", "Print Works", "Components", "Pharmacy", "Brewing",
              "Furniture", "Office Supplies", "Marine Services"]
_JOBS = ["Purchasing Manager", "Accounts Payable", "Managing Director", "Office Manager",
         "Buyer", "Operations Director", "Sales Manager", "Finance Director", "Owner",
         "Warehouse Supervisor", "Procurement Lead", "Head of Operations", None, None]
_STREETS_EN = ["{n} High Street", "{n} Station Road", "{n} Church Lane", "{n} Mill Road",
               "{n} Victoria Street", "Unit {n}, Example Trading Estate", "{n} Market Place",
               "{n} Park Avenue", "{n} Queen Street", "{n} Harbour Way"]
_SECOND_LINES = ["Floor 3", "Suite 200", "Building B", "Unit 4", "c/o Accounts Department",
                 "Rear entrance"]

COUNTRIES = {
    "UK": dict(country="United Kingdom", weight=30, first=_EN_FIRST, last=_EN_LAST,
               suffix=["Ltd", "Ltd", "PLC", "LLP", "& Co"],
               cities=[("London", None, "EC1A #@@"), ("Manchester", "Greater Manchester",
                        "M# #@@"), ("Bristol", None, "BS# #@@"), ("Leeds", "West Yorkshire",
                        "LS# #@@"), ("Milton Keynes", "Buckinghamshire", "MK# #@@"),
                       ("Glasgow", None, "G# #@@")],
               streets=_STREETS_EN, phone="+44 20 7946 0###", mobile="+44 7700 900###"),
    "US": dict(country="United States", weight=20, first=_EN_FIRST, last=_EN_LAST,
               suffix=["Inc.", "LLC", "Corp.", "Co."],
               cities=[("Chicago", "IL", "606##"), ("Austin", "TX", "787##"),
                       ("Portland", "OR", "972##"), ("Boston", "MA", "021##"),
                       ("Denver", "CO", "802##")],
               streets=["{n} Main Street", "{n} Oak Avenue", "{n} Commerce Drive",
                        "{n} Industrial Parkway", "{n} 5th Avenue"],
               phone="+1 312-555-01##", mobile="+1 773-555-01##"),
    "IE": dict(country="Ireland", weight=4, first=_EN_FIRST, last=_EN_LAST + ["Byrne", "Ryan"],
               suffix=["Ltd", "DAC", "Teoranta"],
               cities=[("Dublin", "Co. Dublin", "D0# @###"), ("Cork", "Co. Cork", "T12 @###")],
               streets=_STREETS_EN, phone="+353 1 555 0###", mobile="+353 85 555 0###"),
    "DE": dict(country="Germany", weight=8,
               first=["Jürgen", "Anna", "Lukas", "Sophie", "Maximilian", "Lea", "Jörg", "Käthe",
                      "Felix", "Marie"],
               last=["Müller", "Schmidt", "Schröder", "Weiß", "Groß", "Bäcker", "Hoffmann",
                     "Köhler", "Fuchs", "Krüger"],
               suffix=["GmbH", "AG", "GmbH & Co. KG", "e.K."],
               trades=["Logistik", "Maschinenbau", "Handel", "Elektrotechnik", "Verpackungen",
                       "Feinkost", "Werkzeuge"],
               cities=[("Hamburg", "Hamburg", "20###"), ("München", "Bayern", "80###"),
                       ("Köln", "Nordrhein-Westfalen", "50###"), ("Berlin", "Berlin", "10###")],
               streets=["Beispielstraße {n}", "Hauptstraße {n}", "Am Hafen {n}",
                        "Industrieweg {n}"],
               phone="+49 40 5550 1###", mobile="+49 151 5550 ###"),
    "FR": dict(country="France", weight=7,
               first=["Renée", "Émile", "Camille", "Hélène", "François", "Loïc", "Chloé",
                      "Zoé", "Théo", "Mathéo"],
               last=["Dubois", "Lefèvre", "Moreau", "Girard", "Bérard", "Rousseau", "Faure",
                     "Mercier", "Chevalier", "Lambert"],
               suffix=["SARL", "SAS", "SA"],
               trades=["Boulangerie", "Transports", "Distribution", "Vins", "Ébénisterie",
                       "Imprimerie"],
               cities=[("Lyon", None, "6900#"), ("Paris", None, "750##"),
                       ("Marseille", None, "130##"), ("Bordeaux", None, "330##")],
               streets=["{n} rue des Exemples", "{n} avenue de la République",
                        "{n} boulevard Voltaire", "{n} place du Marché"],
               phone="+33 1 55 50 ## ##", mobile="+33 6 55 50 ## ##"),
    "PL": dict(country="Poland", weight=4,
               first=["Tomasz", "Agnieszka", "Łukasz", "Małgorzata", "Paweł", "Zofia"],
               last=["Wiśniewski", "Żak", "Kowalczyk", "Wójcik", "Szymańska", "Dąbrowski"],
               suffix=["Sp. z o.o.", "S.A."],
               trades=["Transport", "Meble", "Hurtownia", "Budownictwo"],
               cities=[("Kraków", "Małopolskie", "30-0##"), ("Gdańsk", "Pomorskie", "80-0##"),
                       ("Łódź", "Łódzkie", "90-0##")],
               streets=["ul. Przykładowa {n}", "ul. Długa {n}", "al. Jerozolimskie {n}"],
               phone="+48 12 555 0# ##", mobile="+48 500 555 0##"),
    "ES": dict(country="Spain", weight=3,
               first=["José", "María", "Álvaro", "Lucía", "Iñigo", "Begoña"],
               last=["García", "Martínez", "Núñez", "Peña", "Ibáñez", "Muñoz"],
               suffix=["S.L.", "S.A."], trades=["Distribuciones", "Alimentación", "Cerámicas"],
               cities=[("Madrid", "Madrid", "280##"), ("Sevilla", "Andalucía", "410##")],
               streets=["Calle Ejemplo {n}", "Avenida de la Constitución {n}"],
               phone="+34 91 555 0###", mobile="+34 600 555 ###"),
    "NL": dict(country="Netherlands", weight=3,
               first=["Daan", "Sanne", "Bram", "Femke", "Joost", "Lotte"],
               last=["de Vries", "van Dijk", "Jansen", "Bakker", "van den Berg", "Visser"],
               suffix=["B.V.", "N.V."], trades=["Handel", "Logistiek", "Bloemen"],
               cities=[("Rotterdam", "Zuid-Holland", "30## @@"), ("Utrecht", "Utrecht",
                                                                   "35## @@")],
               streets=["Voorbeeldstraat {n}", "Havenweg {n}"],
               phone="+31 10 555 0###", mobile="+31 6 5550 ####"),
    "SE": dict(country="Sweden", weight=2,
               first=["Åsa", "Björn", "Linnéa", "Göran", "Maja"],
               last=["Andersson", "Öberg", "Håkansson", "Lindström", "Ekström"],
               suffix=["AB"], trades=["Trä", "Teknik", "Design"],
               cities=[("Göteborg", None, "411 ##"), ("Malmö", None, "211 ##")],
               streets=["Exempelgatan {n}", "Storgatan {n}"],
               phone="+46 31 555 0###", mobile="+46 70 555 0###"),
    "JP": dict(country="Japan", weight=3,
               first=["嘉怡", "翔太", "美咲", "健一", "さくら"],
               last=["佐藤", "鈴木", "高橋", "田中", "渡辺"],
               org_names=["株式会社さくら精機", "東京商事株式会社", "大阪工業株式会社",
                          "有限会社みどり食品", "株式会社ひかり電子"],
               cities=[("渋谷区", "東京都", "150-00##"), ("大阪市", "大阪府", "530-00##")],
               streets=["神宮前{n}-99-9", "北区梅田{n}-0-1"],
               phone="+81 3-5555-0###", mobile="+81 90-5555-0###", site_tld="example.jp"),
    "CN": dict(country="China", weight=2,
               first=["嘉怡", "伟", "芳", "静", "磊"],
               last=["陈", "王", "李", "张", "刘"],
               org_names=["上海华美贸易有限公司", "深圳新星电子有限公司", "北京长城机械有限公司"],
               cities=[("上海市", "上海", "2000##"), ("深圳市", "广东省", "5180##")],
               streets=["南京路{n}号", "深南大道{n}号"],
               phone="+86 21 5555 0###", mobile="+86 139 5555 0###"),
    "AE": dict(country="United Arab Emirates", weight=1,
               first=["محمد", "فاطمة", "أحمد", "ليلى"],
               last=["الهاشمي", "المنصوري", "النعيمي", "الكعبي"],
               org_names=["شركة النور للتجارة", "مؤسسة الخليج للمقاولات", "دار الياسمين للعطور"],
               cities=[("دبي", None, None), ("أبوظبي", None, None)],
               streets=["شارع الشيخ زايد {n}", "شارع الوصل {n}"],
               phone="+971 4 555 0###", mobile="+971 50 555 0###"),
    "IL": dict(country="Israel", weight=1,
               first=["נועה", "יוסי", "מיכל", "אבי"],
               last=["כהן", "לוי", "מזרחי", "פרץ"],
               org_names=['אורן טכנולוגיות בע"מ', 'גפן יבוא ושיווק בע"מ'],
               cities=[("תל אביב-יפו", None, "61###"), ("חיפה", None, "31###")],
               streets=["רחוב הרצל {n}", "שדרות רוטשילד {n}"],
               phone="+972 3-555-0###", mobile="+972 50-555-0###"),
}
_COUNTRY_KEYS = list(COUNTRIES)
_COUNTRY_WEIGHTS = [COUNTRIES[k]["weight"] for k in _COUNTRY_KEYS]
_CUM_WEIGHTS = []
_acc = 0
for _w in _COUNTRY_WEIGHTS:
    _acc += _w
    _CUM_WEIGHTS.append(_acc)

ACME_VARIANTS = ["Acme Widgets Ltd", "ACME WIDGETS LTD  ", "acme  widgets ltd", " Acme Widgets Ltd"]
MARKUP_ORGS = ["[red]Acme[/red] Ltd", "[bold]Bold[/bold] Supplies Ltd", "Brackets [x] & Co"]
MARKUP_PEOPLE = [("John", "Smith [bold]"), ("x", "[/y]"), ("[link=https://example.com]Click",
                                                           "Me[/link]")]
EMOJI_ORGS = ["🚀 Rocket Parts Ltd", "Sunny Café ☀️", "The Pizza Place 🍕"]
EMOJI_PEOPLE = [("Zoë 🌻", "Baker"), ("Sam", "Rivers 🎣")]

_ADDR_TYPES_ORG = ["Office", "Office", "Office", "Postal", "Postal", "Billing", "Billing",
                   "Shipping", "Shipping", None, "Home"]
_ADDR_TYPES_PERSON = ["Home", "Home", None, None, "Office", "Postal"]
_PHONE_TYPES_PERSON = ["Work", "Mobile", "Mobile", "Direct", None, "Home"]
_ABOUTS = ["Long-standing account; prefers email.", "Met at the spring trade fair.",
           "Pays on 30 days.", "Ask for the warehouse entrance on deliveries.",
           "Referred by a partner.", None, None, None, None]


# --------------------------------------------------------------------------- helpers


_M64 = 0xFFFFFFFFFFFFFFFF


def _mix(*values: int) -> int:
    """A cheap, well-spread, run-to-run stable 64-bit hash of integers.

    Tuples of ints hash the same in every process (only str/bytes hashing is salted);
    one murmur-style finaliser spreads the bits.
    """
    h = hash(values) & _M64
    h = ((h ^ (h >> 33)) * 0xFF51AFD7ED558CCD) & _M64
    h = ((h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53) & _M64
    return h ^ (h >> 33)


def _unit(*values: int) -> float:
    return _mix(*values) / 18446744073709551616.0


def iso(epoch: int | float) -> str:
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % time.gmtime(int(epoch))[:6]


def parse_iso(text: str) -> float:
    """ISO 8601 date-time (or date) → epoch seconds; naive values are UTC. Raises ValueError."""
    value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


_POOLS: dict[str, list[str]] = {}
_POOL_SIZE = 997


def _fill_once(pattern: str, rng: random.Random) -> str:
    return "".join(str(int(rng.random() * 10)) if ch == "#" else
                   chr(65 + int(rng.random() * 26)) if ch == "@" else ch for ch in pattern)


def _fill(pattern: str, rng: random.Random) -> str:
    """The pattern with each # a digit and each @ a capital letter.

    Values come from a fixed pool per pattern (built once, stable across runs), so filling
    costs one random draw.
    """
    pool = _POOLS.get(pattern)
    if pool is None:
        pool_rng = random.Random(zlib.crc32(pattern.encode("utf-8")))
        pool = _POOLS[pattern] = [_fill_once(pattern, pool_rng) for _ in range(_POOL_SIZE)]
    return pool[int(rng.random() * _POOL_SIZE)]


def _pick(rng: random.Random, seq):
    """rng.choice without the rejection sampling (several times faster, as random)."""
    return seq[int(rng.random() * len(seq))]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low))


@functools.lru_cache(maxsize=65536)
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_text.lower() if c.isalnum())


@functools.lru_cache(maxsize=65536)
def _picture(text: str) -> str:
    initials = "".join(w[0] for w in text.split()[:2] if w).upper() or "?"
    return f"https://facehub.capsule.run/default/person?text={quote(initials)}&size=100"


# Slot: (kind, org, quirk). kind ∈ org/person/robot; org = None | int (absolute index of the
# organisation in the list) | "absent" (an organisation that is not listed); quirk is a string.
Slot = tuple[str, "int | str | None", "str | None"]

# Showcase blocks: the same layout for every seed, so each quirk is in the first 500 parties.
# Org references are slot offsets inside the block.
SHOWCASE: dict[int, list[tuple[str, "int | str | None", "str | None"]]] = {
    4: [("org", None, "acme:0"), ("person", 0, None), ("org", None, "acme:1"),
        ("org", None, "acme:2"), ("person", 3, None), ("org", None, None), ("person", 5, None),
        ("person", 5, "last_only"), ("person", None, "first_only"), ("person", None, None)],
    6: [("org", None, "markup_org:0"), ("person", 0, "markup_person:0"),
        ("person", 0, "markup_person:1"), ("org", None, "markup_org:1"), ("person", 3, None),
        ("person", None, "markup_person:2"), ("org", None, "tags:conflict"), ("person", 6, None),
        ("org", None, "tags:none"), ("person", 8, "last_only")],
    8: [("org", None, "country:DE"), ("person", 0, "country:PL"), ("org", None, "country:JP"),
        ("person", 2, "country:CN"), ("org", None, "country:AE"), ("person", 4, "country:AE"),
        ("org", None, "country:IL"), ("person", 6, "country:IL"), ("org", None, "emoji_org:0"),
        ("person", 8, "emoji_person:0")],
    12: [("org", None, "restricted"), ("person", 0, None), ("person", 0, None),
         ("person", None, "restricted"), ("person", "absent", None), ("org", None, "contact:all"),
         ("person", 5, "contact:all"), ("org", None, "tags:many"), ("person", 7, None),
         ("person", None, "tags:none")],
    15: [("person", 1, None), ("org", None, "tags:one"), ("person", 1, None),
         ("org", None, "noname"), ("person", None, "noname"), ("robot", None, None),
         ("org", None, "tags:conflict"), ("person", 6, "first_only"), ("org", None, None),
         ("person", 8, None)],
}


class SandboxData:
    """The stand-in's account: `count` parties, deterministic from (seed, count), built lazily."""

    def __init__(self, count: int = 500, seed: int = 1) -> None:
        self.count = max(0, int(count))
        self.seed = int(seed)
        self._block = functools.lru_cache(maxsize=2048)(self._make_block)
        self._party = functools.lru_cache(maxsize=4096)(self._build)
        self._since_cache: dict[float, list[int]] = {}
        self._expanded: collections.OrderedDict[int, dict] = collections.OrderedDict()
        self._templates: dict[tuple, dict] = {}

    def _without_tags(self, key: int, org: dict) -> dict:
        hit = self._expanded.get(key)
        if hit is None:
            hit = {k: v for k, v in org.items() if k != "tags"}
            self._expanded[key] = hit
            if len(self._expanded) > 1024:
                self._expanded.popitem(last=False)
        return hit

    # ------------------------------------------------------------------ ids and layout

    @staticmethod
    def party_id(i: int) -> int:
        return ID_BASE + ID_STEP * i

    def index_of(self, party_id: int) -> int | None:
        offset = party_id - ID_BASE
        if offset % ID_STEP or not 0 <= offset // ID_STEP < self.count:
            return None
        return offset // ID_STEP

    def slot(self, i: int) -> Slot:
        return self._block(i // BLOCK)[i % BLOCK]

    def _make_block(self, b: int) -> list[Slot]:
        base = b * BLOCK
        if b in SHOWCASE:
            return [(kind, base + org if isinstance(org, int) else org, quirk)
                    for kind, org, quirk in SHOWCASE[b]]
        rng = random.Random(_mix(self.seed, b, 0xB10C))
        slots: list[list] = []
        while len(slots) < BLOCK:
            if rng.random() < 0.1:
                slots.append(["person", None, None])
                continue
            org_pos = len(slots)
            slots.append(["org", None, None])
            people = rng.choices([0, 1, 2, 3], weights=[10, 25, 35, 30])[0]
            for _ in range(people):
                slots.append(["person", org_pos, None])
        slots = slots[:BLOCK]
        quirky = b >= PLEASANT_BLOCKS
        if quirky and rng.random() < RATES["person_before_org"]:
            # Move the first person of some organisation to just before that organisation.
            for pos, (kind, org, _q) in enumerate(slots):
                if kind == "person" and isinstance(org, int) and org < pos:
                    person = slots.pop(pos)
                    slots.insert(org, person)
                    for s in slots:  # the organisation and anything between moved down by one
                        if s is not person and isinstance(s[1], int) and org <= s[1] < pos:
                            s[1] += 1
                    person[1] = org + 1
                    break
        out: list[Slot] = []
        for pos, (kind, org, quirk) in enumerate(slots):
            if quirky:
                quirk = self._random_quirk(base + pos, kind)
                if kind == "person" and isinstance(org, int) and \
                        _unit(self.seed, base + pos, 0xAB5) < RATES["absent_org"]:
                    org = "absent"
                if quirk == "robot":
                    if kind == "person" and org is None:
                        kind = "robot"
                    quirk = None
            out.append((kind, base + org if isinstance(org, int) else org, quirk))
        return out

    def _random_quirk(self, i: int, kind: str) -> str | None:
        u = _unit(self.seed, i, 0x0017)
        for name in ("restricted", "noname", "robot", "markup", "emoji", "acme", "last_only",
                     "first_only"):
            rate = RATES[name]
            if u < rate:
                if name == "markup":
                    return f"markup_{'org' if kind == 'org' else 'person'}:{i % 3}"
                if name == "emoji":
                    return f"emoji_{'org' if kind == 'org' else 'person'}:{i % 2}"
                if name == "acme":
                    return f"acme:{i % len(ACME_VARIANTS)}" if kind == "org" else None
                if name in ("last_only", "first_only") and kind != "person":
                    return None
                return name
            u -= rate
        return None

    # ------------------------------------------------------------------ times

    def created_epoch(self, i: int) -> int:
        span = ANCHOR_EPOCH - START_EPOCH
        # Older records first, like ids: spread the list over five years, with jitter.
        frac = i / (i + 2000.0)
        return START_EPOCH + int(span * 0.9 * frac + _unit(self.seed, i, 0xC7) * 86400 * 20)

    def updated_epoch(self, i: int, created: int | None = None) -> int:
        if created is None:
            created = self.created_epoch(i)
        u = _unit(self.seed, i, 0x0D)
        return min(ANCHOR_EPOCH, created + int((ANCHOR_EPOCH - created) * u * u))

    def indexes_since(self, since_epoch: float) -> list[int]:
        """Indexes (in list order) of parties updated strictly after since_epoch; cached."""
        hit = self._since_cache.get(since_epoch)
        if hit is None:
            hit = [i for i in range(self.count) if self.updated_epoch(i) > since_epoch]
            if len(self._since_cache) > 16:
                self._since_cache.clear()
            self._since_cache[since_epoch] = hit
        return hit

    # ------------------------------------------------------------------ parties

    def party(self, i: int) -> dict:
        """Party i as listed with embed=tags (people carry the short nested organisation).

        The dict is shared and cached: copy before changing it.
        """
        if not 0 <= i < self.count:
            raise IndexError(i)
        return self._party(i)

    def parties(self) -> list[dict]:
        return [self.party(i) for i in range(self.count)]

    def organisation_of(self, person: dict, *, expanded: bool) -> dict | None:
        """The value of a person's `organisation`: short reference, or the full org (no tags)."""
        ref = person.get("organisation")
        if not isinstance(ref, dict) or not expanded or ref.get("isRestricted"):
            return ref
        index = self.index_of(ref.get("id", -1))
        if index is not None:
            org = self.party(index)
        else:  # an organisation that is not in the list: build it the same way
            person_index = self.index_of(ref["id"] - 1)
            if person_index is None:
                return ref
            org = self._absent_org(person_index)
        return self._without_tags(org["id"], org)

    def _country(self, i: int, quirk: str | None) -> str:
        if quirk and quirk.startswith("country:"):
            return quirk.split(":", 1)[1]
        kind, org, _q = self.slot(i)
        if kind == "person" and isinstance(org, int) and org != i:
            org_quirk = self.slot(org)[2]
            return self._country(org, org_quirk)
        if i < PLEASANT_BLOCKS * BLOCK:
            return "UK" if _unit(self.seed, i, 0xC0) < 0.6 else "US"
        target = _unit(self.seed, i, 0xC0) * _CUM_WEIGHTS[-1]
        for key, edge in zip(_COUNTRY_KEYS, _CUM_WEIGHTS):
            if target < edge:
                return key
        return "UK"

    def _build(self, i: int) -> dict:
        kind, org, quirk = self.slot(i)
        pid = self.party_id(i)
        if quirk == "restricted":
            if kind == "org":
                return {"id": pid, "type": "organisation", "name": "Private",
                        "pictureURL": _picture("P"), "isRestricted": True}
            return {"id": pid, "type": "person", "firstName": None, "lastName": "Private",
                    "pictureURL": _picture("P"), "isRestricted": True}
        rng = random.Random(_mix(self.seed, i, 0x9A27))
        if kind == "org":
            return self._organisation(i, pid, quirk, rng)
        if kind == "robot":
            party = self._organisation(i, pid, None, rng)
            party["type"] = "robot"
            party["name"] = f"Unit {_between(rng, 100, 999)}-B"
            return party
        return self._person(i, pid, org, quirk, rng)

    def _absent_org(self, person_index: int) -> dict:
        rng = random.Random(_mix(self.seed, person_index, 0xAB5E))
        org = self._organisation(person_index, self.party_id(person_index) + 1, None, rng)
        org.pop("tags", None)
        return org

    def _common(self, i: int, rng: random.Random) -> dict:
        created = self.created_epoch(i)
        updated = self.updated_epoch(i, created)
        contacted = None
        if rng.random() < 0.6:
            contacted = iso(created + (updated - created) * rng.random())
        return {"createdAt": iso(created), "updatedAt": iso(updated),
                "lastContactedAt": contacted}

    # Contact details (addresses, phones, typed e-mail/website slots, about, owner …) come from
    # a cached template per (kind, country, variant): building a party is then mostly copying.
    VARIANTS = 509

    def _details(self, kind: str, ckey: str, variant: int, all_contact: bool) -> dict:
        key = (kind, ckey, variant, all_contact)
        hit = self._templates.get(key)
        if hit is not None:
            return hit
        c = COUNTRIES[ckey]
        rng = random.Random(_mix(self.seed, variant, zlib.crc32(f"{kind}/{ckey}".encode())))
        if kind == "org":
            addresses = self._addresses(c, rng, _ADDR_TYPES_ORG, _pick(rng, [1, 1, 1, 2, 2, 3]),
                                        all_contact)
            phones = [("Work", c["phone"])]
            if rng.random() < 0.25:
                phones.append(("Fax", c["phone"]))
            if rng.random() < 0.1:
                phones.append((None, c["mobile"]))
            sites = [s for s, rate in (("URL", 0.7), ("LINKED_IN", 0.25), ("TWITTER", 0.1))
                     if all_contact or rng.random() < rate]
            emails = [("Work", "info")]
            if rng.random() < 0.3 or all_contact:
                emails.append((None, "accounts"))
            shout = rng.random() < 0.05
            about = _pick(rng, _ABOUTS)
            owner = USERS[int(rng.random() * 2)] if rng.random() < 0.6 else None
            extra = {"shout": shout}
        else:
            addresses = self._addresses(c, rng, _ADDR_TYPES_PERSON,
                                        1 if rng.random() < 0.3 else 0, all_contact)
            phones = [(_pick(rng, _PHONE_TYPES_PERSON), c["mobile"])]
            if rng.random() < 0.3:
                phones.append(("Work", c["phone"]))
            if rng.random() < 0.1:
                phones = []
            sites = ["LINKED_IN"] if rng.random() < 0.15 or all_contact else []
            if all_contact:
                sites.append("URL")
            emails = []
            if rng.random() < 0.85 or all_contact:
                emails.append((_pick(rng, ["Work", "Work", None]), "work"))
            if rng.random() < 0.1 or all_contact:
                emails.append(("Home", "home"))
            about = None
            owner = USERS[int(rng.random() * 2)] if rng.random() < 0.4 else None
            extra = {"title": _pick(rng, ["Mr", "Ms", "Mrs", "Dr", None, None, None]),
                     "jobTitle": _pick(rng, _JOBS)}
        if all_contact:
            phones = [("Work", c["phone"]), ("Mobile", c["mobile"]), ("Fax", c["phone"]),
                      ("Direct", c["phone"]), (None, c["phone"])]
        hit = {"addresses": addresses,
               "phones": [(t, _fill(p, rng)) for t, p in phones],
               "sites": sites, "emails": emails, "about": about, "owner": owner,
               "tld": c.get("site_tld", "example.com"), **extra}
        self._templates[key] = hit
        return hit

    @staticmethod
    def _contact_lists(i: int, d: dict) -> dict:
        base = i * 10
        return {
            "addresses": [{"id": 55_000_000 + base + k, **a} for k, a in enumerate(d["addresses"])],
            "phoneNumbers": [{"id": 56_000_000 + base + k, "type": t, "number": n}
                             for k, (t, n) in enumerate(d["phones"])],
        }

    def _organisation(self, i: int, pid: int, quirk: str | None, rng: random.Random) -> dict:
        ckey = self._country(i, quirk)
        c = COUNTRIES[ckey]
        if quirk == "noname":
            name = None
        elif quirk and quirk.startswith("acme:"):
            name = ACME_VARIANTS[int(quirk.split(":")[1])]
        elif quirk and quirk.startswith("markup_org:"):
            name = MARKUP_ORGS[int(quirk.split(":")[1])]
        elif quirk and quirk.startswith("emoji_org:"):
            name = EMOJI_ORGS[int(quirk.split(":")[1])]
        else:
            name = self._org_name(c, rng)
            if i >= BRANCHES_FROM:  # big accounts: mostly distinct names, as in a real CRM
                name = f"{name} ({_pick(rng, _EN_WORDS)} {_pick(rng, c['cities'])[0]})"
        all_contact = quirk == "contact:all"
        d = self._details("org", ckey, int(rng.random() * self.VARIANTS), all_contact)
        slug = (_slug(name or "") or f"org{pid}")[:24]
        party = {"id": pid, "type": "organisation", "about": d["about"], "name": name,
                 **self._common(i, rng), "owner": d["owner"], "team": None,
                 **self._contact_lists(i, d)}
        sites = []
        for k, service in enumerate(d["sites"]):
            if service == "URL":
                url = f"https://{slug}.{d['tld']}"
                sites.append({"id": 57_000_000 + i * 10 + k, "type": "Work", "address": url,
                              "service": "URL", "url": url})
            elif service == "LINKED_IN":
                url = f"https://www.linkedin.com/company/example-{slug}/"
                sites.append({"id": 57_000_000 + i * 10 + k, "type": None, "address": url,
                              "service": "LINKED_IN", "url": url})
            else:
                sites.append({"id": 57_000_000 + i * 10 + k, "type": None,
                              "address": f"example_{slug[:12]}", "service": "TWITTER",
                              "url": f"https://twitter.com/example_{slug[:12]}"})
        party["websites"] = sites
        emails = [{"id": 58_000_000 + i * 10 + k, "type": t, "address": f"{box}.{slug}@example.com"}
                  for k, (t, box) in enumerate(d["emails"])]
        if d["shout"]:
            emails.append({"id": 58_000_000 + i * 10 + len(emails), "type": None,
                           "address": emails[0]["address"].upper()})
        party["emailAddresses"] = emails
        party["pictureURL"] = _picture(name or "?")
        party["tags"] = self._tags(rng, quirk, org=True)
        return party

    def _person(self, i: int, pid: int, org: int | str | None, quirk: str | None,
                rng: random.Random) -> dict:
        ckey = self._country(i, quirk)
        c = COUNTRIES[ckey]
        first, last = _pick(rng, c["first"]), _pick(rng, c["last"])
        if quirk == "noname":
            first = last = None
        elif quirk == "last_only":
            first = None
        elif quirk == "first_only":
            last = None
        elif quirk and quirk.startswith("markup_person:"):
            first, last = MARKUP_PEOPLE[int(quirk.split(":")[1])]
        elif quirk and quirk.startswith("emoji_person:"):
            first, last = EMOJI_PEOPLE[int(quirk.split(":")[1])]
        all_contact = quirk == "contact:all"
        d = self._details("person", ckey, int(rng.random() * self.VARIANTS), all_contact)
        party = {
            "id": pid, "type": "person", "about": None, "title": d["title"],
            "firstName": first, "lastName": last, "jobTitle": d["jobTitle"],
            **self._common(i, rng), "organisation": self._org_ref(i, org),
            "owner": d["owner"], "team": None, **self._contact_lists(i, d),
        }
        handle = (_slug(f"{first or ''}{last or ''}") or f"p{pid}")[:20]
        sites = []
        for k, service in enumerate(d["sites"]):
            url = (f"https://www.linkedin.com/in/example-{handle}/" if service == "LINKED_IN"
                   else f"https://{handle}.example.com")
            sites.append({"id": 57_000_000 + i * 10 + k,
                          "type": None if service == "LINKED_IN" else "Home",
                          "address": url, "service": service, "url": url})
        party["websites"] = sites
        emails = []
        for k, (t, box) in enumerate(d["emails"]):
            if box == "work":
                local = ".".join(p for p in (_slug(first or ""), _slug(last or "")) if p) \
                    or f"contact{pid}"
                emails.append({"id": 58_000_000 + i * 10 + k, "type": t,
                               "address": f"{local}@example.com"})
            else:
                emails.append({"id": 58_000_000 + i * 10 + k, "type": t,
                               "address": f"{handle[:16]}.home@example.com"})
        party["emailAddresses"] = emails
        party["pictureURL"] = _picture(f"{first or ''} {last or ''}".strip() or "?")
        party["tags"] = self._tags(rng, quirk, org=False)
        return party

    def _org_ref(self, i: int, org: int | str | None) -> dict | None:
        if org is None:
            return None
        if org == "absent":
            o = self._absent_org(i)
            return {"id": o["id"], "type": "organisation", "name": o["name"],
                    "pictureURL": o["pictureURL"]}
        if not 0 <= org < self.count:  # its organisation fell past the end of the list
            return {"id": self.party_id(org), "type": "organisation", "name": "Private",
                    "pictureURL": _picture("P"), "isRestricted": True}
        o = self.party(org)
        if o.get("isRestricted"):
            return {"id": o["id"], "type": "organisation", "name": "Private",
                    "pictureURL": o["pictureURL"], "isRestricted": True}
        return {"id": o["id"], "type": "organisation", "name": o.get("name"),
                "pictureURL": o.get("pictureURL")}

    def _org_name(self, c: dict, rng: random.Random) -> str:
        if "org_names" in c:
            return _pick(rng, c["org_names"])
        trades = c.get("trades")
        suffix = _pick(rng, c["suffix"])
        if trades:  # local-language names
            pattern = int(rng.random() * 3)
            if pattern == 0:
                return f"{_pick(rng, c['last'])} {_pick(rng, trades)} {suffix}"
            if pattern == 1:
                return f"{_pick(rng, trades)} {_pick(rng, c['last'])} {suffix}"
            return f"{_pick(rng, c['last'])} & {_pick(rng, c['last'])} {suffix}"
        pattern = int(rng.random() * 4)
        if pattern <= 1:
            return f"{_pick(rng, _EN_WORDS)} {_pick(rng, _EN_TRADES)} {suffix}"
        if pattern == 2:
            return f"{_pick(rng, c['last'])} & {_pick(rng, ['Sons', 'Daughters', 'Partners'])}"
        return f"{_pick(rng, c['last'])} {_pick(rng, _EN_TRADES)}"

    @staticmethod
    def _addresses(c: dict, rng: random.Random, types: list, count: int,
                   all_types: bool) -> list[dict]:
        chosen = [_pick(rng, types) for _ in range(count)]
        if all_types:
            chosen = ["Office", "Postal", "Home", "Billing", "Shipping", None]
        out = []
        for k, kind in enumerate(chosen):
            city, state, zip_pattern = _pick(rng, c["cities"])
            street = _pick(rng, c["streets"]).format(n=_between(rng, 1, 200))
            roll = rng.random()
            if (all_types and k == 0) or (not all_types and roll < 0.15):
                street += "\n" + _pick(rng, _SECOND_LINES)
            elif (all_types and k == 1) or (not all_types and roll < 0.2):
                street = None
            country = c["country"]
            if (all_types and k == 2) or (not all_types and rng.random() < 0.05):
                country = None
            out.append({"type": kind, "city": city, "country": country, "street": street,
                        "state": state, "zip": _fill(zip_pattern, rng) if zip_pattern else None})
        return out

    def _tags(self, rng: random.Random, quirk: str | None, *, org: bool) -> list[dict]:
        if quirk == "tags:none":
            names: list[str] = []
        elif quirk == "tags:conflict":
            names = ["Customer", "Supplier"]
        elif quirk == "tags:many":
            names = ["Customer", "Wholesale", "Newsletter", "Événements 2024"]
        elif quirk == "tags:one":
            names = ["Supplier"]
        elif org:
            r = rng.random()
            if r < 0.15:
                names = []
            elif r < 0.65:
                names = [rng.choices(["Customer", "Supplier", "Prospect", "Partner", "Lead",
                                      "Wholesale", "Vendor"],
                                     weights=[40, 25, 10, 8, 7, 5, 5])[0]]
            elif r < 0.95:
                names = _pick(rng, [["Customer", "Newsletter"], ["Customer", "Wholesale"],
                                    ["Supplier", "Vendor"], ["Customer", "Partner"],
                                    ["Prospect", "Newsletter", "Événements 2024"],
                                    ["Customer", "VIP"], ["Lead", "Newsletter"]])
            else:
                names = _pick(rng, [["Customer", "Supplier"], ["Supplier", "Customer",
                                                               "Newsletter"]])
        else:
            r = rng.random()
            if r < 0.55:
                names = []
            elif r < 0.85:
                names = [_pick(rng, ["Newsletter", "Lead", "Événements 2024", "Prospect",
                                     "Customer"])]
            else:
                names = _pick(rng, [["Newsletter", "Événements 2024"], ["Lead", "Newsletter"],
                                    ["Customer", "VIP"]])
        return [dict(_TAG[n]) for n in names]

    # ------------------------------------------------------------------ other endpoints

    @staticmethod
    def tags() -> list[dict]:
        return [dict(t) for t in TAGS]

    def deleted(self, since_epoch: float) -> dict:
        """The /parties/deleted body: ids deleted after since_epoch, and restricted parties."""
        parties = []
        for k in range(max(3, self.count // 100)):
            pid = ID_BASE + ID_STEP * (k * 97 % max(1, self.count)) + 2
            when = START_EPOCH + int((ANCHOR_EPOCH - START_EPOCH) * _unit(self.seed, k, 0xDE1))
            if when > since_epoch:
                parties.append({"id": pid, "deletedAt": iso(when)})
        restricted = [self.party(i) for i in range(self.count)
                      if self.slot(i)[2] == "restricted" and self.updated_epoch(i) > since_epoch]
        return {"parties": parties, "restrictedParties": [dict(p) for p in restricted]}

    @staticmethod
    def user() -> dict:
        return {"id": 74001, "locale": "en_GB", "currency": "GBP", "status": "ACTIVE",
                "party": {"id": 179000001, "type": "person", "firstName": "Jordan",
                          "lastName": "Example", "pictureURL": USERS[0]["pictureURL"]},
                "username": "jordan.example", "timezone": "Europe/London",
                "lastLoginAt": "2024-05-21T07:58:13Z", "name": "Jordan Example",
                "taskReminder": True}


def party(i: int, *, seed: int = 1, count: int = 500) -> dict:
    """Party i of the (seed, count) data set (convenience for tests and benchmarks)."""
    return _data(seed, count).party(i)


@functools.lru_cache(maxsize=8)
def _data(seed: int, count: int) -> SandboxData:
    return SandboxData(count=count, seed=seed)
