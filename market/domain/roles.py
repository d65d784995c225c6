"""Who people are in the marketplace, and which institution kinds they belong to."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A user's role; authorization is decided per role and per object."""

    OPERATOR = "operator"  # trading centre (交易中心)
    BANK = "bank"  # pledgee (质权人)
    GUARANTOR = "guarantor"
    INSURER = "insurer"
    AGENCY = "agency"  # IP service agency / appraiser
    BUREAU = "bureau"  # finance bureau / IP office
    AIC = "aic"  # financial asset investment company
    SYSTEM = "system"  # the tick command and other automatic moves; never a login


class InstitutionKind(enum.StrEnum):
    """What an institution is."""

    BANK = "bank"
    GUARANTOR = "guarantor"
    INSURER = "insurer"
    AGENCY = "agency"
    TRADING_CENTRE = "trading_centre"
    BUREAU = "bureau"
    AIC = "aic"


ROLE_OF_INSTITUTION = {
    InstitutionKind.BANK: Role.BANK,
    InstitutionKind.GUARANTOR: Role.GUARANTOR,
    InstitutionKind.INSURER: Role.INSURER,
    InstitutionKind.AGENCY: Role.AGENCY,
    InstitutionKind.TRADING_CENTRE: Role.OPERATOR,
    InstitutionKind.BUREAU: Role.BUREAU,
    InstitutionKind.AIC: Role.AIC,
}

# Roles that see every case and loan; everyone else sees only what they carry a share of.
SEES_EVERYTHING = frozenset({Role.OPERATOR, Role.BUREAU})

# Licensed financial institutions may see claim-rights lots and bid for them.
FINANCIAL_INSTITUTION_KINDS = frozenset({InstitutionKind.BANK, InstitutionKind.AIC})
