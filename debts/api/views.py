"""Collections API: debts, payments, communication logs, promises, the aging report.

Create, read, update, filter, paginate; no deletes (money history is kept:
there is no DELETE route, and the services refuse one anyway). Money moves
only through the service calls behind the serializers and the
``complete``/``fail``/``void``/``refund``/``settle``/``write-off`` actions.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.lookups import (
    LOOKUP_THROTTLES,
    MAX_LOOKUP_RESULTS,
    CanLookUpIdentifiers,
    IdentifierField,
    RefuseIdentifierQueryParams,
)
from core.api.viewsets import CreateReadUpdateViewSet
from core.fields import lookup_hash
from core.permissions import ModelPermissions
from customers.models import Customer
from debts import selectors, services
from debts.api.serializers import (
    AgingReportSerializer,
    ApprovalRequestSerializer,
    CommunicationLogSerializer,
    CustomerSummarySerializer,
    DebtSerializer,
    DebtSettleSerializer,
    DebtStatusChangeSerializer,
    DebtWriteOffSerializer,
    PaymentFailSerializer,
    PaymentRefundSerializer,
    PaymentSerializer,
    PaymentVoidSerializer,
    PromiseToPaySerializer,
)
from debts.filters import CommunicationLogFilterSet, DebtFilterSet, PaymentFilterSet, PromiseToPayFilterSet
from debts.models import CommunicationLog, Debt, Payment, PromiseToPay


def _done_or_requested(request, result, serializer_class):
    """200 with the record when the action ran; 202 with the approval request
    when it was above APPROVAL_THRESHOLD_UGX and now waits for another person."""
    done, approval = result
    if approval is not None:
        return Response(ApprovalRequestSerializer(approval, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
    return Response(serializer_class(done, context={"request": request}).data)


def _run_action(view, request, serializer_class, required: str, call):
    """Run an action that needs ``required`` on top of the model permission
    the router already checked for a POST (``add_<model>``)."""
    if not request.user.has_perm(required):
        view.permission_denied(request, message=f"You need the {required} permission.")
    if serializer_class is None:
        return call({})
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return call(body.validated_data)


class DebtLookupSerializer(serializers.Serializer):
    account_number = IdentifierField(required=True, help_text="The loan's account number (digits; spaces and dashes ignored)")


class DebtViewSet(RefuseIdentifierQueryParams, CreateReadUpdateViewSet):
    queryset = Debt.objects.all()
    serializer_class = DebtSerializer
    filterset_class = DebtFilterSet
    search_fields = ["loan_id", "reference_number", "customer__full_name"]
    phone_search_fields = ["customer__primary_phone", "customer__secondary_phone"]  # core.api.filters.PhoneSearchFilter
    ordering_fields = ["created_at", "due_date", "current_balance", "days_past_due", "id"]
    identifier_query_params = {"account_number": "/api/v1/debts/lookup/"}

    @extend_schema(
        request=DebtLookupSerializer,
        responses=inline_serializer("DebtLookupResult", {"count": serializers.IntegerField(), "results": DebtSerializer(many=True)}),
        summary="Find debts by exact account number (needs customers.lookup_identifier; throttled)",
    )
    @action(detail=False, methods=["post"], permission_classes=[CanLookUpIdentifiers], throttle_classes=LOOKUP_THROTTLES)
    def lookup(self, request):
        body = DebtLookupSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        digest = lookup_hash(Debt, "account_number_hash", body.validated_data["account_number"])
        found = list(Debt.objects.filter(account_number_hash=digest).order_by("id")[:MAX_LOOKUP_RESULTS]) if digest else []
        return Response({"count": len(found), "results": DebtSerializer(found, many=True, context={"request": request}).data})

    @extend_schema(request=DebtSettleSerializer, responses={200: DebtSerializer, 202: ApprovalRequestSerializer},
                   summary="Settle for less (needs debts.settle_debt; above APPROVAL_THRESHOLD_UGX forgiven: 202 and an approval request)")
    @action(detail=True, methods=["post"])
    def settle(self, request, pk=None):
        debt = self.get_object()
        result = _run_action(self, request, DebtSettleSerializer, "debts.settle_debt", lambda data: services.settle_or_request(
            debt_id=debt.pk, user=request.user, **data))
        return _done_or_requested(request, result, DebtSerializer)

    @extend_schema(request=DebtWriteOffSerializer, responses={200: DebtSerializer, 202: ApprovalRequestSerializer},
                   summary="Write off (needs debts.write_off_debt; a balance above APPROVAL_THRESHOLD_UGX: 202 and an approval request)")
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request, pk=None):
        debt = self.get_object()
        result = _run_action(self, request, DebtWriteOffSerializer, "debts.write_off_debt", lambda data: services.write_off_or_request(
            debt_id=debt.pk, user=request.user, **data))
        return _done_or_requested(request, result, DebtSerializer)

    @extend_schema(request=DebtStatusChangeSerializer, responses=DebtSerializer, summary="Move between active, in collection and defaulted")
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        debt = self.get_object()
        result = _run_action(self, request, DebtStatusChangeSerializer, "debts.change_debt", lambda data: services.debt_change_status(
            debt_id=debt.pk, changed_by=request.user, **data))
        return Response(DebtSerializer(result, context={"request": request}).data)


class PaymentViewSet(CreateReadUpdateViewSet):
    queryset = Payment.objects.all()
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    search_fields = ["transaction_id", "notes", "debt__loan_id", "customer__full_name"]
    phone_search_fields = ["customer__primary_phone", "customer__secondary_phone"]
    ordering_fields = ["payment_date", "amount", "id"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        # A replayed transaction_id answers the payment already recorded.
        code = status.HTTP_200_OK if getattr(serializer, "replayed", False) else status.HTTP_201_CREATED
        return Response(serializer.data, status=code)

    @extend_schema(request=None, responses=PaymentSerializer, summary="Complete a pending payment (idempotent)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        payment = self.get_object()
        result = _run_action(self, request, None, "debts.change_payment", lambda data: services.payment_complete(
            payment_id=payment.pk, completed_by=request.user))
        return Response(PaymentSerializer(result, context={"request": request}).data)

    @extend_schema(request=PaymentRefundSerializer, responses={200: PaymentSerializer, 202: ApprovalRequestSerializer},
                   summary="Refund a completed payment (needs debts.refund_payment; idempotent; above APPROVAL_THRESHOLD_UGX: 202 and an approval request)")
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        payment = self.get_object()
        result = _run_action(self, request, PaymentRefundSerializer, "debts.refund_payment", lambda data: services.refund_or_request(
            payment_id=payment.pk, user=request.user, **data))
        return _done_or_requested(request, result, PaymentSerializer)

    @extend_schema(request=PaymentVoidSerializer, responses=PaymentSerializer, summary="Void a pending payment (needs debts.void_payment; idempotent)")
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        payment = self.get_object()
        result = _run_action(self, request, PaymentVoidSerializer, "debts.void_payment", lambda data: services.payment_void(
            payment_id=payment.pk, voided_by=request.user, **data))
        return Response(PaymentSerializer(result, context={"request": request}).data)

    @extend_schema(request=PaymentFailSerializer, responses=PaymentSerializer, summary="Mark a pending payment failed")
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        payment = self.get_object()
        result = _run_action(self, request, PaymentFailSerializer, "debts.change_payment", lambda data: services.payment_fail(
            payment_id=payment.pk, failed_by=request.user, **data))
        return Response(PaymentSerializer(result, context={"request": request}).data)


class CommunicationLogViewSet(CreateReadUpdateViewSet):
    queryset = CommunicationLog.objects.all()
    serializer_class = CommunicationLogSerializer
    filterset_class = CommunicationLogFilterSet
    search_fields = ["notes", "agent_id", "contact_phone", "contact_email", "customer__full_name"]
    phone_search_fields = ["customer__primary_phone", "customer__secondary_phone"]
    ordering_fields = ["timestamp", "id"]


class PromiseToPayViewSet(CreateReadUpdateViewSet):
    queryset = PromiseToPay.objects.all()
    serializer_class = PromiseToPaySerializer
    filterset_class = PromiseToPayFilterSet
    search_fields = ["debt__loan_id", "customer__full_name", "notes"]
    phone_search_fields = ["customer__primary_phone", "customer__secondary_phone"]
    ordering_fields = ["promised_date", "amount", "id"]


# ``customers/{id}/summary/``: a customer's debts, payments and last contact,
# served by the app that owns them; the URL and its name stay the customers
# API's. (A comment: a docstring would become the operation's description.)
class CustomerSummaryViewSet(viewsets.GenericViewSet):
    queryset = Customer.objects.all()

    @extend_schema(responses=CustomerSummarySerializer, summary="Total debt, active debts, total paid, worst days past due, last payment and contact")
    @action(detail=True, methods=["get"])
    def summary(self, request, pk=None):
        return Response(CustomerSummarySerializer(selectors.customer_summary(customer=self.get_object())).data)


class AgingReportView(APIView):
    """Open debts by days past due: current, 1–30, 31–60, 61–90, 90+ (counts and balances)."""

    permission_classes = [ModelPermissions]
    queryset = Debt.objects.none()  # ModelPermissions reads the model from it: needs debts.view_debt

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(selectors.AGING_GROUPS), description="Also break down by branch, cluster or both"),
            OpenApiParameter("branch", OpenApiTypes.STR, description="Only this branch"),
            OpenApiParameter("cluster", OpenApiTypes.STR, description="Only this cluster"),
        ],
        responses=AgingReportSerializer,
        summary="Aging report",
    )
    def get(self, request):
        group_by = request.query_params.get("group_by", "none")
        if group_by not in selectors.AGING_GROUPS:
            return Response(
                {"group_by": [f"Use one of: {', '.join(selectors.AGING_GROUPS)}."]}, status=status.HTTP_400_BAD_REQUEST
            )
        report = selectors.aging_report(
            group_by=group_by, branch=request.query_params.get("branch") or None, cluster=request.query_params.get("cluster") or None
        )
        return Response(AgingReportSerializer(report).data)
