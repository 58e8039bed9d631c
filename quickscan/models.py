"""Database models: coordinators, rounds, departments, invitations, responses and answers.

Writes go through the service layer (``quickscan.services``); views never change these
objects directly. Tokens (invitation and resume links) are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from quickscan.extensions import db, login_manager

ROUND_OPEN = "open"
ROUND_CLOSED = "closed"
#: Minimum group size: the default, and the range a round may use (see docs/privacy.md).
DEFAULT_MIN_GROUP_SIZE = 3
MIN_GROUP_SIZE_RANGE = (1, 10)
#: How much of a bank a round asks: every question, or only the core ("kern") questions.
SCOPE_FULL = "volledig"
SCOPE_CORE = "kern"
SCOPES = (SCOPE_FULL, SCOPE_CORE)
#: Kinds of group in a round.
KIND_DEPARTMENT = "department"
KIND_MUNICIPALITY = "municipality"
KIND_RESIDENTS = "residents"
KIND_BESTUUR = "bestuur"
GROUP_KINDS = (KIND_DEPARTMENT, KIND_MUNICIPALITY, KIND_RESIDENTS, KIND_BESTUUR)
RESPONSE_DRAFT = "draft"
RESPONSE_SUBMITTED = "submitted"
ANSWER_VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")
COMMENT_MAX_LENGTH = 2000

ROLE_LEZER = "lezer"
ROLE_COORDINATOR = "coordinator"
ROLE_BEHEERDER = "beheerder"
#: The account roles, least to most rights; each role may do everything the ones before it may.
ROLES = (ROLE_LEZER, ROLE_COORDINATOR, ROLE_BEHEERDER)


def utcnow() -> datetime.datetime:
    """Timezone-aware current time in UTC."""
    return datetime.datetime.now(datetime.UTC)


def new_session_token() -> str:
    """A fresh random session token (part of the id Flask-Login keeps in cookies)."""
    return secrets.token_hex(16)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]  # db.Model: a runtime attribute
    """A team account: a beheerder, a coordinator or a lezer (see :data:`ROLES`).

    ``session_token`` is part of the id stored in the session and remember-me cookies
    (:meth:`get_id`); replacing it (logout, password change, deactivation, reset) ends every
    session of the user on every device, remember-me cookies included.
    """

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('lezer', 'coordinator', 'beheerder')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    role: Mapped[str] = mapped_column(String(16), default=ROLE_BEHEERDER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: True while the password is a one-time password set by a beheerder.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    @property
    def is_active(self) -> bool:
        """Flask-Login: a deactivated account cannot log in or keep a session."""
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login: ``<id>:<session token>``, so renewing the token ends every session."""
        if not self.session_token:
            self.session_token = new_session_token()
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of this user."""
        self.session_token = new_session_token()

    def has_role(self, role: str) -> bool:
        """True when this account may do what ``role`` may (roles are ordered)."""
        return self.role in ROLES and role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (never the password itself)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class Round(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """One run of the quickscan in a municipality, with the bank versions it pinned."""

    __tablename__ = "round"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime.date | None] = mapped_column(db.Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=ROUND_OPEN)
    #: Target level overrides, ``{"bank_id/theme_id": level}``.
    target_overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    #: Minimum group size k: no figure is shown for a group with fewer submitted responses.
    min_group_size: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_GROUP_SIZE,
                                                server_default=str(DEFAULT_MIN_GROUP_SIZE))
    #: The round this one follows up ("volgende meting"): the rounds form a series.
    previous_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("round.id", ondelete="SET NULL"), nullable=True, index=True)

    banks: Mapped[list[RoundBank]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundBank.position")
    #: The departments (and the municipality group); the inwoners and bestuur groups of the
    #: perspectives are apart, in :attr:`perspective_groups`.
    departments: Mapped[list[Department]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Department.name",
        primaryjoin="and_(Round.id == Department.round_id, "
                    "Department.kind.notin_(('residents', 'bestuur')))")
    perspective_groups: Mapped[list[Department]] = relationship(
        cascade="all, delete-orphan", order_by="Department.kind", overlaps="departments,round",
        primaryjoin="and_(Round.id == Department.round_id, "
                    "Department.kind.in_(('residents', 'bestuur')))")

    @property
    def is_open(self) -> bool:
        """True while respondents may still change answers."""
        return self.status == ROUND_OPEN


class RoundBank(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """A bank version pinned to a round, with its content hash and a snapshot of its content."""

    __tablename__ = "round_bank"
    __table_args__ = (UniqueConstraint("round_id", "bank_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: ``volledig`` (every question) or ``kern`` (only the bank's core questions).
    scope: Mapped[str] = mapped_column(String(16), default=SCOPE_FULL,
                                       server_default=SCOPE_FULL)

    round: Mapped[Round] = relationship(back_populates="banks")


class Department(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """A department taking part in a round, with the banks it answers."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("round_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Bank ids this department answers; always includes the common bank.
    bank_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: What kind of group this is: a ``department``, or the ``municipality`` group that answers
    #: the municipal facts bank once for the whole round (later also residents and bestuur).
    kind: Mapped[str] = mapped_column(String(16), default=KIND_DEPARTMENT,
                                      server_default=KIND_DEPARTMENT)
    #: How many people the coordinator expects to respond (optional): gives a response rate.
    expected_respondents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Names of the previous round's departments this one continues (None: its own name, when
    #: the previous round had it); set when a next round is created from a previous one.
    continues: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    round: Mapped[Round] = relationship(back_populates="departments")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="department", cascade="all, delete-orphan")
    responses: Mapped[list[Response]] = relationship(
        back_populates="department", cascade="all, delete-orphan")


