-- Frozen from facilities/sql/defaults/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.

-- facilities/sql/defaults/10_defaults.sql
-- Generated from facilities.models.FACILITY_DEFAULTS (manage.py freeze_sql writes it): do not edit.
-- One scalar function per value: the planner folds a call of each into a constant.

create or replace function app_private.default_opens_at() returns time
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return time '06:00';
end
$$;

create or replace function app_private.default_closes_at() returns time
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return time '22:00';
end
$$;

create or replace function app_private.default_slot_minutes() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 30;
end
$$;

create or replace function app_private.default_booking_window_days() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 7;
end
$$;

create or replace function app_private.default_cancellation_cutoff_minutes() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 120;
end
$$;

create or replace function app_private.slot_run_max_days() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 366;
end
$$;
