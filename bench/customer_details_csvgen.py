"""Writes customer-details exports (every column filled) for the backfill
benchmark and the sample fixture: ``write_export(path, rows, seed=...)``."""
from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta

COLUMNS = [
    "run_id", "stmt_request_id", "acc_number", "alt_acc_num", "acc_prvdr_code", "request_status", "object_key",
    "lambda_status", "request_created_at", "created_by_rm_id", "rm_name", "direct_entity_type", "direct_entity_id",
    "customer_statement_id", "final_entity_type", "final_entity_id", "cust_id", "account_holder_name", "acc_ownership",
    "distributor_code", "cs_status", "cs_result", "cs_score", "cs_limit", "cs_prev_limit", "cs_assessment_date",
    "lead_id", "lead_mobile", "lead_biz_name", "lead_first_name", "lead_last_name", "lead_id_proof_num",
    "lead_national_id", "lead_location", "lead_territory", "lead_status", "lead_profile_status", "lead_score_status",
    "lead_type", "lead_date", "lead_assessment_date", "lead_onboarded_date", "reassessment_id",
    "reassessment_prev_limit", "reassessment_status", "reassessment_type", "reassessment_created_at", "borrower_id",
    "borrower_biz_name", "borrower_reg_date", "tot_loans", "tot_default_loans", "current_fa_limit",
    "previous_fa_limit", "borrower_last_assessment_date", "borrower_kyc_status", "borrower_activity_status",
    "borrower_profile_status", "borrower_fa_status", "borrower_status", "risk_category", "registered_rm_id",
    "registered_rm_name", "current_rm_id", "current_rm_name", "synced_at",
]
RMS = [(9001, "Ebran Bright"), (9002, "Grace Nakato Akello"), (9003, "Peter Okello"), (9004, "Sarah Namubiru")]
NAMES = ["Mukasa", "Okoth", "Namuli", "Wasswa", "Apio", "Kato", "Nabirye", "Achieng", "Ssemanda", "Auma"]
TRADES = ["General Store", "Hardware", "Traders", "Electronics", "Salon", "Mobile Money", "Agro", "Pharmacy"]


def _dt(rng: random.Random) -> str:
    base = datetime(2024, 1, 1) + timedelta(minutes=rng.randrange(0, 60 * 24 * 650))
    return base.strftime("%Y-%m-%d %H:%M:%S")


def row(i: int, rng: random.Random) -> dict:
    provider = "UATL" if rng.random() < 0.6 else "UMTN"
    direct = rng.choices(["lead", "reassessment_result", "customer_statement"], [54.4, 31.3, 14.4])[0]
    final = direct if direct != "customer_statement" else rng.choice(["lead", "reassessment_result"])
    phone = f"2567{rng.randrange(0, 10**8):08d}"
    name = f"{rng.choice(NAMES)} {rng.choice(TRADES)}"
    rm, reg_rm, cur_rm = rng.choice(RMS), rng.choice(RMS), rng.choice(RMS)
    return {
        "run_id": f"{0x68e00000000 + i:013x}", "stmt_request_id": 100000 + i, "acc_number": phone,
        "alt_acc_num": f"2567{rng.randrange(0, 10**8):08d}", "acc_prvdr_code": provider, "request_status": "success",
        "object_key": f"{provider}/{0x68e00000000 + i:013x}", "lambda_status": "score_calc_success",
        "request_created_at": _dt(rng), "created_by_rm_id": rm[0], "rm_name": rm[1], "direct_entity_type": direct,
        "direct_entity_id": 200000 + i, "customer_statement_id": 300000 + i, "final_entity_type": final,
        "final_entity_id": 400000 + i, "cust_id": f"UFLW-{phone[3:]}", "account_holder_name": name.upper(),
        "acc_ownership": "owned", "distributor_code": f"DST-{rng.randrange(1, 99):03d}", "cs_status": "completed",
        "cs_result": "eligible", "cs_score": f"{rng.uniform(300, 900):.2f}", "cs_limit": f"{rng.randrange(5, 50) * 100000}.00",
        "cs_prev_limit": f"{rng.randrange(5, 50) * 100000}.00", "cs_assessment_date": _dt(rng), "lead_id": 500000 + i,
        "lead_mobile": "0" + phone[3:], "lead_biz_name": name, "lead_first_name": rng.choice(["Sarah", "James", "Grace", "John"]),
        "lead_last_name": rng.choice(NAMES), "lead_id_proof_num": f"P{rng.randrange(10**6, 10**7)}",
        "lead_national_id": f"CM{rng.randrange(10**11, 10**12)}ABCD", "lead_location": "Kawempe", "lead_territory": "Kampala North",
        "lead_status": "onboarded", "lead_profile_status": "complete", "lead_score_status": "scored", "lead_type": "new_customer",
        "lead_date": _dt(rng), "lead_assessment_date": _dt(rng), "lead_onboarded_date": _dt(rng), "reassessment_id": 600000 + i,
        "reassessment_prev_limit": f"{rng.randrange(5, 50) * 100000}.00", "reassessment_status": "completed",
        "reassessment_type": "periodic", "reassessment_created_at": _dt(rng), "borrower_id": 700000 + i,
        "borrower_biz_name": name, "borrower_reg_date": (date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1000))).isoformat(),
        "tot_loans": rng.randrange(0, 40), "tot_default_loans": rng.randrange(0, 5),
        "current_fa_limit": f"{rng.randrange(5, 50) * 100000}.00", "previous_fa_limit": f"{rng.randrange(5, 50) * 100000}.00",
        "borrower_last_assessment_date": _dt(rng), "borrower_kyc_status": "completed", "borrower_activity_status": "active",
        "borrower_profile_status": "complete", "borrower_fa_status": "enabled", "borrower_status": rng.choice(["enabled", "disabled"]),
        "risk_category": rng.choice(["low_risk", "medium_risk", "high_risk"]), "registered_rm_id": reg_rm[0],
        "registered_rm_name": reg_rm[1], "current_rm_id": cur_rm[0], "current_rm_name": cur_rm[1], "synced_at": "2025-10-17 08:00:00",
    }


def write_export(path, rows: int, *, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(rows):
            writer.writerow(row(i, rng))