class Invitation(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """A department's invitation link; only the SHA-256 of its token is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Random salt; the token is HMAC(secret key, salt), so the coordinator can show the link
    #: again while the database alone never reveals it (see ``quickscan.services.tokens``).
    token_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)

    department: Mapped[Department] = relationship(back_populates="invitations")

    @property
    def active(self) -> bool:
        """True while the link works."""
        return self.revoked_at is None


class Response(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """One respondent's filling-in of the survey; anonymous, reached by its resume token."""

    __tablename__ = "response"
    __table_args__ = (CheckConstraint("status IN ('draft', 'submitted')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    resume_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=RESPONSE_DRAFT)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    submitted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                   nullable=True)

    department: Mapped[Department] = relationship(back_populates="responses")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan")
    importance_ratings: Mapped[list[ImportanceRating]] = relationship(
        back_populates="response", cascade="all, delete-orphan")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="response", cascade="all, delete-orphan")

    @property
    def is_submitted(self) -> bool:
        """True once the respondent has submitted; the response is then read-only."""
        return self.status == RESPONSE_SUBMITTED


class Answer(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """One answer: a level 0-4, ``dont_know`` or ``not_applicable``."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint(
            "value IN ('0', '1', '2', '3', '4', 'dont_know', 'not_applicable')", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    question_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")

    @property
    def scored_value(self) -> int | str:
        """The value as the scoring engine takes it: an int level or an outside key."""
        return int(self.value) if self.value.isdigit() else self.value


class ImportanceRating(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """How important a respondent finds a theme (1-5)."""

    __tablename__ = "importance_rating"
    __table_args__ = (
        UniqueConstraint("response_id", "bank_id", "theme_id"),
        CheckConstraint("value BETWEEN 1 AND 5", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    theme_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)

    response: Mapped[Response] = relationship(back_populates="importance_ratings")


class Comment(db.Model):  # type: ignore[name-defined,misc]  # db.Model is a runtime attribute
    """A respondent's comment or evidence on a question (at most 2,000 characters)."""

    __tablename__ = "comment"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    question_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="comments")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login: the active user behind a session whose session token is still current."""
    raw_id, _sep, token = user_id.partition(":")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 9 or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.active or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


# --------------------------------------------------------------------------- invitations by e-mail
#
# Invitees belong to a department row: a group of respondents (inwoners, bestuurders) is a
# department row too, so invitations work for groups without a change here. An invitee never
# points at a response: only a ``submitted`` flag is stored, set when a response started from
# the invitee's personal link is submitted (see ``quickscan.services.invitations``).

LINK_DEPARTMENT = "department"
LINK_PERSONAL = "personal"
MAIL_INVITATION = "invitation"
MAIL_REMINDER = "reminder"
MAIL_SCHEDULED = "scheduled"
MESSAGE_QUEUED = "queued"
MESSAGE_SENDING = "sending"
MESSAGE_SENT = "sent"
MESSAGE_FAILED = "failed"
MESSAGE_UNCERTAIN = "uncertain"


class MailSettings(db.Model):  # type: ignore[name-defined,misc]
    """A round's invitation and reminder texts, their language and the reminder schedule."""

    __tablename__ = "mail_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          unique=True)
    language: Mapped[str] = mapped_column(String(8), default="nl")
    invitation_subject: Mapped[str] = mapped_column(String(200), default="")
    invitation_body: Mapped[str] = mapped_column(Text, default="")
    reminder_subject: Mapped[str] = mapped_column(String(200), default="")
    reminder_body: Mapped[str] = mapped_column(Text, default="")
    #: Send a reminder this many days before the deadline (None: no scheduled reminder).
    reminder_days_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scheduled_reminder_on: Mapped[datetime.date | None] = mapped_column(db.Date, nullable=True)


class Invitee(db.Model):  # type: ignore[name-defined,misc]
    """An e-mail address invited for a department (or group); never linked to a response."""

    __tablename__ = "invitee"
    __table_args__ = (
        UniqueConstraint("department_id", "email"),
        CheckConstraint("link IN ('department', 'personal')", name="link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True)
    #: Lower-cased address; None once deleted (round closed or retention period over).
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    link: Mapped[str] = mapped_column(String(16), default=LINK_DEPARTMENT)
    #: Only a flag: which response was submitted is never stored.
    submitted: Mapped[bool] = mapped_column(db.Boolean, default=False)
    invited_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_mailed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                     nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    address_deleted_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)

    department: Mapped[Department] = relationship()
    links: Mapped[list[InviteeLink]] = relationship(back_populates="invitee",
                                                    cascade="all, delete-orphan")


class InviteeLink(db.Model):  # type: ignore[name-defined,misc]
    """The SHA-256 of one personal link sent to an invitee (a fresh random token per e-mail)."""

    __tablename__ = "invitee_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitee_id: Mapped[int] = mapped_column(ForeignKey("invitee.id", ondelete="CASCADE"),
                                            index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)

    invitee: Mapped[Invitee] = relationship(back_populates="links")


class MailBatch(db.Model):  # type: ignore[name-defined,misc]
    """One send round (invitations or reminders) of a round: the send log's line."""

    __tablename__ = "mail_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)
    #: The last error, in words and without any link or token.
    error: Mapped[str] = mapped_column(Text, default="")

    messages: Mapped[list[MailMessage]] = relationship(back_populates="batch",
                                                       cascade="all, delete-orphan")


class MailMessage(db.Model):  # type: ignore[name-defined,misc]
    """One e-mail of a batch: claimed queued -> sending -> sent/failed, each step committed."""

    __tablename__ = "mail_message"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed', 'uncertain')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("mail_batch.id", ondelete="CASCADE"),
                                          index=True)
    invitee_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitee.id", ondelete="SET NULL"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16), default=MESSAGE_QUEUED, index=True)
    claimed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                 nullable=True)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                  nullable=True)

    batch: Mapped[MailBatch] = relationship(back_populates="messages")


