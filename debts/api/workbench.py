"""The collector's workbench API: the work queue, assigning debts, the
disposition list, and four-eyes approvals.

* ``GET /api/v1/work-queue/``: the requesting agent's debts, most urgent
  first (``debts.selectors.work_queue``; its docstring has the order);
* ``POST /api/v1/debts/assign/``: assign or unassign debts (listed, or a
  branch's, an employee's, an upload's) — ``debts.assign_debt``;
* ``GET /api/v1/dispositions/``: the managed list a contact's disposition
  comes from (edited in the admin);
* ``/api/v1/approvals/``: settle, write-off and refund requests above
  ``APPROVAL_THRESHOLD_UGX``; ``POST …/{id}/approve/`` and ``…/reject/``
  (``debts.approve_request``, never the requester).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import StandardPagination
from core.permissions import ModelPermissions, holds_any
from debts import selectors, services
from debts.api.serializers import (
    ApprovalCreateSerializer,
    ApprovalDecisionSerializer,
    ApprovalRequestSerializer,
    DebtAssignSerializer,
    DispositionSerializer,
    WorkQueueRowSerializer,
)
from debts.models import ApprovalRequest, Debt, Disposition
from debts.services.approvals import KIND_PERMISSION


def _validation(error: DjangoValidationError) -> DRFValidationError:
    return DRFValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class ViewToPost(ModelPermissions):
    """A POST that needs only ``view_<model>`` to reach: the service behind it
    asks for the real right (assigning: ``debts.assign_debt``; an
    approval request: the action's own permission to ask,
    ``debts.approve_request`` to decide)."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.view_%(model_name)s"]}


class WorkQueueView(APIView):
    """The requesting agent's accounts, most urgent first.

    Default order (``ordering=priority``): days-past-due bucket (90+ first),
    then a promise due or broken today, then customers callable now (inside
    calling hours in their own zone), then the larger amount overdue, then
    the longest since the last contact (never contacted first). Debts whose
    latest contact set a later next action date come back on that day.
    """

    permission_classes = [ModelPermissions]
    queryset = Debt.objects.none()  # ModelPermissions reads the model from it: needs debts.view_debt
    pagination_class = StandardPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", OpenApiTypes.STR, enum=list(selectors.WORK_QUEUE_SCOPES),
                             description="mine (default); team and all need debts.assign_debt"),
            OpenApiParameter("branch", OpenApiTypes.STR, description="Only this branch"),
            OpenApiParameter("employee", OpenApiTypes.STR, description="Only this loan-book employee (id or name)"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(selectors.OPEN_STATUSES), description="Only this open status"),
            OpenApiParameter("dpd_bucket", OpenApiTypes.STR, enum=list(selectors.DPD_BUCKETS), description="Only this days-past-due bucket"),
            OpenApiParameter("assigned_to", OpenApiTypes.INT, description="Only this agent's (team and all scopes)"),
            OpenApiParameter("ordering", OpenApiTypes.STR, description="priority (default), or a column: "
                             + ", ".join(selectors.WORK_QUEUE_ORDERINGS) + "; '-' for descending, commas for several"),
            OpenApiParameter("page", OpenApiTypes.INT), OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses=inline_serializer("PaginatedWorkQueueRowList", {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": WorkQueueRowSerializer(many=True),
        }),
        summary="Work queue",
    )
    def get(self, request):
        params = request.query_params
        assigned = params.get("assigned_to") or None
        if assigned is not None and not assigned.isdigit():
            raise DRFValidationError({"assigned_to": ["A user id."]})
        try:
            queue = selectors.work_queue(
                user=request.user,
                scope=params.get("scope") or "mine",
                branch=params.get("branch") or None,
                employee=params.get("employee") or None,
                status=params.get("status") or None,
                dpd_bucket=params.get("dpd_bucket") or None,
                assigned_to_id=int(assigned) if assigned else None,
                ordering=params.get("ordering") or "priority",
            )
        except DjangoValidationError as error:
            raise _validation(error) from None
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queue, request, view=self)
        return paginator.get_paginated_response(WorkQueueRowSerializer(page, many=True, context={"request": request}).data)


