-- Limits each user has on a model (rpm, tpm, concurrency), across the
-- user's tokens; NULL is no limit.
ALTER TABLE models ADD COLUMN per_user_rpm INTEGER;
ALTER TABLE models ADD COLUMN per_user_tpm INTEGER;
ALTER TABLE models ADD COLUMN per_user_max_concurrency INTEGER;
