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


DEFAULT_CATEGORIES = (
    DefaultCategory("infrastructure", "Altyapı", "Infrastructure", "Fen İşleri", 72,
                    "Yol, kaldırım, çukur, su ve kanalizasyon sorunları",
                    "Roads, pavements, potholes, water and sewer problems"),
    DefaultCategory("traffic", "Trafik", "Traffic", "Ulaşım Hizmetleri", 24,
                    "Trafik lambaları, tabelalar, yol çizgileri",
                    "Traffic lights, signs, road markings"),
    DefaultCategory("lighting", "Aydınlatma", "Lighting", "Aydınlatma", 48,
                    "Yanmayan sokak lambaları, arızalı direkler",
                    "Street lights out, damaged poles"),
    DefaultCategory("waste", "Atık Yönetimi", "Waste Management", "Temizlik İşleri", 24,
                    "Taşan konteynerler, toplanmayan çöp, moloz",
                    "Overflowing bins, missed collections, rubble"),
    DefaultCategory("parks", "Parklar", "Parks", "Park ve Bahçeler", 120,
                    "Park, oyun alanı ve ağaç bakımı",
                    "Parks, playgrounds and tree care"),
    DefaultCategory("other", "Diğer", "Other", "Çağrı Merkezi", 168,
                    "Diğer tüm konular", "Everything else"),
)  # fmt: skip


def seed_defaults(session: Session) -> tuple[int, int]:
    """Create the default teams and categories that are missing; returns (teams, categories) added.

    Idempotent: existing rows (found by team name and category code) are left as
    they are, so a manager's edits survive a re-seed.
    """
    teams_added = categories_added = 0
    for order, default in enumerate(DEFAULT_CATEGORIES, start=1):
        team = session.scalar(select(Team).where(Team.name == default.team))
        if team is None:
            team = Team(name=default.team)
            session.add(team)
            session.flush()
            teams_added += 1
        if session.scalar(select(Category.id).where(Category.code == default.code)) is None:
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
                )
            )
            categories_added += 1
    session.flush()
    return teams_added, categories_added
