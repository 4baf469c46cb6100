"""``GET /api/v1/``: the index of the API's endpoints, each with its absolute URL.

Like DRF's DefaultRouter root, but over every route of the ``api`` URL
namespace (several apps' routers and plain paths), so a new endpoint is
listed the day it is added. Only routes without a path parameter are listed
(``customers``, ``statements/analytics``); a record's URL is in its list's
answers and in the schema (``/api/schema/``, ``/api/docs/``).
"""
from __future__ import annotations

from django.urls import NoReverseMatch, get_resolver, reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import OUR_APPS

API_NAMESPACE = "api"


class HoldsARole(BasePermission):
    """A user who may read something through the API: one ``view_`` permission
    on one of our apps (every role has some). Anonymous: 401; no role: 403,
    as at every other endpoint."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return any(perm.split(".", 1)[0] in OUR_APPS and ".view_" in perm for perm in user.get_all_permissions())


def api_paths() -> list[str]:
    """Every path of the ``api`` namespace that takes no path parameter, sorted."""
    _prefix, resolver = get_resolver().namespace_dict[API_NAMESPACE]
    paths: set[str] = set()

    def walk(patterns):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry.url_patterns)
            elif entry.name:
                try:
                    paths.add(reverse(f"{API_NAMESPACE}:{entry.name}"))
                except NoReverseMatch:
                    continue  # needs a path parameter (a detail route)

    walk(resolver.url_patterns)
    return sorted(paths)


_INDEX_SCHEMA = {
    "type": "object",
    "description": "Endpoint name (its path under /api/v1/) → absolute URL",
    "additionalProperties": {"type": "string", "format": "uri"},
}


class ApiIndexView(APIView):
    permission_classes = [HoldsARole]
    pagination_class = None

    @extend_schema(
        operation_id="api_index",
        tags=["index"],
        summary="Index of the API's endpoints, each with its absolute URL",
        responses={200: OpenApiResponse(_INDEX_SCHEMA)},
        examples=[OpenApiExample("index", value={"customers": "https://creditdesk.example/api/v1/customers/"}, response_only=True)],
    )
    def get(self, request):
        root = reverse(f"{API_NAMESPACE}:root")
        index = {
            path.removeprefix(root).rstrip("/"): request.build_absolute_uri(path)
            for path in api_paths()
            if path != root
        }
        return Response(index)
