from django.urls import path
from rest_framework.routers import DefaultRouter

from calls.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("calls", views.CallSessionViewSet, basename="call")

urlpatterns = [
    path("calls/webhooks/exotel/", views.ExotelWebhookView.as_view(), name="call-webhook-exotel"),
    path("dashboard/customers/", views.DashboardCustomerListView.as_view(), name="dashboard-customers"),
    path("dashboard/call-charts/", views.DashboardCallChartsView.as_view(), name="dashboard-call-charts"),
    *router.urls,
]
