from rest_framework.routers import DefaultRouter

from statements.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("statements", views.StatementViewSet, basename="statement")
router.register("statement-imports", views.StatementImportViewSet, basename="statement-import")
router.register("raw-transactions", views.RawTransactionViewSet, basename="raw-transaction")
router.register("processed-transactions", views.ProcessedTransactionViewSet, basename="processed-transaction")

urlpatterns = router.urls
