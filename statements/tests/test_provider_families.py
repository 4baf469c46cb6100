"""A provider code mapper.csv brings (``UMTN2``) is stored as itself and
read by the family PROVIDER_FAMILIES maps it to (issue 18): the engine,
the storage service, the API upload and its filter, with no new code."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from details.tests.factories import CustomerDetailsFactory
from statements import services
from statements.choices import ImportTrigger, StatementFormat, StatementStatus, provider_choices
from statements.engine import check_path, families
from statements.engine.errors import StatementError
from statements.engine.parsers import default_registry
from statements.engine.providers.umtn import MtnRules
from statements.models import Statement

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "statements" / "samples"
MOMO = SAMPLES / "mtn_momo_newest_first.pdf"


@pytest.fixture
def umtn2(settings):
    settings.PROVIDER_FAMILIES = {"UMTN2": "UMTN"}
    yield
    settings.PROVIDER_FAMILIES = {}


def test_the_setting_parses_code_family_pairs():
    assert families.parse(" umtn2=UMTN, UATL3 = uatl ,") == {"UMTN2": "UMTN", "UATL3": "UATL"}
    for bad in ("UMTN2", "UMTN2=", "=UMTN", "WAYTOOLONGCODE=UMTN", "U M=UMTN"):
        with pytest.raises(ValueError, match="PROVIDER_FAMILIES"):
            families.parse(bad)


def test_a_mapped_code_is_read_by_its_family_and_kept_as_itself(umtn2):
    result = check_path(MOMO, provider="umtn2")
    assert result.parsed.provider == "UMTN2" and result.parsed.statement_format == "umtn_pdf"
    assert result.status == StatementStatus.VERIFIED and result.summary.balance_match == "Success"
    assert isinstance(default_registry().rules_for("UMTN2"), MtnRules)
    assert ("UMTN2", "UMTN2 (read as UMTN)") in provider_choices()
    # The hint still restricts: an Airtel file is not a UMTN2 statement.
    with pytest.raises(StatementError, match="UMTN2"):
        check_path(SAMPLES / "airtel_f1_genuine.pdf", provider="UMTN2")


def test_an_unmapped_code_is_refused_naming_the_setting():
    with pytest.raises(StatementError) as caught:
        check_path(MOMO, provider="UMTN9")
    assert caught.value.code == "unknown_format" and "PROVIDER_FAMILIES (UMTN9=UMTN)" in str(caught.value)


@pytest.mark.django_db
def test_storage_and_reprocessing_keep_the_code(umtn2):
    result = services.statement_import_file(path=MOMO.read_bytes(), file_name="m.pdf", provider="UMTN2")
    statement = Statement.objects.get(pk=result.statement.pk)
    assert (statement.acc_prvdr_code, statement.format, statement.status) == ("UMTN2", StatementFormat.UMTN_PDF, StatementStatus.VERIFIED)
    assert set(statement.processed_transactions.values_list("acc_prvdr_code", flat=True)) == {"UMTN2"}
    services.statement_reprocess(statement=statement)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.VERIFIED and statement.summary.acc_prvdr_code == "UMTN2"


@pytest.mark.django_db
def test_api_upload_and_filter_take_the_mapped_code(umtn2, analyst_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post("/api/v1/statements/", {"files": [SimpleUploadedFile("m.pdf", MOMO.read_bytes())], "provider": "UMTN2"},
                                       format="multipart")
    assert response.status_code == 202, response.content
    assert Statement.objects.get().acc_prvdr_code == "UMTN2"
    listed = analyst_client.get("/api/v1/statements/?provider=UMTN2").json()
    assert listed["count"] == 1 and listed["results"][0]["acc_prvdr_code"] == "UMTN2"
    refused = analyst_client.post("/api/v1/statements/", {"files": [SimpleUploadedFile("m.pdf", MOMO.read_bytes())], "provider": "XX99"},
                                  format="multipart")
    assert refused.status_code == 400 and "PROVIDER_FAMILIES" in refused.content.decode()
    # The serializer refuses with the import job's own rule and words, the mapped code taken as the job takes it.
    with pytest.raises(services.ImportJobError) as caught:
        services.statement_import_job_create(files=[SimpleUploadedFile("m.pdf", b"%PDF")], trigger=ImportTrigger.API, provider="xx99")
    assert refused.json() == {"provider": [str(caught.value)]} and "'XX99'" in str(caught.value) and "UMTN2" in str(caught.value)
    assert services.statement_provider_hint(" umtn2 ") == "UMTN2" and services.statement_provider_hint("") == ""


@pytest.mark.django_db
def test_a_request_from_the_mapper_with_a_mapped_code_is_stored_as_itself(umtn2, analyst_client, django_capture_on_commit_callbacks):
    CustomerDetailsFactory(run_id="run-umtn2", acc_prvdr_code="UMTN2", acc_number="772123456")
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post("/api/v1/statements/", {"files": [SimpleUploadedFile("m.pdf", MOMO.read_bytes())], "run_id": "run-umtn2"},
                                       format="multipart")
    assert response.status_code == 202, response.content
    statement = Statement.objects.get()
    assert (statement.acc_prvdr_code, statement.run_id, statement.status) == ("UMTN2", "run-umtn2", StatementStatus.VERIFIED)
