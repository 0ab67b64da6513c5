"""The ledger's schema, as numbered migrations applied in order on first use.

A migration is never edited once released: add a new one. ``schema_migrations`` records which
ran, when. The SQL is written once; the few words that differ between SQLite and PostgreSQL are
filled in per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


_TYPES = {
    "sqlite": {"ID": "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT": "INTEGER"},
    "postgresql": {"ID": "BIGSERIAL PRIMARY KEY", "BIGINT": "BIGINT"},
}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "deliveries, events, campaigns, accounts",
        """
        CREATE TABLE campaigns (
            slug        TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            file        TEXT NOT NULL,
            timezone    TEXT NOT NULL,
            grace_ms    {BIGINT} NOT NULL,
            paused      INTEGER NOT NULL DEFAULT 0,
            synced_ms   {BIGINT} NOT NULL
        );
        CREATE TABLE deliveries (
            id              {ID},
            key             TEXT NOT NULL UNIQUE,
            campaign        TEXT NOT NULL REFERENCES campaigns(slug),
            post            TEXT NOT NULL,
            platform        TEXT NOT NULL,
            account         TEXT NOT NULL,
            due_ms          {BIGINT} NOT NULL,
            grace_ms        {BIGINT} NOT NULL,
            thread_index    INTEGER NOT NULL,
            reply_to        TEXT,
            payload         TEXT NOT NULL,
            payload_hash    TEXT NOT NULL,
            state           TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            not_before_ms   {BIGINT},
            lease_owner     TEXT,
            lease_until_ms  {BIGINT},
            idempotency_key TEXT,
            platform_id     TEXT,
            platform_url    TEXT,
            last_error      TEXT,
            created_ms      {BIGINT} NOT NULL,
            updated_ms      {BIGINT} NOT NULL
        );
        CREATE INDEX deliveries_state_due ON deliveries (state, due_ms);
        CREATE INDEX deliveries_campaign_state ON deliveries (campaign, state);
        CREATE INDEX deliveries_account_state ON deliveries (platform, account, state);
        CREATE TABLE events (
            id          {ID},
            delivery_id {BIGINT} NOT NULL REFERENCES deliveries(id),
            at_ms       {BIGINT} NOT NULL,
            actor       TEXT NOT NULL,
            from_state  TEXT,
            to_state    TEXT NOT NULL,
            reason      TEXT NOT NULL
        );
        CREATE INDEX events_delivery ON events (delivery_id, id);
        CREATE TABLE accounts (
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            paused_ms   {BIGINT},
            reason      TEXT,
            PRIMARY KEY (platform, account)
        );
        """,
    ),
    Migration(
        2,
        "what will be sent: content, content hash, zone, the request as sent, why cancelled",
        """
        ALTER TABLE deliveries ADD COLUMN content TEXT;
        ALTER TABLE deliveries ADD COLUMN content_hash TEXT;
        ALTER TABLE deliveries ADD COLUMN zone TEXT;
        ALTER TABLE deliveries ADD COLUMN request TEXT;
        ALTER TABLE deliveries ADD COLUMN cancelled_by TEXT;
        UPDATE deliveries SET zone = (
            SELECT c.timezone FROM campaigns c WHERE c.slug = deliveries.campaign);
        UPDATE deliveries SET cancelled_by = CASE (
            SELECT e.reason FROM events e WHERE e.delivery_id = deliveries.id
            ORDER BY e.id DESC LIMIT 1)
            WHEN 'removed from the campaign file' THEN 'file'
            WHEN 'campaign cancelled by a person' THEN 'campaign'
            ELSE 'person' END
        WHERE state = 'cancelled'
        """,
    ),
    Migration(
        3,
        "alerts: what was told to whom (once only), account checks, digests",
        """
        CREATE TABLE alerts (
            id          {ID},
            subject     TEXT NOT NULL UNIQUE,
            kind        TEXT NOT NULL,
            delivery_id {BIGINT},
            generation  INTEGER NOT NULL DEFAULT 0,
            title       TEXT NOT NULL,
            body        TEXT NOT NULL,
            created_ms  {BIGINT} NOT NULL
        );
        CREATE INDEX alerts_delivery ON alerts (delivery_id, kind, generation);
        CREATE INDEX alerts_created ON alerts (kind, created_ms);
        CREATE TABLE alert_sends (
            alert_id    {BIGINT} NOT NULL REFERENCES alerts(id),
            target      TEXT NOT NULL,
            label       TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            next_ms     {BIGINT},
            sent_ms     {BIGINT},
            error       TEXT,
            updated_ms  {BIGINT} NOT NULL,
            PRIMARY KEY (alert_id, target)
        );
        CREATE INDEX alert_sends_waiting ON alert_sends (sent_ms, next_ms);
        CREATE TABLE account_checks (
            subject     TEXT PRIMARY KEY,
            kind        TEXT NOT NULL,
            campaign    TEXT,
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            checked_ms  {BIGINT} NOT NULL,
            ok          INTEGER,
            problem     TEXT,
            expires_ms  {BIGINT}
        );
        CREATE INDEX account_checks_of ON account_checks (kind, campaign, platform, account)
        """,
    ),
    Migration(
        4,
        "sign-off: every approval of a delivery's content, and which campaigns require one",
        """
        CREATE TABLE approvals (
            id            {ID},
            key           TEXT NOT NULL,
            campaign      TEXT NOT NULL,
            content_hash  TEXT NOT NULL,
            fields        TEXT NOT NULL,
            approved_by   TEXT NOT NULL,
            at_ms         {BIGINT} NOT NULL,
            note          TEXT,
            plan_hash     TEXT NOT NULL
        );
        CREATE INDEX approvals_of_key ON approvals (key, id);
        CREATE INDEX approvals_of_campaign ON approvals (campaign, id);
        ALTER TABLE campaigns ADD COLUMN approval_required INTEGER NOT NULL DEFAULT 0
        """,
    ),
    Migration(
        5,
        "who each account posts as, as `accounts check` last learned it (for the page's cards)",
        """
        CREATE TABLE account_names (
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            posts_as    TEXT NOT NULL,
            checked_ms  {BIGINT} NOT NULL,
            PRIMARY KEY (platform, account)
        )
        """,
    ),
    Migration(
        6,
        "counts: each reading of a platform's counts for a campaign's posts, and what it read",
        """
        CREATE TABLE metric_fetches (
            id          {ID},
            campaign    TEXT NOT NULL,
            platform    TEXT NOT NULL,
            account     TEXT NOT NULL,
            taken_ms    {BIGINT} NOT NULL,
            posts       INTEGER NOT NULL,
            calls       INTEGER NOT NULL,
            problem     TEXT,
            notes       TEXT
        );
        CREATE INDEX metric_fetches_of ON metric_fetches (campaign, platform, account, taken_ms);
        CREATE TABLE metric_snapshots (
            id          {ID},
            fetch_id    {BIGINT} NOT NULL REFERENCES metric_fetches(id),
            delivery_id {BIGINT} NOT NULL REFERENCES deliveries(id),
            taken_ms    {BIGINT} NOT NULL,
            counts      TEXT NOT NULL,
            gone        INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX metric_snapshots_of ON metric_snapshots (delivery_id, taken_ms)
        """,
    ),
)


LATEST = MIGRATIONS[-1].version


def statements(migration: Migration, dialect: str) -> list[str]:
    sql = migration.sql.format(**_TYPES[dialect])
    return [s.strip() for s in sql.split(";") if s.strip()]
