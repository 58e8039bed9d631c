"""Tables of the perspectives: the inwoners and bestuur groups of a round and their answers.

A round's inwoners and bestuur groups are :class:`~quickscan.models.Department` rows of kind
``residents`` and ``bestuur``; these tables hold what is particular to them. Residents'
responses carry no times (only the day, for the submissions-per-day figure) and their comments
are stored apart from any response, so a comment can never be linked to a respondent.
"""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quickscan.extensions import db
from quickscan.models import Department, utcnow

CHANNEL_ONLINE = "online"
CHANNEL_PAPER = "papier"
CHANNELS = (CHANNEL_ONLINE, CHANNEL_PAPER)
#: The one background question's answers ("Ik doe mee als ...").
PARTICIPANT_ROLES = ("inwoner", "ervaringsdeskundige", "lid_adviesraad", "mantelzorger",
                     "professional")
RESIDENT_VALUES = ("1", "2", "3", "4", "5", "dont_know")


class RoundPerspective(db.Model):  # type: ignore[name-defined,misc]
    """A round's perspective settings and the residents bank it pinned."""

    __tablename__ = "round_perspective"
    __table_args__ = (
        CheckConstraint("target_source IN ('banks', 'overrides', 'bestuur')",
                        name="target_source"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          primary_key=True)
    #: Where the theme targets come from: ``banks``, ``overrides`` or ``bestuur``.
    target_source: Mapped[str] = mapped_column(String(16), default="banks")
    residents_min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    residents_bank_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    residents_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    residents_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    residents_content: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class GroupState(db.Model):  # type: ignore[name-defined,misc]
    """Whether an inwoners or bestuur group takes responses (opened and closed on its own)."""

    __tablename__ = "group_state"

    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True)


class GroupLink(db.Model):  # type: ignore[name-defined,misc]
    """A public link of an inwoners or bestuur group, with a label (where it was shared).

    Like invitations, only the SHA-256 of the token is stored; the token is HMAC(secret key,
    salt), so the coordinator can show the link again.
    """

    __tablename__ = "group_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)

    department: Mapped[Department] = relationship()

    @property
    def active(self) -> bool:
        """True while the link works."""
        return self.revoked_at is None


class ResidentResponse(db.Model):  # type: ignore[name-defined,misc]
    """One inwoner's submitted questionnaire (online or entered from paper)."""

    __tablename__ = "resident_response"
    __table_args__ = (CheckConstraint("channel IN ('online', 'papier')", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_link.id", ondelete="SET NULL"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16), default=CHANNEL_ONLINE)
    #: Filled in with or for the participant by a begeleider.
    assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    participant_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    #: The day only: no time, so responses cannot be ordered within a day.
    submitted_on: Mapped[datetime.date] = mapped_column(Date)

    answers: Mapped[list[ResidentAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan")


class ResidentAnswer(db.Model):  # type: ignore[name-defined,misc]
    """One rating of one statement: 1-5 or ``dont_know``."""

    __tablename__ = "resident_answer"
    __table_args__ = (
        UniqueConstraint("response_id", "statement_id"),
        CheckConstraint("value IN ('1', '2', '3', '4', '5', 'dont_know')", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("resident_response.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(16))

    response: Mapped[ResidentResponse] = relationship(back_populates="answers")


class ResidentComment(db.Model):  # type: ignore[name-defined,misc]
    """A resident's comment on a statement, stored without any link to the response."""

    __tablename__ = "resident_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    statement_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)


class BestuurResponse(db.Model):  # type: ignore[name-defined,misc]
    """One bestuur respondent's submitted ambitions."""

    __tablename__ = "bestuur_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[datetime.date] = mapped_column(Date)

    ratings: Mapped[list[AmbitionRating]] = relationship(
        back_populates="response", cascade="all, delete-orphan")


class AmbitionRating(db.Model):  # type: ignore[name-defined,misc]
    """A bestuur respondent's ambition for one theme: level 0-4 and importance 1-5."""

    __tablename__ = "ambition_rating"
    __table_args__ = (
        UniqueConstraint("response_id", "bank_id", "theme_id"),
        CheckConstraint("level IS NULL OR level BETWEEN 0 AND 4", name="level"),
        CheckConstraint("importance IS NULL OR importance BETWEEN 1 AND 5", name="importance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("bestuur_response.id", ondelete="CASCADE"), index=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    theme_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    importance: Mapped[int | None] = mapped_column(Integer, nullable=True)

    response: Mapped[BestuurResponse] = relationship(back_populates="ratings")
