"""The snapshot rows and summaries in the admin: read-only, for whoever may
see the reports (ops admins, risk analysts), nobody else."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.urls import reverse

from core import roles
from debts.tests.factories import DebtFactory
from reports import services
from reports.models import CollectionDay, CollectionRefresh, CollectionSummary, PortfolioSnapshotRow, PortfolioSummary

ROWS = "admin:reports_portfoliosnapshotrow_changelist"
SUMS = "admin:reports_portfoliosummary_changelist"


@pytest.fixture
def book(db):
    debts = [
        DebtFactory(branch="Kampala", issue_date=date(2026, 1, 5), current_balance=Decimal("1250.00"), days_past_due=0),
        DebtFactory(branch="Gulu", issue_date=date(2026, 1, 5), current_balance=Decimal("800.00"), days_past_due=45),
    ]
    services.portfolio_snapshot_take(as_of=date(2026, 2, 28))
    services.portfolio_snapshot_take(as_of=date(2026, 3, 31))
    return debts


def _staff(user):
    # Staff for every role here: what is tested is the permission, not the flag.
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def lead(db, django_user_model):
    user = django_user_model.objects.create_user(username="lead", password="pw-lead")
    roles.sync_roles()
    user.groups.add(Group.objects.get(name=roles.TEAM_LEAD))
    return user


@pytest.mark.parametrize("role, status", [
    ("ops_admin", 200), ("analyst", 200), ("agent", 403), ("lead", 403), ("reader", 403), ("outsider", 403),
])
def test_each_role_sees_the_lists_or_not(request, client, book, role, status):
    client.force_login(_staff(request.getfixturevalue(role)))
    for name in (ROWS, SUMS):
        assert client.get(reverse(name), {"snapshot_date": "2026-03-31"}).status_code == status
    # Without a date the rows' list sends a reader to the latest one; the others get a 403 first.
    assert client.get(reverse(ROWS)).status_code == (302 if status == 200 else 403)
    index = client.get(reverse("admin:index")).content.decode()
    assert ("Portfolio summaries" in index) is (status == 200)
    assert ("Portfolio snapshot rows" in index) is (status == 200)


@pytest.mark.parametrize("role", ["ops_admin", "analyst"])
def test_nobody_adds_changes_or_deletes_a_row(request, client, book, role):
    client.force_login(_staff(request.getfixturevalue(role)))
    summary = PortfolioSummary.objects.first()
    assert client.get(reverse("admin:reports_portfoliosummary_add")).status_code == 403
    assert client.get(reverse("admin:reports_portfoliosnapshotrow_add")).status_code == 403
    assert client.post(reverse("admin:reports_portfoliosummary_delete", args=[summary.pk]), {"post": "yes"}).status_code == 403
    page = client.get(reverse("admin:reports_portfoliosummary_change", args=[summary.pk]))
    assert page.status_code == 200 and b"Save" not in page.content  # a view page, nothing to save
    assert client.post(reverse("admin:reports_portfoliosummary_change", args=[summary.pk]), {"debt_count": 99}).status_code == 403
    summary.refresh_from_db()
    assert summary.debt_count == 1
    # The rows have no page each (their key is date and debt together).
    page = client.get(reverse("admin:reports_portfoliosnapshotrow_change", args=[book[0].pk]), follow=True)
    assert page.redirect_chain and b"doesn" in page.content


def test_the_lists_filter_by_date_branch_and_bucket(client, ops_admin, book):
    client.force_login(ops_admin)
    page = client.get(reverse(ROWS), {"snapshot_date": "2026-03-31", "branch": "Gulu"})
    rows = list(page.context["cl"].result_list)
    assert [(r.snapshot_date, r.debt_id, r.bucket) for r in rows] == [(date(2026, 3, 31), book[1].pk, "d31_60")]
    assert "UGX 800" in page.content.decode()
    # One date at a time: without one, the list shows the latest (every count
    # and filter then reads one date's rows, not the whole history).
    page = client.get(reverse(ROWS), {"bucket__exact": "current"})
    assert page.status_code == 302 and "snapshot_date=2026-03-31" in page.url and "bucket__exact=current" in page.url
    page = client.get(page.url)
    assert [(r.snapshot_date, r.debt_id) for r in page.context["cl"].result_list] == [(date(2026, 3, 31), book[0].pk)]
    page = client.get(reverse(ROWS), {"snapshot_date": "2026-02-28", "status": "ACTIVE"})
    assert [(r.snapshot_date, r.debt_id) for r in page.context["cl"].result_list] == [
        (date(2026, 2, 28), book[1].pk), (date(2026, 2, 28), book[0].pk)]  # along the key, backwards
    choices = [c["display"] for c in page.context["cl"].filter_specs[0].choices(page.context["cl"])]
    assert choices == ["2026-03-31", "2026-02-28"]
    page = client.get(reverse(SUMS), {"snapshot_date": "2026-02-28"})
    sums = list(page.context["cl"].result_list)
    assert sorted((s.branch, s.bucket, s.debt_count, s.balance) for s in sums) == [
        ("Gulu", "d31_60", 1, Decimal("800.00")), ("Kampala", "current", 1, Decimal("1250.00"))]
    # The date filter offers the snapshot dates, newest first.
    choices = [c["display"] for c in page.context["cl"].filter_specs[0].choices(page.context["cl"])]
    assert choices == ["All", "2026-03-31", "2026-02-28"]


@pytest.mark.parametrize("role", ["ops_admin", "analyst", "admin_user"])
def test_no_bulk_delete_of_snapshot_rows_or_summaries(request, client, book, role):
    """The lists offer no actions (no "Delete selected"), and a hand-made
    POST of that action deletes nothing, a superuser's included."""
    client.force_login(_staff(request.getfixturevalue(role)))
    summaries, rows = PortfolioSummary.objects.count(), PortfolioSnapshotRow.objects.count()
    for name, ids in ((SUMS, list(PortfolioSummary.objects.values_list("pk", flat=True))), (ROWS, [d.pk for d in book])):
        page = client.get(reverse(name), {"snapshot_date": "2026-03-31"})
        assert page.status_code == 200 and b"delete_selected" not in page.content
        response = client.post(reverse(name) + "?snapshot_date=2026-03-31",
                               {"action": "delete_selected", "_selected_action": ids, "index": 0, "post": "yes"})
        assert response.status_code in (200, 302, 403)
    assert (PortfolioSummary.objects.count(), PortfolioSnapshotRow.objects.count()) == (summaries, rows) and summaries and rows


def test_the_collections_summary_has_no_admin_door():
    """Written only by reports.services.collection_summary_refresh (task and command)."""
    django_admin.autodiscover()  # the admin modules load with the URLconf (core.adminconfig), maybe not yet
    assert django_admin.site.is_registered(PortfolioSummary)
    for model in (CollectionSummary, CollectionDay, CollectionRefresh):
        assert not django_admin.site.is_registered(model)


@pytest.mark.parametrize("bad", ["garbage", "2026-02-30", "x" * 5000])
def test_a_bad_snapshot_date_in_the_lists_is_not_a_traceback(client, ops_admin, book, bad):
    client.force_login(ops_admin)
    for name in (ROWS, SUMS):
        response = client.get(reverse(name), {"snapshot_date": bad})
        assert response.status_code == 302 and response.url.endswith("?e=1")
        page = client.get(reverse(name), {"snapshot_date": bad}, follow=True)
        assert page.status_code == 200 and list(page.context["cl"].result_list)
