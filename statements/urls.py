from django.urls import path

from statements import views

app_name = "statements"

urlpatterns = [
    path("statements/", views.StatementListView.as_view(), name="list"),
    path("statements/import/", views.StatementImportView.as_view(), name="import"),
    path("statements/<int:pk>/", views.StatementDetailView.as_view(), name="detail"),
    path("statements/<int:pk>/review/", views.StatementReviewView.as_view(), name="review"),
    path("statements/<int:pk>/file/", views.StatementFileView.as_view(), name="file"),
]
