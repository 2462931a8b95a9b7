"""The six default categories and the team each routes to, in Turkish and English."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Category, Team


@dataclass(frozen=True)
class DefaultCategory:
    code: str
    name_tr: str
    name_en: str
    team: str
    sla_hours: int
    description_tr: str
    description_en: str
    words_tr: tuple[str, ...] = ()
    words_en: tuple[str, ...] = ()

    @property
    def everyday_words(self) -> dict[str, list[str]]:
        return {"tr": list(self.words_tr), "en": list(self.words_en)}


# The everyday words name the things citizens see, not what is wrong with them
# ("lamba", not "yanmıyor": a traffic light does not light either). A word in two
# lists ("direk": a lamp post or a sign post) makes the bot ask which of the two.
DEFAULT_CATEGORIES = (
    DefaultCategory("infrastructure", "Altyapı", "Infrastructure", "Fen İşleri", 72,
                    "Yol, kaldırım, çukur, su ve kanalizasyon sorunları",
                    "Roads, pavements, potholes, water and sewer problems",
                    ("çukur", "yol", "asfalt", "kaldırım", "kaldırım taşı", "bordür", "parke",
                     "parke taşı", "rögar", "logar", "rögar kapağı", "mazgal", "su borusu",
                     "boru", "su kaçağı", "su patlağı", "su birikintisi", "su baskını",
                     "kanalizasyon", "lağım", "göçük", "çökme", "yol çalışması", "köprü",
                     "merdiven", "menfez", "altyapı", "alt yapı"),
                    ("pothole", "road", "asphalt", "pavement", "sidewalk", "kerb", "curb",
                     "manhole", "drain", "sewer", "sewage", "water leak", "leak", "burst pipe",
                     "pipe", "flooding", "flood", "puddle", "sinkhole", "bridge", "stairs",
                     "roadworks")),
    DefaultCategory("traffic", "Trafik", "Traffic", "Ulaşım Hizmetleri", 24,
                    "Trafik lambaları, tabelalar, yol çizgileri",
                    "Traffic lights, signs, road markings",
                    ("trafik lambası", "trafik ışığı", "ışıklar", "sinyal", "sinyalizasyon",
                     "tabela", "levha", "trafik levhası", "yön tabelası", "tabela direği", "direk",
                     "yaya geçidi", "yol çizgisi", "çizgi", "şerit", "kasis", "hız kesici",
                     "kavşak", "dur işareti", "otobüs durağı", "durak", "yanlış park",
                     "park yasağı", "bariyer", "trafik aynası"),
                    ("traffic light", "traffic lights", "traffic signal", "road sign", "sign",
                     "stop sign", "crossing", "zebra crossing", "crosswalk", "road markings",
                     "lane", "speed bump", "junction", "intersection", "roundabout", "bus stop",
                     "parking", "barrier")),
    DefaultCategory("lighting", "Aydınlatma", "Lighting", "Aydınlatma", 48,
                    "Yanmayan sokak lambaları, arızalı direkler",
                    "Street lights out, damaged poles",
                    ("lamba", "sokak lambası", "sokak ışığı", "ışık", "karanlık", "ampul",
                     "projektör", "armatür", "direk", "lamba direği", "aydınlatma direği",
                     "elektrik direği", "elektrik", "kablo", "açık kablo"),
                    ("street light", "streetlight", "street lamp", "lamp", "lamp post", "light",
                     "dark", "darkness", "bulb", "lighting", "pole", "cable")),
    DefaultCategory("waste", "Atık Yönetimi", "Waste Management", "Temizlik İşleri", 24,
                    "Taşan konteynerler, toplanmayan çöp, moloz",
                    "Overflowing bins, missed collections, rubble",
                    ("çöp", "çöp kutusu", "çöp konteyneri", "çöp kovası", "çöp torbası",
                     "çöp kamyonu", "konteyner", "konteynır", "atık", "moloz", "hafriyat",
                     "inşaat atığı", "geri dönüşüm", "cam kumbarası", "poşet"),
                    ("garbage", "trash", "rubbish", "litter", "bin", "dumpster", "container",
                     "waste", "rubble", "debris", "recycling", "fly tipping")),
    DefaultCategory("parks", "Parklar", "Parks", "Park ve Bahçeler", 120,
                    "Park, oyun alanı ve ağaç bakımı",
                    "Parks, playgrounds and tree care",
                    ("park", "çocuk parkı", "oyun parkı", "oyun alanı", "salıncak", "kaydırak",
                     "tahterevalli", "bank", "ağaç", "ağaç dalı", "dal", "çim", "çimen",
                     "yeşil alan", "bahçe", "çiçek", "fidan", "budama", "spor aleti"),
                    ("park", "playground", "swing", "slide", "seesaw", "bench", "tree",
                     "branch", "grass", "lawn", "garden", "green space", "flowers", "hedge")),
    DefaultCategory("other", "Diğer", "Other", "Çağrı Merkezi", 168,
                    "Diğer tüm konular", "Everything else",
                    ("diğer", "başka", "hiçbiri"),
                    ("other", "something else")),
)  # fmt: skip


def seed_defaults(session: Session) -> tuple[int, int]:
    """Create the default teams and categories that are missing; returns (teams, categories) added.

    Idempotent: existing rows (found by team name and category code) are left as
    they are, so a manager's edits survive a re-seed; only a default category whose
    everyday words were never set (a database older than them) gets the default list.
    """
    teams_added = categories_added = 0
    for order, default in enumerate(DEFAULT_CATEGORIES, start=1):
        team = session.scalar(select(Team).where(Team.name == default.team))
        if team is None:
            team = Team(name=default.team)
            session.add(team)
            session.flush()
            teams_added += 1
        existing = session.scalar(select(Category).where(Category.code == default.code))
        if existing is not None:
            if existing.everyday_words is None:
                existing.everyday_words = default.everyday_words
        else:
            session.add(
                Category(
                    code=default.code,
                    name_tr=default.name_tr,
                    name_en=default.name_en,
                    description_tr=default.description_tr,
                    description_en=default.description_en,
                    default_team_id=team.id,
                    sla_hours=default.sla_hours,
                    sort_order=order,
                    everyday_words=default.everyday_words,
                )
            )
            categories_added += 1
    session.flush()
    return teams_added, categories_added
