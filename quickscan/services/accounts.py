"""Team accounts: roles, creation, passwords, deactivation and ending sessions.

Roles (:data:`quickscan.models.ROLES`, least to most rights): a *lezer* reads results and
reports; a *coordinator* also manages rounds and departments; a *beheerder* also manages the
accounts and the response-level JSON backup. Every write goes through
:func:`~quickscan.services.uow.unit_of_work`. Renewing a user's session token
(:meth:`~quickscan.models.User.end_sessions`) ends every session of that user, remember-me
cookies included; it happens on logout, on a password change or reset and on deactivation.
There is always at least one active beheerder.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import ROLE_BEHEERDER, ROLES, User
from quickscan.names import InvalidName, clean_name
from quickscan.services.errors import Conflict, InvalidInput
from quickscan.services.uow import unit_of_work

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
EMAIL_MAX_LENGTH = 254


class AccountError(InvalidInput, ValueError):
    """An account could not be created or changed; nothing was written."""


class LastBeheerder(AccountError, Conflict):
    """The change would leave no active beheerder."""


def normalise_email(email: str) -> str:
    """Lower-case and strip an e-mail address (NFC; controls and bidi characters refused)."""
    try:
        return clean_name(email or "").replace(" ", "").lower()
    except InvalidName:
        return "\x00"  # matches no account and fails the address check


def _check_email(email: str) -> str:
    email = normalise_email(email)
    local, _sep, domain = email.partition("@")
    if not local or "." not in domain or len(email) > EMAIL_MAX_LENGTH or "\x00" in email:
        raise AccountError(_("Vul een geldig e-mailadres in."))
    return email


def check_password_rules(password: str) -> str:
    """Return ``password`` when it may be used, else raise :class:`AccountError`."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Het wachtwoord moet minstens %(min)d tekens hebben.",
                             min=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH or "\x00" in password:
        raise AccountError(_("Het wachtwoord is te lang of bevat ongeldige tekens."))
    return password


def check_role(role: str) -> str:
    """Return ``role`` when it is a known role, else raise :class:`AccountError`."""
    if role not in ROLES:
        raise AccountError(_("Onbekende rol: kies lezer, coordinator of beheerder."))
    return role


def one_time_password() -> str:
    """A random password to hand over once (about 100 bits, easy to type)."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def find_user(email: str) -> User | None:
    """The account with this e-mail address, or None."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(user_id: int) -> User | None:
    """The account with this id, or None."""
    return db.session.get(User, user_id)


def list_users() -> list[User]:
    """Every account, by e-mail address."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def create_user(email: str, password: str, role: str = ROLE_BEHEERDER, *,
                must_change_password: bool = False) -> User:
    """Create an account with a hashed password (default role: beheerder)."""
    email = _check_email(email)
    check_password_rules(password)
    check_role(role)
    with unit_of_work() as session:
        if session.scalar(select(User).where(func.lower(User.email) == email)):
            raise AccountError(_("Er bestaat al een account met dit e-mailadres."))
        user = User(email=email, role=role, active=True,
                    must_change_password=must_change_password)
        user.set_password(password)
        user.end_sessions()
        session.add(user)
    return user


def invite_user(email: str, role: str) -> tuple[User, str]:
    """Create an account with a one-time password, to be changed at the first login."""
    password = one_time_password()
    return create_user(email, password, role, must_change_password=True), password


def authenticate(email: str, password: str) -> User | None:
    """Return the active user when the e-mail and password match, else None."""
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which e-mails exist.
        User(email="", password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _active_beheerders(exclude: User) -> int:
    return int(db.session.scalar(
        select(func.count(User.id)).where(User.role == ROLE_BEHEERDER, User.active.is_(True),
                                          User.id != exclude.id)) or 0)


def _keep_a_beheerder(user: User) -> None:
    if user.role == ROLE_BEHEERDER and user.active and _active_beheerders(user) == 0:
        raise LastBeheerder(_("Dit is de laatste actieve beheerder. Maak eerst een ander "
                              "account beheerder."))


def set_role(user: User, role: str) -> User:
    """Give ``user`` another role (never leaving no active beheerder)."""
    check_role(role)
    with unit_of_work():
        if role != ROLE_BEHEERDER:
            _keep_a_beheerder(user)
        user.role = role
    return user


def deactivate(user: User) -> User:
    """Deactivate an account and end its sessions (never the last active beheerder)."""
    with unit_of_work():
        _keep_a_beheerder(user)
        user.active = False
        user.end_sessions()
    return user


def reactivate(user: User) -> User:
    """Allow a deactivated account to log in again."""
    with unit_of_work():
        user.active = True
        user.end_sessions()
    return user


def reset_password(user: User, password: str | None = None) -> str:
    """Set a new password and end every session; without ``password``, a one-time one.

    Returns the password set. A one-time password must be changed at the next login.
    """
    one_time = password is None
    new_password = one_time_password() if password is None else check_password_rules(password)
    with unit_of_work():
        user.set_password(new_password)
        user.must_change_password = one_time
        user.end_sessions()
    return new_password


def change_password(user: User, current: str, new: str) -> User:
    """The user's own password change; ends every session (the caller logs in anew)."""
    if not user.check_password(current or ""):
        raise AccountError(_("Uw huidige wachtwoord klopt niet."))
    check_password_rules(new)
    if new == current:
        raise AccountError(_("Kies een ander wachtwoord dan het huidige."))
    with unit_of_work():
        user.set_password(new)
        user.must_change_password = False
        user.end_sessions()
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` (logout on one device logs out everywhere)."""
    with unit_of_work():
        user.end_sessions()


_DUMMY_HASH = ("scrypt:32768:8:1$dummysaltdummys$"
               "0d5f1b1e0e9d7a5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4"
               "d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3")
