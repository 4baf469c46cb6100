from django.urls import path
from rest_framework.routers import DefaultRouter

from uploads.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("uploads", views.FileUploadViewSet, basename="upload")
router.register("upload-rows", views.UploadRowViewSet, basename="upload-row")

urlpatterns = [
    path("uploads/rows/<int:pk>/resolve/", views.UploadRowResolveView.as_view(), name="upload-row-resolve"),
    *router.urls,
]
