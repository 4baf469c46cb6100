from django.urls import path
from rest_framework.routers import DefaultRouter

from debts.api import views, workbench

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("debts", views.DebtViewSet, basename="debt")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("communication-logs", views.CommunicationLogViewSet, basename="communication-log")
router.register("promises", views.PromiseToPayViewSet, basename="promise")
# A customer's collections summary keeps the customers API's path and name
# (api:customer-summary); it is served here, by the app that owns debts.
router.register("customers", views.CustomerSummaryViewSet, basename="customer")
router.register("dispositions", workbench.DispositionViewSet, basename="disposition")
router.register("approvals", workbench.ApprovalRequestViewSet, basename="approval")

urlpatterns = [
    path("reports/aging/", views.AgingReportView.as_view(), name="aging-report"),
    path("work-queue/", workbench.WorkQueueView.as_view(), name="work-queue"),
    # Before the router's debts/{pk}/, which would read "assign" as an id.
    path("debts/assign/", workbench.DebtAssignView.as_view(), name="debt-assign"),
    *router.urls,
]
