"""Quickscan Inclusieve Gemeente: how inclusive is municipal policy, department by department.

The app factory is imported lazily, so the pure domain core (``quickscan.bank``,
``quickscan.scoring``) can be used without loading Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the type checker only; at run time __getattr__ imports it on first use
    from quickscan.app import create_app

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from quickscan.app import create_app

        return create_app
    raise AttributeError(f"module 'quickscan' has no attribute {name!r}")
