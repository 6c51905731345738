CREATE TABLE organizers (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plugins TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    all_events BOOLEAN NOT NULL DEFAULT FALSE,
    can_create_events BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_teams BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_organizer_settings BOOLEAN NOT NULL DEFAULT FALSE,
    can_manage_gift_cards BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_event_settings BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_items BOOLEAN NOT NULL DEFAULT FALSE,
    can_view_orders BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_orders BOOLEAN NOT NULL DEFAULT FALSE,
    can_view_vouchers BOOLEAN NOT NULL DEFAULT FALSE,
    can_change_vouchers BOOLEAN NOT NULL DEFAULT FALSE,
    can_checkin_orders BOOLEAN NOT NULL DEFAULT FALSE,
    can_manage_customers BOOLEAN NOT NULL DEFAULT FALSE,
    can_manage_reusable_media BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX teams_organizer_id ON teams (organizer_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX api_tokens_team_id ON api_tokens (team_id);
