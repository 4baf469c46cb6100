from django.urls import path

from reports.api import views

urlpatterns = [
    path("reports/aging/", views.AgingReportView.as_view(), name="report-aging"),
    path("reports/roll-rates/", views.RollRatesReportView.as_view(), name="report-roll-rates"),
    path("reports/vintage/", views.VintageReportView.as_view(), name="report-vintage"),
    path("reports/collection-efficiency/", views.CollectionEfficiencyReportView.as_view(), name="report-collection-efficiency"),
    path("reports/promises/", views.PromisesReportView.as_view(), name="report-promises"),
    path("reports/agents/", views.AgentsReportView.as_view(), name="report-agents"),
    path("reports/statements/", views.StatementsReportView.as_view(), name="report-statements"),
]
