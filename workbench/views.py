"""The collector's workbench pages: the work queue (``/queue/``) and one
customer's page (``/customers/<id>/``), both server-rendered with htmx.

Views only read through selectors and write through services: every action
(log a contact, take a promise, record a payment, call now) is a small form
posted to ``/customers/<id>/<action>/`` that calls the same service as the
admin and the API. A refused action comes back as the same form, with what
was typed and the service's reasons. ``workbench`` sits above ``calls``:
a customer's page shows calls, debts, statements and uploads together.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from calls import selectors as call_selectors
from calls import services as call_services
from calls.views import call_placed_text
from core.admin import validation_messages
from core.money import format_ugx
from core.sorting import sort_links as core_sort_links
from customers.models import Customer
from debts import selectors as debt_selectors
from debts import services as debt_services
from debts.choices import DebtStatus
from debts.models import Debt
from workbench import selectors as workbench_selectors
from workbench.forms import CallForm, ContactForm, PaymentForm, PromiseForm

# The customer page shows the newest events; older ones are in the admin lists.
TIMELINE_PAGE_EVENTS = 300
# action → (form, permission, button label)
ACTIONS = {
    "contact": (ContactForm, "debts.add_communicationlog", "Log contact"),
    "promise": (PromiseForm, "debts.add_promisetopay", "Take promise"),
    "payment": (PaymentForm, "debts.add_payment", "Record payment"),
    "call": (CallForm, "calls.trigger_call", "Call now"),
}


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    return get_object_or_404(Customer, pk=customer_id)


def _debts(customer: Customer) -> list[Debt]:
    return list(debt_selectors.customer_debts(customer_id=customer.pk))


def _row_debt(request: HttpRequest, customer: Customer) -> Debt | None:
    """The queue row's debt a prefixed form was posted from (its hidden
    ``debt``) or is asked for (``?debt=``), if it is this customer's."""
    if request.method == "GET":
        value = request.GET.get("debt", "")
    else:
        value = request.POST.get(f"{request.POST.get('_prefix', '')[:40]}-debt", "")
    return Debt.objects.filter(pk=value, customer=customer).first() if value.isdigit() else None


def allowed_actions(user) -> dict[str, bool]:
    return {name: user.has_perm(perm) for name, (_form, perm, _label) in ACTIONS.items()}


def _run(action: str, form, *, customer: Customer, user):
    """Call the action's service with the form's cleaned values; the message to show."""
    data = form.cleaned_data
    debt = data.get("debt")
    if action == "contact":
        log = debt_services.communication_log_create(
            customer_id=customer.pk, debt_id=debt.pk if debt else None, communication_type=data["communication_type"],
            direction=data["direction"], disposition=data["disposition"], next_action_date=data["next_action_date"],
            notes=data["notes"], agent_user=user,
        )
        text = f"Contact logged: {form.disposition_labels.get(data['disposition'], data['disposition'])}"
        if log.next_action_date:
            text += f"; back in the queue on {log.next_action_date:%Y-%m-%d}"
        return text
    if action == "promise":
        promise = debt_services.promise_create(
            debt_id=debt.pk, amount=data["amount"], promised_date=data["promised_date"], created_by=user, notes=data["notes"],
        )
        return f"Promise taken: {format_ugx(promise.amount, debt.currency)} by {promise.promised_date:%Y-%m-%d}"
    if action == "payment":
        payment = debt_services.payment_create(
            debt_id=debt.pk, amount=data["amount"], payment_method=data["payment_method"], status=data["status"],
            transaction_id=data["transaction_id"] or None, notes=data["notes"], customer_id=customer.pk, recorded_by=user,
        )
        return f"Payment #{payment.pk} recorded ({payment.get_status_display().lower()})"
    session = call_services.call_session_create(customer_id=customer.pk, debt_id=debt.pk if debt else None, triggered_by=user)
    return call_placed_text(session)[0]


def _refusal_into(form, exc: Exception) -> None:
    """A service's refusal onto the form that caused it: on its field where it names one, else on the form."""
    if isinstance(exc, call_services.CallNotAllowed):
        form.add_error(None, str(exc))
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    form.add_error(None, "; ".join(validation_messages(exc)) if isinstance(exc, ValidationError) else str(exc))