# --------------------------------------------------------------------------- Lokale Inclusie Agenda
#
# From the priorities to a Lokale Inclusie Agenda (see docs/lia.md): candidate speerpunten, a
# vote on them (online, in the room, on paper), the chosen speerpunten with their actions, and
# a public progress page. One ``LiaPlan`` per round holds the vote's rules and the switches.

LIA_VOTE_DRAFT = "concept"
LIA_VOTE_OPEN = "open"
LIA_VOTE_CLOSED = "gesloten"
LIA_ORIGIN_ONLINE = "online"
LIA_ORIGIN_ROOM = "zaal"
LIA_ORIGIN_PAPER = "papier"
LIA_ORIGINS = (LIA_ORIGIN_ONLINE, LIA_ORIGIN_ROOM, LIA_ORIGIN_PAPER)
LIA_SOURCE_PRIORITY = "prioriteit"
LIA_SOURCE_OWN = "eigen"
LIA_STATUSES = ("gepland", "bezig", "gereed", "gestopt")
DEFAULT_LIA_VOTES = 3


class LiaPlan(db.Model):  # type: ignore[name-defined,misc]
    """A round's agenda: the vote's rules and state, partner organisations, publication."""

    __tablename__ = "lia_plan"
    __table_args__ = (
        CheckConstraint("vote_status IN ('concept', 'open', 'gesloten')", name="vote_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          unique=True)
    votes_per_voter: Mapped[int] = mapped_column(Integer, default=DEFAULT_LIA_VOTES)
    vote_status: Mapped[str] = mapped_column(String(16), default=LIA_VOTE_DRAFT)
    vote_opens_on: Mapped[datetime.date | None] = mapped_column(db.Date, nullable=True)
    vote_closes_on: Mapped[datetime.date | None] = mapped_column(db.Date, nullable=True)
    #: Salt of the public vote link (its token is HMAC(secret key, salt), never stored).
    vote_salt: Mapped[str] = mapped_column(String(64), default="")
    vote_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    #: When the first vote was cast: from then on the rules are locked.
    locked_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    #: Whether the projector view shows the running result.
    show_results: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Named partner organisations that may own actions.
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: How the speerpunten were chosen (top N and the reasons of any change).
    choice_note: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)


class LiaCandidate(db.Model):  # type: ignore[name-defined,misc]
    """A candidate speerpunt; a chosen candidate is a speerpunt of the agenda."""

    __tablename__ = "lia_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: ``["bank/theme", ...]``
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The figures behind it: the priorities it came from (score, target, gap, priority).
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16), default=LIA_SOURCE_OWN)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("lia_candidate.id", ondelete="SET NULL"), nullable=True)
    merge_reason: Mapped[str] = mapped_column(Text, default="")
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Why the choice differs from the vote's top N (empty when it follows the vote).
    choice_reason: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)


