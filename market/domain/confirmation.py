"""The confirmation of sale (成交确认书): what it states, who signs it, and how a signature is made.

When the buyer of an auction round has paid, the platform generates the confirmation (a PDF; its SHA-256 is what
both parties sign). Each party, the seller (the pledgee bank that filed the case) and the buyer, signs through an
authorised user of its institution. Today a signature is a recorded electronic acceptance (`ElectronicAcceptance`);
a qualified electronic signature (《电子签名法》 art. 13) can replace it behind the same `Signer` interface.

Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from market.domain.errors import Kind
from market.domain.rules import RuleBroken


class Party(enum.StrEnum):
    """Who signs the confirmation."""

    SELLER = "seller"  # the pledgee bank that filed the case (出让方)
    BUYER = "buyer"  # the institution that bought the lot (买受人)


class SignatureMethod(enum.StrEnum):
    """How a signature was made."""

    ELECTRONIC_ACCEPTANCE = "electronic_acceptance"  # an authorised user's recorded acceptance of the hash
    QUALIFIED = "qualified"  # a qualified electronic signature (reserved for a plugged-in provider)


# The rules the confirmation cites (shown in Chinese in the document, as the law is).
RULE_REFERENCES = (
    "《最高人民法院关于人民法院网络司法拍卖若干问题的规定》（2016）第二十四条",
    "《中华人民共和国民法典》第四百四十四条、第五百六十一条",
    "《中华人民共和国电子签名法》第十三条、第十四条",
)


@dataclass(frozen=True)
class PartyFacts:
    """A party as the confirmation names it."""

    name: str
    credit_code: str  # 统一社会信用代码


@dataclass(frozen=True)
class SaleFacts:
    """Everything the confirmation states: the lot, the price, the parties, the dates and the rules."""

    case_reference: str
    lot_title: str
    registry_numbers: tuple[str, ...]
    round_no: int
    bidding_ended_at: datetime
    price_fen: int
    deposit_applied_fen: int
    paid_at: datetime
    seller: PartyFacts
    buyer: PartyFacts
    centre_name: str
    via_second_bidder: bool = False  # sold to the second bidder after the winner's default


@dataclass(frozen=True)
class SignedBy:
    """One signature as the signed confirmation shows it."""

    party: Party
    institution_name: str
    user_name: str
    signed_at: datetime
    method: SignatureMethod
    evidence_sha256: str


# ---- refusals ------------------------------------------------------------------------------------


class ConfirmationNotReady(RuleBroken):
    """There is no confirmation of sale for this case yet (the buyer has not paid)."""

    code, kind = "confirmation_not_ready", Kind.CONFLICT


class NotAPartyToTheSale(RuleBroken):
    """Only an authorised user of the seller or of the buyer signs the confirmation."""

    code, kind = "not_a_party_to_the_sale", Kind.FORBIDDEN


class AlreadySigned(RuleBroken):
    """Each party signs the confirmation once."""

    code, kind = "already_signed", Kind.CONFLICT


class DocumentChanged(RuleBroken):
    """What was signed must be the confirmation as it was generated: its SHA-256 no longer matches."""

    code, kind = "document_changed", Kind.CONFLICT


def party_of(institution_id: int | None, *, seller_id: int, buyer_id: int) -> Party:
    """Which party a user's institution signs for; NotAPartyToTheSale for any other institution."""
    if institution_id == seller_id:
        return Party.SELLER
    if institution_id == buyer_id:
        return Party.BUYER
    raise NotAPartyToTheSale()


def check_authorised(*, active: bool, institution_id: int | None, seller_id: int, buyer_id: int) -> Party:
    """An authorised signer is an active user of one of the two parties; the party it signs for."""
    if not active:
        raise NotAPartyToTheSale()
    return party_of(institution_id, seller_id=seller_id, buyer_id=buyer_id)


# ---- signing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    """Who signs: the user and the institution it signs for."""

    user_id: int
    user_name: str
    institution_id: int
    institution_name: str
    party: Party


@dataclass(frozen=True)
class Signature:
    """What a signer produces for a document: its method, the hash it signed, and its evidence."""

    method: SignatureMethod
    document_sha256: str
    evidence: str  # the signed statement (electronic acceptance) or the encoded signature (qualified)

    @property
    def evidence_sha256(self) -> str:
        """The fingerprint of the evidence, printed on the signed confirmation."""
        return hashlib.sha256(self.evidence.encode()).hexdigest()


class Signer(Protocol):
    """Signs a document by its SHA-256 for one party; a qualified e-signature provider implements this too."""

    method: SignatureMethod

    def sign(self, document_sha256: str, *, by: Signatory, now: datetime) -> Signature:
        """Sign the document whose fingerprint is `document_sha256` for `by`, at `now`."""
        ...


class ElectronicAcceptance:
    """A recorded acceptance: the authorised user states that its institution accepts the document with this
    SHA-256; the statement is kept and its fingerprint printed on the signed confirmation."""

    method = SignatureMethod.ELECTRONIC_ACCEPTANCE

    def sign(self, document_sha256: str, *, by: Signatory, now: datetime) -> Signature:
        """The acceptance statement for this document, signer and moment."""
        statement = (f"party={by.party.value};institution_id={by.institution_id};institution={by.institution_name};"
                     f"user_id={by.user_id};user={by.user_name};accepted_sha256={document_sha256};"
                     f"at={now.isoformat()}")
        return Signature(method=self.method, document_sha256=document_sha256, evidence=statement)


DEFAULT_SIGNER: Signer = ElectronicAcceptance()


def may_read(*, sees_everything: bool, institution_id: int | None, seller_id: int, buyer_id: int) -> bool:
    """Who may read a confirmation: the trading centre and the bureau, and the two parties to the sale."""
    return sees_everything or institution_id in (seller_id, buyer_id)
