"""Invitation and resume tokens: at least 128 random bits, stored only as hashes.

An invitation token is ``HMAC-SHA256(secret key, salt)`` for a random per-invitation salt, so
the coordinator can be shown the link again while a copy of the database alone reveals no
working link. A resume token is purely random and is shown to the respondent once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits, well over the 128-bit minimum


def new_salt() -> str:
    """Return a fresh random salt for an invitation."""
    return secrets.token_hex(16)


def invitation_token(secret_key: str | bytes, salt: str) -> str:
    """Derive an invitation's token from the app's secret key and the invitation's salt."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    digest = hmac.new(key, b"invitation:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_resume_token() -> str:
    """Return a fresh random resume token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(stored: str, token: str) -> bool:
    """Compare a stored hash with a presented token in constant time."""
    return hmac.compare_digest(stored, hash_token(token))
