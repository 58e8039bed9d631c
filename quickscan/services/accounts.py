"""Coordinator accounts: creation and password checks."""

from __future__ import annotations

from sqlalchemy import func, select

from quickscan.extensions import db
from quickscan.models import User

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A coordinator account could not be created."""


def normalise_email(email: str) -> str:
    """Lower-case and strip an e-mail address."""
    return email.strip().lower()


def create_user(email: str, password: str) -> User:
    """Create a coordinator with a hashed password."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("geen geldig e-mailadres")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"het wachtwoord moet minstens {MIN_PASSWORD_LENGTH} tekens hebben")
    if db.session.scalar(select(User).where(func.lower(User.email) == email)):
        raise AccountError("er bestaat al een coördinator met dit e-mailadres")
    user = User(email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the e-mail and password match, else None."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        # Spend the same time as a real check, so timing does not reveal which e-mails exist.
        User(email="", password_hash=_DUMMY_HASH).check_password(password)
        return None
    return user if user.check_password(password) else None


_DUMMY_HASH = ("scrypt:32768:8:1$dummysaltdummys$"
               "0d5f1b1e0e9d7a5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4"
               "d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3")
