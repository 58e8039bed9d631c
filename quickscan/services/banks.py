"""Question banks inside the app: the catalog on disk and the snapshots pinned to rounds."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from flask import current_app

from quickscan.bank import (
    Bank,
    BankError,
    Catalog,
    Problem,
    Scale,
    bank_from_snapshot,
    load_catalog,
)
from quickscan.estimate import estimate_minutes
from quickscan.models import SCOPE_CORE, SCOPE_FULL, Round, RoundBank


def catalog() -> Catalog:
    """The banks the app offers: the shipped banks plus the published local banks.

    Invalid files are left out. Local banks ("eigen vragen") live in the instance folder, see
    :mod:`quickscan.services.local_banks`; the cache is keyed on their lock file, so a bank
    published by another worker shows up without a restart.
    """
    from quickscan.services import local_banks

    return _merged(str(Path(current_app.config["QUESTIONS_DIR"]).resolve()),
                   str(local_banks.local_dir().resolve()), local_banks.lock_state())


def shipped_catalog() -> Catalog:
    """Only the banks in the configured questions folder (the shipped banks)."""
    return _catalog(str(Path(current_app.config["QUESTIONS_DIR"]).resolve()))


@lru_cache(maxsize=4)
def _catalog(root: str) -> Catalog:
    return load_catalog(Path(root), strict=False)


@lru_cache(maxsize=8)
def _merged(root: str, local_root: str, _state: tuple[int, int]) -> Catalog:
    from quickscan.services import local_banks

    shipped = _catalog(root)
    local = local_banks.published(shipped)
    if not local:
        return shipped
    merged = Catalog(root=shipped.root, scales=shipped.scales, banks=dict(shipped.banks),
                     paths=dict(shipped.paths))
    for item in local:
        merged.banks[item.bank.key] = item.bank
        merged.paths[item.bank.key] = item.path
    return merged


def forget_local() -> None:
    """Forget the merged catalogue (after a local bank was published); the shipped one stays."""
    _merged.cache_clear()


def reload_catalog() -> None:
    """Forget the cached catalog (after bank files changed on disk)."""
    _catalog.cache_clear()
    _merged.cache_clear()


_snapshots: dict[str, Bank] = {}
_snapshots_lock = threading.Lock()


def _snapshot_bank(round_bank: RoundBank) -> Bank:
    """Rebuild a pinned bank once per content hash; later calls reuse the frozen object.

    The snapshot is checked against the hash stored when the bank was pinned, so a
    tampered snapshot is refused instead of silently scored.
    """
    bank = _snapshots.get(round_bank.sha256)
    if bank is None:
        bank = bank_from_snapshot(round_bank.content)
        if bank.sha256 != round_bank.sha256:
            raise BankError([Problem("<snapshot>", 1, "sha256",
                                     f"snapshot of {round_bank.bank_id} {round_bank.version} "
                                     "does not match its stored content hash")])
        with _snapshots_lock:
            _snapshots[round_bank.sha256] = bank
    return bank


def has_core(bank: Bank) -> bool:
    """True when the bank marks a core ("kern") set, so a round may ask only those questions."""
    return any(question.core for question in bank.questions)


def default_scope(bank: Bank) -> str:
    """The scope a round gives a bank unless told otherwise: kern when the bank has a core set."""
    return SCOPE_CORE if has_core(bank) else SCOPE_FULL


def scoped(bank: Bank, scope: str | None) -> Bank:
    """The bank as a round asks it: only the core questions for ``kern``, else all of them."""
    return bank.core_only() if scope == SCOPE_CORE else bank


_scoped: dict[tuple[str, str], Bank] = {}


def round_bank(round_bank_row: RoundBank) -> Bank:
    """One pinned bank as the round asks it: its snapshot, cut to the core set for ``kern``."""
    full = _snapshot_bank(round_bank_row)
    scope = round_bank_row.scope or SCOPE_FULL
    if scope != SCOPE_CORE:
        return full
    key = (round_bank_row.sha256, scope)
    bank = _scoped.get(key)
    if bank is None:
        bank = scoped(full, scope)
        with _snapshots_lock:
            _scoped[key] = bank
    return bank


def round_banks(round_: Round) -> list[Bank]:
    """The banks pinned to a round as it asks them, in round order.

    Rebuilt from their stored snapshots; a bank pinned ``kern`` holds only its core questions,
    so the survey, scoring, results, reports and exports all see the same questions. A local
    bank's title carries the mark "eigen vragen", so results, reports and exports show it
    wherever the bank's title appears.
    """
    return [marked(round_bank(row)) for row in round_.banks]


def marked(bank: Bank) -> Bank:
    """A local bank with the mark "(eigen vragen)" after its title; other banks unchanged."""
    if not bank.local:
        return bank
    from flask_babel import gettext

    return bank.model_copy(update={"title": f"{bank.title} ({gettext('eigen vragen')})"})


def full_round_banks(round_: Round) -> list[Bank]:
    """The banks pinned to a round with every question, whatever scope the round asks."""
    return [marked(_snapshot_bank(row)) for row in round_.banks]


def round_scopes(round_: Round) -> dict[str, str]:
    """The scope (``kern`` or ``volledig``) of each bank pinned to the round, by bank id."""
    return {row.bank_id: row.scope or SCOPE_FULL for row in round_.banks}


def round_bank_map(round_: Round) -> dict[str, Bank]:
    """The banks pinned to a round, keyed by bank id."""
    return {bank.id: bank for bank in round_banks(round_)}


def expected_minutes(banks: Sequence[Bank], scale: Scale | None) -> int:
    """The minutes a respondent needs for ``banks`` as the round asks them (kern or volledig):
    :func:`quickscan.estimate.estimate_minutes` over them plus the scale's level labels."""
    labels = [level.label for level in scale.levels] if scale is not None else []
    return estimate_minutes(banks, labels)
