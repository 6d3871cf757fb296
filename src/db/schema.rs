//! The database schema, one for both backends. Written by hand (diesel print-schema differs per
//! backend); keep it in step with migrations/postgres and migrations/sqlite.

diesel::table! {
    accounts (id) {
        id -> BigInt,
        username -> Text,
        domain -> Nullable<Text>,
        display_name -> Text,
        note -> Text,
        locked -> Bool,
        bot -> Bool,
        discoverable -> Bool,
        fields -> Text,
        avatar_url -> Nullable<Text>,
        header_url -> Nullable<Text>,
        ap_id -> Text,
        url -> Nullable<Text>,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        following_url -> Nullable<Text>,
        featured_url -> Nullable<Text>,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        followers_count -> BigInt,
        following_count -> BigInt,
        statuses_count -> BigInt,
        last_status_at -> Nullable<Timestamp>,
        suspended_at -> Nullable<Timestamp>,
        fetched_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        note_source -> Nullable<Text>,
        silenced_at -> Nullable<Timestamp>,
        sensitized_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        account_id -> BigInt,
        email -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        department -> Nullable<Text>,
        oidc_issuer -> Nullable<Text>,
        oidc_subject -> Nullable<Text>,
        locale -> Nullable<Text>,
        default_visibility -> Nullable<Text>,
        default_sensitive -> Bool,
        default_language -> Nullable<Text>,
        last_sign_in_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        groups -> Text,
        scim_external_id -> Nullable<Text>,
        scim_user_name -> Nullable<Text>,
        disabled_at -> Nullable<Timestamp>,
        directory_fields -> Text,
    }
}

diesel::table! {
    statuses (id) {
        id -> BigInt,
        ap_id -> Text,
        url -> Nullable<Text>,
        account_id -> BigInt,
        local -> Bool,
        in_reply_to_id -> Nullable<BigInt>,
        in_reply_to_account_id -> Nullable<BigInt>,
        in_reply_to_ap_id -> Nullable<Text>,
        reblog_of_id -> Nullable<BigInt>,
        thread_root_id -> Nullable<BigInt>,
        content -> Text,
        source_text -> Nullable<Text>,
        spoiler_text -> Text,
        sensitive -> Bool,
        visibility -> Text,
        language -> Nullable<Text>,
        application_id -> Nullable<BigInt>,
        replies_count -> BigInt,
        reblogs_count -> BigInt,
        favourites_count -> BigInt,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        held_for_review -> Nullable<Text>,
        local_only -> Bool,
    }
}

