"""The four roles, as Django groups with model permissions.

Built after every ``migrate`` (post_migrate) and by ``manage.py setup_roles``;
both are idempotent and reset each group to exactly the permissions below, so
a permission granted by hand in the admin to a role group does not survive.
Grant extra rights to users, not to role groups.
"""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

OPS_ADMIN = "Ops admin"
COLLECTIONS_AGENT = "Collections agent"
RISK_ANALYST = "Risk analyst"
READ_ONLY = "Read-only"
TEAM_LEAD = "Team lead"
ROLE_NAMES = (OPS_ADMIN, COLLECTIONS_AGENT, TEAM_LEAD, RISK_ANALYST, READ_ONLY)

OUR_APPS = ("customers", "details", "statements", "debts", "uploads", "calls")
# Ops admins also hold: the schedules; django-axes' login attempts (deleting
# a locked-out user's or IP's attempts in the admin unlocks them); and, in the
# every-permission grant, customers.lookup_identifier (exact-match SSN,
# national ID and account-number lookups), which no other role holds.
ADMIN_EXTRA_APPS = ("django_celery_beat", "axes")


def _perms(*, apps=OUR_APPS, actions=None, models=None, codenames=()):
    """The permissions of ``apps`` (narrowed by ``models`` and ``actions``),
    plus ``codenames``. Given only ``codenames``, just those: without this,
    ``_perms(apps=("calls",), codenames=["trigger_call"])`` granted every
    permission of the app, add/change/delete included."""
    if codenames and actions is None and models is None:
        return set(Permission.objects.filter(content_type__app_label__in=apps, codename__in=codenames))
    qs = Permission.objects.filter(content_type__app_label__in=apps)
    if models is not None:
        qs = qs.filter(content_type__model__in=models)
    if actions is not None:
        cond = Q()
        for action in actions:
            cond |= Q(codename__startswith=f"{action}_")
        qs = qs.filter(cond)
    perms = set(qs)
    if codenames:
        perms |= set(Permission.objects.filter(content_type__app_label__in=apps, codename__in=codenames))
    return perms


def _reports() -> set[Permission]:
    """The portfolio reports (``reports.view_reports``: the /reports/ page,
    its API and Excel files) and reading the snapshots they are built on.
    Only ops admins and risk analysts hold them: the reports show the whole
    book at once, by branch, employee and agent."""
    return _perms(apps=("reports",), codenames=["view_reports", "view_portfoliosnapshot"])


def role_permissions() -> dict[str, set[Permission]]:
    everything_view = _perms(actions=["view"])
    # Works the queue: records payments, contacts and promises, calls
    # customers, uploads loan books; cannot settle, write off, refund or
    # void a payment.
    agent = (
        everything_view
        | _perms(apps=("debts",), actions=["add", "change"], models=["payment", "communicationlog", "promisetopay"])
        # Calls: view, and place calls (``trigger_call``: the Call now
        # actions and POST /api/v1/calls/, which schedule through the
        # service). No add/change/delete: a call's status is moved by the
        # telephony path only.
        | _perms(apps=("calls",), codenames=["trigger_call"])
        | _perms(apps=("uploads",), actions=["add"], models=["fileupload"])
        | _perms(apps=("customers",), actions=["change"], models=["customer"])
    )
    return {
        # Runs the back office: every model, every action (settle, write off,
        # refund and void payments included), and the schedules.
        # Loan books: only this role moves a known loan's balance, original
        # amount or status from an upload (debts.sync_balances) and resolves
        # lines waiting for review (uploads.resolve_uploadrow); both are in
        # the every-permission grant and named here so the grant stays when
        # that grant is narrowed.
        OPS_ADMIN: _perms() | _perms(apps=ADMIN_EXTRA_APPS) | _reports()
        | _perms(apps=("debts",), codenames=["sync_balances"]) | _perms(apps=("uploads",), codenames=["resolve_uploadrow"]),
        COLLECTIONS_AGENT: agent,
        # An agent who also leads a team: assigns debts (debts.assign_debt)
        # and sees the team's and the whole book's work queue. Does not
        # approve settle / write-off / refund requests: ops admins do
        # (debts.approve_request), never the person who asked.
        TEAM_LEAD: agent | _perms(apps=("debts",), codenames=["assign_debt"]),
        # Reads everything; imports and re-verifies statements, reads their
        # transactions, records review decisions beside the engine's verdict.
        RISK_ANALYST: everything_view
        | _perms(apps=("statements",), actions=["add"], models=["statement", "statementimport"])
        | _perms(apps=("statements",), codenames=["reprocess_statement", "download_statement", "review_statement"])
        # The portfolio reports (pages, API, Excel), as ops admins.
        | _reports(),
        READ_ONLY: everything_view,
    }


def sync_roles() -> dict[str, int]:
    """Create or reset the role groups; return the permission count of each."""
    counts = {}
    for name, perms in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms)
        counts[name] = len(perms)
    return counts


def on_post_migrate(sender, using="default", **kwargs):
    if using != "default":
        return
    sync_roles()
