from django.urls import path
from rest_framework.routers import DefaultRouter

from debts.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("debts", views.DebtViewSet, basename="debt")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("communication-logs", views.CommunicationLogViewSet, basename="communication-log")
router.register("promises", views.PromiseToPayViewSet, basename="promise")
# A customer's collections summary keeps the customers API's path and name
# (api:customer-summary); it is served here, by the app that owns debts.
router.register("customers", views.CustomerSummaryViewSet, basename="customer")

urlpatterns = [
    path("reports/aging/", views.AgingReportView.as_view(), name="aging-report"),
    *router.urls,
]
