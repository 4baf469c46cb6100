import hmac
import logging

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from calls import selectors, services
from calls.api.serializers import (
    CallBatchResultSerializer,
    CallBatchSerializer,
    CallChartsSerializer,
    CallCreateSerializer,
    CallSessionSerializer,
    DashboardCustomerSerializer,
    ExotelCallbackSerializer,
    WebhookAckSerializer,
    WebhookErrorSerializer,
)
from calls.filters import CallSessionFilterSet
from calls.models import CallSession
from calls.telephony.exotel import MalformedCallback
from core.api.parsers import BoundedJSONParser
from core.api.throttling import UnknownCallSidThrottle
from customers.models import Customer
from debts.models import Debt

log = logging.getLogger("calls.webhook")


class CanPlaceCalls(BasePermission):
    """``calls.trigger_call``: schedule calls through ``calls.services``."""

    message = "You do not have permission to place calls (calls.trigger_call)."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("calls.trigger_call"))


@extend_schema_view(
    create=extend_schema(request=CallCreateSerializer, responses={201: CallSessionSerializer}, summary="Call a customer now"),
)
class CallSessionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CallSession.objects.prefetch_related("status_updates")
    serializer_class = CallSessionSerializer
    filterset_class = CallSessionFilterSet
    ordering_fields = ["created_at", "initiated_at", "id"]

    def get_permissions(self):
        # Creating here is placing a call through the service, not writing a
        # row: it needs calls.trigger_call (held by agents), not
        # add_callsession. Nothing here edits or deletes a session (PUT,
        # PATCH and DELETE are not routed: 403 without change/delete, else 405).
        if self.action in ("create", "batch"):
            return [CanPlaceCalls()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        data = CallCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session = services.call_session_create(
                customer_id=data.validated_data["customer"],
                debt_id=data.validated_data.get("debt"),
                agent_number=data.validated_data.get("agent_number", ""),
                triggered_by=request.user,
            )
        except services.CallNotAllowed as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        # Eager mode (and the simulator) may already have moved it on.
        session = self.get_queryset().get(pk=session.pk)
        return Response(CallSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CallBatchSerializer, responses={201: CallBatchResultSerializer}, summary="Call an upload's rows, a list, or a filter")
    @action(detail=False, methods=["post"])
    def batch(self, request):
        data = CallBatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            if "upload" in values:
                result = services.call_sessions_create_for_upload(upload_id=values["upload"], row_ids=values.get("rows"), triggered_by=request.user)
            else:
                result = services.call_sessions_create_batch(targets=_batch_targets(values), triggered_by=request.user)
        except services.CallNotAllowed as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}) from None
        return Response(CallBatchResultSerializer(result).data, status=status.HTTP_201_CREATED)


def _batch_targets(values) -> list:
    limit = services.MAX_BATCH_SIZE + 1
    if values.get("customers"):
        return [services.CallTarget(customer_id=pk) for pk in dict.fromkeys(values["customers"])][:limit]
    if values.get("debts"):
        rows = Debt.objects.filter(pk__in=values["debts"]).order_by("-current_balance", "id").values_list("customer_id", "id")[:limit]
        return [services.CallTarget(customer_id=c, debt_id=d) for c, d in rows]
    flt = values["filter"]
    customers = selectors.dashboard_customers(period=flt.get("period"), status=flt.get("status")).prefetch_related(None).order_by("id")
    debts = Debt.objects.filter(customer__in=customers.values("id"))
    if flt.get("branch"):
        debts = debts.filter(branch=flt["branch"])
    if flt.get("cluster"):
        debts = debts.filter(cluster=flt["cluster"])
    if flt.get("min_days_past_due") is not None:
        debts = debts.filter(days_past_due__gte=flt["min_days_past_due"])
    if any(flt.get(k) not in (None, "") for k in ("branch", "cluster", "min_days_past_due")):
        rows = debts.order_by("-current_balance", "id").values_list("customer_id", "id")[:limit]
        return [services.CallTarget(customer_id=c, debt_id=d) for c, d in rows]
    return [services.CallTarget(customer_id=pk) for pk in customers.values_list("id", flat=True)[:limit]]


