"""Quickscan Inclusieve Gemeente: how inclusive is municipal policy, department by department."""

from quickscan.app import create_app

__version__ = "0.1.0"
__all__ = ["create_app", "__version__"]
