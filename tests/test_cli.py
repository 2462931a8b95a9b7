"""The `flask --app wsgi …` commands: seed and create-user."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Category, Team, User


def test_seed_twice_leaves_six_categories_each_with_a_team(runner, db) -> None:
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "6 categories added" in first.output
    assert "0 categories added" in second.output
    categories = db.scalars(select(Category).order_by(Category.sort_order)).all()
    assert [c.code for c in categories] == [
        "infrastructure",
        "traffic",
        "lighting",
        "waste",
        "parks",
        "other",
    ]
    assert all(c.default_team_id for c in categories)
    assert {c.name_tr for c in categories} >= {"Altyapı", "Aydınlatma", "Atık Yönetimi"}
    assert {c.name_en for c in categories} >= {"Infrastructure", "Lighting", "Waste Management"}
    assert db.scalar(select(func.count()).select_from(Team)) == 6


@pytest.mark.parametrize("written", ["05321234567", "+90 532 123 45 67", "5321234567"])
def test_create_user_accepts_common_forms_as_one_number(runner, db, written: str) -> None:
    result = runner.invoke(
        args=["create-user", "--phone", written, "--name", "Ayşe Yılmaz", "--role", "manager"]
    )
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.phone == "+905321234567"))
    assert user is not None and user.role == "manager" and user.full_name == "Ayşe Yılmaz"
    # The full number never reaches the terminal output either.
    assert "5321234567" not in result.output


def test_create_user_twice_is_refused(runner, db) -> None:
    args = ["create-user", "--phone", "05321234567", "--name", "A", "--role", "support"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=[*args[:2], "+90 532 123 45 67", *args[3:]])
    assert again.exit_code != 0
    assert "already exists" in again.output


@pytest.mark.parametrize(
    ("phone", "role", "reason"),
    [
        ("02121234567", "support", "landline"),
        ("+14155552671", "support", "not served"),
        ("+44 7911 123456", "support", "not served"),
        ("05321234567", "admin", "unknown role"),
        ("call me", "support", "only digits"),
    ],
)
def test_create_user_refuses_with_a_clear_message(runner, db, phone, role, reason) -> None:
    result = runner.invoke(args=["create-user", "--phone", phone, "--name", "X", "--role", role])
    assert result.exit_code != 0
    assert reason in result.output
    assert db.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_in_teams(runner, db) -> None:
    runner.invoke(args=["seed"])
    result = runner.invoke(
        args=["create-user", "--phone", "05321234568", "--name", "B", "--role", "support",
              "--team", "Aydınlatma"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.phone == "+905321234568"))
    assert [team.name for team in user.teams] == ["Aydınlatma"]
    both = runner.invoke(
        args=["create-user", "--phone", "05321234570", "--name", "D", "--role", "support",
              "--team", "Aydınlatma", "--team", "Fen İşleri", "--team", "Aydınlatma"]
    )  # fmt: skip
    assert both.exit_code == 0, both.output
    assert "in " in both.output and "Fen İşleri" in both.output
    user = db.scalar(select(User).where(User.phone == "+905321234570"))
    assert sorted(team.name for team in user.teams) == ["Aydınlatma", "Fen İşleri"]
    citizen = runner.invoke(
        args=["create-user", "--phone", "05321234571", "--name", "E", "--role", "citizen",
              "--team", "Aydınlatma"]
    )  # fmt: skip
    assert citizen.exit_code != 0 and "citizens do not belong to a team" in citizen.output
    missing = runner.invoke(
        args=["create-user", "--phone", "05321234569", "--name", "C", "--role", "support",
              "--team", "Nope"]
    )  # fmt: skip
    assert missing.exit_code != 0 and "no team" in missing.output
