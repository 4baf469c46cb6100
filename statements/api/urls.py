from django.urls import path
from rest_framework.routers import DefaultRouter

from statements.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("statements", views.StatementViewSet, basename="statement")
router.register("statement-imports", views.StatementImportViewSet, basename="statement-import")
router.register("raw-transactions", views.RawTransactionViewSet, basename="raw-transaction")
router.register("processed-transactions", views.ProcessedTransactionViewSet, basename="processed-transaction")

urlpatterns = [
    # Seed 004's addresses, without a trailing slash.
    path("download/raw", views.RawDownloadView.as_view(), name="statement-download-raw"),
    path("download/processed", views.ProcessedDownloadView.as_view(), name="statement-download-processed"),
    *router.urls,
]
