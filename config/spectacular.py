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
    from django.db.models import Choices  # noqa: PLC0415 - settings import this module, before the app registry is ready

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


def _success(operation: dict, codes: tuple[str, ...]) -> tuple[str, dict] | None:
    for code in codes:
        if code in operation.get("responses", {}):
            return code, operation["responses"][code]
    return None


def _body_ref(response: dict) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref")


def add_links(result, generator, request, public):
    """Add OpenAPI links from a collection to its records, for stateful testing.

    drf-spectacular emits no links. For every collection path ``P`` with a
    record path ``P{param}/`` (and the record's actions ``P{param}/...``):

    - ``GET P`` (paginated) links to each record operation with the first
      row's key, ``$response.body#/results/0/<param>``;
    - ``POST P`` links with ``$response.body#/<param>`` when it answers
      (201/202) with the same body as ``GET P{param}/`` (a statement upload
      answers with its import job, not a statement: no link).

    Schemathesis follows them (``schema.as_state_machine()``), so a sequence
    reads the records that exist, in whatever state the database holds.
    """
    paths = result.get("paths", {})
    for collection, item in paths.items():
        if "{" in collection:
            continue
        record_paths = [path for path in paths if path.startswith(collection + "{") and path.count("{") == 1]
        for record_path in record_paths:
            param = record_path[len(collection) + 1 : record_path.index("}")]
            detail = paths.get(f"{collection}{{{param}}}/", {}).get("get")
            targets = {
                f"{method}_{op['operationId']}": op["operationId"]
                for path in record_paths if path.startswith(f"{collection}{{{param}}}")
                for method, op in paths[path].items() if method in ("get", "put", "patch", "post", "delete")
            }
            if not targets:
                continue
            listing = item.get("get")
            if listing:
                found = _success(listing, ("200",))
                schema = found and found[1].get("content", {}).get("application/json", {}).get("schema", {})
                if schema and "$ref" in schema and schema["$ref"].rsplit("/", 1)[-1].startswith("Paginated"):
                    found[1].setdefault("links", {}).update(_links(targets, f"$response.body#/results/0/{param}", param))
            create = item.get("post")
            if create and detail:
                found = _success(create, ("201", "202"))
                detail_ok = _success(detail, ("200",))
                if found and detail_ok and _body_ref(found[1]) and _body_ref(found[1]) == _body_ref(detail_ok[1]):
                    found[1].setdefault("links", {}).update(_links(targets, f"$response.body#/{param}", param))
    return result


def _links(targets: dict[str, str], expression: str, param: str) -> dict:
    return {name: {"operationId": operation_id, "parameters": {param: expression}} for name, operation_id in targets.items()}