class DebtAssignView(APIView):
    """Assign debts to an agent, or unassign them (``assigned_to: null``):
    listed ``debt_ids``, or every open debt of a ``branch``, a loan-book
    ``employee`` or an ``upload`` (criteria narrow each other). Needs
    debts.assign_debt; every debt moved gets a history row."""

    permission_classes = [ViewToPost, holds_any("debts.assign_debt")]
    queryset = Debt.objects.none()  # needs debts.view_debt and debts.assign_debt (the service asks again)

    @extend_schema(request=DebtAssignSerializer, responses=inline_serializer("DebtAssignResult", {"assigned": serializers.IntegerField()}),
                   summary="Assign debts (needs debts.assign_debt)")
    def post(self, request):
        body = DebtAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            moved = services.debts_assign(
                to_user=data["assigned_to"], assigned_by=request.user, debt_ids=data.get("debt_ids") or None,
                branch=data.get("branch") or None, employee=data.get("employee") or None, upload_id=data.get("upload"),
                reason=data.get("reason", ""),
            )
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        return Response({"assigned": moved})


class DispositionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # The managed list of what came of a contact (edited in the admin);
    # ?active=true for the ones offered on a new contact.
    queryset = Disposition.objects.all()
    serializer_class = DispositionSerializer
    filterset_fields = ["active", "is_right_party_contact", "needs_next_action"]
    search_fields = ["code", "label"]
    ordering_fields = ["sort_order", "label", "code"]


class ApprovalRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    # Settle, write-off and refund requests above APPROVAL_THRESHOLD_UGX.
    # POST creates one (needs the action's own permission); approve and reject
    # need debts.approve_request and are refused to the requester.
    queryset = ApprovalRequest.objects.select_related("requested_by", "decided_by").order_by("-created_at", "-id")
    serializer_class = ApprovalRequestSerializer
    filterset_fields = ["status", "kind", "debt", "payment", "requested_by", "decided_by"]
    ordering_fields = ["created_at", "amount", "decided_at", "id"]

    def get_permissions(self):
        # The right is asked before the body is read (a 403, not a 400, for
        # someone who can never do it); the services check the exact one again.
        if self.action == "create":
            return [ViewToPost(), holds_any(*KIND_PERMISSION.values())()]
        if self.action in ("approve", "reject"):
            return [ViewToPost(), holds_any("debts.approve_request")()]
        return super().get_permissions()

    def _call(self, call):
        try:
            return call()
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None

    @extend_schema(request=ApprovalCreateSerializer, responses={201: ApprovalRequestSerializer}, summary="Ask for a settle, write-off or refund")
    def create(self, request, *args, **kwargs):
        body = ApprovalCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        created = self._call(lambda: services.approval_request_create(
            kind=data["kind"], requested_by=request.user, reason=data["reason"], debt_id=data.get("debt"),
            payment_id=data.get("payment"), settled_amount=data.get("settled_amount"),
        ))
        return Response(ApprovalRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApprovalDecisionSerializer, responses=ApprovalRequestSerializer,
                   summary="Approve and carry out (needs debts.approve_request; not the requester)")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        pending = self.get_object()
        body = ApprovalDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = self._call(lambda: services.approval_approve(request_id=pending.pk, decided_by=request.user, note=body.validated_data.get("note", "")))
        return Response(ApprovalRequestSerializer(done).data)

    @extend_schema(request=ApprovalDecisionSerializer, responses=ApprovalRequestSerializer,
                   summary="Reject with a note (needs debts.approve_request; not the requester)")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        pending = self.get_object()
        body = ApprovalDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = self._call(lambda: services.approval_reject(request_id=pending.pk, decided_by=request.user, note=body.validated_data.get("note", "")))
        return Response(ApprovalRequestSerializer(done).data)
