"""Why the platform itself changed something. A person's reason is kept in their own words; the platform's
is one of these codes, stored as its value and put into the reader's language where it is shown."""

from __future__ import annotations

import enum


class SystemReason(enum.StrEnum):
    """The reasons the clock and the automatic steps give."""

    NO_VALID_BID = "no_valid_bid"  # 流拍: the round ended without a valid bid
    WINNER_DID_NOT_PAY = "winner_did_not_pay"  # 悔拍: the winner did not pay by the deadline
    RIGHT_NOT_IN_FORCE = "right_not_in_force"  # a pledged right expired or lapsed (the assets are in the detail)
    NO_LICENCE_OFFERS = "no_licence_offers"  # a licence round closed with no offer
    PLEDGEE_REFUSED_CONSENT = "pledgee_refused_consent"  # Civil Code art. 444 (the bank's words are its event's)
    CLAIM_AUCTION_UNSOLD = "claim_auction_unsold"  # a claim-rights auction ended without a sale
    LATER_RECOVERY = "later_recovery"  # money recovered after a claim was paid made part of it repayable
