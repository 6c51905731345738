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
    meta_properties (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        name -> Text,
        default_value -> Text,
        required -> Bool,
        allowed_values -> Nullable<Text>,
        protected -> Bool,
        filter_allowed -> Bool,
    }
}

diesel::table! {
    sales_channels (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        identifier -> Text,
        label -> Text,
        kind -> Text,
        position -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        slug -> Text,
        name -> Text,
        live -> Bool,
        testmode -> Bool,
        currency -> Text,
        date_from -> Timestamp,
        date_to -> Nullable<Timestamp>,
        date_admission -> Nullable<Timestamp>,
        is_public -> Bool,
        presale_start -> Nullable<Timestamp>,
        presale_end -> Nullable<Timestamp>,
        location -> Nullable<Text>,
        geo_lat -> Nullable<Double>,
        geo_lon -> Nullable<Double>,
        has_subevents -> Bool,
        timezone -> Text,
        plugins -> Text,
        all_sales_channels -> Bool,
        signing_private_key -> Text,
        signing_public_key -> Text,
        created -> Timestamp,
        related -> Text,
    }
}

diesel::table! {
    event_meta_values (event_id, property_id) {
        event_id -> BigInt,
        property_id -> BigInt,
        value -> Text,
    }
}

diesel::table! {
    event_sales_channels (event_id, channel_id) {
        event_id -> BigInt,
        channel_id -> BigInt,
    }
}

diesel::table! {
    item_meta_properties (id) {
        id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        default_value -> Text,
    }
}

diesel::table! {
    organizer_settings (organizer_id, key) {
        organizer_id -> BigInt,
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    event_settings (event_id, key) {
        event_id -> BigInt,
        key -> Text,
        value -> Text,
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

diesel::table! {
    items (id) {
        id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        default_price -> Text,
        active -> Bool,
        description -> Nullable<Text>,
        category -> Nullable<BigInt>,
        admission -> Bool,
        position -> BigInt,
        has_variations -> Bool,
    }
}

diesel::table! {
    item_variations (id) {
        id -> BigInt,
        item_id -> BigInt,
        value -> Text,
        default_price -> Nullable<Text>,
        active -> Bool,
        position -> BigInt,
    }
}

diesel::table! {
    subevents (id) {
        id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        active -> Bool,
        date_from -> Timestamp,
        date_to -> Nullable<Timestamp>,
        presale_start -> Nullable<Timestamp>,
        presale_end -> Nullable<Timestamp>,
        location -> Nullable<Text>,
    }
}

diesel::table! {
    quotas (id) {
        id -> BigInt,
        event_id -> BigInt,
        name -> Text,
        size -> Nullable<BigInt>,
        subevent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    quota_items (quota_id, item_id) {
        quota_id -> BigInt,
        item_id -> BigInt,
    }
}

diesel::table! {
    quota_variations (quota_id, variation_id) {
        quota_id -> BigInt,
        variation_id -> BigInt,
    }
}

diesel::table! {
    digital_contents (id) {
        id -> BigInt,
        event_id -> BigInt,
        subevent_id -> Nullable<BigInt>,
        title -> Text,
        content_type -> Text,
        url -> Text,
        description -> Nullable<Text>,
        all_products -> Bool,
        available_from -> Nullable<Timestamp>,
        available_until -> Nullable<Timestamp>,
        position -> BigInt,
    }
}

diesel::table! {
    digital_content_items (content_id, item_id) {
        content_id -> BigInt,
        item_id -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        credential_hash -> Text,
        key_hash -> Text,
        request_method -> Text,
        request_path -> Text,
        created -> Timestamp,
        response_status -> Nullable<BigInt>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Binary>,
    }
}

diesel::table! {
    devices (id) {
        id -> BigInt,
        organizer_id -> BigInt,
        device_id -> BigInt,
        unique_serial -> Text,
        initialization_token -> Text,
        api_token_hash -> Nullable<Text>,
        all_events -> Bool,
        revoked -> Bool,
        name -> Text,
        created -> Timestamp,
        initialized -> Nullable<Timestamp>,
        hardware_brand -> Nullable<Text>,
        hardware_model -> Nullable<Text>,
        os_name -> Nullable<Text>,
        os_version -> Nullable<Text>,
        software_brand -> Nullable<Text>,
        software_version -> Nullable<Text>,
        security_profile -> Text,
        rsa_pubkey -> Nullable<Text>,
        info -> Nullable<Text>,
        last_seen -> Nullable<Timestamp>,
    }
}

diesel::table! {
    device_limit_events (device_pk, event_id) {
        device_pk -> BigInt,
        event_id -> BigInt,
    }
}

diesel::table! {
    imported_secrets (id) {
        id -> BigInt,
        event_id -> BigInt,
        secret -> Text,
        used -> Bool,
        item_id -> Nullable<BigInt>,
        variation_id -> Nullable<BigInt>,
        subevent_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    imported_secret_blocks (event_id, block, used) {
        event_id -> BigInt,
        block -> BigInt,
        used -> Bool,
        secrets -> BigInt,
    }
}

diesel::joinable!(events -> organizers (organizer_id));
diesel::joinable!(devices -> organizers (organizer_id));
diesel::joinable!(device_limit_events -> devices (device_pk));
diesel::joinable!(device_limit_events -> events (event_id));
diesel::joinable!(items -> events (event_id));
diesel::joinable!(item_variations -> items (item_id));
diesel::joinable!(subevents -> events (event_id));
diesel::joinable!(quotas -> events (event_id));
diesel::joinable!(quotas -> subevents (subevent_id));
diesel::joinable!(quota_items -> quotas (quota_id));
diesel::joinable!(quota_items -> items (item_id));
diesel::joinable!(quota_variations -> quotas (quota_id));
diesel::joinable!(quota_variations -> item_variations (variation_id));
diesel::joinable!(digital_contents -> events (event_id));
diesel::joinable!(digital_contents -> subevents (subevent_id));
diesel::joinable!(digital_content_items -> digital_contents (content_id));
diesel::joinable!(digital_content_items -> items (item_id));
diesel::joinable!(teams -> organizers (organizer_id));
diesel::joinable!(team_limit_events -> teams (team_id));
diesel::joinable!(team_limit_events -> events (event_id));
diesel::joinable!(api_tokens -> teams (team_id));
diesel::joinable!(meta_properties -> organizers (organizer_id));
diesel::joinable!(sales_channels -> organizers (organizer_id));
diesel::joinable!(event_meta_values -> events (event_id));
diesel::joinable!(event_meta_values -> meta_properties (property_id));
diesel::joinable!(event_sales_channels -> events (event_id));
diesel::joinable!(event_sales_channels -> sales_channels (channel_id));
diesel::joinable!(item_meta_properties -> events (event_id));
diesel::joinable!(organizer_settings -> organizers (organizer_id));
diesel::joinable!(event_settings -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizers,
    events,
    teams,
    team_limit_events,
    api_tokens,
    devices,
    device_limit_events,
    meta_properties,
    sales_channels,
    event_meta_values,
    event_sales_channels,
    item_meta_properties,
    organizer_settings,
    event_settings,
    items,
    item_variations,
    subevents,
    quotas,
    quota_items,
    quota_variations,
    digital_contents,
    digital_content_items,
);
