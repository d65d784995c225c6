"""The named rule breaks of the disposal workflow: each a code, its parameters and its kind."""

from __future__ import annotations

from market.domain.errors import Kind
from market.domain.rules import RuleBroken


class ActionNotAllowed(RuleBroken):
    """The action cannot be taken in the case's current state."""

    code, kind, fields = "action_not_allowed", Kind.CONFLICT, ("action", "state")


class SuspendedFromUnknown(ActionNotAllowed):
    """A case resumes to the state it was suspended from, which must be known."""

    code, fields = "suspended_from_unknown", ()


class PaidOnChannelDesk(ActionNotAllowed):
    """Payments for an auction or another channel are recorded on that channel's desk."""

    code, fields = "paid_on_channel_desk", ()


class NotYourAction(RuleBroken):
    """The user's role may not take this action."""

    code, fields = "not_your_action", ("role", "action")  # 422 in the API, as before


class ReasonRequired(RuleBroken):
    """A human decision must say why."""

    code = "reason_required"


class ReviewIncomplete(RuleBroken):
    """Title, pledge registration, legal status and consents must all be verified."""

    code, fields = "review_incomplete", ("checks",)


class LegalStatusNotValid(RuleBroken):
    """An asset that has lapsed, been invalidated or is disputed cannot be disposed of as it stands."""

    code, fields = "legal_status_not_valid", ("assets",)


class PledgeeConsentMissing(RuleBroken):
    """Pledged IP may be sold or licensed only with the pledgee's consent (Civil Code art. 444)."""

    code, kind = "pledgee_consent_missing", Kind.CONFLICT


class CoOwnerConsentMissing(RuleBroken):
    """Every co-owner of a jointly owned right must consent to its disposal."""

    code, fields = "co_owner_consent_missing", ("names",)


class ValuationMissing(RuleBroken):
    """An appraised value, a report reference and a date are needed."""

    code = "valuation_missing"


class ValuationInFuture(ValuationMissing):
    """The valuation date cannot be in the future."""

    code = "valuation_in_future"


class ValuationStale(RuleBroken):
    """The valuation is older than the trading centre accepts; it must be redone."""

    code, fields = "valuation_stale", ("valued_on", "max_age_days")


class ValuationTooOld(ValuationStale):
    """A notice or a round needs a valuation within the accepted age."""

    code, fields = "valuation_too_old", ()


class StartPriceMissing(RuleBroken):
    """A notice or an auction round states its starting price."""

    code = "start_price_missing"


class DisclosureIncomplete(RuleBroken):
    """The notice must disclose the encumbrances, the first-refusal holders and the deposit."""

    code = "disclosure_incomplete"


class EncumbrancesNotDisclosed(DisclosureIncomplete):
    """The notice discloses the encumbrances, or states that there are none."""

    code = "encumbrances_not_disclosed"


class DepositNotStated(DisclosureIncomplete):
    """The notice states the deposit bidders must pay."""

    code = "deposit_not_stated"


class FirstRefusalHolderMissing(RuleBroken):
    """A co-owner has a right of first refusal and must be named in the notice."""

    code, fields = "first_refusal_holder_missing", ("names",)


class NoticePeriodRunning(RuleBroken):
    """A disposal channel can open only after the public notice period has run."""

    code, kind, fields = "notice_period_running", Kind.CONFLICT, ("ends_at",)


class NegotiatedSaleTooEarly(RuleBroken):
    """A negotiated sale comes only after the configured number of failed auction rounds."""

    code, kind, fields = "negotiated_sale_too_early", Kind.CONFLICT, ("required", "failed")


class NegotiatedSaleOver(RuleBroken):
    """The negotiated sale has already run its course; licensing, conversion or a claim transfer is next."""

    code, kind = "negotiated_sale_over", Kind.CONFLICT


class NegotiatedPriceTooLow(RuleBroken):
    """A negotiated sale is at no less than the last auction's starting price."""

    code, fields = "negotiated_price_too_low", ("minimum_fen",)


class AuctionRoundsExhausted(RuleBroken):
    """All auction rounds have failed; the next step is a negotiated sale, licensing or conversion."""

    code, kind, fields = "auction_rounds_exhausted", Kind.CONFLICT, ("failed",)


class ChannelOutOfOrder(RuleBroken):
    """Once auctions have started, licensing and conversion wait until the rounds and the negotiated sale end."""

    code, kind, fields = "channel_out_of_order", Kind.CONFLICT, ("rounds",)


class PriceBelowStart(RuleBroken):
    """A winning price cannot be below the round's starting price."""

    code, fields = "price_below_start", ("starting_price_fen",)


class BuyerMissing(RuleBroken):
    """A sale needs a named buyer."""

    code = "buyer_missing"


class ResultMissing(RuleBroken):
    """A channel must record what it brought in before the case can be disposed of or settled."""

    code = "result_missing"


class WinningPriceMissing(ResultMissing):
    """A won round records its winning price."""

    code = "winning_price_missing"


class AgreedPriceMissing(ResultMissing):
    """A negotiated sale records its agreed price."""

    code = "agreed_price_missing"


class NoPriceToPay(ResultMissing):
    """A payment needs an agreed price."""

    code, kind = "no_price_to_pay", Kind.CONFLICT


class NothingToSettle(ResultMissing):
    """Settling needs a disposal result."""

    code, kind = "nothing_to_settle", Kind.CONFLICT


class DeadlineNotReached(RuleBroken):
    """The deadline this move waits for has not passed yet."""

    code, kind, fields = "deadline_not_reached", Kind.CONFLICT, ("ends_at",)


class DeadlinePassed(RuleBroken):
    """The window for this move has closed."""

    code, kind = "deadline_passed", Kind.CONFLICT


class WithdrawalAmountMissing(RuleBroken):
    """A withdrawal records what the debtor paid."""

    code = "withdrawal_amount_missing"


__all__ = [name for name, value in dict(globals()).items()
           if isinstance(value, type) and issubclass(value, RuleBroken) and value is not RuleBroken]