diesel::table! {
    status_edits (id) {
        id -> BigInt,
        status_id -> BigInt,
        account_id -> BigInt,
        content -> Text,
        spoiler_text -> Text,
        sensitive -> Bool,
        media_ids -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        accepted -> Bool,
        show_reblogs -> Bool,
        notify -> Bool,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    favourites (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_pins (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mutes (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        hide_notifications -> Bool,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentions (id) {
        id -> BigInt,
        status_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        display_name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_tags (status_id, tag_id) {
        status_id -> BigInt,
        tag_id -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        kind -> Text,
        status_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        account_warning_id -> Nullable<BigInt>,
        report_id -> Nullable<BigInt>,
        group_key -> Nullable<Text>,
        filtered -> Bool,
    }
}

diesel::table! {
    notification_policies (account_id) {
        account_id -> BigInt,
        for_not_following -> Text,
        for_not_followers -> Text,
        for_new_accounts -> Text,
        for_private_mentions -> Text,
        for_limited_accounts -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_requests (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        last_status_id -> Nullable<BigInt>,
        notifications_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_permissions (account_id, from_account_id) {
        account_id -> BigInt,
        from_account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media_attachments (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> Nullable<BigInt>,
        kind -> Text,
        content_type -> Text,
        file_path -> Nullable<Text>,
        thumbnail_path -> Nullable<Text>,
        remote_url -> Nullable<Text>,
        file_size -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        description -> Text,
        blurhash -> Nullable<Text>,
        focus_x -> Double,
        focus_y -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        duration -> Nullable<Double>,
        frame_rate -> Nullable<Text>,
        bitrate -> Nullable<BigInt>,
    }
}

diesel::table! {
    oauth_applications (id) {
        id -> BigInt,
        name -> Text,
        website -> Nullable<Text>,
        redirect_uris -> Text,
        scopes -> Text,
        client_id -> Text,
        client_secret_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_authorization_codes (id) {
        id -> BigInt,
        code_hash -> Text,
        application_id -> BigInt,
        user_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_access_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        refresh_token_hash -> Nullable<Text>,
        application_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        scopes -> Text,
        description -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        authorization_code_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    outgoing_activities (id) {
        id -> BigInt,
        actor_account_id -> Nullable<BigInt>,
        intent -> Text,
        ap_id -> Nullable<Text>,
        kind -> Nullable<Text>,
        payload -> Nullable<Text>,
        recipients -> Integer,
        prepared_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox_url -> Text,
        domain -> Text,
        attempts -> Integer,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    federation_domains (domain) {
        domain -> Text,
        failures -> Integer,
        next_attempt_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    instance_keys (name) {
        name -> Text,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        oidc_sid -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> BigInt,
        key -> Text,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    polls (id) {
        id -> BigInt,
        status_id -> BigInt,
        account_id -> BigInt,
        options -> Text,
        multiple -> Bool,
        hide_totals -> Bool,
        expires_at -> Nullable<Timestamp>,
        ended_notified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> BigInt,
        poll_id -> BigInt,
        account_id -> BigInt,
        choice -> Integer,
        created_at -> Timestamp,
    }
}

diesel::joinable!(polls -> statuses (status_id));
diesel::joinable!(poll_votes -> polls (poll_id));
diesel::table! {
    markers (id) {
        id -> BigInt,
        account_id -> BigInt,
        timeline -> Text,
        last_read_id -> BigInt,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lists (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        replies_policy -> Text,
        exclusive -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    list_accounts (id) {
        id -> BigInt,
        list_id -> BigInt,
        account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    filters (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        context -> Text,
        filter_action -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    filter_keywords (id) {
        id -> BigInt,
        filter_id -> BigInt,
        keyword -> Text,
        whole_word -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    filter_statuses (id) {
        id -> BigInt,
        filter_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tag_follows (id) {
        id -> BigInt,
        account_id -> BigInt,
        tag_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        status_ids -> Text,
        rule_ids -> Nullable<Text>,
        comment -> Text,
        category -> Text,
        forward -> Bool,
        forwarded -> Bool,
        assigned_account_id -> Nullable<BigInt>,
        action_taken_by_account_id -> Nullable<BigInt>,
        action_taken_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ap_id -> Nullable<Text>,
    }
}

diesel::table! {
    account_conversations (id) {
        id -> BigInt,
        account_id -> BigInt,
        conversation_id -> BigInt,
        last_read_status_id -> Nullable<BigInt>,
        removed_through_status_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oidc_logins (state_hash) {
        state_hash -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oidc_seen_tokens (key) {
        key -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    scim_groups (id) {
        id -> BigInt,
        display_name -> Text,
        external_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    scim_group_members (group_id, user_id) {
        group_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::joinable!(scim_group_members -> scim_groups (group_id));
diesel::joinable!(scim_group_members -> users (user_id));
diesel::table! {
    home_feeds (account_id, status_id) {
        account_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::table! {
    home_feed_states (account_id) {
        account_id -> BigInt,
        floor -> Nullable<BigInt>,
        built_at -> Timestamp,
    }
}

diesel::table! {
    home_feed_queue (status_id) {
        status_id -> BigInt,
    }
}

diesel::table! {
    policy_versions (id) {
        id -> BigInt,
        number -> BigInt,
        rules -> Text,
        summary -> Text,
        author_account_id -> Nullable<BigInt>,
        author_label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    policy_matches (id) {
        id -> BigInt,
        rule_id -> BigInt,
        rule_name -> Text,
        version -> BigInt,
        action -> Text,
        dry_run -> Bool,
        direction -> Text,
        subject -> Text,
        status_id -> Nullable<BigInt>,
        account_id -> Nullable<BigInt>,
        object_uri -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_warnings (id) {
        id -> BigInt,
        account_id -> BigInt,
        moderator_account_id -> Nullable<BigInt>,
        action -> Text,
        text -> Text,
        status_ids -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        created_at -> Timestamp,
        actor_account_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        target -> Text,
        reason -> Text,
        details -> Text,
    }
}

diesel::table! {
    account_suspensions (account_id, origin) {
        account_id -> BigInt,
        origin -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    usage_policy_versions (number) {
        number -> BigInt,
        text -> Text,
        published_at -> Timestamp,
        published_by_account_id -> Nullable<BigInt>,
        published_by -> Text,
    }
}

diesel::table! {
    usage_policy_acceptances (account_id, version) {
        account_id -> BigInt,
        version -> BigInt,
        accepted_at -> Timestamp,
    }
}

diesel::table! {
    federation_settings (id) {
        id -> BigInt,
        mode -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    domain_allows (id) {
        id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domain_blocks (id) {
        id -> BigInt,
        domain -> Text,
        severity -> Text,
        reject_media -> Bool,
        reject_reports -> Bool,
        private_comment -> Nullable<Text>,
        public_comment -> Nullable<Text>,
        obfuscate -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_domain_blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    suggestion_dismissals (account_id, target_account_id) {
        account_id -> BigInt,
        target_account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_links (status_id, url) {
        status_id -> BigInt,
        url -> Text,
    }
}

diesel::joinable!(policy_matches -> statuses (status_id));
diesel::joinable!(notifications -> account_warnings (account_warning_id));
diesel::joinable!(home_feeds -> statuses (status_id));
diesel::joinable!(home_feed_queue -> statuses (status_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(idempotency_keys -> statuses (status_id));
diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(statuses -> accounts (account_id));
diesel::joinable!(status_links -> statuses (status_id));
diesel::joinable!(status_edits -> statuses (status_id));
diesel::joinable!(status_edits -> accounts (account_id));
diesel::joinable!(follows -> accounts (account_id));
diesel::joinable!(favourites -> accounts (account_id));
diesel::joinable!(favourites -> statuses (status_id));
diesel::joinable!(bookmarks -> accounts (account_id));
diesel::joinable!(bookmarks -> statuses (status_id));
diesel::joinable!(status_pins -> accounts (account_id));
diesel::joinable!(status_pins -> statuses (status_id));
diesel::joinable!(blocks -> accounts (account_id));
diesel::joinable!(mutes -> accounts (account_id));
diesel::joinable!(mentions -> statuses (status_id));
diesel::joinable!(mentions -> accounts (account_id));
diesel::joinable!(status_tags -> statuses (status_id));
diesel::joinable!(status_tags -> tags (tag_id));
diesel::joinable!(notifications -> accounts (account_id));
diesel::joinable!(notifications -> statuses (status_id));
diesel::joinable!(notification_requests -> statuses (last_status_id));
diesel::joinable!(media_attachments -> accounts (account_id));
diesel::joinable!(media_attachments -> statuses (status_id));
diesel::joinable!(oauth_authorization_codes -> oauth_applications (application_id));
diesel::joinable!(oauth_authorization_codes -> users (user_id));
diesel::joinable!(oauth_access_tokens -> oauth_applications (application_id));
diesel::joinable!(oauth_access_tokens -> users (user_id));
diesel::joinable!(outgoing_activities -> accounts (actor_account_id));
diesel::joinable!(deliveries -> outgoing_activities (activity_id));
diesel::joinable!(markers -> accounts (account_id));
diesel::joinable!(lists -> accounts (account_id));
diesel::joinable!(list_accounts -> lists (list_id));
diesel::joinable!(list_accounts -> accounts (account_id));
diesel::joinable!(filters -> accounts (account_id));
diesel::table! {
    account_notes (account_id, target_account_id) {
        account_id -> BigInt,
        target_account_id -> BigInt,
        comment -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    thread_mutes (account_id, thread_root_id) {
        account_id -> BigInt,
        thread_root_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    endorsements (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    featured_tags (id) {
        id -> BigInt,
        account_id -> BigInt,
        tag_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_statuses (id) {
        id -> BigInt,
        account_id -> BigInt,
        scheduled_at -> Timestamp,
        params -> Text,
        application_id -> Nullable<BigInt>,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_media (scheduled_status_id, media_attachment_id) {
        scheduled_status_id -> BigInt,
        media_attachment_id -> BigInt,
    }
}

diesel::table! {
    announcements (id) {
        id -> BigInt,
        text -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        all_day -> Bool,
        published_at -> Timestamp,
        updated_at -> Timestamp,
        published_by -> Text,
        company_wide -> Bool,
        ap_id -> Nullable<Text>,
        origin_domain -> Nullable<Text>,
        content_html -> Nullable<Text>,
    }
}

diesel::table! {
    announcement_department_reads (announcement_id, domain) {
        announcement_id -> BigInt,
        domain -> Text,
        audience -> BigInt,
        readers -> Nullable<BigInt>,
        reported_at -> Timestamp,
    }
}

diesel::table! {
    announcement_reads (announcement_id, account_id) {
        announcement_id -> BigInt,
        account_id -> BigInt,
        read_at -> Timestamp,
    }
}

diesel::table! {
    announcement_reactions (announcement_id, account_id, name) {
        announcement_id -> BigInt,
        account_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    metrics_active_days (day, account_id) {
        day -> Text,
        account_id -> BigInt,
    }
}

diesel::table! {
    metrics_daily (day, measure, dimension) {
        day -> Text,
        measure -> Text,
        dimension -> Text,
        value -> BigInt,
        people -> BigInt,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        node -> Text,
        leased_until -> Timestamp,
    }
}

diesel::joinable!(scheduled_media -> scheduled_statuses (scheduled_status_id));
diesel::joinable!(featured_tags -> tags (tag_id));
diesel::joinable!(filter_keywords -> filters (filter_id));
diesel::joinable!(filter_statuses -> filters (filter_id));
diesel::joinable!(filter_statuses -> statuses (status_id));
diesel::joinable!(tag_follows -> accounts (account_id));
diesel::joinable!(tag_follows -> tags (tag_id));
diesel::joinable!(account_conversations -> accounts (account_id));
diesel::joinable!(usage_policy_acceptances -> accounts (account_id));
diesel::joinable!(usage_policy_acceptances -> usage_policy_versions (version));

diesel::table! {
    push_subscriptions (id) {
        id -> BigInt,
        access_token_id -> BigInt,
        account_id -> BigInt,
        access_token -> Text,
        endpoint -> Text,
        key_p256dh -> Text,
        key_auth -> Text,
        standard -> Bool,
        alerts -> Text,
        policy -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    push_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        notification_id -> BigInt,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(push_deliveries -> push_subscriptions (subscription_id));
diesel::joinable!(push_deliveries -> notifications (notification_id));

diesel::table! {
    directory_entries (ap_id) {
        ap_id -> Text,
        domain -> Text,
        username -> Text,
        display_name -> Text,
        note -> Text,
        fields -> Text,
        avatar_url -> Nullable<Text>,
        url -> Nullable<Text>,
        interests -> Text,
        tags -> Text,
        search_text -> Text,
        synced_at -> Timestamp,
    }
}

diesel::table! {
    directory_syncs (domain) {
        domain -> Text,
        synced_at -> Nullable<Timestamp>,
        attempted_at -> Timestamp,
        entries -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    directory_entries,
    directory_syncs,
    accounts,
    push_subscriptions,
    push_deliveries,
    account_domain_blocks,
    suggestion_dismissals,
    status_links,
    account_notes,
    thread_mutes,
    endorsements,
    featured_tags,
    scheduled_statuses,
    scheduled_media,
    announcements,
    announcement_department_reads,
    metrics_active_days,
    metrics_daily,
    job_leases,
    announcement_reads,
    announcement_reactions,
    users,
    statuses,
    status_edits,
    follows,
    favourites,
    bookmarks,
    status_pins,
    blocks,
    mutes,
    mentions,
    tags,
    status_tags,
    notifications,
    media_attachments,
    oauth_applications,
    oauth_authorization_codes,
    oauth_access_tokens,
    received_activities,
    outgoing_activities,
    deliveries,
    federation_domains,
    instance_keys,
    web_sessions,
    oidc_logins,
    oidc_seen_tokens,
    scim_groups,
    scim_group_members,
    idempotency_keys,
    polls,
    poll_votes,
    markers,
    lists,
    list_accounts,
    filters,
    filter_keywords,
    filter_statuses,
    tag_follows,
    reports,
    account_conversations,
    home_feeds,
    home_feed_states,
    home_feed_queue,
    policy_versions,
    policy_matches,
    account_warnings,
    audit_log,
    account_suspensions,
    usage_policy_versions,
    usage_policy_acceptances,
    federation_settings,
    domain_allows,
    domain_blocks,
    notification_policies,
    notification_requests,
    notification_permissions,
);
