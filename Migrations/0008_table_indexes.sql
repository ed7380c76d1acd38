-- The console's table sorts on every column and filters on every field (issue 14), and must
-- answer a filtered, sorted page of a 1,000,000-remittance table quickly (`remit bench table`).
--
-- Sorting: one B-tree per column, ending in the creation position, which breaks ties and is
-- the cursor's second key; PostgreSQL walks it in either direction and resumes a page from the
-- cursor with a row comparison, `(column, created_position) < ($1, $2)`. The expressions are the
-- ones LedgerReader sorts on (a missing reference sorts as empty; an id sorts as its text).
-- Equality filters (`field=value`, status, currency, amount) use the same indexes.
DROP INDEX remittances_status_position;
CREATE INDEX remittances_sort_status ON remittances (status, created_position);
CREATE INDEX remittances_sort_sender_name ON remittances (sender_name, created_position);
CREATE INDEX remittances_sort_sender_bank ON remittances (sender_bank, created_position);
CREATE INDEX remittances_sort_sender_account ON remittances (sender_account, created_position);
CREATE INDEX remittances_sort_receiver_name ON remittances (receiver_name, created_position);
CREATE INDEX remittances_sort_receiver_bank ON remittances (receiver_bank, created_position);
CREATE INDEX remittances_sort_receiver_account ON remittances (receiver_account, created_position);
CREATE INDEX remittances_sort_amount ON remittances (amount, created_position);
CREATE INDEX remittances_sort_currency ON remittances (currency, created_position);
CREATE INDEX remittances_sort_reference ON remittances ((coalesce(reference, '')), created_position);
CREATE INDEX remittances_sort_updated ON remittances (updated_at_us, created_position);
CREATE INDEX remittances_sort_id ON remittances ((id::text), created_position);

-- Contains (`field:value`, ILIKE '%value%'), and the `q` search: trigram indexes find the rows
-- holding a fragment without reading the table. pg_trgm ships with PostgreSQL and is a trusted
-- extension (a database owner may create it). One index per field, not one over all of them:
-- a fragment shorter than three characters has no trigram, so its condition would make a scan
-- of a shared index read all of it; with one per field PostgreSQL uses the indexes of the
-- conditions that have trigrams and checks the others on the rows found. Status and currency
-- have none: they have few values, and LedgerReader turns a condition on them into the list of
-- values that meet it, which their sort indexes serve.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX remittances_contains_id ON remittances USING gin ((id::text) gin_trgm_ops);
CREATE INDEX remittances_contains_sender_name ON remittances USING gin (sender_name gin_trgm_ops);
CREATE INDEX remittances_contains_sender_bank ON remittances USING gin (sender_bank gin_trgm_ops);
CREATE INDEX remittances_contains_sender_account ON remittances USING gin (sender_account gin_trgm_ops);
CREATE INDEX remittances_contains_receiver_name ON remittances USING gin (receiver_name gin_trgm_ops);
CREATE INDEX remittances_contains_receiver_bank ON remittances USING gin (receiver_bank gin_trgm_ops);
CREATE INDEX remittances_contains_receiver_account ON remittances USING gin (receiver_account gin_trgm_ops);
CREATE INDEX remittances_contains_reference ON remittances USING gin ((coalesce(reference, '')) gin_trgm_ops);
