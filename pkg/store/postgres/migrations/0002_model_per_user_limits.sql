-- Limits each user has on a model (rpm, tpm, concurrency), across the
-- user's tokens; NULL is no limit.
ALTER TABLE models
    ADD COLUMN per_user_rpm             bigint,
    ADD COLUMN per_user_tpm             bigint,
    ADD COLUMN per_user_max_concurrency bigint;