class ExotelWebhookView(APIView):
    """Exotel's StatusCallback. Authenticated by the shared ``token`` in the
    query string (Exotel cannot sign requests). Callbacks for known calls are
    not throttled (a refused callback is an event Exotel retries at most
    twice); those for an unknown CallSid, each stored for reconciliation,
    are (``EXOTEL_UNKNOWN_SID_THROTTLE``: a 429 with Retry-After). A body
    over ``EXOTEL_WEBHOOK_MAX_BODY_BYTES`` is a 413; one that is not a set
    of fields, or has a field Exotel would never send, a 400."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]

    @extend_schema(
        operation_id="calls_webhooks_exotel",
        summary="Exotel status callback",
        auth=[],
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="EXOTEL_WEBHOOK_TOKEN")],
        request={
            "application/x-www-form-urlencoded": ExotelCallbackSerializer,
            "multipart/form-data": ExotelCallbackSerializer,
            "application/json": ExotelCallbackSerializer,
        },
        responses={
            200: WebhookAckSerializer, 400: WebhookErrorSerializer, 403: WebhookErrorSerializer,
            413: WebhookErrorSerializer, 429: WebhookErrorSerializer,
        },
    )
    def post(self, request):
        expected = settings.EXOTEL_WEBHOOK_TOKEN or ""
        given = request.query_params.get("token", "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("exotel webhook: bad token from %s", request.META.get("REMOTE_ADDR"))
            return Response({"detail": "Invalid webhook token."}, status=status.HTTP_403_FORBIDDEN)
        limit = settings.EXOTEL_WEBHOOK_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            log.warning("exotel webhook: body of %s bytes refused from %s", length, request.META.get("REMOTE_ADDR"))
            return Response(
                {"detail": f"Callback body of {length:,} bytes is over the {limit:,}-byte limit (EXOTEL_WEBHOOK_MAX_BODY_BYTES)."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        throttle = UnknownCallSidThrottle()
        try:
            data = request.data
            result = services.call_callback_receive(payload=data, may_store_unmatched=lambda: throttle.allow_request(request, self))
        except (MalformedCallback, ParseError) as exc:
            log.warning("exotel webhook: malformed callback refused (%s): %s", exc, _describe(request))
            return Response({"detail": f"Malformed callback: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
        except services.UnmatchedCallbackRefused as exc:
            wait = max(1, int(throttle.wait() or 1))
            log.warning("exotel webhook: callback for unknown CallSid %s refused, over EXOTEL_UNKNOWN_SID_THROTTLE", str(exc)[:64])
            response = Response(
                {"detail": f"Too many callbacks for unknown calls; try again in {wait} seconds."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
            response["Retry-After"] = str(wait)
            return response
        return Response({"result": result.outcome, "call": result.session_id, "status": result.status})


def _describe(request) -> str:
    """Enough to find the callback again (content type, fields, CallSid),
    without writing the customer's phone numbers into the log."""
    try:
        data = request.data
        keys = sorted(str(k) for k in data.keys())[:30]
        sid = str(data.get("CallSid", ""))[:64]
    except Exception:  # the body itself could not be parsed
        keys, sid = [], ""
    return f"content_type={request.content_type!r} fields={keys} CallSid={sid!r} from={request.META.get('REMOTE_ADDR')}"


class DashboardCustomerListView(generics.ListAPIView):
    """Seed 003's dashboard list: customer, loan totals, latest call, upload date."""

    serializer_class = DashboardCustomerSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        period = params.get("period") or None
        state = params.get("status") or None
        errors = {}
        if period and period not in selectors.PERIODS:
            errors["period"] = [f"Use one of {', '.join(selectors.PERIODS)}."]
        if state and state not in selectors.DASHBOARD_STATES:
            errors["status"] = [f"Use one of {', '.join(selectors.DASHBOARD_STATES)}."]
        if errors:
            raise ValidationError(errors)
        return selectors.dashboard_customers(period=period, status=state, search=params.get("search", "").strip())

    # ModelPermissions reads the model from here: GET needs customers.view_customer.
    @property
    def queryset(self):
        return Customer.objects.none()

    @extend_schema(
        summary="Dashboard: customers with loan totals and latest call",
        parameters=[
            OpenApiParameter("period", OpenApiTypes.STR, enum=list(selectors.PERIODS), description="First uploaded today, yesterday or in the last 7 days"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(selectors.DASHBOARD_STATES), description="State of the latest call"),
            OpenApiParameter("search", OpenApiTypes.STR, description="Name, phone, or exact loan id"),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DashboardCallChartsView(APIView):
    """Call outcomes per day and success rates by branch and employee."""

    # For ModelPermissions: GET needs calls.view_callsession.
    queryset = CallSession.objects.none()

    @extend_schema(
        summary="Dashboard: call outcome and success-rate charts",
        parameters=[OpenApiParameter("days", OpenApiTypes.INT, description="Days back, 1–90 (default 14)")],
        responses={200: CallChartsSerializer},
    )
    def get(self, request):
        try:
            days = int(request.query_params.get("days", 14))
        except ValueError:
            raise ValidationError({"days": ["Must be a whole number."]}) from None
        return Response(CallChartsSerializer(selectors.call_charts(days=days)).data)
