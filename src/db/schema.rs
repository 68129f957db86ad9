// The one schema of both backends (STYLE.md lesson 1). Kept in step with migrations/*/up.sql;
// tests/schema_parity.rs checks the two migration sets agree.
diesel::table! {
    regions (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        level -> Text,
        parent_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    departments (id) {
        id -> BigInt,
        region_id -> BigInt,
        code -> Text,
        name -> Text,
        short_name -> Nullable<Text>,
        contact_person -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        department_id -> Nullable<BigInt>,
        region_id -> Nullable<BigInt>,
        disabled -> Bool,
        must_change_password -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}
diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}
diesel::table! {
    rounds (id) {
        id -> BigInt,
        region_id -> BigInt,
        name -> Text,
        submission_deadline -> Nullable<Timestamp>,
        consultation_starts_at -> Nullable<Timestamp>,
        consultation_ends_at -> Nullable<Timestamp>,
        publication_deadline -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    submissions (id) {
        id -> BigInt,
        round_id -> BigInt,
        department_id -> BigInt,
        file_name -> Text,
        format -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        report -> Text,
        item_count -> BigInt,
        error_count -> BigInt,
        uploaded_by -> Nullable<BigInt>,
        uploaded_at -> Timestamp,
        superseded_by -> Nullable<BigInt>,
    }
}
diesel::table! {
    submission_files (submission_id) {
        submission_id -> BigInt,
        content -> Binary,
    }
}
diesel::table! {
    items (id) {
        id -> BigInt,
        round_id -> BigInt,
        department_id -> BigInt,
        submission_id -> BigInt,
        identity_key -> Text,
        kind -> Text,
        name -> Text,
        licence -> Nullable<Text>,
        licence_code -> Nullable<Text>,
        target -> Nullable<Text>,
        cycle_months -> Nullable<BigInt>,
        cycle_text -> Nullable<Text>,
        annual_report -> Nullable<Bool>,
        self_set -> Bool,
        proposed -> Nullable<Text>,
        proposed_cycle_months -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        remarks -> Nullable<Text>,
        tied_to -> Nullable<Text>,
        hours -> Nullable<Double>,
        fee -> Nullable<Text>,
        fee_basis -> Nullable<Text>,
        provider -> Nullable<Text>,
        provider_designated -> Nullable<Bool>,
        sheet -> Text,
        row_number -> BigInt,
        state -> Text,
        withdrawn -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        open_severities -> BigInt,
    }
}
diesel::table! {
    legal_documents (id) {
        id -> BigInt,
        title -> Text,
        title_key -> Text,
        doc_number -> Nullable<Text>,
        issuer -> Nullable<Text>,
        level -> Text,
        status -> Text,
        issued_on -> Nullable<Date>,
        effective_on -> Nullable<Date>,
        repealed_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
diesel::table! {
    legal_bases (id) {
        id -> BigInt,
        item_id -> BigInt,
        position -> BigInt,
        level -> Nullable<Text>,
        level_inferred -> Bool,
        title -> Text,
        title_key -> Text,
        article -> Nullable<Text>,
        issuer -> Nullable<Text>,
        document_id -> Nullable<BigInt>,
    }
}
diesel::table! {
    findings (id) {
        id -> BigInt,
        item_id -> BigInt,
        code -> Text,
        severity -> Text,
        resolved -> Bool,
        computed_at -> Timestamp,
        message_id -> BigInt,
    }
}

diesel::table! {
    finding_messages (id) {
        id -> BigInt,
        digest -> Nullable<Text>,
        message_zh -> Text,
        message_en -> Text,
    }
}
diesel::table! {
    decisions (id) {
        id -> BigInt,
        item_id -> BigInt,
        disposition -> Text,
        cycle_months -> Nullable<BigInt>,
        rationale -> Text,
        necessity -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Timestamp,
        superseded_at -> Nullable<Timestamp>,
    }
}
diesel::table! {
    consultations (id) {
        id -> BigInt,
        round_id -> BigInt,
        title -> Text,
        notice -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    consultation_items (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        item_id -> BigInt,
        summary -> Nullable<Text>,
    }
}
diesel::table! {
    comments (id) {
        id -> BigInt,
        consultation_id -> BigInt,
        item_id -> BigInt,
        stance -> Text,
        body -> Text,
        author_name -> Nullable<Text>,
        author_contact -> Nullable<Text>,
        address_hash -> Text,
        state -> Text,
        moderation_reason -> Nullable<Text>,
        moderated_by -> Nullable<BigInt>,
        moderated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}
diesel::table! {
    publications (id) {
        id -> BigInt,
        region_id -> BigInt,
        round_id -> BigInt,
        number -> BigInt,
        title -> Text,
        summary -> Text,
        item_count -> BigInt,
        published_by -> Nullable<BigInt>,
        published_at -> Timestamp,
    }
}
diesel::table! {
    published_items (id) {
        id -> BigInt,
        publication_id -> BigInt,
        item_id -> BigInt,
        list -> Text,
        serial -> BigInt,
        identity_key -> Text,
        region_code -> Text,
        department_code -> Text,
        department_name -> Text,
        kind -> Text,
        name -> Text,
        licence -> Nullable<Text>,
        target -> Nullable<Text>,
        cycle_months_before -> Nullable<BigInt>,
        cycle_months -> Nullable<BigInt>,
        cycle_text -> Nullable<Text>,
        disposition -> Text,
        legal_bases -> Text,
        rationale -> Nullable<Text>,
        detail -> Text,
        search_text -> Text,
    }
}
diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        entity -> Text,
        entity_id -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}
diesel::joinable!(departments -> regions (region_id));
diesel::joinable!(users -> departments (department_id));
diesel::joinable!(users -> regions (region_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(rounds -> regions (region_id));
diesel::joinable!(submissions -> rounds (round_id));
diesel::joinable!(submissions -> departments (department_id));
diesel::joinable!(submissions -> users (uploaded_by));
diesel::joinable!(items -> rounds (round_id));
diesel::joinable!(items -> departments (department_id));
diesel::joinable!(items -> submissions (submission_id));
diesel::joinable!(submission_files -> submissions (submission_id));
diesel::joinable!(legal_bases -> items (item_id));
diesel::joinable!(legal_bases -> legal_documents (document_id));
diesel::joinable!(findings -> items (item_id));
diesel::joinable!(findings -> finding_messages (message_id));
diesel::joinable!(decisions -> items (item_id));
diesel::joinable!(decisions -> users (decided_by));
diesel::joinable!(consultations -> rounds (round_id));
diesel::joinable!(consultations -> users (created_by));
diesel::joinable!(consultation_items -> consultations (consultation_id));
diesel::joinable!(consultation_items -> items (item_id));
diesel::joinable!(comments -> consultations (consultation_id));
diesel::joinable!(comments -> items (item_id));
diesel::joinable!(comments -> users (moderated_by));
diesel::joinable!(publications -> regions (region_id));
diesel::joinable!(publications -> rounds (round_id));
diesel::joinable!(publications -> users (published_by));
diesel::joinable!(published_items -> publications (publication_id));
diesel::joinable!(published_items -> items (item_id));
diesel::joinable!(audit_log -> users (actor_user_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    departments,
    users,
    sessions,
    api_tokens,
    rounds,
    submissions,
    submission_files,
    items,
    legal_documents,
    legal_bases,
    findings,
    finding_messages,
    decisions,
    consultations,
    consultation_items,
    comments,
    publications,
    published_items,
    audit_log,
);
