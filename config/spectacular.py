"""Name every choice set in the OpenAPI schema after its TextChoices class.

drf-spectacular names enums after the field ("status"), so two models with a
``status`` field collide and it warns. Every ``TextChoices`` class in an
app's ``choices.py`` gets a stable name here instead, so new choice sets need
no settings change.
"""
from __future__ import annotations

import importlib
import inspect

APPS_WITH_CHOICES = ("customers", "details", "statements", "debts", "uploads", "calls")


def enum_name_overrides() -> dict[str, str]:
    from django.db.models import Choices

    overrides: dict[str, str] = {}
    seen: set[int] = set()
    for app in APPS_WITH_CHOICES:
        try:
            module = importlib.import_module(f"{app}.choices")
        except ModuleNotFoundError:
            continue
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Choices) and obj is not Choices and obj.__module__ == module.__name__ and id(obj) not in seen:
                seen.add(id(obj))
                overrides[f"{name}Enum"] = f"{obj.__module__}.{name}"
    return overrides
