// Written by hand to match migrations/{postgres,sqlite}; types both backends share.

diesel::table! {
    organizers (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        plugins -> Text,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        slug -> Text,
    }
}

diesel::table! {
    teams (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        name -> Text,
        all_events -> Bool,
        can_create_events -> Bool,
        can_change_teams -> Bool,
        can_change_organizer_settings -> Bool,
        can_manage_gift_cards -> Bool,
        can_change_event_settings -> Bool,
        can_change_items -> Bool,
        can_view_orders -> Bool,
        can_change_orders -> Bool,
        can_view_vouchers -> Bool,
        can_change_vouchers -> Bool,
        can_checkin_orders -> Bool,
        can_manage_customers -> Bool,
        can_manage_reusable_media -> Bool,
    }
}

diesel::table! {
    team_limit_events (team_id, event_id) {
        team_id -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        team_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        active -> Bool,
    }
}

diesel::joinable!(events -> organizers (organizer_id));
diesel::joinable!(teams -> organizers (organizer_id));
diesel::joinable!(team_limit_events -> teams (team_id));
diesel::joinable!(team_limit_events -> events (event_id));
diesel::joinable!(api_tokens -> teams (team_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizers,
    events,
    teams,
    team_limit_events,
    api_tokens
);
