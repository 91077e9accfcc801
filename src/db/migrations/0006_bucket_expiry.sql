-- The bucket expiry sweep (lines/service.ts expireDueBuckets) finds buckets whose expiry passed
-- with something left in them; settled buckets (remaining 0) drop out of this index.
CREATE INDEX buckets_unsettled_expiry_idx ON buckets (expires_at) WHERE remaining > 0;
