"""The ``/statements/`` pages for ops and risk analysts: a filterable list
sorted by risk score (with the review queue of flagged statements no one
has decided on), and a statement's detail with its risk reasons, its
transactions (the rows the reasons point at highlighted) and a balance
chart, the original file, and the review decision form. ``/statements/import/``
imports one file, with the password of a protected PDF.

The detail shows the engine's verdict and, beside it, the latest review
decision people recorded. Its transactions and balance chart are a
transaction-level read: only for ``statements.permissions.TRANSACTION_READ``.

Server-rendered; htmx swaps the table (filters, pagination) without a full
page load, and the same URL renders the whole page for a normal request, so
every filtered view can be bookmarked.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from statements import permissions, selectors
from statements.choices import Provider, ReviewDecision, StatementStatus, TamperingLevel, VerificationStatus, provider_hint_choices
from statements.engine.forensics import codes
from statements.enrichment import statement_enrich
from statements.filters import StatementFilterSet
from statements.models import ProcessedTransaction, Statement
from statements.services import statement_import_file, statement_request_hints, statement_review_record

PAGE_SIZE = 50
TXN_PAGE_SIZE = 100
# Points drawn on the balance chart: enough to see every jump, few enough
# that a 100,000-row statement does not ship megabytes of JSON.
CHART_MAX_POINTS = 1500
# Review decisions listed on the page (newest first).
REVIEWS_SHOWN = 10
# Reasons shown in a row of the list (the detail page shows them all).
REASONS_LISTED = 2
BREAK_CODES = (codes.BALANCE_MISMATCH, codes.BALANCE_BREAK)

STATUS_BADGES = {
    StatementStatus.VERIFIED: "ok",
    StatementStatus.VERIFIED_WITH_WARNINGS: "warn",
    StatementStatus.FLAGGED: "bad",
    StatementStatus.IMPORT_FAILED: "fatal",
    StatementStatus.IMPORTED: "info",
}
REVIEW_BADGES = {
    ReviewDecision.ACCEPT: "ok",
    ReviewDecision.ESCALATE: "warn",
    ReviewDecision.REJECT: "bad",
}
TAMPERING_BADGES = {
    TamperingLevel.NO_ISSUES: "ok",
    TamperingLevel.WARNING: "warn",
    TamperingLevel.CRITICAL: "bad",
    TamperingLevel.FATAL: "fatal",
}


class _StatementsPage(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = "statements.view_statement"
    # Logged in without the permission: a 403, not a login loop.
    raise_exception = False

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        return super().handle_no_permission()


class StatementListView(_StatementsPage):
    template_name = "statements/list.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "statements-table":
            return ["statements/_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Riskiest first (no score yet: last), then newest; ?sort=imported for newest first.
        order = ["-created_at", "-id"] if self.request.GET.get("sort") == "imported" else [
            F("summary__risk_score").desc(nulls_last=True), "-created_at", "-id"]
        filterset = StatementFilterSet(self.request.GET, queryset=Statement.objects.select_related("summary").order_by(*order))
        queryset = filterset.qs if filterset.is_valid() else Statement.objects.none()
        page = Paginator(queryset, PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        rows = [
            {
                "statement": s,
                "summary": getattr(s, "summary", None),
                "status_badge": STATUS_BADGES.get(s.status, ""),
                "tampering_badge": TAMPERING_BADGES.get(getattr(getattr(s, "summary", None), "tampering_level", ""), ""),
                "score_badge": score_badge(getattr(getattr(s, "summary", None), "risk_score", None)),
                "reasons": (getattr(getattr(s, "summary", None), "risk_reasons", None) or [])[:REASONS_LISTED],
            }
            for s in page.object_list
        ]
        context.update(
            nav="statements",
            page=page,
            rows=rows,
            filter_errors=filterset.errors,
            query=params.urlencode(),
            selected=self.request.GET,
            providers=Provider.choices,
            statuses=StatementStatus.choices,
            tampering_levels=TamperingLevel.choices,
            verification_statuses=VerificationStatus.choices,
            flag_threshold=codes.FLAG_THRESHOLD,
            can_import=self.request.user.has_perm("statements.add_statement"),
        )
        return context


def score_badge(score: int | None) -> str:
    if score is None:
        return ""
    level, _ = codes.band(score)
    return TAMPERING_BADGES.get(level, "")


def pointed_rows(reasons: list[dict]) -> tuple[set[int], set[int], int | None]:
    """The rows and pages the reasons point at, and the first row where the balance breaks."""
    rows = {r["row"] for r in reasons if isinstance(r, dict) and r.get("row")}
    pages = {r["page"] for r in reasons if isinstance(r, dict) and r.get("page") and not r.get("row")}
    first_break = next((r["row"] for r in reasons if isinstance(r, dict) and r.get("code") in BREAK_CODES and r.get("row")), None)
    return rows, pages, first_break


class StatementDetailView(_StatementsPage):
    template_name = "statements/detail.html"

    def _wants_transactions(self) -> bool:
        return bool(self.request.headers.get("HX-Request") and self.request.headers.get("HX-Target") == "transactions")

    def get_template_names(self):
        if self._wants_transactions():
            return ["statements/_transactions.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = get_object_or_404(Statement.objects.select_related("summary", "customer_details", "import_job"), pk=kwargs["pk"])
        summary = getattr(statement, "summary", None)
        can_read = permissions.can_read_transactions(self.request.user)
        if self._wants_transactions() and not can_read:
            raise PermissionDenied
        reviews = list(statement.reviews.select_related("reviewed_by")[:REVIEWS_SHOWN])
        reasons = list(getattr(summary, "risk_reasons", None) or [])
        rows, pages, first_break = pointed_rows(reasons)
        context.update(
            reasons=reasons,
            score_badge=score_badge(getattr(summary, "risk_score", None)),
            pointed_rows=rows,
            pointed_pages=sorted(pages),
            first_break=first_break,
            can_review=permissions.can_review(self.request.user),
            review_form=kwargs.get("review_form") or ReviewForm(),
            decisions=ReviewDecision.choices,
        )
        context.update(
            nav="statements",
            statement=statement,
            summary=summary,
            details=statement.customer_details,
            status_badge=STATUS_BADGES.get(statement.status, ""),
            tampering_badge=TAMPERING_BADGES.get(getattr(summary, "tampering_level", ""), ""),
            reviews=reviews,
            latest_review=reviews[0] if reviews else None,
            review_badge=REVIEW_BADGES.get(reviews[0].decision, "") if reviews else "",
            can_read_transactions=can_read,
        )
        if can_read:
            transactions = ProcessedTransaction.objects.filter(statement=statement).select_related("raw").order_by("sequence", "id")
            page_number = self.request.GET.get("page")
            if first_break is not None and page_number is None:
                # Open on the page holding the first balance break.
                before = ProcessedTransaction.objects.filter(statement=statement, raw__row_number=first_break).values_list("sequence", flat=True).first()
                if before is not None:
                    page_number = str((before - 1) // TXN_PAGE_SIZE + 1)
            context.update(
                counterparties=selectors.top_counterparties(statement.pk),
                page=Paginator(transactions, TXN_PAGE_SIZE).get_page(page_number),
                chart=balance_chart_points(statement.pk, statement.num_rows or (summary.num_rows if summary else 0)),
            )
        return context


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, widget=forms.RadioSelect)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, help_text="Why: recorded with your name, never edited.")


class StatementReviewView(_StatementsPage):
    """POST a review decision from the detail page (the same service as the API and the admin)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        statement = get_object_or_404(Statement, pk=pk)
        if not permissions.can_review(request.user):
            raise PermissionDenied
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                statement_review_record(statement_id=statement.pk, decision=form.cleaned_data["decision"],
                                        note=form.cleaned_data["note"], reviewed_by=request.user)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Review decision recorded.")
                return HttpResponseRedirect(reverse("statements:detail", args=[statement.pk]))
        view = StatementDetailView()
        view.setup(request, pk=pk)
        response = view.render_to_response(view.get_context_data(pk=pk, review_form=form))
        response.status_code = 400
        return response


