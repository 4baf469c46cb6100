from django.urls import path

from calls import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="calls-dashboard"),
    path("dashboard/customers/<int:customer_id>/call/", views.call_customer, name="calls-dashboard-call"),
]
