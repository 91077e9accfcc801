-- The saved method an off-session renewal charge was sent to. When the provider could not be
-- reached, the charge may have happened all the same; the retry must go to the same method under
-- the same idempotency key, not to whichever card is the default by then (a new default would be a
-- second, different charge — Stripe refuses a key reused with other parameters, and a pay-now link
-- would then ask the subscriber to pay a renewal the first card may already have paid).
ALTER TABLE renewals
  ADD COLUMN charged_provider text,
  ADD COLUMN charged_method_ref text,
  ADD CONSTRAINT renewals_charged_method_paired CHECK ((charged_provider IS NULL) = (charged_method_ref IS NULL));
