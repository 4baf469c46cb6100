"""The ops pages' links (both headers: the pages' and the admin's) and the
admin index grouped by area.

``{% ops_links as links %}`` lists the ops pages this deployment serves (a
page whose app is not installed is left out, so the header never links to a
404). ``{{ app_list|admin_areas }}`` regroups the admin index's apps by what
an ops person looks for: customers and debts first, the plumbing (users,
tokens, periodic tasks) last.
"""
from __future__ import annotations

from django import template
from django.urls import Resolver404, resolve

register = template.Library()

OPS_PAGES = (("Work queue", "/queue/"), ("Dashboard", "/dashboard/"), ("Statements", "/statements/"), ("Reports", "/reports/"))

# (area title, app labels in order); an app not named here goes to the last area.
ADMIN_AREAS = (
    ("Customers & debts", ("customers", "debts", "details")),
    ("Statements", ("statements",)),
    ("Calls", ("calls",)),
    ("Uploads", ("uploads",)),
    ("Reports", ("reports",)),
)
SETTINGS_AREA = "Settings, users, tokens & periodic tasks"


@register.simple_tag
def ops_links() -> list[dict]:
    links = []
    for label, url in OPS_PAGES:
        try:
            resolve(url)
        except Resolver404:
            continue
        links.append({"label": label, "url": url})
    return links


@register.filter
def admin_areas(app_list) -> list[dict]:
    """``[{"title": area, "apps": [app, …]}, …]`` in ``ADMIN_AREAS`` order, the rest last."""
    by_label = {app["app_label"]: app for app in app_list or ()}
    areas, placed = [], set()
    for title, labels in ADMIN_AREAS:
        apps = [by_label[label] for label in labels if label in by_label]
        placed.update(app["app_label"] for app in apps)
        if apps:
            areas.append({"title": title, "apps": apps})
    rest = [app for app in app_list or () if app["app_label"] not in placed]
    if rest:
        areas.append({"title": SETTINGS_AREA, "apps": rest})
    return areas
