"""The workbench's pages (``config/urls.py`` includes them at the root)."""
from django.urls import path

from workbench import views

urlpatterns = [
    path("queue/", views.work_queue, name="workbench-queue"),
    path("customers/<int:customer_id>/", views.customer_page, name="workbench-customer"),
    path("customers/<int:customer_id>/<slug:action>/", views.customer_action, name="workbench-customer-action"),
]