class StatementFileView(_StatementsPage):
    """The original statement file, as imported: a transaction-level read."""

    def get(self, request, pk):
        if not permissions.can_read_transactions(request.user):
            raise PermissionDenied
        statement = get_object_or_404(Statement, pk=pk)
        if not statement.file:
            raise Http404("No file stored for this statement.")
        return FileResponse(statement.file.open("rb"), as_attachment=True, filename=statement.file_name or f"statement-{pk}")


class StatementImportForm(forms.Form):
    file = forms.FileField(help_text="One statement: PDF, CSV, gzip CSV, XLS or XLSX.")
    provider = forms.ChoiceField(choices=provider_hint_choices, required=False)
    run_id = forms.CharField(max_length=64, required=False, help_text="The statement request it belongs to (optional).")
    password = forms.CharField(max_length=128, required=False, strip=False, widget=forms.PasswordInput(render_value=False),
                               help_text="Only for a password-protected PDF. Used to read the file, never stored.")


class StatementImportView(_StatementsPage):
    """Import one statement file now (the storage service and the
    enrichment, as an import job does for each of its files), with the
    password of a protected PDF."""

    permission_required = "statements.add_statement"
    template_name = "statements/import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(nav="statements", form=kwargs.get("form") or StatementImportForm())
        return context

    def post(self, request):
        form = StatementImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        upload = form.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            form.add_error("file", f"Larger than {settings.MAX_UPLOAD_SIZE:,} bytes.")
            return self.render_to_response(self.get_context_data(form=form), status=400)
        run_id = form.cleaned_data["run_id"].strip()
        # What the statement request knows, as an import job reads it: its provider code (UMTN2 is read by
        # the family PROVIDER_FAMILIES maps it to and stored as itself) and the account an MTN export lacks.
        request_provider, acc_number = statement_request_hints(run_id)
        outcome = statement_import_file(
            path=upload.read(), file_name=upload.name, provider=form.cleaned_data["provider"] or request_provider or None,
            run_id=run_id, acc_number=acc_number or None, password=form.cleaned_data["password"] or None,
        )
        statement = outcome.statement
        if not outcome.duplicate and outcome.error is None:
            statement_enrich(statement=statement)
        if outcome.error is not None:
            messages.error(request, f"{upload.name} could not be read: {outcome.error}")
        elif outcome.duplicate:
            messages.info(request, f"{upload.name} was imported before: statement #{statement.pk}.")
        else:
            messages.success(request, f"{upload.name} imported: statement #{statement.pk}.")
        return HttpResponseRedirect(reverse("statements:detail", args=[statement.pk]))


def balance_chart_points(statement_id: int, row_count: int) -> dict:
    """Calculated vs stated balance over time, at most CHART_MAX_POINTS points
    (every n-th row, plus every row where the two disagree so a break in
    the balance is never sampled away)."""
    step = max(1, -(-row_count // CHART_MAX_POINTS)) if row_count else 1
    labels, stated, calculated = [], [], []
    rows = (
        ProcessedTransaction.objects.filter(statement_id=statement_id)
        .order_by("sequence", "id")
        .values_list("sequence", "txn_date", "balance", "calculated_running_balance", "balance_diff")
    )
    last_diff = None
    for position, (_, when, balance, calc, diff) in enumerate(rows.iterator(chunk_size=5000)):
        changed = diff is not None and last_diff is not None and abs(diff - last_diff) > 0.01
        last_diff = diff if diff is not None else last_diff
        if position % step and not changed:
            continue
        labels.append(when.isoformat() if when else "")
        stated.append(float(balance) if balance is not None else None)
        calculated.append(float(calc) if calc is not None else None)
    return {"labels": labels, "stated": stated, "calculated": calculated}
