-- Payment flows chosen by the browser (issue 16): the channel the subscriber asked the provider for
-- (`qr` a code to scan, `h5` the provider's mobile page, `jsapi` WeChat Pay inside WeChat). NULL =
-- the provider's default (WeChat Pay Native, Alipay page pay, the others' hosted pages), as before.
-- Kept on the payment because it is asked for again when a lost answer is retried with the same key.
ALTER TABLE payments ADD COLUMN flow text CHECK (flow IN ('qr', 'h5', 'jsapi'));

-- The payer's WeChat openid for simkeep's WeChat official account (snsapi_base OAuth step), which
-- a JSAPI order names (`payer.openid`). One per user and appid; the latest authorisation wins.
CREATE TABLE wechat_payers (
  user_id     text NOT NULL REFERENCES users(id),
  app_id      text NOT NULL CHECK (length(app_id) BETWEEN 1 AND 64),
  openid      text NOT NULL CHECK (length(openid) BETWEEN 1 AND 128),
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, app_id)
);