@login_required
@require_http_methods(["GET", "POST"])
def customer_action(request: HttpRequest, customer_id: int, action: str) -> HttpResponse:
    """POST one action for a customer. htmx gets the form back (cleared after
    success, with the values and the reasons after a refusal); a plain POST
    is redirected to the customer page with a message, or gets the page again
    with the refused form. GET answers the empty form (a queue row loads its
    forms when they are opened: ``?_prefix=…&debt=…``)."""
    if action not in ACTIONS:
        raise PermissionDenied
    form_class, perm, label = ACTIONS[action]
    customer = _customer_or_404(request, customer_id)
    if not request.user.has_perm(perm):
        raise PermissionDenied
    if request.method == "GET":
        prefix = request.GET.get("_prefix", "")[:40] or None
        form = form_class(customer=customer, row_debt=_row_debt(request, customer) if prefix else None, prefix=prefix)
        return render(request, "workbench/_action_form.html", {
            "customer": customer, "action": action, "label": label, "form": form, "done": None, "prefix": prefix or "",
        })
    prefix = request.POST.get("_prefix", "")[:40] or None
    row_debt = _row_debt(request, customer) if prefix else None
    form = form_class(request.POST, customer=customer, row_debt=row_debt, prefix=prefix)
    done = None
    if form.is_valid():
        try:
            done = _run(action, form, customer=customer, user=request.user)
        except (ValidationError, call_services.CallNotAllowed) as exc:
            _refusal_into(form, exc)
    if request.headers.get("HX-Request") and request.POST.get("_compact"):
        # A queue row's "Call now": just the answer, in the row.
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        css = "bad" if not done else "ok"
        response = HttpResponse(format_html('<span class="badge {}" role="status">{}</span>', css, done or errors))
        if done:
            response["HX-Trigger"] = "workbench-changed"
        return response
    if request.headers.get("HX-Request"):
        if done:
            form = form_class(customer=customer, row_debt=row_debt, default_debt=form.cleaned_data.get("debt"), prefix=prefix)
        response = render(request, "workbench/_action_form.html", {
            "customer": customer, "action": action, "label": label, "form": form, "done": done, "prefix": prefix or "",
        })
        if done:
            # The page's timeline and debts listen for this and reload themselves.
            response["HX-Trigger"] = "workbench-changed"
        return response
    if done:
        messages.success(request, done)
        return redirect("workbench-customer", customer_id=customer.pk)
    return _customer_page(request, customer, refused={action: form}, status=400)


def _customer_page(request: HttpRequest, customer: Customer, *, refused: dict | None = None, status: int = 200) -> HttpResponse:
    debts = _debts(customer)
    can = allowed_actions(request.user)
    default_debt = next((d for d in debts if d.status in debt_selectors.OPEN_STATUSES), debts[0] if debts else None)
    forms = {
        name: (refused or {}).get(name) or form_class(customer=customer, default_debt=default_debt)
        for name, (form_class, _perm, _label) in ACTIONS.items()
        if can[name]
    }
    context = {
        "nav": "queue",
        "customer": customer,
        "debts": debts,
        "can": can,
        "forms": [(name, ACTIONS[name][2], form) for name, form in forms.items()],
        "timeline": _timeline(customer),
        "summary": _summary(debts),
    }
    return render(request, "workbench/customer.html", context, status=status)


def _summary(debts: list[Debt]) -> dict:
    open_debts = [d for d in debts if d.current_balance > 0]
    return {
        "balance": sum((d.current_balance for d in debts), start=0),
        "open": len(open_debts),
        "worst_dpd": max((d.days_past_due for d in debts), default=0),
    }


def _timeline(customer: Customer) -> list[dict]:
    return workbench_selectors.customer_timeline(customer_id=customer.pk, limit=TIMELINE_PAGE_EVENTS)


