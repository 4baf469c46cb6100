"""The unified_statements view answers seed 000's analyst query unchanged,
on MariaDB (the test database) and on SQLite (a fresh migrate)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from statements.choices import StatementStatus, VerificationStatus
from statements.models import UnifiedStatement
from statements.tests.ops_factories import make_details, make_statement

ROOT = Path(__file__).resolve().parents[2]

# Seed 000, "Query Flagged Statements with Borrower Context", verbatim.
SEED_000_QUERY = """
SELECT
    run_id,
    acc_number,
    status,
    verification_status,
    -- Borrower context
    borrower_biz_name,
    tot_loans,
    tot_default_loans,
    risk_category,
    current_fa_limit,
    borrower_status,
    -- Quality metrics
    duplicate_count,
    quality_issues_count
FROM unified_statements
WHERE status IN ('FLAGGED', 'VERIFICATION_FAILED')
    AND cust_id IS NOT NULL
ORDER BY tot_default_loans DESC, risk_category DESC
LIMIT 20;
"""

SEED_000_COLUMNS = """cust_id final_entity_type final_entity_id lead_id lead_mobile lead_biz_name lead_first_name
lead_last_name lead_location lead_territory lead_status lead_type lead_date reassessment_id reassessment_status
reassessment_type borrower_id borrower_biz_name borrower_reg_date tot_loans tot_default_loans current_fa_limit
previous_fa_limit borrower_kyc_status borrower_activity_status borrower_profile_status borrower_fa_status borrower_status
risk_category registered_rm_name current_rm_name account_holder_name acc_ownership""".split()


@pytest.mark.django_db
def test_seed_000_query_lists_flagged_statements_with_borrower_context_worst_first():
    risky = make_details(cust_id="CUST-1", borrower_biz_name="Kampala Hardware", tot_loans=12, tot_default_loans=4, risk_category="high", borrower_status="enabled")
    calm = make_details(cust_id="CUST-2", borrower_biz_name="Jinja Grocers", tot_loans=3, tot_default_loans=1, risk_category="low")
    worst = make_statement(status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, details=risky, duplicate_count=2)
    make_statement(status=StatementStatus.FLAGGED, verification_status=VerificationStatus.FAIL, details=calm)
    make_statement(status=StatementStatus.FLAGGED)  # no customer: left out
    make_statement(status=StatementStatus.VERIFIED, details=risky)  # not flagged: left out
    with connection.cursor() as cursor:
        cursor.execute(SEED_000_QUERY)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    assert [r["borrower_biz_name"] for r in rows] == ["Kampala Hardware", "Jinja Grocers"]
    assert rows[0]["run_id"] == worst.run_id
    assert rows[0]["tot_default_loans"] == 4 and rows[0]["risk_category"] == "high"
    assert rows[0]["verification_status"] == "FAIL" and rows[0]["duplicate_count"] == 2


@pytest.mark.django_db
def test_view_has_every_column_seed_000_lists():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM unified_statements WHERE 1 = 0")
        columns = {c[0] for c in cursor.description}
    assert set(SEED_000_COLUMNS) <= columns
    assert {"run_id", "acc_prvdr_code", "status", "verification_status", "tampering_level", "balance_match",
            "duplicate_count", "quality_issues_count", "balance_diff_change_ratio"} <= columns


@pytest.mark.django_db
def test_statement_without_customer_has_null_borrower_columns_and_model_reads_the_view():
    plain = make_statement(rm_name="")
    linked = make_statement(details=make_details(cust_id="C9", rm_name="EBRAN BRIGHT", current_rm_name="JANE RM", risk_category="medium"))
    row = UnifiedStatement.objects.get(statement_id=plain.pk)
    assert row.cust_id is None and row.borrower_biz_name is None and row.risk_category is None
    linked_row = UnifiedStatement.objects.get(statement_id=linked.pk)
    assert (linked_row.cust_id, linked_row.risk_category, linked_row.current_rm_name, linked_row.rm_name) == ("C9", "medium", "JANE RM", "EBRAN BRIGHT")
    assert UnifiedStatement.objects.filter(cust_id__isnull=False).count() == 1


SQLITE_SCRIPT = """
import json
from django.db import connection
from statements.tests.ops_factories import make_details, make_statement
from statements.tests.test_unified_view import SEED_000_QUERY
make_statement(status="FLAGGED", details=make_details(cust_id="C1", borrower_biz_name="Biz", tot_default_loans=3, risk_category="high"), acc_number="706015809", run_id="r1")
make_statement(status="FLAGGED")
with connection.cursor() as cursor:
    cursor.execute(SEED_000_QUERY)
    print(json.dumps([[str(v) if v is not None else None for v in row] for row in cursor.fetchall()]))
"""


@pytest.mark.slow
def test_seed_000_query_runs_on_a_freshly_migrated_sqlite_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    query = subprocess.run([sys.executable, "manage.py", "shell", "-c", SQLITE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert query.returncode == 0, query.stderr
    rows = json.loads(query.stdout.strip().splitlines()[-1])
    assert rows == [["r1", "706015809", "FLAGGED", "PASS", "Biz", None, "3", "high", None, None, "0", "0"]]
