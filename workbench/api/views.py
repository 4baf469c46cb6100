"""``GET /api/v1/customers/{id}/timeline/``: everything that happened with one
customer, newest first, in local time (``workbench.selectors.customer_timeline``)."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import ModelPermissions
from customers.models import Customer
from workbench.api.serializers import TimelineSerializer
from workbench.selectors import TIMELINE_KINDS, TIMELINE_MAX_EVENTS, customer_timeline, timeline_json


class CustomerTimelineView(APIView):
    """One customer's payments, refunds, contacts, calls (with their status
    steps), promises and their outcomes, statements with their verdict,
    loan-book uploads that matched them, approval requests and closed debts:
    one list, newest first, every time in local time (Africa/Kampala).
    Needs customers.view_customer and debts.view_debt."""

    permission_classes = [ModelPermissions]
    queryset = Customer.objects.none()  # needs customers.view_customer

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, description="Only these kinds, comma-separated: " + ", ".join(TIMELINE_KINDS)),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"The newest N (at most {TIMELINE_MAX_EVENTS})"),
        ],
        responses=TimelineSerializer,
        summary="Customer timeline",
    )
    def get(self, request, pk: int):
        if not request.user.has_perm("debts.view_debt"):
            self.permission_denied(request, message="You need the debts.view_debt permission.")
        customer = get_object_or_404(Customer.objects.only("id"), pk=pk)
        kinds = {k.strip() for k in request.query_params.get("kind", "").split(",") if k.strip()}
        unknown = kinds - set(TIMELINE_KINDS)
        if unknown:
            raise ValidationError({"kind": [f"Unknown: {', '.join(sorted(unknown))}; use {', '.join(TIMELINE_KINDS)}."]})
        limit_text = request.query_params.get("limit", "")
        if limit_text and (not limit_text.isdigit() or not 1 <= int(limit_text) <= TIMELINE_MAX_EVENTS):
            raise ValidationError({"limit": [f"A number from 1 to {TIMELINE_MAX_EVENTS}."]})
        events = customer_timeline(customer_id=customer.pk, kinds=kinds or None, limit=int(limit_text) if limit_text else None)
        # Shaped by timeline_json, as TimelineSerializer documents it.
        return Response({"customer": customer.pk, "count": len(events), "events": timeline_json(events)})
