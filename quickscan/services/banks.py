"""Question banks inside the app: the catalog on disk and the snapshots pinned to rounds."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from flask import current_app

from quickscan.bank import Bank, Catalog, bank_from_snapshot, load_catalog
from quickscan.models import Round


def catalog() -> Catalog:
    """The banks in the configured questions folder (invalid files are left out)."""
    return _catalog(str(Path(current_app.config["QUESTIONS_DIR"]).resolve()))


@lru_cache(maxsize=4)
def _catalog(root: str) -> Catalog:
    return load_catalog(Path(root), strict=False)


def reload_catalog() -> None:
    """Forget the cached catalog (after bank files changed on disk)."""
    _catalog.cache_clear()


@lru_cache(maxsize=256)
def _snapshot_bank(sha256: str, content_json: str) -> Bank:
    import json

    return bank_from_snapshot(json.loads(content_json))


def round_banks(round_: Round) -> list[Bank]:
    """The banks pinned to a round, rebuilt from their stored snapshots, in round order."""
    import json

    return [_snapshot_bank(rb.sha256, json.dumps(rb.content, sort_keys=True))
            for rb in round_.banks]


def round_bank_map(round_: Round) -> dict[str, Bank]:
    """The banks pinned to a round, keyed by bank id."""
    return {bank.id: bank for bank in round_banks(round_)}
