"""The words of every refusal: English templates keyed by code (the catalogue's msgids; Chinese in zh_source).

Placeholders are the refusal's parameter names. `market.web.i18n.error_message` renders a refusal in the
reader's language; `english` is the plain fallback `str(error)` gives for logs.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from fractions import Fraction


def N_(message: str) -> str:  # noqa: N802 (Babel's default keyword for a message marked, not translated)
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


def english(error) -> str:
    """The refusal in the catalogue's English, parameters formatted plainly (for logs and scripts)."""
    from market.domain.money import format_yuan

    def plain(name: str, value: object) -> str:
        if isinstance(value, list | tuple | frozenset | set):
            return ", ".join(plain(name, item) for item in value)
        if isinstance(value, Enum):
            return str(value.value).replace("_", " ")
        if isinstance(value, int) and name.endswith("_fen"):
            return format_yuan(value)
        if isinstance(value, Fraction):
            return f"{float(value) * 100:g}%"
        if isinstance(value, datetime):
            return value.isoformat(timespec="minutes")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    template = TEXTS.get(error.code, error.code)
    return template % {name: plain(name, value) for name, value in error.params.items()}


TEXTS = {
    "refused": N_("This is not possible."),
    "rule_broken": N_("This breaks a rule of the trading centre."),
    "start_price_not_positive": N_("The starting price must be greater than zero."),
    "start_price_too_low": N_("The first auction must start at no less than %(min_share)s of the appraised value, i.e. at least %(minimum_fen)s."),
    "price_cut_too_deep": N_("A re-auction may cut the previous starting price by at most %(max_cut)s, so it must start at no less than %(minimum_fen)s."),
    "deposit_out_of_range": N_("The deposit must be between %(low_share)s and %(high_share)s of the starting price (%(low_fen)s–%(high_fen)s)."),
    "bidding_window_too_short": N_("Bidding must stay open for at least %(hours)s hours."),
    "notice_too_short": N_("The public notice runs for at least %(days)s days."),
    "closed": N_("Bidding on this auction has ended."),
    "auction_busy": N_("Other bids kept arriving while yours was placed; look at the new price and bid again."),
    "not_started": N_("Bidding opens at %(opens_at)s."),
    "below_minimum": N_("Bids start at the starting price of %(starting_price_fen)s."),
    "not_multiple_of_increment": N_("Bid the starting price plus whole multiples of the increment of %(increment_fen)s."),
    "outbid": N_("You have been outbid: the current price is %(current_price_fen)s; bid at least %(minimum_fen)s."),
    "proxy_below_own_bid": N_("Your maximum must lie above your leading bid of %(current_price_fen)s."),
    "already_leading": N_("You already hold the leading bid; you cannot raise your own bid."),
    "deposit_required": N_("Pay the deposit for this auction before bidding."),
    "not_eligible": N_("Your institution may not take part in this auction."),
    "holder_without_priority": N_("Only a holder named in the notice with priority over the top bidder may answer."),
    "not_the_holder": N_("Only the holder itself or the trading centre may answer for it."),
    "holder_not_linked": N_("Link the holder to an institution before it can match the price."),
    "buyer_may_not_buy": N_("This institution may not buy pledged IP: choose a bank, AIC, guarantor or insurer, or name a buyer who is not on the platform."),
    "holder_cannot_buy": N_("The trading centre and the finance bureau cannot hold a first-refusal right; link the holder to the institution named in the notice."),
    "barred": N_("Your institution did not pay after winning this case's earlier round and is barred from this re-run."),
    "increment_out_of_range": N_("The increment must be greater than zero and not above the starting price."),
    "opens_in_past": N_("Bidding cannot open in the past."),
    "round_unfinished": N_("This case already has an auction round that has not finished."),
    "proxy_too_high": N_("A maximum may lie at most %(increments)s increments ahead (up to %(ceiling_fen)s now)."),
    "first_refusal_closed": N_("The first-refusal window of this auction is not open."),
    "already_answered": N_("This holder has already answered."),
    "invalid_amount": N_("%(field)s: “%(text)s” is not an amount; write digits (grouped by threes with commas if you like) and at most two decimals, e.g. 1,234.50."),
    "amount_missing": N_("%(field)s: enter an amount in yuan, e.g. 1,234.50."),
    "amount_not_text": N_("Send “%(field)s” as a decimal string in yuan, e.g. “1234.50”."),
    "amount_too_precise": N_("%(field)s: amounts have at most two decimals; round to 0.01 yuan, e.g. 1,234.50."),
    "amount_too_large": N_("%(field)s: that amount is too large; the ceiling is %(ceiling_fen)s, e.g. 1,234.50 is fine."),
    "amount_negative": N_("%(field)s: the amount must be positive, e.g. 1,234.50."),
    "amount_zero": N_("%(field)s: the amount must be greater than zero, e.g. 1,234.50."),
    "loss_rule_broken": N_("This breaks the loss and compensation rule."),
    "invalid_share": N_("%(name)s must be an exact number such as 0.3 or 3/10, not %(value)s."),
    "share_out_of_range": N_("%(name)s must lie between 0 and 1, not %(value)s."),
    "shares_do_not_sum_to_one": N_("The shares must add up to exactly 1, not %(total)s."),
    "negative_amount": N_("%(name)s must not be negative (got %(amount_fen)s)."),
    "invalid_conversion_terms": N_("The conversion's terms are incomplete or out of range."),
    "conversion_amount_missing": N_("Enter the %(amount)s, greater than zero."),
    "valuation_report_missing": N_("Name the valuation report the price rests on."),
    "price_above_face": N_("The price cannot exceed what the claim is worth on its face (principal plus unpaid interest)."),
    "lockup_out_of_range": N_("The lock-up lies between 0 and %(max_months)s months."),
    "exit_terms_missing": N_("Describe the exit terms (who buys back, when, at what price)."),
    "consent_missing": N_("The conversion cannot execute without the consent of: %(parties)s."),
    "consent_refused": N_("The conversion cannot execute: consent refused by %(parties)s."),
    "consent_not_needed": N_("The consent of %(party)s is not needed for this conversion."),
    "consent_already_decided": N_("%(party)s has already decided."),
    "invalid_licence_terms": N_("The licence round's terms are incomplete or out of range."),
    "field_of_use_missing": N_("Describe the field of use the licence covers."),
    "territory_missing": N_("Name the territory the licence covers."),
    "term_out_of_range": N_("The term must be between 1 and %(max_months)s months."),
    "term_not_whole_periods": N_("The term must be a whole number of reporting periods (%(period_months)s months each)."),
    "licence_amount_out_of_range": N_("The %(amount)s must be between zero and the ceiling."),
    "rate_out_of_range": N_("The %(rate)s must lie between 0%% and 100%%."),
    "offer_amount_out_of_range": N_("Amounts in an offer lie between zero and the ceiling."),
    "offer_below_minimum": N_("The %(term)s is below the minimum published for this licence."),
    "award_breaks_licence_kind": N_("An exclusive or sole licence goes to exactly one licensee."),
    "no_offer_chosen": N_("Choose at least one offer to award."),
    "offer_not_in_ranking": N_("Choose offers from this round's ranking, each once."),
    "award_out_of_rank_order": N_("The chosen offers are not the best-ranked ones; give the reason for passing over a better offer."),
    "payment_not_positive": N_("A payment is a positive amount."),
    "negative_cost": N_("The %(cost)s cost cannot be negative."),
    "claim_not_reviewable": N_("A claim that is %(state)s cannot be reviewed."),
    "four_eyes_required": N_("You approved this claim already; a second bureau user must approve it."),
    "reduction_invalid": N_("A reduced amount must be above ¥0.00 and below %(under_review_fen)s."),
    "above_year_cap": N_("The yearly cap leaves room for %(room_fen)s; reduce the claim to at most that."),
    "claim_reason_required": N_("Give a reason: the claimant sees it and it is kept in the audit trail."),
    "csv_rejected": N_("Nothing was imported: %(problems)s"),
    "csv_header_incomplete": N_("The header must name the columns %(columns)s (missing: %(missing)s)."),
    "csv_too_many_rows": N_("More than %(max_rows)s rows; split the file."),
    "csv_no_rows": N_("The file has no payment rows."),
    "csv_bad_date": N_("Line %(line)s: received_on must be a date like 2026-03-31."),
    "csv_bad_reference": N_("Line %(line)s: the reference (the bank transfer's reference) is required, at most 60 characters."),
    "csv_duplicate_reference": N_("Line %(line)s: the reference %(reference)s appears twice in the file."),
    "csv_line_refused": N_("Line %(line)s: %(problem)s"),
    "loan_not_defaulted": N_("Only a loan in default can be filed for disposal."),
    "pledge_not_registered": N_("The loan has no registered pledge in force; register the pledge with the IP office first."),
    "no_assets_chosen": N_("Choose at least one pledged asset to dispose of."),
    "asset_not_pledged": N_("Only assets registered under this loan's pledge can be filed."),
    "claim_exceeds_loan": N_("The outstanding principal cannot exceed the loan's principal of %(principal_fen)s."),
    "case_already_open": N_("This loan already has a disposal case in progress."),
    "amounts_negative": N_("Amounts cannot be negative."),
    "principal_missing": N_("Enter the principal still outstanding."),
    "pledgee_consent_not_confirmed": N_("Confirm, as pledgee, your consent to the disposal (Civil Code art. 444)."),
    "co_owner_consents_not_attached": N_("Attach the consent of every co-owner; missing: %(names)s."),
    "invalid_percent": N_("Enter a percentage such as 5 or 5.25 (at most four decimals)."),
    "percent_too_high": N_("A percentage cannot exceed 100, e.g. 5.25."),
    "recordal_on_file": N_("The recordal is already on file."),
    "recordal_number_missing": N_("Give the IP office's recordal number."),
    "recordal_date_out_of_range": N_("The recordal date must lie between %(earliest)s and today."),
    "action_not_allowed": N_("This step (%(action)s) is not possible while the case is %(state)s."),
    "suspended_from_unknown": N_("The case does not remember the state it was suspended from."),
    "not_your_action": N_("A %(role)s user cannot take this step (%(action)s)."),
    "reason_required": N_("Give a reason: it is shown to the bank and kept in the audit trail."),
    "review_incomplete": N_("Still to verify: %(checks)s."),
    "legal_status_not_valid": N_("These rights are not in force and cannot be disposed of: %(assets)s. Return the case to the bank or suspend it."),
    "pledgee_consent_missing": N_("The pledgee bank has not consented to the disposal (Civil Code art. 444)."),
    "co_owner_consent_missing": N_("No consent on file from the co-owner(s): %(names)s."),
    "valuation_missing": N_("Enter the appraised value, the appraisal report reference and its date."),
    "valuation_in_future": N_("The valuation date cannot be in the future."),
    "valuation_stale": N_("The valuation of %(valued_on)s is older than %(max_age_days)s days; commission a new appraisal."),
    "valuation_too_old": N_("The valuation is too old; record a new valuation first."),
    "start_price_missing": N_("Set the starting price."),
    "disclosure_incomplete": N_("The notice must disclose the encumbrances, the first-refusal holders and the deposit."),
    "encumbrances_not_disclosed": N_("Disclose the encumbrances (licences, other pledges, seizures), or state that there are none."),
    "deposit_not_stated": N_("State the deposit bidders must pay."),
    "first_refusal_holder_missing": N_("Name every co-owner as a first-refusal holder in the notice: %(names)s."),
    "notice_period_running": N_("The public notice runs until %(ends_at)s; the disposal can start after that."),
    "negotiated_sale_too_early": N_("A negotiated sale follows %(required)s failed auction rounds; %(failed)s have failed so far."),
    "negotiated_sale_over": N_("The negotiated sale has already run its course; continue with licensing, conversion or a claim transfer."),
    "negotiated_price_too_low": N_("A negotiated sale is at no less than the last auction's starting price, %(minimum_fen)s."),
    "auction_rounds_exhausted": N_("%(failed)s auction rounds have failed; continue with the negotiated sale, then licensing or conversion."),
    "channel_out_of_order": N_("Auctions have started on this case: licensing, conversion or a claim transfer come after the %(rounds)s auction rounds and the negotiated sale."),
    "price_below_start": N_("The winning price cannot be below the starting price %(starting_price_fen)s."),
    "buyer_missing": N_("Name the buyer."),
    "result_missing": N_("Record what the disposal brought in (the recovery) before it is complete."),
    "winning_price_missing": N_("Record the winning price."),
    "agreed_price_missing": N_("Record the agreed price."),
    "no_price_to_pay": N_("There is no agreed price to be paid."),
    "nothing_to_settle": N_("The case has no disposal result to settle."),
    "deadline_not_reached": N_("This waits until %(ends_at)s."),
    "deadline_passed": N_("The negotiated sale period has ended; no sale can be agreed in it any more."),
    "withdrawal_amount_missing": N_("Enter the amount the debtor paid to end the case."),
    "step_not_allowed": N_("This is not possible while it is %(status)s."),
    "reason_missing": N_("Give a reason: it is shown to the parties and kept in the audit trail."),
    "refusal_reason_missing": N_("Give the reason for refusing consent."),
    "not_eligible_buyer": N_("Only licensed financial institutions may offer for a claim."),
    "own_claim": N_("A bank cannot buy its own claim."),
    "buyers_own_recovery": N_("The claim was sold: what its buyer recovers later is the buyer's own business and does not enter the selling bank's statement."),
    "claim_not_listable": N_("The loan's disposal case is not ready for a channel: the claim can be listed once the notice is published or the case awaits its next channel."),
    "already_listed": N_("This loan is already listed for sale."),
    "loan_not_listable": N_("A loan that is %(status)s cannot be listed; only a performing or defaulted claim can."),
    "invalid_claim_offer": N_("Enter the %(what)s, greater than zero."),
    "not_found": N_("Not found, or not yours to see."),
    "forbidden": N_("Your role cannot do this."),
    "role_required": N_("This needs the role: %(roles)s."),
    "person_required": N_("A person must do this."),
    "paid_on_channel_desk": N_("Payments for this channel are recorded on its own desk (e.g. the auction)."),
    "buyer_not_aic": N_("Choose a financial asset investment company (AIC) as the buyer of the claim."),
    "board_resolution_missing": N_("Give the reference of the borrower's board resolution."),
    "not_a_party": N_("You do not decide on this conversion."),
    "account_error": N_("This account operation is not possible."),
    "email_invalid": N_("Enter a valid email address."),
    "password_too_short": N_("Passwords have at least %(min_length)s characters."),
    "email_taken": N_("A user with the email %(email)s already exists."),
    "offer_window_rule": N_("The deadline for offers has passed."),
    "offer_window_too_short": N_("Leave buyers at least %(hours)s hours to offer."),
    "offer_deadline_gone": N_("The offer deadline has already passed; ask the bank to list again."),
    "sold_by_auction": N_("This claim is sold by auction: pay the deposit and bid in its auction."),
    "auction_needs_case": N_("A claim is auctioned through its disposal case; without one, sell it by negotiated offers."),
    "claim_auction_terms_missing": N_("Set the starting price, increment, deposit and end of the claim auction."),
    "licensed_institutions_only": N_("Only licensed financial institutions can see claim lots and offer for them."),
    "seller_only": N_("Only the selling bank can do this."),
    "loan_no_longer_held": N_("The loan is no longer held by the seller."),
    "auction_decides": N_("This claim is in an auction round: the auction decides how it ends."),
    "offer_not_on_listing": N_("Choose one of the offers on this listing."),
    "transfer_not_complete": N_("The pledgee changes only when the transfer is complete."),
    "payment_not_due": N_("This auction is not waiting for the winner's payment."),
    "payment_overdue": N_("The payment deadline has passed; the winner has defaulted."),
    "claim_not_fileable": N_("This claim is %(state)s; only a draft can be filed."),
    "nothing_to_claim": N_("There is nothing to claim: the yearly cap is used up or nothing is lost."),
    "no_draft_claim": N_("There is no draft claim of yours on this case to file."),
    "subsidy_cap_used_up": N_("The firm's yearly cap of %(cap_fen)s for this subsidy is used up."),
    "subsidy_comes_to_nothing": N_("The subsidy comes to nothing."),
    "not_on_the_loan": N_("Only an institution on the loan (bank, guarantor, insurer or agency) can claim."),
    "subsidy_not_offered": N_("The current policy gives no share for this subsidy."),
    "subsidy_not_for_you": N_("Your institution cannot file this subsidy for this loan."),
    "case_not_settled": N_("The case has no settlement statement yet."),
    "no_policy": N_("The finance bureau has not set a compensation policy yet."),
    "year_not_open": N_("The fund year %(year)s is not open."),
    "budget_not_granted": N_("Grant the %(year)s budget before paying claims."),
    "year_closed": N_("The fund year %(year)s is closed; grant the budget to a later year."),
    "year_not_over": N_("The fund year %(year)s has not ended yet."),
    "clawback_already_repaid": N_("This clawback was repaid on %(repaid_at)s."),
    "ledger_would_go_negative": N_("The account %(account)s holds less than %(amount_fen)s."),
    "centre_cash_short": N_("The trading centre's account does not hold enough for this payment."),
    "fund_cash_short": N_("The compensation fund does not hold enough for this payment."),
    "budget_line_short": N_("What is left of this budget line is less than %(amount_fen)s."),
    "deadline_rule": N_("The deadline for offers has passed."),
    "offer_period_too_short": N_("Leave applicants at least %(hours)s hours to offer."),
    "withdrawal_too_late": N_("The deadline has passed; offers can no longer be withdrawn."),
    "offers_sealed": N_("Offers stay sealed until the deadline."),
    "applicant_missing": N_("Name the applicant firm and its unified social credit code."),
    "applicant_only": N_("Only an applicant can withdraw its offer."),
    "pledgee_only": N_("Only the pledgee bank of this case decides on its consent."),
    "own_collateral": N_("The pledgee bank cannot apply for a licence of its own collateral."),
    "consent_already_given": N_("The consent has already been given."),
    "signing_in_future": N_("The signing date cannot be in the future."),
    "contract_refs_mismatch": N_("Give one distinct contract reference per licensee (%(count)s), in rank order."),
    "payment_refused": N_("A licence payment cannot be recorded as entered."),
    "payment_reference_missing": N_("Give the payment's bank reference."),
    "payment_date_out_of_range": N_("The payment date must lie between the signing date (%(signed_on)s) and today."),
    "payment_already_recorded": N_("A payment with the reference %(reference)s is already recorded for this licence."),
    "case_not_settled_yet": N_("The case is not settled yet: add the money to the channel's result instead."),
    "not_disposed": N_("Only a disposed case can be settled."),
    "recovery_missing": N_("The channel has not recorded what the disposal brought in."),
    "invalid_input": N_("“%(field)s” is not valid."),
    "invalid_percent_input": N_("Send “%(field)s” as a percentage string between 0 and 100, e.g. “5.25”."),
    "invalid_text": N_("Send “%(field)s” as a non-empty string of at most %(limit)s characters."),
    "invalid_integer": N_("Send “%(field)s” as a whole number between %(low)s and %(high)s."),
    "invalid_flag": N_("Send “%(field)s” as true or false."),
    "invalid_date": N_("Send “%(field)s” as a date, e.g. “2026-12-31”."),
    "invalid_moment": N_("Send “%(field)s” as an ISO 8601 time with its zone, e.g. “2026-12-31T02:00:00Z”."),
    "invalid_choice": N_("“%(field)s” is one of: %(values)s."),
    "invalid_ids": N_("Send “%(field)s” as a list of ids."),
    "invalid_contract_refs": N_("Send “%(field)s” as a list of strings, one per licensee."),
    # the API's own refusals (market/web/api/problems.py)
    "unauthorized": N_("Send Authorization: Bearer <token> with a current token (an operator creates one with "
                       "create-token); writes through the API always need one."),
    "invalid_json": N_("Send a JSON object with Content-Type: application/json."),
    "idempotency_key_required": N_("Send an Idempotency-Key header (e.g. a UUID) with every POST."),
    "idempotency_key_too_long": N_("An Idempotency-Key has at most %(max_length)s characters."),
    "idempotency_key_reused": N_("This Idempotency-Key was used with another request; use a new key."),
    "in_progress": N_("The first request with this Idempotency-Key is still being handled; retry shortly."),
    "invalid_status": N_("status is one of: %(allowed)s."),
    "invalid_id": N_("id is an auction id (a whole number), at most %(max_ids)s of them."),
    "invalid_after": N_("after is a bid sequence number (0 or more)."),
    "invalid_number": N_("%(parameter)s is a whole number from %(minimum)s to %(maximum)s."),
    "body_too_large": N_("The request body is larger than %(max_bytes)s bytes; send less."),
    "invalid_parameter": N_("Parameter %(parameter)s: %(problem)s"),
    # the IP registry (market/domain/registry.py)
    "asset_on_hold": N_("On hold: the IP office's register shows a change to the legal status of this asset, so "
                        "bids and offers are not accepted and the deadline is stopped until the trading centre "
                        "resumes or withdraws the sale."),
    "held_by_registry": N_("This case is on hold because the IP office's register changed; resume or withdraw "
                           "it on the registry desk, which also restarts or ends its round."),
    "hold_already_resolved": N_("This hold has already been resumed or withdrawn."),
    "right_still_not_in_force": N_("The register still shows %(registry_number)s as “%(status)s”: record the change "
                                   "that restores it (e.g. 专利权的恢复) before resuming."),
    "registry_date_in_future": N_("The effective date cannot be later than today: record a change once it has taken "
                                  "effect."),
    "registry_source_required": N_("Name the IP office's document or announcement the change comes from."),
    "registry_csv_header": N_("The first line must name the columns %(columns)s (missing: %(missing)s); add them "
                              "and import again."),
    "registry_csv_no_rows": N_("The file has no events below its header."),
    "registry_csv_too_many_rows": N_("More than %(max_rows)s rows; split the file and import each part."),
    "registry_csv_row": N_("Row %(line)s cannot be read; correct it and import the file again."),
    "registry_csv_number_missing": N_("Row %(line)s: the registry number is empty; fill in the asset's registry "
                                      "number as the IP office writes it."),
    "registry_csv_unknown_event": N_("Row %(line)s: “%(event_code)s” is not an event code this platform reads; use "
                                     "one of the IP office's event names listed on this page (e.g. "
                                     "未缴年费专利权终止)."),
    "registry_csv_bad_date": N_("Row %(line)s: “%(value)s” is not a date; write it as 2026-03-31 or 20260331."),
    "registry_csv_future_date": N_("Row %(line)s: the date %(effective_on)s is later than today; import an event "
                                   "once it has taken effect."),
    "registry_csv_unknown_asset": N_("Row %(line)s: no asset on the platform has the registry number "
                                     "%(registry_number)s; check the number (letters, digits and the check digit "
                                     "after the dot)."),
    "registry_csv_duplicate": N_("Row %(line)s repeats row %(first_line)s (same number, event and date); delete "
                                 "one of them."),
}
