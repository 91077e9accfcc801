-- A counter of catalog changes: every process caches the plans and automatic promotions it prices
-- orders with, and compares this number at most once a second to know whether its copy is still
-- current. A statement-level trigger moves it in the transaction that changes a plan or a
-- promotion's terms, so it is seen exactly when the change commits. A promotion's redemption
-- counter is not a term (it moves with every order using it): caches never trust it, and its
-- updates leave the version alone — which keeps orders from queueing on this one row.
CREATE TABLE catalog_version (
  id      integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL DEFAULT 0
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END $$;

CREATE TRIGGER plans_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER promotions_catalog_version AFTER INSERT OR DELETE OR TRUNCATE ON promotions
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
CREATE TRIGGER promotions_terms_catalog_version
  AFTER UPDATE OF id, title, kind, value, currency, coupon_code, plan_ids, starts_at, ends_at, max_redemptions, per_user_limit,
                  active, is_demo, created_at, updated_at ON promotions
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version();
