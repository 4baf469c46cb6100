"""``/api/v1/`` answers with an index of the endpoints, and the API docs
(Swagger UI at ``/api/docs/``, Redoc at ``/api/redoc/``) load only the app's
own static files, so they work with no internet."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import Resolver404, resolve

from tests.test_api_contract import _keep_test_connection, _validate, schema  # noqa: F401  (fixtures)


@pytest.mark.django_db
def test_the_index_lists_every_collection_with_its_absolute_url(ops_client, schema):  # noqa: F811
    response = ops_client.get("/api/v1/")
    assert response.status_code == 200
    index = response.json()
    for name in ("customers", "debts", "payments", "statements", "statements/analytics", "statement-imports", "uploads",
                 "calls", "customer-details", "download/raw", "reports/aging", "dashboard/customers"):
        assert index[name] == f"http://testserver/api/v1/{name}" + ("" if name.startswith("download/") else "/"), name
    for url in index.values():
        path = urlsplit(url).path
        try:
            match = resolve(path)
        except Resolver404:
            pytest.fail(f"the index names {url}, which resolves to nothing")
        assert match.namespace == "api"
        assert "{" not in path
    _validate(schema, "GET", "/api/v1/", response)


@pytest.mark.django_db
@pytest.mark.parametrize("client_name", ["ops_client", "agent_client", "analyst_client", "reader_client"])
def test_every_role_reads_the_index(request, client_name):
    assert request.getfixturevalue(client_name).get("/api/v1/").status_code == 200


@pytest.mark.django_db
def test_the_index_refuses_anonymous_and_users_without_a_role(api_client, outsider_client):
    assert api_client.get("/api/v1/").status_code == 401
    refused = outsider_client.get("/api/v1/")
    assert refused.status_code == 403
    assert "permission" in refused.json()["detail"]


def _page_urls(html: str) -> list[str]:
    """Every URL the page loads: src/href attributes and the quoted URLs its inline script hands to the UI."""
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    urls += re.findall(r"""["']((?:https?:)?//[^"']+|/static/[^"']+)["']""", html)
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_load_only_local_static_files(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    urls = _page_urls(html)
    assert any(url.startswith(settings.STATIC_URL) for url in urls), urls
    external = [url for url in urls if urlsplit(url).netloc]
    assert not external, f"{page} loads from outside the app: {external}"
    for url in urls:
        if url.startswith(settings.STATIC_URL):
            assert finders.find(url.removeprefix(settings.STATIC_URL)), f"{url} is not among the static files"
