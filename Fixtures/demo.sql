-- The demo app database: the app's own `streams` table, as the app would keep it.
-- `streamrecon run` with no options builds var/demo.sqlite from this file on first use.
-- Amounts are decimal text in token base units: they can exceed 64 bits.
--
-- The seeded cases, against Fixtures/demo-chain.json:
--   stream_2  released_amount 500 here, 450 on chain          -> mismatch
--   stream_4  not on chain                                    -> missing_on_chain
--   stream_5  on chain, not here                              -> missing_in_db
--   stream_6  released 1200 of a 1000 total, on both sides    -> invariant_violation (db and chain)
--   stream_7  total_amount '12x'                               -> invalid_value
--   stream_9  cancelled on chain at a time this row lacks (NULL)  -> mismatch (DB null) and
--             invariant_violation on the DB side (a cancelled stream needs cancelled_at)
-- The others are ordinary clean streams (stream_1's recipient differs only in letter case);
-- cancelled_at is NULL in every other row and absent on chain, which is equal for a nullable field.

CREATE TABLE streams (
    id              TEXT PRIMARY KEY NOT NULL,
    sender          TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    total_amount    TEXT NOT NULL,
    released_amount TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    cancelled_at    TEXT             -- NULL until the stream is cancelled
);

INSERT INTO streams (id, sender, recipient, total_amount, released_amount, status, created_at, cancelled_at) VALUES
    ('stream_1', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '0x52908400098527886E0F7030069857D2E4169EE7', '1000000', '250000', 'active', '2026-11-01T09:00:00Z', NULL),
    ('stream_2', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '0xde709f2102306220921060314715629080e2fb77', '1000', '500', 'active', '2026-11-02T09:00:00Z', NULL),
    ('stream_3', '0x6b175474e89094c44da98b954eedeac495271d0f', '0x27b1fdb04752bbc536007a920d24acb045561c26', '5000', '5000', 'completed', '2026-10-01T12:00:00Z', NULL),
    ('stream_4', '0x6b175474e89094c44da98b954eedeac495271d0f', '0x5aeda56215b167893e80b4fe645ba6d5bab767de', '2000', '0', 'pending', '2026-11-20T08:00:00Z', NULL),
    ('stream_6', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0x6813eb9362372eef6200f3b1dbc3f819671cba69', '1000', '1200', 'completed', '2026-09-15T00:00:00Z', NULL),
    ('stream_7', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0x1eff47bc3a10a45d4b230b5d10e37751fe6aa718', '12x', '100', 'active', '2026-11-10T10:30:00Z', NULL),
    ('stream_8', '0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48', '0xe1ab8145f7e55dc933d51a18c793f901a3a0b276', '100000000000000000000000', '25000000000000000000000', 'active', '2026-11-11T10:30:00Z', NULL),
    ('stream_9', '0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', '0xe57bfe9f44b819898f47bf37e5af72a0783e1141', '300', '0', 'cancelled', '2026-11-12T10:30:00Z', NULL);