class LiaBallot(db.Model):  # type: ignore[name-defined,misc]
    """One ballot: an online voter's (its browser's token stored as a hash) or a tally."""

    __tablename__ = "lia_ballot"
    __table_args__ = (
        CheckConstraint("origin IN ('online', 'zaal', 'papier')", name="origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"),
                                          index=True)
    origin: Mapped[str] = mapped_column(String(16))
    #: "ik stem als" (optional).
    voter_role: Mapped[str] = mapped_column(String(32), default="")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)

    votes: Mapped[list[LiaVote]] = relationship(back_populates="ballot",
                                                cascade="all, delete-orphan")


class LiaVote(db.Model):  # type: ignore[name-defined,misc]
    """Votes of a ballot for one candidate (1 online; a tally's count in the room or on paper)."""

    __tablename__ = "lia_vote"
    __table_args__ = (CheckConstraint("count > 0", name="count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("lia_ballot.id", ondelete="CASCADE"),
                                           index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("lia_candidate.id",
                                                         ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)

    ballot: Mapped[LiaBallot] = relationship(back_populates="votes")


class LiaAction(db.Model):  # type: ignore[name-defined,misc]
    """An action of a speerpunt, owned by a department of the round or a partner."""

    __tablename__ = "lia_action"
    __table_args__ = (
        CheckConstraint("status IN ('gepland', 'bezig', 'gereed', 'gestopt')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("lia_candidate.id",
                                                         ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), nullable=True, index=True)
    owner_partner: Mapped[str] = mapped_column(String(200), default="")
    deadline: Mapped[datetime.date | None] = mapped_column(db.Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="gepland")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                          default=utcnow)

    owner_department: Mapped[Department | None] = relationship()
    notes: Mapped[list[LiaNote]] = relationship(back_populates="action",
                                                cascade="all, delete-orphan",
                                                order_by="LiaNote.id")

    @property
    def owner(self) -> str:
        """The owner's name: the department's or the partner's."""
        return self.owner_department.name if self.owner_department else self.owner_partner


class LiaNote(db.Model):  # type: ignore[name-defined,misc]
    """A dated progress note of an action."""

    __tablename__ = "lia_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("lia_action.id", ondelete="CASCADE"),
                                           index=True)
    day: Mapped[datetime.date] = mapped_column(db.Date)
    text: Mapped[str] = mapped_column(Text)

    action: Mapped[LiaAction] = relationship(back_populates="notes")


# The perspectives' tables (inwoners and bestuur groups) live in their own module.
from quickscan import group_models as _group_models  # noqa: F401
