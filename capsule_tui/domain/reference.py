"""Reference data seeded into a new database: tax rules, payment terms, accounts, defaults."""

from __future__ import annotations

import copy

# Tax rules follow Cin7 Core's shape (reference/cin7-core-model.md). One inactive rule is kept
# on purpose so that "the default rule must be active" can be exercised.
TAX_RULES: list[dict] = [
    {"Name": "20% (VAT on Income)", "IsActive": True, "IsTaxForSale": True,
     "IsTaxForPurchase": False, "TaxPercent": 20.0, "TaxInclusive": False},
    {"Name": "20% (VAT on Expenses)", "IsActive": True, "IsTaxForSale": False,
     "IsTaxForPurchase": True, "TaxPercent": 20.0, "TaxInclusive": False},
    {"Name": "5% (VAT on Income)", "IsActive": True, "IsTaxForSale": True,
     "IsTaxForPurchase": False, "TaxPercent": 5.0, "TaxInclusive": False},
    {"Name": "Zero Rated Income", "IsActive": True, "IsTaxForSale": True,
     "IsTaxForPurchase": False, "TaxPercent": 0.0, "TaxInclusive": False},
    {"Name": "Zero Rated Expenses", "IsActive": True, "IsTaxForSale": False,
     "IsTaxForPurchase": True, "TaxPercent": 0.0, "TaxInclusive": False},
    {"Name": "No VAT", "IsActive": True, "IsTaxForSale": True,
     "IsTaxForPurchase": True, "TaxPercent": 0.0, "TaxInclusive": False},
    {"Name": "Old 17.5% VAT", "IsActive": False, "IsTaxForSale": True,
     "IsTaxForPurchase": True, "TaxPercent": 17.5, "TaxInclusive": False},
]

PAYMENT_TERMS: list[dict] = [
    {"Name": "30 days", "Duration": 30, "Method": "number of days", "IsActive": True,
     "IsDefault": True},
    {"Name": "14 days", "Duration": 14, "Method": "number of days", "IsActive": True,
     "IsDefault": False},
    {"Name": "Due on receipt", "Duration": 0, "Method": "number of days", "IsActive": True,
     "IsDefault": False},
]

ACCOUNTS: list[dict] = [
    {"Code": "610", "Name": "Accounts Receivable", "Class": "ASSET"},
    {"Code": "200", "Name": "Sales", "Class": "REVENUE"},
    {"Code": "800", "Name": "Accounts Payable", "Class": "LIABILITY"},
]

PRICE_TIERS: list[dict] = [{"Name": "Tier 1"}, {"Name": "Tier 2"}, {"Name": "Tier 3"}]

# Values given to the fields Capsule does not have, when a Customer/Supplier is created (S2).
APP_DEFAULTS: dict = {
    "Status": "Active",
    "Currency": "GBP",
    "PaymentTerm": "30 days",
    "AccountReceivable": "610",
    "RevenueAccount": "200",
    "AccountPayable": "800",
    "PriceTier": "Tier 1",
    "Country": "United Kingdom",
}


def seed_reference_data() -> dict[str, dict[str, dict]]:
    """Return fresh copies of the seeded tables: table name → {document key → document}."""
    return {
        "tax_rules": {rule["Name"]: copy.deepcopy(rule) for rule in TAX_RULES},
        "defaults": {
            "app": copy.deepcopy(APP_DEFAULTS),
            "payment_terms": {"items": copy.deepcopy(PAYMENT_TERMS)},
            "accounts": {"items": copy.deepcopy(ACCOUNTS)},
            "price_tiers": {"items": copy.deepcopy(PRICE_TIERS)},
        },
    }