@login_required
@require_GET
def customer_page(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "timeline":
        return render(request, "workbench/_timeline.html", {"timeline": _timeline(customer)})
    return _customer_page(request, customer)


# --------------------------------------------------------------------------
# the work queue

QUEUE_PAGE_SIZE = 50
# Sortable columns: query key → (header, debts.selectors.work_queue ordering).
QUEUE_COLUMNS = {
    "customer": "Customer", "days_past_due": "DPD", "amount_overdue": "Overdue", "current_balance": "Balance",
    "promise_today": "Promise", "last_contact_at": "Last contact", "callable_now": "Callable", "status": "Status",
    "due_date": "Due date", "branch": "Branch", "employee": "Employee",
}
BADGE_CLASS = {"ready": "info", "waiting": "", "calling": "warn", "completed": "ok", "failed": "bad"}


def _queue_filters(request: HttpRequest) -> dict:
    scope = request.GET.get("scope", "mine")
    if scope != "mine" and not request.user.has_perm("debts.assign_debt"):
        scope = "mine"
    status = request.GET.get("status", "")
    bucket = request.GET.get("dpd", "")
    ordering = request.GET.get("sort", "priority")
    return {
        "scope": scope if scope in debt_selectors.WORK_QUEUE_SCOPES else "mine",
        "branch": request.GET.get("branch", "").strip()[:200],
        "employee": request.GET.get("employee", "").strip()[:200],
        "status": status if status in debt_selectors.OPEN_STATUSES else "",
        "dpd": bucket if bucket in debt_selectors.DPD_BUCKETS else "",
        "sort": ordering if ordering == "priority" or ordering.lstrip("-") in QUEUE_COLUMNS else "priority",
    }


def _queue_context(request: HttpRequest, filters: dict) -> dict:
    now = timezone.now()
    qs = debt_selectors.work_queue(
        user=request.user, scope=filters["scope"], branch=filters["branch"] or None, employee=filters["employee"] or None,
        status=filters["status"] or None, dpd_bucket=filters["dpd"] or None, ordering=filters["sort"], now=now,
    )
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    calls = call_selectors.call_states_for([d.customer_id for d in rows], now=now)
    can = allowed_actions(request.user)
    # A row's contact and promise forms are fetched when opened (GET on the
    # action): fifty rows of forms would triple the page.
    row_actions = [(name, ACTIONS[name][2]) for name in ("contact", "promise") if can[name]]
    for debt in rows:
        debt.call = calls.get(debt.customer_id, {"state": "ready", "status": None, "scheduled_for": None})
        debt.call["badge"] = BADGE_CLASS[debt.call["state"]]
    base = {k: v for k, v in filters.items() if v and k != "sort"}
    sort_links = core_sort_links(base, filters["sort"], QUEUE_COLUMNS)
    return {
        "page": page, "rows": rows, "filters": filters, "query": urlencode({**base, "sort": filters["sort"]}), "sort_links": sort_links,
        "can": can,
        "row_actions": row_actions,
    }


@login_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    """The agent's accounts in priority order (``debts.selectors.work_queue``)."""
    if not request.user.has_perm("debts.view_debt"):
        raise PermissionDenied
    filters = _queue_filters(request)
    context = _queue_context(request, filters)
    target = request.headers.get("HX-Target") if request.headers.get("HX-Request") else None
    if target == "queue-status":
        # The poll: only the call-status cells, swapped out of band (forms
        # being typed in the rows stay untouched).
        return render(request, "workbench/_queue_status.html", context)
    if target == "queue-table":
        return render(request, "workbench/_queue_table.html", context)
    choices = call_selectors.dashboard_filter_choices()
    context.update(
        nav="queue",
        scopes=[(s, s.capitalize()) for s in debt_selectors.WORK_QUEUE_SCOPES if s == "mine" or request.user.has_perm("debts.assign_debt")],
        statuses=[(value, label) for value, label in DebtStatus.choices if value in debt_selectors.OPEN_STATUSES],
        buckets=[(key, label) for key, label, _q in debt_selectors.AGING_BUCKETS],
        branches=choices["branches"],
        employees=choices["employees"],
    )
    return render(request, "workbench/queue.html", context)
