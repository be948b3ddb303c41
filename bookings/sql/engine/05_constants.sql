-- Generated from bookings/models.py (manage.py freeze_sql writes it): do not edit.
create or replace function app_private.place_holding_statuses() returns text[]
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return array['confirmed', 'attended', 'no_show'];
end
$$;

create or replace function app_private.entitlement_unit(p_kind text) returns text
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return case p_kind when 'slot' then 'recovery sessions' when 'class' then 'classes' end;
end
$$;

create or replace function app_private.class_cancellation_cutoff_minutes() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 60;
end
$$;

create or replace function app_private.check_in_opens_minutes_before() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return 60;
end
$$;
