from django.urls import path

from workbench.api import views

urlpatterns = [
    path("customers/<int:pk>/timeline/", views.CustomerTimelineView.as_view(), name="customer-timeline"),
]
