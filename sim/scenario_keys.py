"""The scenario format's keys, table by table: a file's unknown key is refused before anything else is
read, with the nearest known name (difflib)."""

from __future__ import annotations

import difflib

from sim.errors import ScenarioError

_LAYER_NAMES = ("bank", "guarantor", "insurer", "agency")
_DISTRIBUTION = ("dist", "value", "median", "sigma", "mean", "sd", "low", "high")
# Every key a scenario may hold, table by table (a tuple: a table of its own; a table of a list's
# items for segments): an unknown key is refused before any other complaint, with the nearest name.
KEYS: dict = {
    "name": None,
    "horizon_years": None,
    "seed": None,
    "portfolio": {
        "loans": None,
        "file": None,
        "principal_yuan": _DISTRIBUTION,
        "rate": None,
        "term_years": None,
        "pledge_rate": None,
        "growth": None,
        "banks": [{"name": None, "share": None}],
        "size_bands_yuan": None,
    },
    "default": {
        "pd_annual": None,
        "asset_correlation": None,
        "factor_correlation": None,
        "copula": None,
        "degrees_of_freedom": None,
        "segments": [{"name": None, "share": None, "pd_annual": None}],
    },
    "recovery": {
        "model": None,
        "rate": _DISTRIBUTION,
        "costs_rate": None,
        "delay_days": _DISTRIBUTION,
    },
    "auction": dict.fromkeys(
        (
            "start_share cut rounds bidders_mean bidder_count values value_sigma macro_sensitivity "
            "filing_days notice_days renotice_days round_days negotiated_days fallback "
            "fallback_share fallback_days operators"
        ).split()
    ),
    "layers": dict.fromkeys((*_LAYER_NAMES, "reguarantee", "reinsurance")),
    "compensation": dict.fromkeys(
        (
            "cap_per_loan_yuan cap_per_institution_year_yuan annual_budget_yuan "
            "initial_balance_yuan annual_contribution_yuan shortfall claim_days payment_lag_days "
            "settlements_per_year joint_pot ratio_by_size_band annual_cap_yuan stop_loss_share "
            "stop_loss_resume"
        ).split()
    )
    | {"ratio": _LAYER_NAMES, "cap_per_layer_yuan": _LAYER_NAMES, "ratio_by_bank": None},
    "subsidy": dict.fromkeys(
        (
            "interest_share interest_cap_yuan appraisal_fee_rate appraisal_fee_share "
            "appraisal_fee_cap_yuan premium_rate premium_share premium_cap_yuan eligible_share "
            "eligible_segments annual_budget_yuan"
        ).split()
    ),
}


def check_keys(data: object, known: object = KEYS, prefix: str = "") -> None:
    """Refuse the first key the scenario format does not have, suggesting the nearest one."""
    if isinstance(known, list) and isinstance(data, list):
        for i, item in enumerate(data):
            check_keys(item, known[0], f"{prefix}[{i}]")
        return
    if not isinstance(data, dict) or not isinstance(known, dict | tuple):
        return  # a value, or a type the reader will refuse with its own message
    names = list(known)
    for name in data:
        key = f"{prefix}.{name}" if prefix else name
        if name not in names:
            raise ScenarioError.unknown(key, difflib.get_close_matches(name, names, n=1))
        if isinstance(known, dict):
            check_keys(data[name], known[name], key)
