"""The named rule breaks of the disposal workflow; each says what is wrong and what to do instead."""

from __future__ import annotations

from market.domain.rules import RuleBroken


class ActionNotAllowed(RuleBroken):
    """The action cannot be taken in the case's current state."""

    code = "action_not_allowed"


class NotYourAction(RuleBroken):
    """The user's role may not take this action."""

    code = "not_your_action"


class ReasonRequired(RuleBroken):
    """A human decision must say why."""

    code = "reason_required"


class ReviewIncomplete(RuleBroken):
    """Title, pledge registration, legal status and consents must all be verified."""

    code = "review_incomplete"


class LegalStatusNotValid(RuleBroken):
    """An asset that has lapsed, been invalidated or is disputed cannot be disposed of as it stands."""

    code = "legal_status_not_valid"


class PledgeeConsentMissing(RuleBroken):
    """Pledged IP may be sold or licensed only with the pledgee's consent (Civil Code art. 444)."""

    code = "pledgee_consent_missing"


class CoOwnerConsentMissing(RuleBroken):
    """Every co-owner of a jointly owned right must consent to its disposal."""

    code = "co_owner_consent_missing"


class ValuationMissing(RuleBroken):
    """An appraised value, a report reference and a date are needed."""

    code = "valuation_missing"


class ValuationStale(RuleBroken):
    """The valuation is older than the trading centre accepts; it must be redone."""

    code = "valuation_stale"


class StartPriceMissing(RuleBroken):
    """A notice or an auction round states its starting price."""

    code = "start_price_missing"


class DisclosureIncomplete(RuleBroken):
    """The notice must disclose the encumbrances, the first-refusal holders and the deposit."""

    code = "disclosure_incomplete"


class FirstRefusalHolderMissing(RuleBroken):
    """A co-owner has a right of first refusal and must be named in the notice."""

    code = "first_refusal_holder_missing"


class NoticePeriodRunning(RuleBroken):
    """A disposal channel can open only after the public notice period has run."""

    code = "notice_period_running"


class NegotiatedSaleTooEarly(RuleBroken):
    """A negotiated sale comes only after the configured number of failed auction rounds."""

    code = "negotiated_sale_too_early"


class NegotiatedSaleOver(RuleBroken):
    """The negotiated sale has already run its course; licensing, conversion or a claim transfer is next."""

    code = "negotiated_sale_over"


class NegotiatedPriceTooLow(RuleBroken):
    """A negotiated sale is at no less than the last auction's starting price."""

    code = "negotiated_price_too_low"


class AuctionRoundsExhausted(RuleBroken):
    """All auction rounds have failed; the next step is a negotiated sale, licensing or conversion."""

    code = "auction_rounds_exhausted"


class ChannelOutOfOrder(RuleBroken):
    """Once auctions have started, licensing and conversion wait until the rounds and the negotiated sale end."""

    code = "channel_out_of_order"


class PriceBelowStart(RuleBroken):
    """A winning price cannot be below the round's starting price."""

    code = "price_below_start"


class BuyerMissing(RuleBroken):
    """A sale needs a named buyer."""

    code = "buyer_missing"


class ResultMissing(RuleBroken):
    """A channel must record what it brought in before the case can be disposed of or settled."""

    code = "result_missing"


class DeadlineNotReached(RuleBroken):
    """The deadline this move waits for has not passed yet."""

    code = "deadline_not_reached"


class DeadlinePassed(RuleBroken):
    """The window for this move has closed."""

    code = "deadline_passed"


class WithdrawalAmountMissing(RuleBroken):
    """A withdrawal records what the debtor paid."""

    code = "withdrawal_amount_missing"


__all__ = [name for name, value in dict(globals()).items()
           if isinstance(value, type) and issubclass(value, RuleBroken) and value is not RuleBroken]
