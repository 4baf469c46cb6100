from django.urls import path

from statements import views

app_name = "statements"

urlpatterns = [
    path("statements/", views.StatementListView.as_view(), name="list"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="detail"),
]
